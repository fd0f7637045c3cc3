/**
 * Samplers that run a finite procedure over N candidates and then stop: PairS (a merge sort
 * guided by the judge's uncertainty) and a knockout bracket. The procedures are generators
 * that yield the pair they need judged and receive P(first ≻ second); `ProcedureSampler`
 * turns one into a `PairSampler`, answering repeated questions from a cache so a pair is
 * never judged twice.
 */
import { Rng, type RngSeed } from '../rng';
import { knockoutBracket, type PreferenceJudge } from '../ratings/aggregation';
import { BradleyTerryPosterior, PreferenceTally } from './tally';
import { checkPair, feedbackScore, type Pair, type PairFeedback, type PairSampler, type PairSamplerKind } from './types';

/** A procedure that asks for P(a ≻ b) of pairs and returns a ranking, best first. */
export type RankingProcedure = Generator<Pair, number[], number>;

export class ProcedureSampler implements PairSampler {
  readonly kind: PairSamplerKind;
  readonly size: number;
  private readonly procedure: RankingProcedure;
  private readonly cache = new Map<number, number>();
  private readonly tally: PreferenceTally;
  private readonly posterior: BradleyTerryPosterior;
  private readonly sideRng: Rng | null;
  private pending: Pair | null = null;
  /** `pending` as shown (sides possibly swapped), fixed until it is answered. */
  private shown: Pair | null = null;
  private result: number[] | null = null;
  private started = false;
  private count = 0;

  /** `sideSeed`: seed for random left/right placement; null shows pairs in the procedure's order. */
  constructor(kind: PairSamplerKind, size: number, procedure: RankingProcedure, sideSeed: RngSeed | null = 0) {
    this.kind = kind;
    this.size = size;
    this.procedure = procedure;
    this.tally = new PreferenceTally(size);
    this.posterior = new BradleyTerryPosterior(size);
    this.sideRng = sideSeed === null ? null : new Rng(sideSeed).fork(`${kind}-sides`);
  }

  get comparisons(): number {
    return this.count;
  }

  get done(): boolean {
    this.advance();
    return this.result !== null;
  }

  next(): Pair | null {
    this.advance();
    if (this.result !== null || !this.pending) return null;
    if (!this.shown) {
      const [a, b] = this.pending;
      this.shown = this.sideRng && this.sideRng.next() < 0.5 ? [b, a] : [a, b];
    }
    return this.shown;
  }

  update(first: number, second: number, feedback: PairFeedback): void {
    checkPair(this.size, first, second);
    const p = feedbackScore(feedback);
    this.cache.set(first * this.size + second, p);
    this.cache.set(second * this.size + first, 1 - p);
    this.tally.add(first, second, p);
    this.count++;
  }

  /** The procedure's ranking once finished; before that, the Bayesian BT order of what was judged. */
  ranking(): number[] {
    this.advance();
    if (this.result) return [...this.result];
    return this.posterior.fit(this.tally).ranking();
  }

  /** Run the procedure until it needs a pair not yet judged, or finishes. */
  private advance(): void {
    if (this.result) return;
    let step: IteratorResult<Pair, number[]>;
    if (!this.started) {
      this.started = true;
      step = this.procedure.next(0.5);
    } else if (this.pending) {
      const cached = this.lookup(this.pending);
      if (cached === undefined) return;
      step = this.procedure.next(cached);
    } else {
      return;
    }
    for (;;) {
      if (step.done) {
        this.result = step.value;
        this.pending = null;
        this.shown = null;
        return;
      }
      const cached = this.lookup(step.value);
      if (cached === undefined) {
        this.pending = step.value;
        this.shown = null;
        return;
      }
      step = this.procedure.next(cached);
    }
  }

  private lookup(pair: Pair): number | undefined {
    return this.cache.get(pair[0] * this.size + pair[1]);
  }
}

/** Run a procedure with a judge function synchronously; returns the ranking and judge calls. */
export function runWithJudge(sampler: PairSampler, judge: PreferenceJudge): { ranking: number[]; comparisons: number } {
  for (let pair = sampler.next(); pair; pair = sampler.next()) {
    sampler.update(pair[0], pair[1], { probability: judge(pair[0], pair[1]) });
  }
  return { ranking: sampler.ranking(), comparisons: sampler.comparisons };
}

export interface PairsOptions {
  size: number;
  seed?: RngSeed;
  /** Show pairs on random sides (default true; the judge's answer is mapped back either way). */
  randomizeSides?: boolean;
  /** Partial merges kept at each step (default 4; 1 is a plain greedy merge sort). */
  beamWidth?: number;
  /**
   * The judge counts as unsure when |P − ½| < this (default 0.1); only then are both merge
   * decisions kept. Confident decisions are followed greedily, which is what keeps PairS
   * near n·log₂n comparisons.
   */
  uncertainty?: number;
  /** Shuffle the initial order (default true) so the result does not depend on indices. */
  shuffle?: boolean;
}

interface MergeBeam {
  i: number;
  j: number;
  out: number[];
  /** Sum of log-probabilities of the decisions taken, and how many there were. */
  logp: number;
  decisions: number;
}

/** A beam's score: the mean log-probability of its decisions (PairS' running average). */
function beamScore(b: MergeBeam): number {
  return b.decisions === 0 ? 0 : b.logp / b.decisions;
}

