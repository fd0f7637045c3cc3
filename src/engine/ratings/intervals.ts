/**
 * Uncertainty for Bradley–Terry ratings: Arena's seeded bootstrap, sandwich (robust) and
 * model-based standard errors, and Arena's rank rule.
 *
 * Bootstrap. Arena resamples battles with replacement and refits. Resampling N battles with
 * replacement gives each distinct (pair, outcome) cell a Multinomial(N, cell/N) count, so we
 * draw that multinomial over the aggregated cells directly: one binomial per cell instead of
 * one draw per battle, with exactly the same distribution.
 *
 * Sandwich. Cov(θ̂) ≈ H⁻¹ G H⁻¹ with H the observed information and G = Σ_battles s_b s_bᵀ the
 * outer product of per-battle scores. Battles in the same cell share one score vector, so G is
 * a sum over cells weighted by their counts. Both H and G are singular along the common shift
 * of θ; the covariance reported is that of the θ contrasts the reporting convention uses
 * (deviations from the mean, or from the anchor).
 */
import { Rng, type RngSeed } from '../rng';
import { LN10, fitPairTable, type BradleyTerryFit, type BradleyTerryOptions } from './bradley_terry';
import { foldPairs, type BattleCounts, type PairTable } from './counts';
import { multinomial } from './distributions';
import { spdInverse, matMul } from './linalg';
import { newPairDerivatives, pairDerivatives } from './tie_models';

export interface BootstrapOptions extends BradleyTerryOptions {
  /** Number of resamples (Arena uses 100 for its public plots, 1000 for the leaderboard). */
  rounds: number;
  seed: RngSeed;
  /** Two-sided level of the percentile intervals (default 0.95). */
  level?: number;
  /** The full-data fit, used to warm-start each replicate (computed if omitted). */
  fit?: BradleyTerryFit;
  /** Called after each replicate with the number done (progress reports). */
  onRound?: (done: number) => void;
}

export interface BootstrapResult {
  readonly names: readonly string[];
  readonly rounds: number;
  readonly level: number;
  /** Ratings of every replicate, row-major [rounds × n]. */
  readonly samples: Float64Array;
  /** Percentile interval ends and median of each competitor's rating. */
  readonly lower: Float64Array;
  readonly upper: Float64Array;
  readonly median: Float64Array;
  /** Tie parameter (ν or θ) per replicate, for the Davidson/Rao–Kupper models. */
  readonly tieParameterSamples: Float64Array | null;
}

/** Linear-interpolation quantile of sorted data (NumPy's default method). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const m = sorted.length;
  if (m === 0) return NaN;
  const h = (m - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(m - 1, lo + 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

/** Seeded multinomial bootstrap of the Bradley–Terry ratings with percentile intervals. */
export function bootstrapBradleyTerry(counts: BattleCounts, opts: BootstrapOptions): BootstrapResult {
  const table = foldPairs(counts, opts.bothBad ?? 'tie');
  return bootstrapPairTable(table, counts.names, opts);
}

export function bootstrapPairTable(table: PairTable, names: readonly string[], opts: BootstrapOptions): BootstrapResult {
  const rounds = opts.rounds;
  if (!Number.isInteger(rounds) || rounds < 1) throw new RangeError(`bootstrap rounds must be a positive integer, got ${rounds}`);
  const level = opts.level ?? 0.95;
  if (!(level > 0 && level < 1)) throw new RangeError(`level must be in (0, 1), got ${level}`);
  const n = table.n;
  const P = table.i.length;
  const central = opts.fit ?? fitPairTable(table, names, opts);
  const probs = new Float64Array(3 * P);
  let total = 0;
  for (let p = 0; p < P; p++) {
    probs[3 * p] = table.wins[p]!;
    probs[3 * p + 1] = table.losses[p]!;
    probs[3 * p + 2] = table.ties[p]!;
    total += table.wins[p]! + table.losses[p]! + table.ties[p]!;
  }
  // Soft (fractional) counts resample as the nearest whole number of battles.
  const N = Math.round(total);
  const draw = new Float64Array(3 * P);
  const wins = new Float64Array(P);
  const losses = new Float64Array(P);
  const ties = new Float64Array(P);
  const replicate: PairTable = { n, i: table.i, j: table.j, wins, losses, ties, bothBad: new Float64Array(P) };
  const rng = new Rng(opts.seed).fork('bradley-terry-bootstrap');
  const samples = new Float64Array(rounds * n);
  const tieSamples = central.tieModel === 'half' ? null : new Float64Array(rounds);
  const fitOpts: BradleyTerryOptions = { ...opts, init: { theta: central.theta, tau: central.tau } };
  for (let r = 0; r < rounds; r++) {
    multinomial(rng, N, probs, draw);
    for (let p = 0; p < P; p++) {
      wins[p] = draw[3 * p]!;
      losses[p] = draw[3 * p + 1]!;
      ties[p] = draw[3 * p + 2]!;
    }
    const fit = fitPairTable(replicate, names, fitOpts);
    samples.set(fit.ratings, r * n);
    if (tieSamples) tieSamples[r] = fit.tieParameter ?? NaN;
    opts.onRound?.(r + 1);
  }
  const lower = new Float64Array(n);
  const upper = new Float64Array(n);
  const median = new Float64Array(n);
  const column = new Float64Array(rounds);
  const alpha = (1 - level) / 2;
  for (let k = 0; k < n; k++) {
    for (let r = 0; r < rounds; r++) column[r] = samples[r * n + k]!;
    column.sort();
    lower[k] = quantileSorted(column, alpha);
    upper[k] = quantileSorted(column, 1 - alpha);
    median[k] = quantileSorted(column, 0.5);
  }
  return { names: [...names], rounds, level, samples, lower, upper, median, tieParameterSamples: tieSamples };
}

