/**
 * Simulated annotators in the spirit of AlpacaFarm (Dubois et al. 2023): each has a hidden,
 * cheap-to-compute taste (a `ScorerConfig`) and a noise model, and judges a pair (a shown
 * first, b second) the way a human rater would — noisily, with position bias, sometimes
 * calling a tie or rejecting both.
 *
 * Judging a pair, with scores s_a, s_b and Δ = s_a − s_b:
 * 1. both bad: if both scores are below `bothBadThreshold`, the outcome is 'bothbad';
 * 2. tie: pTie = 1 if |Δ| < tieThreshold, otherwise `tieProbability`; a tie is drawn first;
 * 3. otherwise a winner is drawn with P(a) = pAB from the noise model:
 *    - 'bt' (Bradley–Terry temperature T): pAB = σ(Δ/T + positionBias), where positionBias is
 *      an additive logit favouring the first-shown answer;
 *    - 'flip' (AlpacaFarm): the noiseless label is [Δ > 0]; with probability 2p it is replaced
 *      by a coin flip, so p is the effective flip rate. The coin — and the label itself when
 *      Δ = 0 — lands on the first-shown answer with probability `firstWhenUnsure` (0.5 = no
 *      position bias): pAB = (1 − 2p)·[Δ > 0] + 2p·q, or q when Δ = 0.
 * So `pAB` is P(a ≻ b | the vote is decisive), and `pTie` is P(tie) when not 'bothbad'.
 */
import { sigmoid } from '../objectives/math.ts';
import { Rng, type RngSeed } from '../rng.ts';
import { DEFAULT_TEMPERATURE, describeScorer, scoreText, type ScorerConfig } from './scorers.ts';

export type JudgeOutcome = 'a' | 'b' | 'tie' | 'bothbad';

export interface Judgement {
  /** P(a ≻ b) given a decisive vote. */
  pAB: number;
  /** P(tie) (0 when the vote was 'bothbad' by threshold). */
  pTie: number;
  outcome: JudgeOutcome;
  critique?: string;
  /** The annotator's hidden scores, for diagnostics and charts. */
  scores: { a: number; b: number };
  annotatorId: string;
}

/** Anything that can judge a pair (simulated annotator, pool, model judge adapter). */
export interface Judge {
  judge(prompt: string, a: string, b: string): Judgement;
}

export type NoiseModel = { type: 'bt'; temperature?: number } | { type: 'flip'; flipRate: number };

export interface AnnotatorConfig {
  id?: string;
  scorer: ScorerConfig;
  /** Default: Bradley–Terry with the scorer kind's default temperature. */
  noise?: NoiseModel;
  /** 'bt' only: additive logit in favour of the first-shown answer (0 = none). */
  positionBias?: number;
  /** 'flip' only: P(first shown) when unsure (coin flips, equal scores). Default 0.5. */
  firstWhenUnsure?: number;
  /** |Δ| below this is called a tie (score units; default 0 = never). */
  tieThreshold?: number;
  /** Additional tie probability when the scores are not within tieThreshold (default 0). */
  tieProbability?: number;
  /** Both scores below this → 'bothbad' (default: never). */
  bothBadThreshold?: number;
  /** Write a one-line critique with each judgement (default true). */
  critique?: boolean;
  seed: RngSeed;
}

export class SimulatedAnnotator implements Judge {
  readonly id: string;
  readonly config: Readonly<AnnotatorConfig>;
  private readonly rng: Rng;

  constructor(config: AnnotatorConfig) {
    const noise = config.noise;
    if (noise?.type === 'flip' && !(noise.flipRate >= 0 && noise.flipRate <= 0.5)) {
      throw new RangeError('flipRate must be in [0, 0.5] (2p is a probability)');
    }
    if (noise?.type === 'bt' && noise.temperature !== undefined && !(noise.temperature > 0)) {
      throw new RangeError('temperature must be > 0');
    }
    const q = config.firstWhenUnsure ?? 0.5;
    if (!(q >= 0 && q <= 1)) throw new RangeError('firstWhenUnsure must be in [0, 1]');
    this.config = config;
    this.id = config.id ?? `${config.scorer.kind}-${String(config.seed)}`;
    this.rng = new Rng(config.seed).fork('annotator');
  }

  score(text: string): number {
    return scoreText(this.config.scorer, text);
  }

  /** pAB and pTie for given scores, without drawing anything. */
  probabilities(sa: number, sb: number): { pAB: number; pTie: number; bothBad: boolean } {
    const c = this.config;
    const d = sa - sb;
    const bothBad = c.bothBadThreshold !== undefined && sa < c.bothBadThreshold && sb < c.bothBadThreshold;
    const noise: NoiseModel = c.noise ?? { type: 'bt' };
    let pAB: number;
    if (noise.type === 'bt') {
      const t = noise.temperature ?? DEFAULT_TEMPERATURE[c.scorer.kind];
      pAB = sigmoid(d / t + (c.positionBias ?? 0));
    } else {
      const q = c.firstWhenUnsure ?? 0.5;
      const p2 = 2 * noise.flipRate;
      pAB = d === 0 ? q : (1 - p2) * (d > 0 ? 1 : 0) + p2 * q;
    }
    const pTie = bothBad ? 0 : Math.abs(d) < (c.tieThreshold ?? 0) ? 1 : (c.tieProbability ?? 0);
    return { pAB, pTie, bothBad };
  }

