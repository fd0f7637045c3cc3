/**
 * Online samplers that never finish: uniform, Arena-style weighted, closeness × uncertainty
 * and reward-model ensemble disagreement. They share `TallySampler`: a win tally, a Bayesian
 * Bradley–Terry posterior for `ranking()`, a seeded stream, and random left/right placement
 * (Arena randomises sides so position bias averages out).
 */
import { Rng, type RngSeed } from '../rng';
import { sigmoid } from '../ratings/tie_models';
import { BradleyTerryPosterior, PreferenceTally, argmaxRandom } from './tally';
import { checkPair, feedbackScore, type Pair, type PairFeedback, type PairSampler, type PairSamplerKind } from './types';

export interface SamplerOptions {
  /** Number of candidates. */
  size: number;
  seed?: RngSeed;
  /** Place the proposed pair's items on random sides (default true). */
  randomizeSides?: boolean;
  /** Prior sd of natural log-strengths for the posterior behind `ranking()` (default 1.5). */
  priorSd?: number;
}

export abstract class TallySampler implements PairSampler {
  abstract readonly kind: PairSamplerKind;
  readonly size: number;
  readonly tally: PreferenceTally;
  readonly posterior: BradleyTerryPosterior;
  protected readonly rng: Rng;
  private readonly randomizeSides: boolean;

  constructor(opts: SamplerOptions, streamLabel: string) {
    this.size = opts.size;
    this.tally = new PreferenceTally(opts.size);
    this.posterior = new BradleyTerryPosterior(opts.size, opts.priorSd ?? 1.5);
    this.rng = new Rng(opts.seed ?? 0).fork(streamLabel);
    this.randomizeSides = opts.randomizeSides ?? true;
  }

  get comparisons(): number {
    return this.tally.comparisons;
  }

  get done(): boolean {
    return false;
  }

  abstract next(): Pair | null;

  update(first: number, second: number, feedback: PairFeedback): void {
    checkPair(this.size, first, second);
    this.tally.add(first, second, feedbackScore(feedback));
  }

  /** Posterior-mean order of the Bayesian Bradley–Terry fit to everything seen. */
  ranking(): number[] {
    return this.posterior.fit(this.tally).ranking();
  }

  protected orient(i: number, j: number): Pair {
    return this.randomizeSides && this.rng.next() < 0.5 ? [j, i] : [i, j];
  }

  /** Uniformly random j ≠ i. */
  protected otherThan(i: number): number {
    const j = this.rng.int(this.size - 1);
    return j >= i ? j + 1 : j;
  }
}

/** Every unordered pair equally likely. The baseline active samplers must beat. */
export class UniformSampler extends TallySampler {
  readonly kind = 'uniform' as const;
  constructor(opts: SamplerOptions) {
    super(opts, 'uniform');
  }
  next(): Pair {
    const i = this.rng.int(this.size);
    return this.orient(i, this.otherThan(i));
  }
}

export interface ArenaWeightedOptions extends SamplerOptions {
  /** Per-candidate sampling weight (default 1 each). 0 takes a candidate out (Arena's outage list). */
  weights?: readonly number[];
  /** Candidates to show more often (Arena's SAMPLING_BOOST_MODELS), weight × `boostFactor`. */
  boosted?: readonly number[];
  boostFactor?: number;
  /** Preferred opponents per candidate (Arena's BATTLE_TARGETS), weight × `targetFactor`. */
  targets?: Readonly<Record<number, readonly number[]>>;
  targetFactor?: number;
  /**
   * Exponent γ of the balancing factor ((1 + mean count)/(1 + count))^γ applied to candidates
   * and to pairs, so under-sampled ones catch up (default 1; 0 gives Arena's plain weights).
   */
  balance?: number;
}

/**
 * Arena's two-stage draw: pick the first model in proportion to its weight, then its rival
 * among the rest in proportion to the rival's weight, boosted when the rival is one of the
 * first model's targets. On top of Arena's static weights, a balancing factor favours
 * candidates and pairs with fewer battles so far.
 */
export class ArenaWeightedSampler extends TallySampler {
  readonly kind = 'arena-weighted' as const;
  private readonly weights: Float64Array;
  private readonly targets: ReadonlyArray<ReadonlySet<number>>;
  private readonly targetFactor: number;
  private readonly balance: number;

  constructor(opts: ArenaWeightedOptions) {
    super(opts, 'arena-weighted');
    const n = opts.size;
    this.weights = Float64Array.from({ length: n }, (_, k) => opts.weights?.[k] ?? 1);
    if (this.weights.some((w) => !(w >= 0))) throw new RangeError('weights must be ≥ 0');
    const boost = opts.boostFactor ?? 5;
    for (const k of opts.boosted ?? []) this.weights[k]! *= boost;
    this.targets = Array.from({ length: n }, (_, k) => new Set(opts.targets?.[k] ?? []));
    this.targetFactor = opts.targetFactor ?? 5;
    this.balance = opts.balance ?? 1;
  }