export interface BradleyTerryCovariance {
  readonly names: readonly string[];
  /** Sandwich covariance H⁻¹GH⁻¹ of θ (base-10 units) in the fit's reporting convention, n×n. */
  readonly sandwich: Float64Array;
  /** Model-based covariance H⁻¹ (inverse observed information), same convention. */
  readonly fisher: Float64Array;
  /** Rating standard errors: scale·√diag (the anchor's own SE is 0 by construction). */
  readonly ratingSE: { readonly sandwich: Float64Array; readonly fisher: Float64Array };
  /** Standard error of τ (ln ν or ln θ) for the tie models; null under `half` or without ties. */
  readonly tauSE: { readonly sandwich: number; readonly fisher: number } | null;
}

/**
 * Sandwich and model-based covariance of a fit. `data` must be the counts the fit used.
 * Penalty and ghost games are left out: these are the data's standard errors.
 */
export function bradleyTerryCovariance(data: BattleCounts | PairTable, fit: BradleyTerryFit, bothBad: 'tie' | 'exclude' = 'tie'): BradleyTerryCovariance {
  const table = 'cellA' in data ? foldPairs(data, bothBad) : data;
  const n = table.n;
  const model = fit.tieModel;
  const freeTau = model !== 'half' && Number.isFinite(fit.tau) && fit.tieParameter !== null && !(model === 'davidson' && fit.tieParameter === 0) && !(model === 'rao-kupper' && fit.tieParameter === 1);
  const m = freeTau ? n + 1 : n;
  const A = new Float64Array(m * m);
  const G = new Float64Array(m * m);
  const a = LN10;
  const full = newPairDerivatives();
  const unit = newPairDerivatives();
  for (let p = 0; p < table.i.length; p++) {
    const w = table.wins[p]!;
    const l = table.losses[p]!;
    const t = table.ties[p]!;
    if (w + l + t === 0) continue;
    const i = table.i[p]!;
    const j = table.j[p]!;
    const d = a * (fit.theta[i]! - fit.theta[j]!);
    pairDerivatives(model, d, fit.tau, w, l, t, full);
    const h = -a * a * full.hdd;
    A[i * m + i]! += h;
    A[j * m + j]! += h;
    A[i * m + j]! -= h;
    A[j * m + i]! -= h;
    if (freeTau) {
      const hit = -a * full.hdt;
      A[i * m + n]! += hit;
      A[n * m + i]! += hit;
      A[j * m + n]! -= hit;
      A[n * m + j]! -= hit;
      A[n * m + n]! -= full.htt;
    }
    // Per-battle score of each outcome category, weighted by how many battles had it.
    const cats: Array<[number, number, number, number]> = [
      [w, 1, 0, 0],
      [l, 0, 1, 0],
      [t, 0, 0, 1],
    ];
    for (const [count, uw, ul, ut] of cats) {
      if (count === 0) continue;
      pairDerivatives(model, d, fit.tau, uw, ul, ut, unit);
      const sd = a * unit.gd;
      const st = freeTau ? unit.gt : 0;
      const sdd = count * sd * sd;
      G[i * m + i]! += sdd;
      G[j * m + j]! += sdd;
      G[i * m + j]! -= sdd;
      G[j * m + i]! -= sdd;
      if (freeTau) {
        const sdt = count * sd * st;
        G[i * m + n]! += sdt;
        G[n * m + i]! += sdt;
        G[j * m + n]! -= sdt;
        G[n * m + j]! -= sdt;
        G[n * m + n]! += count * st * st;
      }
    }
  }
  // Ã = A + c·uuᵀ with u = (1,…,1,0)/√n: invertible, equal to A on the contrasts, so
  // Ã⁻¹GÃ⁻¹ = A⁺GA⁺ (G·u = 0) and A⁺ = Ã⁻¹ − uuᵀ/c.
  let c = 0;
  for (let k = 0; k < n; k++) c += A[k * m + k]!;
  c = n > 0 && c > 0 ? c / n : 1;
  for (let r = 0; r < n; r++) for (let s = 0; s < n; s++) A[r * m + s]! += c / n;
  const { inverse } = spdInverse(A, m);
  const sandwichFull = matMul(matMul(inverse, G, m), inverse, m);
  const fisherFull = Float64Array.from(inverse);
  for (let r = 0; r < n; r++) for (let s = 0; s < n; s++) fisherFull[r * m + s]! -= 1 / (c * n);
  const sandwich = toConvention(sandwichFull, m, n, fit);
  const fisher = toConvention(fisherFull, m, n, fit);
  const seS = new Float64Array(n);
  const seF = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    seS[k] = fit.scale * Math.sqrt(Math.max(0, sandwich[k * n + k]!));
    seF[k] = fit.scale * Math.sqrt(Math.max(0, fisher[k * n + k]!));
  }
  const tauSE = freeTau
    ? { sandwich: Math.sqrt(Math.max(0, sandwichFull[n * m + n]!)), fisher: Math.sqrt(Math.max(0, fisherFull[n * m + n]!)) }
    : null;
  return { names: fit.names, sandwich, fisher, ratingSE: { sandwich: seS, fisher: seF }, tauSE };
}

