/**
 * The event log: appending, undo, and turning votes into the preference pairs the trainer and
 * the dataset export consume.
 */
import * as v from 'valibot';
import { touch, SessionEditError } from './document.ts';
import { checkEventLog } from './integrity.ts';
import { formatSessionIssue } from './issues.ts';
import { SESSION_LIMITS, formatBytes, formatCount } from './limits.ts';
import {
  MAX_EDITABLE_DOCUMENT_BYTES,
  bytesWithoutEvents,
  eventBytes,
  eventsBytes,
  rememberAppendedEventsBytes,
} from './size.ts';
import {
  SessionEventSchema,
  type PolicySnapshotRef,
  type SessionDocument,
  type SessionEvent,
  type VoteEvent,
} from './schema.ts';
import { annotatorOf } from './annotators.ts';
import { TranscriptIndex } from './transcript.ts';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** An event as the caller describes it: `seq` is assigned by `appendEvent`, `t` defaults to now. */
export type NewSessionEvent = DistributiveOmit<SessionEvent, 'seq' | 't'> & { t?: number };

/**
 * Returns a new document with `event` appended, numbered one past the last `seq`. Throws a
 * `SessionEditError` (leaving `doc` as it was) if the event is malformed, refers to a prompt or
 * candidate not in the log, or the log is full.
 */
export function appendEvent(doc: SessionDocument, event: NewSessionEvent, now: number = Date.now()): SessionDocument {
  return appendEvents(doc, [event], now);
}

/**
 * Appends several events at once (all or none): cheaper than appending one by one, since the
 * log is copied and checked once.
 */
export function appendEvents(
  doc: SessionDocument,
  newEvents: readonly NewSessionEvent[],
  now: number = Date.now(),
): SessionDocument {
  if (doc.events.length + newEvents.length > SESSION_LIMITS.maxEvents) {
    throw new SessionEditError(
      `This session's log is full (${formatCount(SESSION_LIMITS.maxEvents)} events); export it and start a new one.`,
    );
  }
  const last = doc.events[doc.events.length - 1];
  let seq = last === undefined ? 0 : last.seq + 1;
  const events = [...doc.events];
  for (const [i, event] of newEvents.entries()) {
    const parsed = v.safeParse(SessionEventSchema, { ...event, seq: seq++, t: event.t ?? now });
    if (!parsed.success) {
      throw new SessionEditError(formatSessionIssue(parsed.issues[0], newEvents.length === 1 ? 'event' : `new event ${i}`));
    }
    events.push(parsed.output);
  }
  let appendedBytes = 0;
  for (let i = doc.events.length; i < events.length; i++) appendedBytes += eventBytes(events[i]!);
  const restBytes = bytesWithoutEvents(doc);
  if (restBytes + eventsBytes(doc.events) + appendedBytes > MAX_EDITABLE_DOCUMENT_BYTES) {
    throw new SessionEditError(
      `This session would grow past ${formatBytes(MAX_EDITABLE_DOCUMENT_BYTES)}; export it and start a new one.`,
    );
  }
  const problem = checkEventLog(events, doc.events.length);
  if (problem !== null) {
    const relabel = (_match: string, index: string) => {
      const i = Number(index) - doc.events.length;
      return newEvents.length === 1 ? 'event' : `new event ${i}`;
    };
    throw new SessionEditError(problem.replace(/^events\[(\d+)\]/, relabel));
  }
  rememberAppendedEventsBytes(doc.events, events, appendedBytes);
  return touch({ ...doc, events }, now);
}

/** Appends an `undo` of the event numbered `targetSeq`. */
export function undoEvent(doc: SessionDocument, targetSeq: number, cellId: string, now?: number): SessionDocument {
  return appendEvent(doc, { type: 'undo', cellId, targetSeq }, now);
}

/**
 * The seqs of events currently cancelled by undo. Walking backwards, an undo counts only if it
 * is not itself cancelled by a later undo, so undoing an undo restores its target (redo).
 */