  judge(_prompt: string, a: string, b: string): Judgement {
    const sa = this.score(a);
    const sb = this.score(b);
    const { pAB, pTie, bothBad } = this.probabilities(sa, sb);
    // Always draw the same number of variates so one judgement never shifts the next's stream
    // depending on which branch it took.
    const uTie = this.rng.next();
    const uWin = this.rng.next();
    let outcome: JudgeOutcome;
    if (bothBad) outcome = 'bothbad';
    else if (uTie < pTie) outcome = 'tie';
    else outcome = uWin < pAB ? 'a' : 'b';
    const j: Judgement = { pAB, pTie, outcome, scores: { a: sa, b: sb }, annotatorId: this.id };
    if (this.config.critique ?? true) j.critique = this.critique(outcome, sa, sb);
    return j;
  }

  private critique(outcome: JudgeOutcome, sa: number, sb: number): string {
    const what = describeScorer(this.config.scorer);
    const fmt = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(2));
    const scores = `(${what}: A ${fmt(sa)}, B ${fmt(sb)})`;
    switch (outcome) {
      case 'bothbad':
        return `Neither answer is acceptable ${scores}.`;
      case 'tie':
        return `The answers are about equally good ${scores}.`;
      default: {
        const agrees = (outcome === 'a') === (sa >= sb);
        return `Prefers ${outcome.toUpperCase()}${agrees ? '' : ' (against its own scores)'} ${scores}.`;
      }
    }
  }
}

export interface PoolMember {
  annotator: Judge & { id: string };
  /** Relative probability of being picked for a vote (default 1). */
  weight?: number;
}

/**
 * A pool of annotators; every vote is given by one member drawn at random (seeded), like
 * AlpacaFarm's pool of simulated labellers — inter-annotator disagreement comes for free.
 */
export class AnnotatorPool implements Judge {
  readonly members: readonly PoolMember[];
  private readonly rng: Rng;
  private readonly cumulative: Float64Array;

  constructor(members: readonly PoolMember[], seed: RngSeed) {
    if (members.length === 0) throw new RangeError('AnnotatorPool needs at least one annotator');
    this.members = members;
    this.rng = new Rng(seed).fork('pool');
    this.cumulative = new Float64Array(members.length);
    let acc = 0;
    members.forEach((m, i) => {
      const w = m.weight ?? 1;
      if (!(w >= 0)) throw new RangeError('pool weights must be ≥ 0');
      acc += w;
      this.cumulative[i] = acc;
    });
    if (!(acc > 0)) throw new RangeError('pool weights sum to zero');
  }

  /** Index of the member who gives the next vote. */
  private pick(): number {
    const u = this.rng.next() * this.cumulative[this.cumulative.length - 1]!;
    for (let i = 0; i < this.cumulative.length; i++) if (u < this.cumulative[i]!) return i;
    return this.cumulative.length - 1;
  }

  judge(prompt: string, a: string, b: string): Judgement {
    return this.members[this.pick()]!.annotator.judge(prompt, a, b);
  }
}

/**
 * A default, varied pool: annotators who like positive sentiment, ~40-word answers, readable
 * prose, and explanatory keywords, with different noise models and biases.
 */
export function createDefaultAnnotatorPool(seed: RngSeed): AnnotatorPool {
  const root = new Rng(seed);
  const sub = (label: string) => root.fork(label).seedPath;
  const members: PoolMember[] = [
    {
      annotator: new SimulatedAnnotator({
        id: 'sentiment',
        scorer: { kind: 'sentiment' },
        noise: { type: 'bt' },
        positionBias: 0.2,
        tieThreshold: 0.02,
        seed: sub('sentiment'),
      }),
    },
    {
      annotator: new SimulatedAnnotator({
        id: 'length-40',
        scorer: { kind: 'length', targetWords: 40 },
        noise: { type: 'flip', flipRate: 0.15 },
        firstWhenUnsure: 0.6,
        bothBadThreshold: -30,
        seed: sub('length'),
      }),
    },
    {
      annotator: new SimulatedAnnotator({
        id: 'readability',
        scorer: { kind: 'readability' },
        noise: { type: 'bt' },
        tieProbability: 0.05,
        bothBadThreshold: 0,
        seed: sub('readability'),
      }),
    },
    {
      annotator: new SimulatedAnnotator({
        id: 'keyword',
        scorer: { kind: 'keyword', keywords: ['because', 'example', 'first', 'then', 'so'] },
        noise: { type: 'flip', flipRate: 0.1 },
        tieThreshold: 0.5,
        seed: sub('keyword'),
      }),
    },
  ];
  return new AnnotatorPool(members, sub('pool'));
}