/** Restrict an m×m covariance of mean-centred θ to the n×n block in the fit's convention. */
function toConvention(full: Float64Array, m: number, n: number, fit: BradleyTerryFit): Float64Array {
  const out = new Float64Array(n * n);
  for (let r = 0; r < n; r++) for (let s = 0; s < n; s++) out[r * n + s] = full[r * m + s]!;
  if (!fit.anchor) return out;
  // Anchored: θ_i − θ_b, so Cov_ik − Cov_ib − Cov_bk + Cov_bb.
  const b = fit.names.indexOf(fit.anchor.name);
  const res = new Float64Array(n * n);
  for (let r = 0; r < n; r++) {
    for (let s = 0; s < n; s++) {
      res[r * n + s] = out[r * n + s]! - out[r * n + b]! - out[b * n + s]! + out[b * n + b]!;
    }
  }
  return res;
}

/**
 * Inverse standard normal CDF (Acklam's rational approximation, relative error < 1.2e-9,
 * ample for interval end points).
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) {
    if (p === 0) return -Infinity;
    if (p === 1) return Infinity;
    return NaN;
  }
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const pLow = 0.02425;
  let x: number;
  if (p < pLow) {
    const q = Math.sqrt(-2 * Math.log(p));
    x = (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  } else if (p <= 1 - pLow) {
    const q = p - 0.5;
    const r = q * q;
    x = ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x = -(((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  return x;
}

/** Normal-approximation intervals rating ± z·SE at the given two-sided level. */
export function normalIntervals(ratings: ArrayLike<number>, se: ArrayLike<number>, level = 0.95): { lower: Float64Array; upper: Float64Array } {
  const z = normalQuantile(1 - (1 - level) / 2);
  const n = ratings.length;
  const lower = new Float64Array(n);
  const upper = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    lower[k] = ratings[k]! - z * se[k]!;
    upper[k] = ratings[k]! + z * se[k]!;
  }
  return { lower, upper };
}

/**
 * Arena's rank: 1 + the number of competitors whose lower bound is above this competitor's
 * upper bound. Ties in rank are expected and mean "not statistically separable".
 */
export function arenaRanks(lower: ArrayLike<number>, upper: ArrayLike<number>): Int32Array {
  const n = lower.length;
  const ranks = new Int32Array(n);
  // Sorted lower bounds and a binary search: O(n log n), where comparing all pairs took 10⁸
  // comparisons for 10,000 competitors. NaN bounds compare false, as in the pairwise rule.
  const sorted = Float64Array.from(lower).filter((x) => !Number.isNaN(x)).sort();
  for (let i = 0; i < n; i++) {
    const u = upper[i]!;
    if (Number.isNaN(u)) {
      ranks[i] = 1;
      continue;
    }
    // First position whose lower bound is > u.
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (sorted[mid]! > u) hi = mid;
      else lo = mid + 1;
    }
    const self = lower[i]! > u ? 1 : 0;
    ranks[i] = 1 + (sorted.length - lo) - self;
  }
  return ranks;
}
