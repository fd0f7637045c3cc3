/**
 * Pair selection: which two candidates (answers, policies, models) to show next.
 *
 * One interface serves the playground (a person votes, then asks for the next pair) and
 * simulations (a simulated annotator votes in a loop):
 *
 *   const s = createPairSampler({ kind: 'rucb', size: 8, seed: 1 });
 *   for (let pair = s.next(); pair; pair = s.next()) {
 *     const [left, right] = pair;
 *     s.update(left, right, await vote(left, right));   // 'a' = left won
 *   }
 *
 * Contract
 * - `next()` proposes [left, right] (left is shown in position A). It does not change the
 *   sampler's statistics, but it may consume random numbers, and calling it again before
 *   `update` may propose another pair; sorting samplers keep returning their pending pair.
 * - `update(first, second, feedback)` records one verdict for any pair (not only the proposed
 *   one, so a person may also pick their own pair): feedback is from `first`'s side, an
 *   Outcome or a judge's probability that `first` is better.
 * - `null` from `next()` means the sampler has nothing more to ask (a finished sort or
 *   bracket); online samplers never finish.
 * - Everything random comes from the seed, so a session's log replays to the same pairs.
 */
import type { Outcome } from '../ratings/battles';

/** [left, right]: indices of the two candidates, left shown first. */
export type Pair = readonly [number, number];

/** A verdict from the first item's side, or a judge's P(first ≻ second). */
export type PairFeedback = Outcome | { readonly probability: number };

export type PairSamplerKind =
  | 'uniform'
  | 'arena-weighted'
  | 'closeness-uncertainty'
  | 'ensemble-disagreement'
  | 'pairs'
  | 'knockout'
  | 'rucb'
  | 'ccb'
  | 'double-thompson';

export interface PairSampler {
  readonly kind: PairSamplerKind;
  /** Number of candidates, indexed 0…size−1. */
  readonly size: number;
  /** Verdicts recorded so far. */
  readonly comparisons: number;
  /** True once `next()` will only return null. */
  readonly done: boolean;
  next(): Pair | null;
  update(first: number, second: number, feedback: PairFeedback): void;
  /** Current estimate of the order, best first (every candidate exactly once). */
  ranking(): number[];
}

/** First item's score: 1 win, 0 loss, ½ tie or both-bad, or the judge's probability. */
export function feedbackScore(feedback: PairFeedback): number {
  if (typeof feedback === 'object') {
    const p = feedback.probability;
    if (!(p >= 0 && p <= 1)) throw new RangeError(`feedback probability must be in [0, 1], got ${p}`);
    return p;
  }
  switch (feedback) {
    case 'a':
      return 1;
    case 'b':
      return 0;
    case 'tie':
    case 'bothbad':
      return 0.5;
  }
}

export function checkPair(size: number, first: number, second: number): void {
  if (!Number.isInteger(first) || !Number.isInteger(second) || first < 0 || second < 0 || first >= size || second >= size) {
    throw new RangeError(`pair (${first}, ${second}) is outside 0…${size - 1}`);
  }
  if (first === second) throw new RangeError(`a candidate cannot be compared with itself (${first})`);
}
