/**
 * Pure helpers for duels that show N candidates at once (rank and thumbs modes): reordering a
 * ranking, turning scores into an order, and finding in the log the set still waiting for
 * votes (after a reload or an undo). No Svelte, no engine: unit-tested in Node.
 */
import { cancelledSeqs, effectiveEvents, type CandidatesEvent, type SessionEvent } from '../session/index';

/** `order` with the item at `from` moved to `to` (both clamped to the list); a new array. */
export function moveInOrder<T>(order: readonly T[], from: number, to: number): T[] {
  const next = [...order];
  if (from < 0 || from >= next.length) return next;
  const target = Math.max(0, Math.min(next.length - 1, to));
  const [item] = next.splice(from, 1);
  next.splice(target, 0, item!);
  return next;
}

/**
 * Indices of `scores`, best (highest) first. Equal scores keep the order they were shown in,
 * so a judge that cannot tell two candidates apart does not invent a preference.
 */
export function orderByScores(scores: readonly number[]): number[] {
  return scores
    .map((score, index) => ({ score: Number.isFinite(score) ? score : Number.NEGATIVE_INFINITY, index }))
    .sort((x, y) => y.score - x.score || x.index - y.index)
    .map((x) => x.index);
}

/** The position of a candidates event among its duel's draws (0-based): seeds and judges index by it. */
export function drawIndexOf(events: readonly SessionEvent[], candidates: CandidatesEvent): number {
  let n = 0;
  for (const event of events) {
    if (event.seq >= candidates.seq) break;
    if (event.type === 'candidates' && event.cellId === candidates.cellId) n++;
  }
  return n;
}

/** Effective thumbs given so far on the candidates of `promptId` in `cellId`: candidate id → up. */
export function thumbsGiven(events: readonly SessionEvent[], cellId: string, promptId: string): Record<string, boolean> {
  const given: Record<string, boolean> = {};
  for (const event of effectiveEvents(events)) {
    if (event.type === 'vote' && event.kind === 'thumbs' && event.cellId === cellId && event.promptId === promptId) {
      given[event.candidate] = event.up;
    }
  }
  return given;
}

export interface PendingSet {
  candidates: CandidatesEvent;
  /** A ranking that was undone (candidate ids, best first), to start the new ranking from. */
  order?: string[];
  /** Thumbs already given on this set (candidate id → up); the rest still wait. */
  thumbs: Record<string, boolean>;
}

function candidatesOf(events: readonly SessionEvent[], cellId: string, promptId: string, beforeSeq: number): CandidatesEvent | undefined {
  let found: CandidatesEvent | undefined;
  for (const event of events) {
    if (event.seq >= beforeSeq) break;
    if (event.type === 'candidates' && event.cellId === cellId && event.promptId === promptId) found = event;
  }
  return found;
}

/** The set of a thumbs vote, unless every candidate of it has a thumb. */
function unfinishedThumbs(events: readonly SessionEvent[], cellId: string, promptId: string, beforeSeq: number): PendingSet | undefined {
  const candidates = candidatesOf(events, cellId, promptId, beforeSeq);
  if (!candidates) return undefined;
  const thumbs = thumbsGiven(events, cellId, promptId);
  const done = candidates.candidates.every((c) => c.id in thumbs);
  return done ? undefined : { candidates, thumbs };
}

/**
 * The candidate set a rank/thumbs duel has on screen and has not finished voting on, so a
 * reload puts it back instead of drawing a new prompt: the last candidates shown (with the
 * thumbs already given), or the set of a vote that was just undone. Undefined when the last
 * thing that happened finished a set (a ranking, a pair vote, the last thumb of a set).
 */
export function pendingSet(events: readonly SessionEvent[], cellId: string): PendingSet | undefined {
  const cancelled = cancelledSeqs(events);
  for (let i = events.length - 1; i >= 0; i--) {
    const event = events[i]!;
    if (event.cellId !== cellId || cancelled.has(event.seq)) continue;
    if (event.type === 'candidates') return { candidates: event, thumbs: {} };
    if (event.type === 'vote') {
      return event.kind === 'thumbs' ? unfinishedThumbs(events, cellId, event.promptId, event.seq) : undefined;
    }
    if (event.type === 'undo') {
      const target = events.find((e) => e.seq === event.targetSeq);
      if (target?.type === 'undo') {
        // A redo puts its vote back: a thumb may still leave the set unfinished.
        const redone = events.find((e) => e.seq === target!.targetSeq);
        return redone?.type === 'vote' && redone.kind === 'thumbs' ? unfinishedThumbs(events, cellId, redone.promptId, event.seq) : undefined;
      }
      if (!target || target.type !== 'vote') return undefined;
      if (target.kind === 'thumbs') return unfinishedThumbs(events, cellId, target.promptId, target.seq);
      if (target.kind !== 'rank') return undefined;
      // An undone ranking comes back to be ranked again, in the order it had.
      const candidates = candidatesOf(events, cellId, target.promptId, target.seq);
      return candidates ? { candidates, order: [...target.order], thumbs: {} } : undefined;
    }
  }
  return undefined;
}