const P_FLOOR = 1e-6;

/**
 * Merge two sorted lists with a beam over merge decisions (PairS). While merging, a partial
 * merge is scored by the mean log-probability of its decisions (PairS' running average), and
 * a decision the judge is sure about is only followed one way. The finished candidates are
 * then compared on the same evidence: the log-likelihood of every cross pair judged during
 * this merge under each candidate's order. (Scoring finished merges by their own decisions
 * alone favours merges whose later comparisons happened to be easy, a bias we measured in
 * simulation; rescoring on the shared evidence removes it at no extra judge calls.)
 */
function* beamMerge(left: readonly number[], right: readonly number[], beamWidth: number, uncertainty: number): Generator<Pair, number[], number> {
  let beams: MergeBeam[] = [{ i: 0, j: 0, out: [], logp: 0, decisions: 0 }];
  const judged: Array<[number, number, number]> = [];
  const seen = new Set<string>();
  while (beams.some((b) => b.i < left.length && b.j < right.length)) {
    const expanded: MergeBeam[] = [];
    for (const b of beams) {
      if (b.i >= left.length || b.j >= right.length) {
        expanded.push(b);
        continue;
      }
      const a = left[b.i]!;
      const c = right[b.j]!;
      const raw = yield [a, c] as const;
      const p = Math.min(1 - P_FLOOR, Math.max(P_FLOOR, raw));
      const key = `${a},${c}`;
      if (!seen.has(key)) {
        seen.add(key);
        judged.push([a, c, p]);
      }
      const takeLeft: MergeBeam = { i: b.i + 1, j: b.j, out: [...b.out, a], logp: b.logp + Math.log(p), decisions: b.decisions + 1 };
      const takeRight: MergeBeam = { i: b.i, j: b.j + 1, out: [...b.out, c], logp: b.logp + Math.log(1 - p), decisions: b.decisions + 1 };
      if (Math.abs(p - 0.5) < uncertainty) expanded.push(takeLeft, takeRight);
      else expanded.push(p >= 0.5 ? takeLeft : takeRight);
    }
    // Stable sort keeps earlier (more greedy) beams ahead on exact ties.
    beams = expanded
      .map((b, k) => [b, k] as const)
      .sort((x, y) => beamScore(y[0]) - beamScore(x[0]) || x[1] - y[1])
      .slice(0, beamWidth)
      .map(([b]) => b);
  }
  let best: number[] = [];
  let bestScore = -Infinity;
  for (const b of beams) {
    const order = [...b.out, ...left.slice(b.i), ...right.slice(b.j)];
    const position = new Map(order.map((x, k) => [x, k]));
    let score = 0;
    for (const [a, c, p] of judged) score += position.get(a)! < position.get(c)! ? Math.log(p) : Math.log(1 - p);
    if (score > bestScore) {
      bestScore = score;
      best = order;
    }
  }
  return best;
}

/**
 * PairS (Liu et al. 2024, "Aligning with human judgement: the role of pairwise preference in
 * large language model evaluators"): bottom-up merge sort where each merge is a beam search
 * over the judge's uncertain decisions.
 */
export function* pairsProcedure(opts: PairsOptions): RankingProcedure {
  const n = opts.size;
  const beamWidth = opts.beamWidth ?? 4;
  const uncertainty = opts.uncertainty ?? 0.1;
  if (!Number.isInteger(beamWidth) || beamWidth < 1) throw new RangeError(`beamWidth must be a positive integer, got ${beamWidth}`);
  const order = Array.from({ length: n }, (_, k) => k);
  if (opts.shuffle ?? true) {
    const rng = new Rng(opts.seed ?? 0).fork('pairs');
    for (let k = n - 1; k > 0; k--) {
      const r = rng.int(k + 1);
      [order[k], order[r]] = [order[r]!, order[k]!];
    }
  }
  let lists: number[][] = order.map((k) => [k]);
  while (lists.length > 1) {
    const merged: number[][] = [];
    for (let k = 0; k < lists.length; k += 2) {
      if (k + 1 < lists.length) merged.push(yield* beamMerge(lists[k]!, lists[k + 1]!, beamWidth, uncertainty));
      else merged.push(lists[k]!);
    }
    lists = merged;
  }
  return lists[0] ?? [];
}

export class PairsSampler extends ProcedureSampler {
  constructor(opts: PairsOptions) {
    super('pairs', opts.size, pairsProcedure(opts), (opts.randomizeSides ?? true) ? (opts.seed ?? 0) : null);
  }
}

export interface KnockoutOptions {
  size: number;
  seed?: RngSeed;
  randomizeSides?: boolean;
}

function* knockoutProcedure(opts: KnockoutOptions): RankingProcedure {
  const result = yield* knockoutBracket(opts.size, new Rng(opts.seed ?? 0).fork('knockout'));
  return result.ranking;
}

/** Single-elimination bracket (n − 1 comparisons); see `knockoutBracket`. */
export class KnockoutSampler extends ProcedureSampler {
  constructor(opts: KnockoutOptions) {
    super('knockout', opts.size, knockoutProcedure(opts), (opts.randomizeSides ?? true) ? (opts.seed ?? 0) : null);
  }
}
