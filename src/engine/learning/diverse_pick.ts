/**
 * Which two of n policy samples a relabelled pair is made of, the way Diverse Preference
 * Optimization picks its pairs (Lanchantin et al. 2025, "Diverse Preference Optimization",
 * arXiv 2501.18101): the samples are split by quality into an upper and a lower half; the chosen
 * one is the *least* likely of the upper half under the policy (a good answer the policy would
 * rarely write), the rejected one the *most* likely of the lower half (a poor answer it writes
 * often). Trained on such pairs, DPO raises good rare answers and lowers poor common ones,
 * instead of sharpening onto the one good answer it already favours, which is how the 30-vote
 * runs collapsed onto a repeated phrase.
 *
 * Quality here is the loop's own taste (a Borda count of its pairwise P(a ≻ b)); likelihood is
 * per token, so length alone does not make an answer "rare". `matchLength` replaces the
 * rejected one's criterion by the closest length to the chosen one (then the most likely): a
 * pair whose two answers differ in length teaches DPO length as much as taste, and the DivPO
 * runs that failed did so with answers 1.6–2.4 × the reference's length.
 */

export interface DiversePickInput {
  /** Each sample's quality score (higher is better); ranks the samples. */
  quality: readonly number[];
  /** Each sample's mean log-probability per token under the policy. */
  logpPerToken: readonly number[];
  /** Each sample's length in tokens (read only with `matchLength`). */
  lengths: readonly number[];
  matchLength: boolean;
}

/** Indices of the chosen and rejected samples; n ≥ 2, and the two are always different. */
export function diversePick({ quality, logpPerToken, lengths, matchLength }: DiversePickInput): { chosen: number; rejected: number } {
  const n = quality.length;
  if (n < 2) throw new RangeError(`diversePick needs at least 2 samples, got ${n}`);
  if (logpPerToken.length !== n || lengths.length !== n) throw new RangeError('diversePick: quality, logpPerToken and lengths differ in length');
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(quality[i]!) || !Number.isFinite(logpPerToken[i]!) || !Number.isFinite(lengths[i]!)) {
      throw new RangeError(`diversePick: sample ${i} has a non-finite score`);
    }
  }
  // Best first; ties keep sample order, so a replay picks the same.
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => quality[y]! - quality[x]! || x - y);
  // With an odd n the middle sample goes up: the upper half is the one chosen from.
  const upper = order.slice(0, Math.ceil(n / 2));
  const lower = order.slice(Math.ceil(n / 2));
  let chosen = upper[0]!;
  for (const i of upper) if (logpPerToken[i]! < logpPerToken[chosen]!) chosen = i;
  const gap = (i: number) => Math.abs(lengths[i]! - lengths[chosen]!);
  let rejected = lower[0]!;
  for (const i of lower) {
    const likelier = logpPerToken[i]! > logpPerToken[rejected]!;
    if (!matchLength ? likelier : gap(i) < gap(rejected) || (gap(i) === gap(rejected) && likelier)) rejected = i;
  }
  return { chosen, rejected };
}

/**
 * A Borda count of a pairwise preference: each sample's summed P(it ≻ other) over the others.
 * `pAB(i, j)` is asked once per unordered pair (i < j).
 */
export function bordaScores(n: number, pAB: (i: number, j: number) => number): number[] {
  const score = new Array<number>(n).fill(0);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const p = pAB(i, j);
      score[i]! += p;
      score[j]! += 1 - p;
    }
  }
  return score;
}
