/**
 * Plackett–Luce: the distribution over rankings in which the best item is chosen with
 * probability proportional to its weight, then the next among the rest, and so on:
 *   P(r_1 ≻ r_2 ≻ … ≻ r_m) = Π_s w_{r_s} / Σ_{t ≥ s} w_{r_t}.
 * A ranking of two items is a Bradley–Terry battle, so PL extends BT to "rank these N
 * answers" votes. Rankings may cover any subset of the items (those that were shown).
 */
import { ARENA_INITIAL_RATING, ARENA_SCALE } from './bradley_terry';

/** Item indices, best first. */
export type Ranking = readonly number[];

/** Probability of one ranking under weights w (w_i > 0). */
export function plackettLuceProbability(weights: ArrayLike<number>, ranking: Ranking): number {
  return Math.exp(plackettLuceLogLikelihood(weights, [ranking]));
}

/** Σ over rankings of ln P(ranking). */
export function plackettLuceLogLikelihood(weights: ArrayLike<number>, rankings: Iterable<Ranking>): number {
  let ll = 0;
  for (const r of rankings) {
    let rest = 0;
    for (let s = r.length - 1; s >= 0; s--) {
      const w = weights[r[s]!]!;
      rest += w;
      // The last item is chosen with probability 1; the expression gives ln(w/w) = 0 there.
      if (s < r.length - 1) ll += Math.log(w) - Math.log(rest);
    }
  }
  return ll;
}

export interface PlackettLuceOptions {
  maxIterations?: number;
  /** Largest change in log10 weight at convergence (default 1e-9). */
  tolerance?: number;
  /** Ghost comparisons per item against a virtual weight-1 item (default 0), a prior that
   * keeps items that were never (or always) chosen finite. */
  ghostGames?: number;
  scale?: number;
  initialRating?: number;
}

export interface PlackettLuceFit {
  /** Weights normalised to geometric mean 1. */
  readonly weights: Float64Array;
  /** log10 weights (mean 0) and ratings scale·θ + initialRating, comparable with Bradley–Terry. */
  readonly theta: Float64Array;
  readonly ratings: Float64Array;
  readonly logLikelihood: number;
  readonly iterations: number;
  readonly converged: boolean;
  readonly warnings: readonly string[];
}

function validate(n: number, rankings: readonly Ranking[]): void {
  for (let r = 0; r < rankings.length; r++) {
    const seen = new Set<number>();
    for (const x of rankings[r]!) {
      if (!Number.isInteger(x) || x < 0 || x >= n) throw new RangeError(`ranking ${r}: item ${x} is not in 0…${n - 1}`);
      if (seen.has(x)) throw new RangeError(`ranking ${r}: item ${x} appears twice`);
      seen.add(x);
    }
  }
}

/**
 * Maximum-likelihood PL weights by Hunter's (2004) MM algorithm:
 *   w_i ← W_i / Σ_{stages s with i still unranked} 1/Σ_{k unranked at s} w_k,
 * where W_i counts the stages at which i was chosen.
 */
export function fitPlackettLuce(n: number, rankings: readonly Ranking[], opts: PlackettLuceOptions = {}): PlackettLuceFit {
  validate(n, rankings);
  const maxIterations = opts.maxIterations ?? 10000;
  const tolerance = opts.tolerance ?? 1e-9;
  const ghost = opts.ghostGames ?? 0;
  const wins = new Float64Array(n);
  for (const r of rankings) for (let s = 0; s < r.length - 1; s++) wins[r[s]!]! += 1;
  const warnings: string[] = [];
  if (ghost === 0) {
    const never = [...wins.keys()].filter((k) => wins[k] === 0);
    if (never.length > 0) {
      // The MLE puts these weights at 0; they are left at their starting value instead. Pass
      // ghostGames > 0 for a proper (finite) estimate.
      warnings.push(`items ${never.join(', ')} were never ranked above another item: their maximum-likelihood weight is 0 (left unestimated; use ghostGames)`);
    }
  }
  for (let k = 0; k < n; k++) wins[k]! += 0.5 * ghost;
  let w = new Float64Array(n).fill(1);
  let next = new Float64Array(n);
  const denom = new Float64Array(n);
  let converged = false;
  let iterations = 0;
  for (let it = 1; it <= maxIterations; it++) {
    iterations = it;
    denom.fill(0);
    for (const r of rankings) {
      // Suffix sums Σ_{t ≥ s} w_{r_t}; item r_t takes part in stages 0…min(t, m−2).
      const m = r.length;
      if (m < 2) continue;
      let acc = 0;
      const inv = new Float64Array(m - 1);
      let rest = 0;
      for (let s = m - 1; s >= 0; s--) {
        rest += w[r[s]!]!;
        if (s < m - 1) inv[s] = 1 / rest;
      }
      for (let t = 0; t < m; t++) {
        if (t < m - 1) acc += inv[t]!;
        denom[r[t]!]! += acc;
      }
    }
    let logMean = 0;
    let count = 0;
    for (let k = 0; k < n; k++) {
      const dk = denom[k]! + (ghost > 0 ? ghost / (w[k]! + 1) : 0);
      next[k] = dk > 0 && wins[k]! > 0 ? wins[k]! / dk : w[k]!;
      if (next[k]! > 0) {
        logMean += Math.log(next[k]!);
        count++;
      }
    }
    if (ghost === 0 && count > 0) {
      const g = Math.exp(logMean / count);
      for (let k = 0; k < n; k++) next[k] = next[k]! / g;
    }
    let change = 0;
    for (let k = 0; k < n; k++) change = Math.max(change, Math.abs(Math.log10(next[k]!) - Math.log10(w[k]!)));
    [w, next] = [next, w];
    if (change < tolerance) {
      converged = true;
      break;
    }
  }
  // Report on geometric-mean-1 weights.
  let logMean = 0;
  for (let k = 0; k < n; k++) logMean += Math.log10(w[k]!);
  logMean = n > 0 ? logMean / n : 0;
  const scale = opts.scale ?? ARENA_SCALE;
  const initial = opts.initialRating ?? ARENA_INITIAL_RATING;
  const theta = new Float64Array(n);
  const ratings = new Float64Array(n);
  const weights = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    theta[k] = Math.log10(w[k]!) - logMean;
    weights[k] = Math.pow(10, theta[k]!);
    ratings[k] = scale * theta[k]! + initial;
  }
  if (!converged) warnings.push(`MM stopped after ${iterations} iterations without converging`);
  return { weights, theta, ratings, logLikelihood: plackettLuceLogLikelihood(weights, rankings), iterations, converged, warnings };
}
