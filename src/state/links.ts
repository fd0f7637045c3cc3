/**
 * How cells find each other. A cell's config may name the cell it draws from (a duel's
 * `policyCellId`, a train cell's `duelCellId`); absent or dangling, it means "the first cell of
 * that kind", which is what a notebook with one of each expects.
 */
import {
  cancelledSeqs,
  effectiveEvents,
  type CandidatesEvent,
  type CellKind,
  type CellOf,
  type PairVoteEvent,
  type SessionDocument,
  type SessionEvent,
} from '../session/index';

export function linkedCell<K extends CellKind>(doc: SessionDocument, kind: K, id: string | undefined): CellOf<K> | undefined {
  const named = id === undefined ? undefined : doc.cells.find((c) => c.id === id && c.kind === kind);
  return (named ?? doc.cells.find((c) => c.kind === kind)) as CellOf<K> | undefined;
}

/** The Train cell that learns from `duelId`'s votes: the first one linked to it. */
export function trainCellForDuel(doc: SessionDocument, duelId: string): CellOf<'train'> | undefined {
  for (const cell of doc.cells) {
    if (cell.kind !== 'train') continue;
    if (linkedCell(doc, 'duel', cell.config.duelCellId)?.id === duelId) return cell;
  }
  return undefined;
}

/** Effective (not undone) votes cast in `cellId`. */
export function countVotes(events: readonly SessionEvent[], cellId: string): number {
  let n = 0;
  for (const event of effectiveEvents(events)) if (event.type === 'vote' && event.cellId === cellId) n++;
  return n;
}

/** The prompt text and the candidates event a vote (or a pending pair) refers to. */
export function resolvePrompt(
  events: readonly SessionEvent[],
  promptId: string,
  beforeSeq = Number.POSITIVE_INFINITY,
): { prompt: string; candidates: CandidatesEvent } | undefined {
  let prompt: string | undefined;
  let candidates: CandidatesEvent | undefined;
  for (const event of events) {
    if (event.seq >= beforeSeq) break;
    if (event.type === 'prompt' && event.promptId === promptId) prompt = event.text;
    if (event.type === 'candidates' && event.promptId === promptId) candidates = event;
  }
  return prompt === undefined || candidates === undefined ? undefined : { prompt, candidates };
}

/**
 * The pair a duel has on screen and nobody has voted on, so a reload puts it back instead of
 * drawing a new prompt: the last candidates shown, or the pair of a vote that was just undone
 * (in the order it was shown). Undefined when the last thing that happened was a vote.
 */
export function pendingCandidates(
  events: readonly SessionEvent[],
  cellId: string,
): { candidates: CandidatesEvent; order?: readonly [string, string] } | undefined {
  const cancelled = cancelledSeqs(events);
  for (let i = events.length - 1; i >= 0; i--) {
    const event = events[i]!;
    if (event.cellId !== cellId || cancelled.has(event.seq)) continue;
    if (event.type === 'vote') return undefined;
    if (event.type === 'candidates') return event.candidates.length >= 2 ? { candidates: event } : undefined;
    if (event.type === 'undo') {
      const target = events.find((e) => e.seq === event.targetSeq);
      // Undoing an undo (a redo) puts the vote back: as if the last thing were that vote.
      if (!target || target.type !== 'vote') return undefined;
      if (target.kind !== 'pair') return undefined;
      const resolved = resolvePrompt(events, target.promptId, target.seq);
      return resolved ? { candidates: resolved.candidates, order: target.shownOrder } : undefined;
    }
  }
  return undefined;
}

/** How many pairs a duel has drawn so far (the counter behind prompt order and seeds). */
export function drawsSoFar(events: readonly SessionEvent[], cellId: string): number {
  let n = 0;
  for (const event of events) if (event.type === 'candidates' && event.cellId === cellId) n++;
  return n;
}

export type { PairVoteEvent };
