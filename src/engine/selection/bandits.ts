/**
 * Dueling bandits: samplers that spend their comparisons on finding (and confirming) the best
 * candidate rather than on learning the whole order.
 *
 * - RUCB, Zoghi, Whiteson, Munos & de Rijke (ICML 2014), "Relative Upper Confidence Bound for
 *   the K-armed dueling bandit problem".
 * - CCB, Zoghi, Karnin, Whiteson & de Rijke (NeurIPS 2015), "Copeland dueling bandits".
 * - Double Thompson sampling (D-TS), Wu & Liu (NeurIPS 2016), "Double Thompson sampling for
 *   dueling bandits".
 *
 * One deliberate departure from all three papers: they may duel an arm with itself (pure
 * exploitation once the best arm is known). Showing a person the same answer twice is useless,
 * so the opponent is always another candidate.
 */
import { beta as betaVariate } from '../ratings/distributions';
import { argmaxRandom, confidenceBounds } from './tally';
import { TallySampler, type SamplerOptions } from './online';
import type { Pair } from './types';

export interface DuelingBanditOptions extends SamplerOptions {
  /** Exploration constant α > ½ of the confidence radius √(α ln t / N) (default 0.51). */
  alpha?: number;
}

function checkAlpha(alpha: number): number {
  if (!(alpha > 0.5)) throw new RangeError(`dueling-bandit α must be > 0.5, got ${alpha}`);
  return alpha;
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, k) => k);
}

/** Copeland score of each arm against a preference matrix: #{j ≠ i : M_ij ≥ ½} (or > ½). */
function copelandCounts(m: Float64Array, n: number, strict: boolean): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let c = 0;
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      const v = m[i * n + j]!;
      if (strict ? v > 0.5 : v >= 0.5) c++;
    }
    out[i] = c;
  }
  return out;
}

/**
 * RUCB: candidates are arms whose optimistic preference against every other arm is ≥ ½; the
 * champion c is drawn from them (with probability ½ the remembered favourite B), and its
 * opponent is the arm with the highest optimistic chance of beating c.
 */
export class RucbSampler extends TallySampler {
  readonly kind = 'rucb' as const;
  readonly alpha: number;
  /** The hypothesised best arm (B in the paper), or −1. */
  private favourite = -1;

  constructor(opts: DuelingBanditOptions) {
    super(opts, 'rucb');
    this.alpha = checkAlpha(opts.alpha ?? 0.51);
  }

  next(): Pair {
    const n = this.size;
    const { upper } = confidenceBounds(this.tally, this.alpha, this.comparisons + 1);
    const candidates: number[] = [];
    for (let c = 0; c < n; c++) {
      let ok = true;
      for (let j = 0; j < n && ok; j++) if (j !== c && upper[c * n + j]! < 0.5) ok = false;
      if (ok) candidates.push(c);
    }
    let c: number;
    if (candidates.length === 0) {
      c = this.rng.int(n);
    } else {
      if (!candidates.includes(this.favourite)) this.favourite = -1;
      if (candidates.length === 1) {
        this.favourite = candidates[0]!;
        c = this.favourite;
      } else if (this.favourite >= 0) {
        // p(B) = ½, the rest share the other half.
        if (this.rng.next() < 0.5) c = this.favourite;
        else {
          const others = candidates.filter((k) => k !== this.favourite);
          c = others[this.rng.int(others.length)]!;
        }
      } else {
        c = candidates[this.rng.int(candidates.length)]!;
      }
    }
    const column = new Float64Array(n);
    for (let j = 0; j < n; j++) column[j] = upper[j * n + c]!;
    const d = argmaxRandom(column, range(n).filter((j) => j !== c), this.rng);
    return this.orient(c, d);
  }
}

/**
 * CCB: keeps a set B of plausible Copeland winners and, for each arm, a short list of arms
 * that seem to beat it; duels a plausible winner against the arm most likely to refute it.
 * Works without a Condorcet winner (the best arm then wins the most duels), which is what a
 * judge with cyclic preferences needs.
 */
export class CcbSampler extends TallySampler {
  readonly kind = 'ccb' as const;
  readonly alpha: number;
  private best: Set<number>;
  private opponents: number[][];
  private maxLosses: number;

  constructor(opts: DuelingBanditOptions) {
    super(opts, 'ccb');
    this.alpha = checkAlpha(opts.alpha ?? 0.51);
    this.best = new Set(range(opts.size));
    this.opponents = range(opts.size).map(() => []);
    this.maxLosses = opts.size;
  }

  private reset(): void {
    this.best = new Set(range(this.size));
    this.opponents = range(this.size).map(() => []);
    this.maxLosses = this.size;
  }

