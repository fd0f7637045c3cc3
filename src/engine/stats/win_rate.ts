/**
 * Win rate of a policy against the reference policy, as judged pairwise, ties counting ½.
 *
 * Interval: the Wilson score interval applied to the half-counted proportion
 * p̂ = (wins + ties/2)/n. Why Wilson and not a bootstrap: it is closed-form and deterministic
 * (the live chart recomputes it after every vote), behaves well at small n and near 0 or 1,
 * where the online playground spends its first minutes (a percentile bootstrap of 5 votes
 * is degenerate), and it is conservative with ties: a half-counted trial X ∈ {0, ½, 1} has
 * variance p(1−p) − ties/(4n) ≤ p(1−p), the Bernoulli variance Wilson assumes.
 * A seeded percentile bootstrap (`bootstrapInterval`) is provided for statistics that have no
 * closed form, such as the length-controlled win rate below.
 */
import { Rng, type RngSeed } from '../rng.ts';
import { sigmoid } from '../objectives/math.ts';

export type PairwiseResult = 'win' | 'loss' | 'tie';

/** Two-sided 95 % normal quantile. */
export const Z95 = 1.959963984540054;

export interface WinRateSummary {
  wins: number;
  losses: number;
  ties: number;
  n: number;
  /** (wins + ties/2)/n; NaN when n = 0. */
  winRate: number;
  /** 95 % Wilson score interval of winRate ([0, 1] when n = 0). */
  ci95: [number, number];
  method: 'wilson';
}

/** Wilson score interval for a proportion p̂ observed over n trials. */
export function wilsonInterval(pHat: number, n: number, z = Z95): [number, number] {
  if (n <= 0) return [0, 1];
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (pHat + z2 / (2 * n)) / denom;
  const half = (z / denom) * Math.sqrt((pHat * (1 - pHat)) / n + z2 / (4 * n * n));
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

export function winRate(results: readonly PairwiseResult[], z = Z95): WinRateSummary {
  let wins = 0;
  let losses = 0;
  let ties = 0;
  for (const r of results) {
    if (r === 'win') wins++;
    else if (r === 'loss') losses++;
    else ties++;
  }
  return winRateFromCounts(wins, losses, ties, z);
}

export function winRateFromCounts(wins: number, losses: number, ties: number, z = Z95): WinRateSummary {
  const n = wins + losses + ties;
  const p = n > 0 ? (wins + 0.5 * ties) / n : NaN;
  return { wins, losses, ties, n, winRate: p, ci95: n > 0 ? wilsonInterval(p, n, z) : [0, 1], method: 'wilson' };
}

/**
 * Map a judge's outcome to the policy's result. `policyShown` says whether the policy's answer
 * was shown as 'a' or 'b' (alternate or randomise it to cancel position bias). "Both bad"
 * counts as a tie: neither answer was better.
 */
export function resultForPolicy(outcome: 'a' | 'b' | 'tie' | 'bothbad', policyShown: 'a' | 'b'): PairwiseResult {
  if (outcome === 'tie' || outcome === 'bothbad') return 'tie';
  return outcome === policyShown ? 'win' : 'loss';
}

function resultValue(r: PairwiseResult): number {
  return r === 'win' ? 1 : r === 'loss' ? 0 : 0.5;
}

/**
 * Seeded percentile bootstrap: resample the n items with replacement `samples` times and
 * return the (α/2, 1 − α/2) quantiles of the statistic. Deterministic for a given seed.
 */
export function bootstrapInterval<T>(
  items: readonly T[],
  statistic: (sample: readonly T[]) => number,
  options: { seed: RngSeed; samples?: number; alpha?: number },
): [number, number] {
  const B = options.samples ?? 1000;
  const alpha = options.alpha ?? 0.05;
  if (items.length === 0) return [NaN, NaN];
  const rng = new Rng(options.seed).fork('bootstrap');
  const stats: number[] = [];
  const sample: T[] = new Array<T>(items.length);
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < items.length; i++) sample[i] = items[rng.int(items.length)]!;
    const s = statistic(sample);
    if (Number.isFinite(s)) stats.push(s);
  }
  stats.sort((x, y) => x - y);
  return [quantile(stats, alpha / 2), quantile(stats, 1 - alpha / 2)];
}

/** Linear-interpolation quantile (type 7) of sorted values. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

export interface LengthAwareResult {
  result: PairwiseResult;
  /** Length of the policy's answer (words or tokens — be consistent). */
  policyLength: number;
  referenceLength: number;
}

