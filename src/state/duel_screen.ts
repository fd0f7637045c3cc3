/**
 * What a duel has on screen: the pair (pairwise) or the set of N candidates (rank, thumbs), the
 * texts still streaming in, and the fields around them; plus putting a pair or set back on
 * screen from the log (after a reload, or an undo). Plain functions over the duel's fields: the
 * rune state itself lives in DuelState.
 */
import type { CandidatesEvent, DuelConfig, PolicySnapshotRef, SessionEvent } from '../session/index';
import { drawIndexOf, pendingSet } from './duel_sets';
import { pendingCandidates, resolvePrompt } from './links';
import type { PairReason } from './duel_sources';

export type DuelPhase = 'idle' | 'generating' | 'ready' | 'learning' | 'error';

export interface ShownCandidate {
  id: string;
  text: string;
  tokenIds: number[] | null;
  snapshot: PolicySnapshotRef;
}

export interface DuelPair {
  promptId: string;
  prompt: string;
  /** The engine's tokens for the prompt (looked up lazily for a pair restored from the log). */
  promptIds: number[] | null;
  left: ShownCandidate;
  right: ShownCandidate;
  /** Why a reward-model rule drew this pair (absent for plain draws and pairs restored from the log). */
  reason?: PairReason;
  /** Which draw of this duel the pair is (0-based): a simulated annotator's verdicts index by it. */
  draw: number;
  /** Votes the weights that drew it had learned from (absent for a pair restored from the log). */
  drawnAfterVotes?: number;
}

/** The N candidates of a rank or thumbs duel, in the order shown (and logged). */
export interface CandidateSet {
  promptId: string;
  prompt: string;
  promptIds: number[] | null;
  candidates: ShownCandidate[];
  draw: number;
}

/** The duel's screen fields (DuelState's rune state) that its helpers read and write. */
export interface DuelScreen {
  phase: DuelPhase;
  pair: DuelPair | null;
  /** Texts as they stream in, before the pair is complete. */
  streaming: { prompt: string; left: string; right: string } | null;
  critique: string;
  error: string | null;
  note: string | null;
  set: CandidateSet | null;
  streamingSet: { prompt: string; texts: string[] } | null;
  rankOrder: string[];
  thumbs: Record<string, boolean>;
}

/** Puts a set on screen, with a ranking to start from and the thumbs it already has. */
export function showSet(screen: DuelScreen, set: CandidateSet, order?: readonly string[], thumbs: Record<string, boolean> = {}): void {
  const ids = set.candidates.map((c) => c.id);
  const validOrder = order && order.length === ids.length && ids.every((id) => order.includes(id));
  screen.set = set;
  screen.rankOrder = validOrder ? [...order] : ids;
  screen.thumbs = { ...thumbs };
  screen.phase = 'ready';
}

/** A draw failed: the message shows instead of the texts that were streaming. */
export function showFailure(screen: DuelScreen, message: string): void {
  screen.phase = 'error';
  screen.streaming = null;
  screen.streamingSet = null;
  screen.error = message;
}

const shown = (c: CandidatesEvent['candidates'][number]): ShownCandidate => ({
  id: c.id,
  text: c.text,
  tokenIds: c.tokenIds ?? null,
  snapshot: c.policySnapshot,
});

/** The candidates as the log keeps them (in the order shown). */
export const loggedCandidates = (candidates: readonly ShownCandidate[]): CandidatesEvent['candidates'] =>
  candidates.map((c) => ({ id: c.id, text: c.text, tokenIds: c.tokenIds ?? [], policySnapshot: c.snapshot }));

/** The pair of a logged candidates event, sides as `order` says (else as logged). */
export function pairFromLog(events: readonly SessionEvent[], candidates: CandidatesEvent, order?: readonly [string, string]): DuelPair | null {
  const resolved = resolvePrompt(events, candidates.promptId, candidates.seq + 1);
  if (!resolved) return null;
  const byId = new Map(candidates.candidates.map((c) => [c.id, c]));
  const [leftId, rightId] = order ?? [candidates.candidates[0]!.id, candidates.candidates[1]!.id];
  const left = byId.get(leftId);
  const right = byId.get(rightId);
  if (!left || !right) return null;
  const draw = drawIndexOf(events, candidates);
  return { promptId: candidates.promptId, prompt: resolved.prompt, promptIds: null, left: shown(left), right: shown(right), draw };
}

/** The set of a logged candidates event. */
export function setFromLog(events: readonly SessionEvent[], candidates: CandidatesEvent): CandidateSet | null {
  const resolved = resolvePrompt(events, candidates.promptId, candidates.seq + 1);
  if (!resolved) return null;
  return {
    promptId: candidates.promptId,
    prompt: resolved.prompt,
    promptIds: null,
    candidates: candidates.candidates.map(shown),
    draw: drawIndexOf(events, candidates),
  };
}

/** Puts the last unvoted pair or set from the log back on screen (after a reload). */
export function restorePending(screen: DuelScreen, events: readonly SessionEvent[], cellId: string, config: DuelConfig | undefined): void {
  if (!config || config.mode === 'pairwise') {
    const pending = pendingCandidates(events, cellId);
    // A set drawn for a ranking is not a pair: a pairwise duel draws afresh.
    if (!pending || pending.candidates.candidates.length !== 2) return;
    const pair = pairFromLog(events, pending.candidates, pending.order);
    if (pair) {
      screen.pair = pair;
      screen.phase = 'ready';
    }
    return;
  }
  const pending = pendingSet(events, cellId);
  if (!pending) return;
  const hasThumbs = Object.keys(pending.thumbs).length > 0;
  if (config.mode === 'rank' && (hasThumbs || pending.candidates.candidates.length < 2)) return;
  const set = setFromLog(events, pending.candidates);
  if (!set) return;
  showSet(screen, set, pending.order, pending.thumbs);
}