  next(): Pair {
    const n = this.size;
    const { upper, lower } = confidenceBounds(this.tally, this.alpha, this.comparisons + 1);
    const cplUpper = copelandCounts(upper, n, false);
    const cplLower = copelandCounts(lower, n, true);
    const maxUpper = Math.max(...cplUpper);
    const maxLower = Math.max(...cplLower);
    const topUpper = range(n).filter((i) => cplUpper[i] === maxUpper);

    // A. A remembered "k beats i" that the data now refute (l_ik > ½) resets the hypotheses.
    if (this.opponents.some((opps, i) => opps.some((k) => lower[i * n + k]! > 0.5))) this.reset();
    // B. Drop arms that cannot be Copeland winners; refresh their opponent lists.
    for (const i of [...this.best]) {
      if (cplUpper[i]! < maxLower) this.best.delete(i);
      if (this.opponents[i]!.length !== this.maxLosses + 1) {
        this.opponents[i] = range(n).filter((k) => k !== i && upper[i * n + k]! < 0.5);
      }
    }
    if (this.best.size === 0) this.reset();
    // C. Arms whose Copeland score is pinned down join B and set the loss budget L_C.
    for (const i of topUpper) {
      if (cplUpper[i] !== cplLower[i]) continue;
      this.best.add(i);
      this.opponents[i] = [];
      this.maxLosses = n - 1 - cplUpper[i]!;
      for (let j = 0; j < n; j++) {
        if (j === i) continue;
        const list = this.opponents[j]!;
        if (list.length < this.maxLosses + 1) this.opponents[j] = [];
        else if (list.length > this.maxLosses + 1) {
          const shuffled = [...list];
          for (let k = shuffled.length - 1; k > 0; k--) {
            const r = this.rng.int(k + 1);
            [shuffled[k], shuffled[r]] = [shuffled[r]!, shuffled[k]!];
          }
          this.opponents[j] = shuffled.slice(0, this.maxLosses + 1);
        }
      }
    }
    // With probability ¼, re-examine a remembered (arm, opponent) pair that is still unresolved.
    if (this.rng.next() < 0.25) {
      const open: Array<[number, number]> = [];
      this.opponents.forEach((opps, i) => {
        for (const k of opps) if (lower[i * n + k]! <= 0.5 && 0.5 <= upper[i * n + k]!) open.push([i, k]);
      });
      if (open.length > 0) {
        const [i, k] = open[this.rng.int(open.length)]!;
        return this.orient(i, k);
      }
    }
    // Champion from the optimistic Copeland winners, preferring B ∩ C with probability ⅔.
    let pool = topUpper;
    const both = topUpper.filter((i) => this.best.has(i));
    if (both.length > 0 && this.rng.next() < 2 / 3) pool = both;
    const c = pool[this.rng.int(pool.length)]!;
    // Opponent: the arm with the best optimistic chance of beating c among those not already
    // known to lose to it, from c's opponent list half the time.
    const column = new Float64Array(n);
    for (let j = 0; j < n; j++) column[j] = upper[j * n + c]!;
    const eligible = (list: readonly number[]) => list.filter((j) => j !== c && lower[j * n + c]! <= 0.5);
    let choices = this.rng.next() < 0.5 ? eligible(this.opponents[c]!) : [];
    if (choices.length === 0) choices = eligible(range(n));
    if (choices.length === 0) choices = range(n).filter((j) => j !== c);
    const d = argmaxRandom(column, choices, this.rng);
    return this.orient(c, d);
  }
}

/**
 * Double Thompson sampling: the first candidate is the Copeland winner of one posterior draw
 * of the preference matrix (restricted to arms that are optimistic Copeland winners); the
 * second is the arm whose own posterior draw is most likely to beat the first, among arms not
 * already known to lose to it. Preferences get independent Beta(W_ij + 1, W_ji + 1) posteriors.
 */
export class DoubleThompsonSampler extends TallySampler {
  readonly kind = 'double-thompson' as const;
  readonly alpha: number;

  constructor(opts: DuelingBanditOptions) {
    super(opts, 'double-thompson');
    this.alpha = checkAlpha(opts.alpha ?? 0.51);
  }

  next(): Pair {
    const n = this.size;
    const w = this.tally.wins;
    const { upper, lower } = confidenceBounds(this.tally, this.alpha, this.comparisons + 1);
    const cplUpper = copelandCounts(upper, n, true);
    const maxUpper = Math.max(...cplUpper);
    const pool = range(n).filter((i) => cplUpper[i] === maxUpper);
    // First candidate: Copeland scores of one posterior sample θ⁽¹⁾.
    const copeland = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        const theta = betaVariate(this.rng, w[i * n + j]! + 1, w[j * n + i]! + 1);
        if (theta > 0.5) copeland[i]! += 1;
        else if (theta < 0.5) copeland[j]! += 1;
      }
    }
    const first = argmaxRandom(copeland, pool, this.rng);
    // Second candidate: θ⁽²⁾_{i,first} for every i, among arms with l_{i,first} ≤ ½.
    const draws = new Float64Array(n).fill(-1);
    for (let i = 0; i < n; i++) {
      if (i === first) continue;
      draws[i] = betaVariate(this.rng, w[i * n + first]! + 1, w[first * n + i]! + 1);
    }
    let choices = range(n).filter((i) => i !== first && lower[i * n + first]! <= 0.5);
    if (choices.length === 0) choices = range(n).filter((i) => i !== first);
    const second = argmaxRandom(draws, choices, this.rng);
    return this.orient(first, second);
  }
}
