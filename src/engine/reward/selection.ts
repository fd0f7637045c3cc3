/**
 * Uses of a trained reward ensemble: best-of-n selection and picking the pair the heads disagree
 * on most (active learning). Relabelling reads the loop's mixture instead (OnlineLearner.relabel).
 */
import type { RewardEnsemble } from './ensemble.ts';

export interface BestOfNResult {
  /** Index of the selected candidate. */
  index: number;
  /** Mean reward of every candidate. */
  rewards: Float64Array;
  /** Std over heads of every candidate's reward. */
  stds: Float64Array;
}

/**
 * argmax over candidates of mean reward − pessimism·std. pessimism = 0 is plain best-of-n;
 * a positive value is a conservative (lower-confidence-bound) pick that resists choosing a
 * candidate only because one head over-rates it — a mild guard against reward hacking.
 * Ties go to the lowest index.
 */
export function bestOfN(
  model: RewardEnsemble,
  candidates: readonly ArrayLike<number>[],
  options: { pessimism?: number } = {},
): BestOfNResult {
  if (candidates.length === 0) throw new RangeError('bestOfN: no candidates');
  const k = options.pessimism ?? 0;
  const rewards = new Float64Array(candidates.length);
  const stds = new Float64Array(candidates.length);
  let index = 0;
  let best = -Infinity;
  candidates.forEach((c, i) => {
    const r = model.reward(c);
    rewards[i] = r.mean;
    stds[i] = r.std;
    const v = r.mean - k * r.std;
    if (v > best) {
      best = v;
      index = i;
    }
  });
  return { index, rewards, stds };
}

export interface UncertainPair {
  i: number;
  j: number;
  /** Std over heads of P(candidates[i] ≻ candidates[j]). */
  std: number;
  pAB: number;
}

/** Among all pairs of candidates, the one whose P(i ≻ j) the heads disagree on most. */
export function mostUncertainPair(model: RewardEnsemble, candidates: readonly ArrayLike<number>[]): UncertainPair {
  if (candidates.length < 2) throw new RangeError('mostUncertainPair: need at least 2 candidates');
  let best: UncertainPair = { i: 0, j: 1, std: -1, pAB: 0.5 };
  for (let i = 0; i < candidates.length; i++) {
    for (let j = i + 1; j < candidates.length; j++) {
      const p = model.preference(candidates[i]!, candidates[j]!);
      if (p.std > best.std) best = { i, j, std: p.std, pAB: p.pAB };
    }
  }
  return best;
}