export function cancelledSeqs(events: readonly SessionEvent[]): Set<number> {
  const cancelled = new Set<number>();
  for (let i = events.length - 1; i >= 0; i--) {
    const event = events[i]!;
    if (event.type === 'undo' && !cancelled.has(event.seq)) cancelled.add(event.targetSeq);
  }
  return cancelled;
}

/** The log as if undone events had never happened, without the undo events themselves. */
export function effectiveEvents(events: readonly SessionEvent[]): SessionEvent[] {
  const cancelled = cancelledSeqs(events);
  return events.filter((event) => event.type !== 'undo' && !cancelled.has(event.seq));
}

/** The last effective event that can be undone from `cellId` (votes by default), if any. */
export function lastUndoable(
  events: readonly SessionEvent[],
  cellId: string,
  types: readonly SessionEvent['type'][] = ['vote'],
): SessionEvent | undefined {
  const effective = effectiveEvents(events);
  for (let i = effective.length - 1; i >= 0; i--) {
    const event = effective[i]!;
    if (event.cellId === cellId && types.includes(event.type)) return event;
  }
  return undefined;
}

export interface PreferencePair {
  prompt: string;
  chosen: string;
  rejected: string;
  promptId: string;
  chosenId: string;
  rejectedId: string;
  chosenSnapshot: PolicySnapshotRef;
  rejectedSnapshot: PolicySnapshotRef;
  /** The vote this pair came from. */
  voteSeq: number;
  cellId: string;
  /** Who voted (`annotatorOf`: a judge's id, `human`, or `human:NAME` in a shared room). */
  judge: string;
}

export interface PreferencePairOptions {
  /** Only votes cast in this cell. */
  cellId?: string;
  /**
   * How a ranking of k candidates becomes pairs: every ordered pair (k(k-1)/2, the default,
   * as in InstructGPT's reward-model training), only neighbours (k-1), or none.
   */
  rankings?: 'all-pairs' | 'adjacent' | 'none';
}

/**
 * Preference pairs (chosen ≻ rejected) from the effective votes, in log order. Ties, "both
 * bad" and thumbs carry no strict preference between two texts and give no pair.
 */
export function votesToPreferencePairs(
  events: readonly SessionEvent[],
  options: PreferencePairOptions = {},
): PreferencePair[] {
  const rankings = options.rankings ?? 'all-pairs';
  const pairs: PreferencePair[] = [];
  const transcript = new TranscriptIndex();
  for (const event of effectiveEvents(events)) {
    transcript.add(event);
    if (event.type !== 'vote' || (options.cellId !== undefined && event.cellId !== options.cellId)) continue;
    for (const [chosenId, rejectedId] of strictPreferences(event, rankings)) {
      const prompt = transcript.promptText(event.promptId);
      const chosen = transcript.candidate(event.promptId, chosenId);
      const rejected = transcript.candidate(event.promptId, rejectedId);
      // An undone prompt or candidates event can leave a vote dangling: it then has no texts.
      if (prompt === undefined || chosen === undefined || rejected === undefined) continue;
      pairs.push({
        prompt,
        chosen: chosen.text,
        rejected: rejected.text,
        promptId: event.promptId,
        chosenId,
        rejectedId,
        chosenSnapshot: chosen.policySnapshot,
        rejectedSnapshot: rejected.policySnapshot,
        voteSeq: event.seq,
        cellId: event.cellId,
        judge: annotatorOf(event),
      });
    }
  }
  return pairs;
}

function strictPreferences(vote: VoteEvent, rankings: PreferencePairOptions['rankings']): [string, string][] {
  switch (vote.kind) {
    case 'pair':
      if (vote.outcome === 'a') return [[vote.a, vote.b]];
      if (vote.outcome === 'b') return [[vote.b, vote.a]];
      return [];
    case 'rank': {
      const order = vote.order;
      const out: [string, string][] = [];
      if (rankings === 'adjacent') {
        for (let i = 0; i + 1 < order.length; i++) out.push([order[i]!, order[i + 1]!]);
      } else if (rankings === 'all-pairs') {
        for (let i = 0; i < order.length; i++) {
          for (let j = i + 1; j < order.length; j++) out.push([order[i]!, order[j]!]);
        }
      }
      return out;
    }
    case 'thumbs':
      return [];
  }
}