export interface LengthControlledWinRate {
  /** Win rate predicted at zero length difference: σ(θ₀). */
  lcWinRate: number;
  /** The ordinary half-counted win rate, for comparison. */
  winRate: number;
  /** Intercept θ₀ and length coefficient θ₁ of the fitted model. */
  theta: [number, number];
  /** Scale σ used to standardise the length difference. */
  lengthScale: number;
  /** Seeded percentile-bootstrap 95 % interval of lcWinRate. */
  ci95: [number, number];
  n: number;
}

/**
 * Fit logit P(policy wins) = θ₀ + θ₁·tanh(Δ/σ) to soft outcomes y ∈ {0, ½, 1} by Newton's
 * method, with Δ = policyLength − referenceLength and σ the std of Δ over the data (1 if 0).
 * A ridge penalty ½·λ·θ₁² (λ = `ridge`, default 1 ≈ one pseudo-observation) keeps θ₁ finite
 * when wins and losses are perfectly separated by length; θ₀ is unpenalised. If every y is
 * 0 or every y is 1 the intercept MLE is infinite and we return that raw rate.
 */
export function fitLengthModel(
  data: readonly LengthAwareResult[],
  options: { ridge?: number; lengthScale?: number } = {},
): { theta: [number, number]; lengthScale: number } {
  const n = data.length;
  const deltas = data.map((d) => d.policyLength - d.referenceLength);
  let scale = options.lengthScale ?? 0;
  if (!(scale > 0)) {
    const m = deltas.reduce((a, b) => a + b, 0) / Math.max(1, n);
    scale = Math.sqrt(deltas.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, n));
    if (!(scale > 0)) scale = 1;
  }
  const x = deltas.map((d) => Math.tanh(d / scale));
  const y = data.map((d) => resultValue(d.result));
  const lambda = options.ridge ?? 1;
  const allSame = y.every((v) => v === y[0]) && (y[0] === 0 || y[0] === 1);
  if (n === 0) return { theta: [NaN, NaN], lengthScale: scale };
  if (allSame) return { theta: [y[0] === 1 ? Infinity : -Infinity, 0], lengthScale: scale };

  let t0 = 0;
  let t1 = 0;
  for (let iter = 0; iter < 50; iter++) {
    // Gradient and Hessian of the penalised negative log-likelihood.
    let g0 = 0;
    let g1 = lambda * t1;
    let h00 = 0;
    let h01 = 0;
    let h11 = lambda;
    for (let i = 0; i < n; i++) {
      const p = sigmoid(t0 + t1 * x[i]!);
      const r = p - y[i]!;
      const w = p * (1 - p);
      g0 += r;
      g1 += r * x[i]!;
      h00 += w;
      h01 += w * x[i]!;
      h11 += w * x[i]! * x[i]!;
    }
    const det = h00 * h11 - h01 * h01;
    if (!(det > 1e-300)) break;
    const d0 = (h11 * g0 - h01 * g1) / det;
    const d1 = (h00 * g1 - h01 * g0) / det;
    t0 -= d0;
    t1 -= d1;
    if (Math.abs(d0) + Math.abs(d1) < 1e-12) break;
  }
  return { theta: [t0, t1], lengthScale: scale };
}

/**
 * Length-controlled win rate, a simple version of AlpacaEval 2's LC idea (Dubois et al. 2024):
 * regress the outcome on the (bounded, standardised) length difference and report the win
 * rate the model predicts when the two answers have equal length, σ(θ₀). Unlike AlpacaEval we
 * have no per-instruction term: one policy, one reference, one judge.
 * The interval is a seeded percentile bootstrap over votes, refitting the model each time
 * (σ kept at the full-data value so resamples are comparable).
 */
export function lengthControlledWinRate(
  data: readonly LengthAwareResult[],
  options: { seed: RngSeed; samples?: number; ridge?: number },
): LengthControlledWinRate {
  const fit = fitLengthModel(data, { ridge: options.ridge });
  const plain = winRate(data.map((d) => d.result));
  const lc = sigmoid(fit.theta[0]);
  const ci = bootstrapInterval(
    data,
    (s) => sigmoid(fitLengthModel(s, { ridge: options.ridge, lengthScale: fit.lengthScale }).theta[0]),
    { seed: options.seed, samples: options.samples ?? 500 },
  );
  return { lcWinRate: lc, winRate: plain.winRate, theta: fit.theta, lengthScale: fit.lengthScale, ci95: ci, n: data.length };
}
