/**
 * What online samplers remember: a dense win tally (ties as half a win each, judge
 * probabilities as fractional wins) and a Bayesian Bradley–Terry posterior fitted to it.
 *
 * The posterior is the Laplace approximation around the MAP under a Gaussian prior
 * β ~ N(0, σ²I) on natural log-strengths (P(i≻j) = σ(β_i − β_j)). The prior keeps every
 * strength finite from the first vote on, which online selection needs: an item that won its
 * only comparison must not get an infinite rating.
 */
import { choleskySolveInPlace, robustCholesky, spdInverse } from '../ratings/linalg';
import { logSigmoid, sigmoid } from '../ratings/tie_models';
import type { Rng } from '../rng';

export class PreferenceTally {
  readonly size: number;
  /** wins[i·n + j]: (fractional) wins of i over j. */
  readonly wins: Float64Array;
  private total = 0;
  private version = 0;

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 2) throw new RangeError(`need at least two candidates, got ${size}`);
    this.size = size;
    this.wins = new Float64Array(size * size);
  }

  /** Record one comparison; `score` is i's share of the win (1, 0, ½ or a probability). */
  add(i: number, j: number, score: number): void {
    this.wins[i * this.size + j]! += score;
    this.wins[j * this.size + i]! += 1 - score;
    this.total++;
    this.version++;
  }

  /** Comparisons between i and j. */
  count(i: number, j: number): number {
    return this.wins[i * this.size + j]! + this.wins[j * this.size + i]!;
  }

  /** Comparisons involving i. */
  countOf(i: number): number {
    let s = 0;
    for (let j = 0; j < this.size; j++) if (j !== i) s += this.count(i, j);
    return s;
  }

  /** Observed P̂(i ≻ j), or `fallback` when they never met. */
  winRate(i: number, j: number, fallback = 0.5): number {
    const c = this.count(i, j);
    return c > 0 ? this.wins[i * this.size + j]! / c : fallback;
  }

  get comparisons(): number {
    return this.total;
  }

  /** Increments on every `add`, so caches can tell when to refit. */
  get revision(): number {
    return this.version;
  }
}

/** Optimistic and pessimistic preference estimates u_ij, l_ij = p̂_ij ± √(α ln t / N_ij). */
export function confidenceBounds(tally: PreferenceTally, alpha: number, t: number): { upper: Float64Array; lower: Float64Array } {
  const n = tally.size;
  const upper = new Float64Array(n * n);
  const lower = new Float64Array(n * n);
  const logT = Math.log(Math.max(t, 1));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (i === j) {
        upper[i * n + j] = 0.5;
        lower[i * n + j] = 0.5;
        continue;
      }
      const c = tally.count(i, j);
      if (c === 0) {
        // Never compared: anything is possible (x/0 := 1 for the upper bound, 0 for the lower).
        upper[i * n + j] = 1;
        lower[i * n + j] = 0;
        continue;
      }
      const p = tally.wins[i * n + j]! / c;
      const r = Math.sqrt((alpha * logT) / c);
      upper[i * n + j] = Math.min(1, p + r);
      lower[i * n + j] = Math.max(0, p - r);
    }
  }
  return { upper, lower };
}

/** Index of the largest value among `candidates` (ties broken uniformly at random). */
export function argmaxRandom(values: ArrayLike<number>, candidates: readonly number[], rng: Rng): number {
  let best = -Infinity;
  let chosen: number[] = [];
  for (const k of candidates) {
    const v = values[k]!;
    if (v > best) {
      best = v;
      chosen = [k];
    } else if (v === best) chosen.push(k);
  }
  if (chosen.length === 0) throw new Error('argmaxRandom: no candidates');
  return chosen.length === 1 ? chosen[0]! : chosen[rng.int(chosen.length)]!;
}

/** Indices 0…n−1 sorted by value, highest first, ties by index. */
export function orderByValue(values: ArrayLike<number>): number[] {
  return Array.from({ length: values.length }, (_, k) => k).sort((a, b) => values[b]! - values[a]! || a - b);
}

export class BradleyTerryPosterior {
  readonly size: number;
  /** Prior standard deviation of a natural log-strength. */
  readonly priorSd: number;
  /** MAP natural log-strengths. */
  readonly beta: Float64Array;
  private fittedRevision = -1;
  private cov: Float64Array | null = null;
  private covFactor: Float64Array | null = null;

  constructor(size: number, priorSd = 1.5) {
    if (!(priorSd > 0)) throw new RangeError(`priorSd must be > 0, got ${priorSd}`);
    this.size = size;
    this.priorSd = priorSd;
    this.beta = new Float64Array(size);
  }