  next(): Pair | null {
    const n = this.size;
    let meanCount = 0;
    const counts = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      counts[k] = this.tally.countOf(k);
      meanCount += counts[k]! / n;
    }
    const first = new Float64Array(n);
    for (let k = 0; k < n; k++) first[k] = this.weights[k]! * Math.pow((1 + meanCount) / (1 + counts[k]!), this.balance);
    const i = this.draw(first);
    if (i < 0) return null;
    const meanPair = (2 * this.tally.comparisons) / (n * (n - 1));
    const rival = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      const target = this.targets[i]!.has(j) ? this.targetFactor : 1;
      rival[j] = this.weights[j]! * target * Math.pow((1 + meanPair) / (1 + this.tally.count(i, j)), this.balance);
    }
    const j = this.draw(rival);
    if (j < 0) return null;
    return this.orient(i, j);
  }

  private draw(weights: Float64Array): number {
    let total = 0;
    for (const w of weights) total += w;
    if (!(total > 0)) return -1;
    let u = this.rng.next() * total;
    for (let k = 0; k < weights.length; k++) {
      if (weights[k]! <= 0) continue;
      u -= weights[k]!;
      if (u < 0) return k;
    }
    for (let k = weights.length - 1; k >= 0; k--) if (weights[k]! > 0) return k;
    return -1;
  }
}

/**
 * Closeness × uncertainty: the pair maximising p(1−p)·Var(β_i − β_j) under the Bayesian BT
 * posterior. p(1−p) is the Fisher information one comparison carries about β_i − β_j, and
 * for a Gaussian posterior the expected information gain of the comparison is
 * ≈ ½·ln(1 + p(1−p)·Var), so this is the (approximately) most informative duel.
 */
export class ClosenessUncertaintySampler extends TallySampler {
  readonly kind = 'closeness-uncertainty' as const;
  constructor(opts: SamplerOptions) {
    super(opts, 'closeness-uncertainty');
  }

  /** The score of every unordered pair, row-major n×n (upper triangle filled). */
  pairScores(): Float64Array {
    const n = this.size;
    this.posterior.fit(this.tally);
    const scores = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        const p = this.posterior.probability(i, j);
        scores[i * n + j] = p * (1 - p) * this.posterior.differenceVariance(i, j);
      }
    }
    return scores;
  }

  next(): Pair {
    const n = this.size;
    const scores = this.pairScores();
    const candidates: number[] = [];
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) candidates.push(i * n + j);
    const best = argmaxRandom(scores, candidates, this.rng);
    return this.orient(Math.floor(best / n), best % n);
  }
}

/** Members × candidates reward scores; member m says P(i ≻ j) = σ(s_mi − s_mj). */
export type EnsembleScores = ReadonlyArray<ArrayLike<number>>;

export type DisagreementMeasure = 'bald' | 'variance' | 'vote';

export interface EnsembleDisagreementOptions extends SamplerOptions {
  /** Current ensemble scores, read at every `next()` (the reward model may have retrained). */
  scores: () => EnsembleScores;
  /**
   * `bald` (default): mutual information H(mean p) − mean H(p_m), the expected information the
   * vote gives about which member is right (Houlsby et al. 2011); `variance`: variance of p_m;
   * `vote`: fraction of members in the minority about the winner.
   */
  measure?: DisagreementMeasure;
  /**
   * Divide a pair's disagreement by (1 + comparisons of that pair)^penalty (default 1), so a
   * reward model that has not been retrained yet does not get the same pair forever.
   */
  repeatPenalty?: number;
}

function binaryEntropy(p: number): number {
  if (p <= 0 || p >= 1) return 0;
  return -(p * Math.log(p) + (1 - p) * Math.log(1 - p));
}

/** Disagreement of ensemble members about P(i ≻ j). */
export function ensembleDisagreement(scores: EnsembleScores, i: number, j: number, measure: DisagreementMeasure = 'bald'): number {
  const m = scores.length;
  if (m === 0) return 0;
  let mean = 0;
  let meanEntropy = 0;
  let sq = 0;
  let votes = 0;
  for (const member of scores) {
    const p = sigmoid(member[i]! - member[j]!);
    mean += p / m;
    sq += (p * p) / m;
    meanEntropy += binaryEntropy(p) / m;
    if (p > 0.5) votes++;
  }
  if (measure === 'variance') return Math.max(0, sq - mean * mean);
  if (measure === 'vote') return Math.min(votes, m - votes) / m;
  return Math.max(0, binaryEntropy(mean) - meanEntropy);
}

/**
 * Reward-model ensemble disagreement: show the pair whose preference the ensemble members
 * disagree on most (query-by-committee / BALD for preference data).
 */
export class EnsembleDisagreementSampler extends TallySampler {
  readonly kind = 'ensemble-disagreement' as const;
  private readonly scores: () => EnsembleScores;
  private readonly measure: DisagreementMeasure;
  private readonly repeatPenalty: number;

  constructor(opts: EnsembleDisagreementOptions) {
    super(opts, 'ensemble-disagreement');
    this.scores = opts.scores;
    this.measure = opts.measure ?? 'bald';
    this.repeatPenalty = opts.repeatPenalty ?? 1;
  }

  next(): Pair {
    const n = this.size;
    const scores = this.scores();
    for (const member of scores) {
      if (member.length !== n) throw new RangeError(`ensemble member scores ${member.length} candidates, expected ${n}`);
    }
    const values = new Float64Array(n * n);
    const candidates: number[] = [];
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        values[i * n + j] = ensembleDisagreement(scores, i, j, this.measure) / Math.pow(1 + this.tally.count(i, j), this.repeatPenalty);
        candidates.push(i * n + j);
      }
    }
    const best = argmaxRandom(values, candidates, this.rng);
    return this.orient(Math.floor(best / n), best % n);
  }
}
