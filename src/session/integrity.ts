/**
 * Rules about a whole document that its schema cannot state field by field. Run after the
 * schema has passed, so the document is well-typed here.
 */
import { candidateIdsOfVote, TranscriptIndex } from './transcript.ts';
import type { SessionDocument, SessionEvent } from './schema.ts';

/** The first broken rule as `path: message`, or `null` when the document is consistent. */
export function checkSessionIntegrity(doc: SessionDocument): string | null {
  const cellIndexById = new Map<string, number>();
  for (const [i, cell] of doc.cells.entries()) {
    const earlier = cellIndexById.get(cell.id);
    if (earlier !== undefined) return `cells[${i}].id: "${cell.id}" is already the id of cells[${earlier}]`;
    cellIndexById.set(cell.id, i);
  }
  return checkEventLog(doc.events, 0);
}

/**
 * Checks `events[from…]` against everything before them: `seq` strictly increasing, undo
 * targets that exist and precede the undo, candidates and relabelled pairs for a prompt that
 * was posed, votes on candidates that were shown. `from` lets `appendEvents` check only the new events; the part
 * before `from` is taken as already valid, which keeps an append to a long log cheap.
 */
export function checkEventLog(events: readonly SessionEvent[], from: number): string | null {
  let mentioned: Set<string> | undefined;
  if (from > 0) {
    mentioned = new Set();
    for (let i = from; i < events.length; i++) {
      const event = events[i]!;
      if ('promptId' in event) mentioned.add(event.promptId);
    }
  }
  const transcript = new TranscriptIndex(mentioned);
  for (let i = 0; i < from; i++) transcript.add(events[i]!);
  for (let i = from; i < events.length; i++) {
    const event = events[i]!;
    const hasEarlierSeq = (seq: number) => indexOfSeq(events, seq, i) !== -1;
    const problem = checkEvent(event, i > 0 ? events[i - 1]!.seq : undefined, hasEarlierSeq, transcript);
    if (problem !== null) return `events[${i}].${problem}`;
    transcript.add(event);
  }
  return null;
}

/** Binary search for `seq` among `events[0…end)`, whose seqs are strictly increasing. */
function indexOfSeq(events: readonly SessionEvent[], seq: number, end: number): number {
  let lo = 0;
  let hi = end - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const midSeq = events[mid]!.seq;
    if (midSeq === seq) return mid;
    if (midSeq < seq) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

function checkEvent(
  event: SessionEvent,
  previousSeq: number | undefined,
  hasEarlierSeq: (seq: number) => boolean,
  transcript: TranscriptIndex,
): string | null {
  if (previousSeq !== undefined && event.seq <= previousSeq) {
    return `seq: must be greater than the previous event's seq (${previousSeq}), got ${event.seq}`;
  }
  switch (event.type) {
    case 'undo':
      if (!hasEarlierSeq(event.targetSeq)) {
        return `targetSeq: no earlier event has seq ${event.targetSeq}`;
      }
      return null;
    case 'candidates': {
      if (!transcript.hasPrompt(event.promptId)) {
        return `promptId: no earlier prompt event has id "${event.promptId}"`;
      }
      const ids = new Set<string>();
      for (const [j, candidate] of event.candidates.entries()) {
        if (ids.has(candidate.id)) return `candidates[${j}].id: "${candidate.id}" appears twice in this event`;
        ids.add(candidate.id);
      }
      return null;
    }
    case 'vote':
      return checkVote(event, transcript);
    case 'relabel':
      // The fresh pair was sampled for a prompt the duel had posed.
      if (!transcript.hasPrompt(event.promptId)) {
        return `promptId: no earlier prompt event has id "${event.promptId}"`;
      }
      return null;
    default:
      return null;
  }
}

function checkVote(event: Extract<SessionEvent, { type: 'vote' }>, transcript: TranscriptIndex): string | null {
  const notShown = (field: string, id: string) =>
    `${field}: candidate "${id}" was not shown for prompt "${event.promptId}" before this vote`;
  switch (event.kind) {
    case 'pair': {
      if (event.a === event.b) return `b: must differ from a ("${event.a}")`;
      const [left, right] = event.shownOrder;
      const isPermutation = (left === event.a && right === event.b) || (left === event.b && right === event.a);
      if (!isPermutation) return 'shownOrder: must list exactly the two candidates a and b';
      if (transcript.candidate(event.promptId, event.a) === undefined) return notShown('a', event.a);
      if (transcript.candidate(event.promptId, event.b) === undefined) return notShown('b', event.b);
      return null;
    }
    case 'rank': {
      const seen = new Set<string>();
      for (const [j, id] of event.order.entries()) {
        if (seen.has(id)) return `order[${j}]: "${id}" is ranked twice`;
        seen.add(id);
        if (transcript.candidate(event.promptId, id) === undefined) return notShown(`order[${j}]`, id);
      }
      return null;
    }
    case 'thumbs':
      for (const id of candidateIdsOfVote(event)) {
        if (transcript.candidate(event.promptId, id) === undefined) return notShown('candidate', id);
      }
      return null;
  }
}