  /** Refit to the tally (warm-started Newton; a no-op when the tally has not changed). */
  fit(tally: PreferenceTally): this {
    if (tally.revision === this.fittedRevision) return this;
    const n = this.size;
    const lambda = 1 / (this.priorSd * this.priorSd);
    const grad = new Float64Array(n);
    const negH = new Float64Array(n * n);
    const step = new Float64Array(n);
    const trial = new Float64Array(n);
    const objective = (b: Float64Array): number => {
      let f = 0;
      for (let i = 0; i < n; i++) {
        f -= 0.5 * lambda * b[i]! * b[i]!;
        for (let j = i + 1; j < n; j++) {
          const wij = tally.wins[i * n + j]!;
          const wji = tally.wins[j * n + i]!;
          if (wij + wji === 0) continue;
          const d = b[i]! - b[j]!;
          f += wij * logSigmoid(d) + wji * logSigmoid(-d);
        }
      }
      return f;
    };
    let f = objective(this.beta);
    for (let it = 0; it < 100; it++) {
      for (let i = 0; i < n; i++) grad[i] = -lambda * this.beta[i]!;
      negH.fill(0);
      for (let i = 0; i < n; i++) {
        negH[i * n + i]! += lambda;
        for (let j = i + 1; j < n; j++) {
          const wij = tally.wins[i * n + j]!;
          const wji = tally.wins[j * n + i]!;
          const c = wij + wji;
          if (c === 0) continue;
          const p = sigmoid(this.beta[i]! - this.beta[j]!);
          const g = wij - c * p;
          grad[i]! += g;
          grad[j]! -= g;
          const h = c * p * (1 - p);
          negH[i * n + i]! += h;
          negH[j * n + j]! += h;
          negH[i * n + j]! -= h;
          negH[j * n + i]! -= h;
        }
      }
      const { factor } = robustCholesky(negH, n);
      step.set(grad);
      choleskySolveInPlace(factor, n, step);
      let s = 1;
      let fTrial = f;
      for (let tries = 0; tries < 30; tries++) {
        for (let k = 0; k < n; k++) trial[k] = this.beta[k]! + s * step[k]!;
        fTrial = objective(trial);
        if (fTrial >= f - 1e-12 * Math.abs(f)) break;
        s *= 0.5;
      }
      let maxStep = 0;
      for (let k = 0; k < n; k++) maxStep = Math.max(maxStep, Math.abs(trial[k]! - this.beta[k]!));
      this.beta.set(trial);
      f = fTrial;
      if (maxStep < 1e-9) break;
    }
    // Posterior precision at the MAP (recomputed there, for the covariance).
    negH.fill(0);
    for (let i = 0; i < n; i++) {
      negH[i * n + i]! += lambda;
      for (let j = i + 1; j < n; j++) {
        const c = tally.count(i, j);
        if (c === 0) continue;
        const p = sigmoid(this.beta[i]! - this.beta[j]!);
        const h = c * p * (1 - p);
        negH[i * n + i]! += h;
        negH[j * n + j]! += h;
        negH[i * n + j]! -= h;
        negH[j * n + i]! -= h;
      }
    }
    this.cov = spdInverse(negH, n).inverse;
    this.covFactor = null;
    this.fittedRevision = tally.revision;
    return this;
  }

  /** Laplace posterior covariance of β (natural units), n×n row-major. */
  covariance(): Float64Array {
    if (!this.cov) throw new Error('BradleyTerryPosterior: fit() first');
    return this.cov;
  }

  /** Posterior variance of β_i − β_j. */
  differenceVariance(i: number, j: number): number {
    const c = this.covariance();
    const n = this.size;
    return c[i * n + i]! + c[j * n + j]! - 2 * c[i * n + j]!;
  }

  /** MAP probability that i beats j. */
  probability(i: number, j: number): number {
    return sigmoid(this.beta[i]! - this.beta[j]!);
  }

  /** One draw of β from the Laplace posterior. */
  sample(rng: Rng, out = new Float64Array(this.size)): Float64Array {
    const n = this.size;
    if (!this.covFactor) this.covFactor = robustCholesky(this.covariance(), n).factor;
    const z = new Float64Array(n);
    for (let k = 0; k < n; k++) z[k] = rng.normal();
    for (let i = 0; i < n; i++) {
      let s = this.beta[i]!;
      for (let k = 0; k <= i; k++) s += this.covFactor[i * n + k]! * z[k]!;
      out[i] = s;
    }
    return out;
  }

  ranking(): number[] {
    return orderByValue(this.beta);
  }
}
