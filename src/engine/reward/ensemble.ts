/**
 * An online ensemble of K Bradley–Terry reward heads on shared, online-standardised features.
 *
 * Why an ensemble: the spread of the heads' rewards (and of their P(a≻b)) is a cheap
 * epistemic-uncertainty signal for active pair selection and for "how much should I trust
 * this relabel". Two sources of diversity:
 * - a random prior: head k starts at w ~ N(0, priorScale²/d), so before any data the heads
 *   disagree (reward std ≈ priorScale on standardised features) and the disagreement shrinks
 *   only along directions the votes actually constrain;
 * - online bagging (Oza & Russell 2001): every vote enters head k's data with a Poisson(1)
 *   multiplicity, the streaming equivalent of a bootstrap resample.
 * Each head has its own seeded RNG (minibatch sampling) forked from the ensemble seed, so a
 * replay of the same votes gives the same model.
 *
 * `observe(vote)` is prequential: it first predicts the vote with the current model (recorded
 * by the `PrequentialTracker`), then stores it in the replay buffer, updates the feature
 * statistics, and takes `stepsPerVote` optimiser steps per head on minibatches drawn from the
 * buffer (each including the newest pair, so a vote has an immediate, visible effect).
 */
import { logSigmoid, sigmoid } from '../objectives/math.ts';
import { Rng, type RngSeed } from '../rng.ts';
import { BradleyTerryHead, type TrainingPair } from './bt_head.ts';
import { AdamW, Sgd, type ParamOptimizer } from './optim.ts';
import { PrequentialTracker, type PrequentialSummary } from './prequential.ts';
import { OnlineStandardizer } from './standardizer.ts';

export type VoteOutcome = 'a' | 'b' | 'tie' | 'bothbad';

export interface RewardVote {
  /** Feature vectors of the two completions as shown (a first). */
  a: ArrayLike<number>;
  b: ArrayLike<number>;
  outcome: VoteOutcome;
  /** Optional required reward gap for decisive votes (e.g. from a graded "much better"). */
  margin?: number;
}

export interface RewardEnsembleConfig {
  /** Feature dimension d. */
  dim: number;
  seed: RngSeed;
  /** Number of heads K (default 5). */
  heads?: number;
  optimizer?: 'adamw' | 'sgd';
  /** Learning rate (default 0.02 for AdamW, 0.1 for SGD). */
  lr?: number;
  /** AdamW decoupled decay / SGD L2 (default 1e-3). */
  weightDecay?: number;
  /** SGD momentum (default 0.9). */
  momentum?: number;
  /** Minibatch size (default 16). */
  batchSize?: number;
  /** Optimiser steps per head after each trainable vote (default 4). */
  stepsPerVote?: number;
  /** Replay-buffer capacity; the oldest pair is dropped first (default 4096). */
  bufferCapacity?: number;
  /** c in c·(r_c + r_r)², TRL `center_rewards_coefficient` (default 0.01). */
  centerCoef?: number;
  /** Default margin for decisive votes (default 0). */
  margin?: number;
  /** Ties: 'soft' trains with label ½ (pulls the two rewards together), 'skip' ignores them. Default 'soft'. */
  tieMode?: 'skip' | 'soft';
  /**
   * "Both bad": no relative information, so 'skip' (default) ignores it; 'tie' treats it like
   * a tie (two equally bad answers). Absolute badness is not representable in a BT model.
   */
  bothBadMode?: 'skip' | 'tie';
  /** 'poisson' = online bagging (default); 'none' = every head sees every vote once. */
  bootstrap?: 'poisson' | 'none';
  /** Std of the random prior reward per head on standardised features (default 1). */
  priorScale?: number;
  /** Standardise features online (default true). Ignored when `blocks` is given. */
  standardize?: boolean;
  /**
   * The feature vector as consecutive blocks, each standardised online or passed raw, then
   * multiplied by `scale`. Lets sparse count features (raw) sit beside dense hidden states
   * (standardised: their dimensions differ in scale by orders of magnitude). Sizes must sum
   * to `dim`. Default: one block of `dim` following `standardize`, scale 1.
   */
  blocks?: readonly FeatureBlock[];
  /** Sliding window for prequential accuracy (default 50). */
  windowSize?: number;
  /**
   * How heads learn after a vote. 'online' (default): `stepsPerVote` minibatch steps. 'refit':
   * every head is refitted on its whole (bootstrap-weighted) buffer, warm-started, with
   * `refitIterations` full-batch Adam steps on the L2-regularised logistic loss
   * C·Σ loss + ½‖w‖² (scikit-learn's LogisticRegression form, C = `refitC`) — close to the
   * regularised maximum-likelihood fit after every vote, where a few SGD steps per vote
   * under-fit sparse features. Sparse by construction: cost ∝ iterations × non-zeros.
   */
  fit?: 'online' | 'refit';
  /** 'refit': full-batch steps per vote (default 50). */
  refitIterations?: number;
  /** 'refit': inverse L2 strength C (default 30). */
  refitC?: number;
  /** 'refit': Adam step size (default 0.5; the loss is scaled by C). */
  refitLr?: number;
}

export interface FeatureBlock {
  size: number;
  standardize: boolean;
  scale: number;
}

export interface RewardEstimate {
  mean: number;
  std: number;
  perHead: Float64Array;
}

export interface PreferenceEstimate {
  /** Mean over heads of σ(r_a − r_b). */
  pAB: number;
  /** Std over heads of σ(r_a − r_b): disagreement, used for active selection. */
  std: number;
  /** Mean over heads of r_a − r_b. */
  meanMargin: number;
  perHead: Float64Array;
}

export interface ObserveResult {
  /** The prediction made before learning from this vote. */
  prediction: PreferenceEstimate;
  /** Prequential score of that prediction (1, 0, ½), or null for ties / both bad. */
  score: number | null;
  /** Whether the vote entered the replay buffer. */
  trained: boolean;
  /** Mean weighted minibatch loss over the steps taken (NaN if none). */
  loss: number;
}

interface BufferedPair {
  /** Raw features, stored in float32: they come from float32 hidden states anyway. */
  chosenRaw: Float32Array;
  rejectedRaw: Float32Array;
  label: number;
  margin: number;
  /** Per-head bootstrap multiplicity. */
  weights: Uint8Array;
}

interface HeadState {
  head: BradleyTerryHead;
  opt: ParamOptimizer;
  rng: Rng;
  /** 'refit' only: the full-batch optimiser, kept across votes (warm start). */
  refitOpt: AdamW | null;
}

export class RewardEnsemble {
  readonly dim: number;
  readonly config: Readonly<Required<RewardEnsembleConfig>>;
  readonly standardizer: OnlineStandardizer;
  readonly prequential: PrequentialTracker;
  private readonly heads: HeadState[];
  private readonly buffer: BufferedPair[] = [];
  private readonly rng: Rng;
  private votesSeen = 0;
  private readonly scratchA: Float64Array;
  private readonly scratchB: Float64Array;

  constructor(config: RewardEnsembleConfig) {
    const optimizer = config.optimizer ?? 'adamw';
    const cfg: Required<RewardEnsembleConfig> = {
      heads: 5,
      optimizer,
      lr: optimizer === 'adamw' ? 0.02 : 0.1,
      weightDecay: 1e-3,
      momentum: 0.9,
      batchSize: 16,
      stepsPerVote: 4,
      bufferCapacity: 4096,
      centerCoef: 0.01,
      margin: 0,
      tieMode: 'soft',
      bothBadMode: 'skip',
      bootstrap: 'poisson',
      priorScale: 1,
      standardize: true,
      windowSize: 50,
      blocks: [],
      fit: 'online',
      refitIterations: 50,
      refitC: 30,
      refitLr: 0.5,
      ...config,
    };
    if (cfg.blocks.length === 0) cfg.blocks = [{ size: cfg.dim, standardize: cfg.standardize, scale: 1 }];
    if (cfg.blocks.reduce((n, b) => n + b.size, 0) !== cfg.dim) throw new RangeError('feature block sizes must sum to dim');
    if (!Number.isInteger(cfg.heads) || cfg.heads < 1) throw new RangeError('heads must be a positive integer');
    this.config = cfg;
    this.dim = cfg.dim;
    this.standardizer = new OnlineStandardizer(cfg.dim);
    this.prequential = new PrequentialTracker(cfg.windowSize);
    this.rng = new Rng(cfg.seed);
    this.scratchA = new Float64Array(cfg.dim);
    this.scratchB = new Float64Array(cfg.dim);
    this.heads = [];
    for (let k = 0; k < cfg.heads; k++) {
      const headRng = this.rng.fork(`head-${k}`);
      const head = new BradleyTerryHead(cfg.dim);
      const initStd = cfg.priorScale / Math.sqrt(cfg.dim);
      for (let i = 0; i < cfg.dim; i++) head.params[i] = initStd * headRng.normal();
      const opt =
        cfg.optimizer === 'adamw'
          ? new AdamW(cfg.dim + 1, { lr: cfg.lr, weightDecay: cfg.weightDecay })
          : new Sgd(cfg.dim + 1, { lr: cfg.lr, momentum: cfg.momentum, weightDecay: cfg.weightDecay });
      const refitOpt = cfg.fit === 'refit' ? new AdamW(cfg.dim + 1, { lr: cfg.refitLr, weightDecay: 0 }) : null;
      this.heads.push({ head, opt, rng: headRng, refitOpt });
    }
  }

  get size(): number {
    return this.heads.length;
  }

  /** Number of pairs in the replay buffer. */
  get bufferSize(): number {
    return this.buffer.length;
  }

  private get standardizes(): boolean {
    return this.config.blocks.some((b) => b.standardize);
  }

  private features(x: ArrayLike<number>, out: Float64Array): Float64Array {
    if (x.length !== this.dim) throw new RangeError(`feature length ${x.length} ≠ dim ${this.dim}`);
    if (this.standardizes) this.standardizer.transform(x, out);
    let from = 0;
    for (const block of this.config.blocks) {
      const to = from + block.size;
      for (let i = from; i < to; i++) out[i] = block.scale * (block.standardize ? out[i]! : x[i]!);
      from = to;
    }
    return out;
  }

  /** Reward of one completion: mean and std over heads. */
  reward(x: ArrayLike<number>): RewardEstimate {
    const z = this.features(x, this.scratchA);
    const perHead = new Float64Array(this.heads.length);
    this.heads.forEach((h, k) => {
      perHead[k] = h.head.score(z);
    });
    const [mean, std] = meanStd(perHead);
    return { mean, std, perHead };
  }

  /** P(a ≻ b) under each head; mean and std over heads. */
  preference(a: ArrayLike<number>, b: ArrayLike<number>): PreferenceEstimate {
    const za = this.features(a, this.scratchA);
    const zb = this.features(b, this.scratchB);
    const perHead = new Float64Array(this.heads.length);
    let marginSum = 0;
    this.heads.forEach((h, k) => {
      const m = h.head.score(za) - h.head.score(zb);
      marginSum += m;
      perHead[k] = sigmoid(m);
    });
    const [pAB, std] = meanStd(perHead);
    return { pAB, std, meanMargin: marginSum / this.heads.length, perHead };
  }

  /** Predict the vote, record the prequential score, then learn from it. */
  observe(vote: RewardVote): ObserveResult {
    const prediction = this.preference(vote.a, vote.b);
    let score: number | null = null;
    if (vote.outcome === 'a' || vote.outcome === 'b') score = this.prequential.record(prediction.pAB, vote.outcome);
    else this.prequential.recordUnscored();
    this.votesSeen++;

    const pair = this.toBufferedPair(vote);
    if (!pair) return { prediction, score, trained: false, loss: NaN };
    if (this.standardizes) {
      this.standardizer.update(vote.a);
      this.standardizer.update(vote.b);
    }
    this.buffer.push(pair);
    if (this.buffer.length > this.config.bufferCapacity) this.buffer.shift();
    const loss = this.config.fit === 'refit' ? this.refitAll() : this.train(this.config.stepsPerVote, pair);
    return { prediction, score, trained: true, loss };
  }

  /**
   * `steps` further optimiser steps per head on minibatches from the replay buffer (a refit,
   * e.g. after loading a session). Returns the mean weighted minibatch loss (NaN if empty).
   */
  refit(steps: number): number {
    if (this.config.fit === 'refit') return this.buffer.length === 0 || steps <= 0 ? NaN : this.refitAll();
    return this.train(steps);
  }

  /**
   * 'refit' mode: each head, warm-started, takes `refitIterations` full-batch Adam steps on
   * C·Σ_pairs m_k·ℓ(pair) + ½‖w‖², with m_k its bootstrap multiplicity. Pairs are encoded once
   * per call as sparse differences z = φ(chosen) − φ(rejected) (zero entries dropped); the bias
   * cancels in a difference and stays at 0. Returns the mean per-pair loss after the last step.
   */
  private refitAll(): number {
    const { refitIterations, refitC } = this.config;
    const a = new Float64Array(this.dim);
    const b = new Float64Array(this.dim);
    const pairs = this.buffer.map((p) => {
      this.features(p.chosenRaw, a);
      this.features(p.rejectedRaw, b);
      const idx: number[] = [];
      const val: number[] = [];
      for (let i = 0; i < this.dim; i++) {
        const d = a[i]! - b[i]!;
        if (d !== 0) {
          idx.push(i);
          val.push(d);
        }
      }
      return { idx: Int32Array.from(idx), val: Float64Array.from(val), label: p.label, margin: p.margin, weights: p.weights };
    });
    const grad = new Float64Array(this.dim + 1);
    let lossSum = 0;
    let weightSum = 0;
    this.heads.forEach((h, k) => {
      const w = h.head.params;
      for (let it = 0; it < refitIterations; it++) {
        grad.fill(0);
        const last = it === refitIterations - 1;
        for (const p of pairs) {
          const m = p.weights[k]!;
          if (m === 0) continue;
          let u = -p.margin;
          for (let j = 0; j < p.idx.length; j++) u += w[p.idx[j]!]! * p.val[j]!;
          const r = m * refitC * (sigmoid(u) - p.label);
          for (let j = 0; j < p.idx.length; j++) grad[p.idx[j]!] += r * p.val[j]!;
          if (last) {
            lossSum += m * (-p.label * logSigmoid(u) - (1 - p.label) * logSigmoid(-u));
            weightSum += m;
          }
        }
        for (let i = 0; i < this.dim; i++) grad[i] += w[i]!;
        h.refitOpt!.step(w, grad);
      }
    });
    return weightSum > 0 ? lossSum / weightSum : NaN;
  }

  /** As `refit`; `include` is forced into every minibatch when given. */
  private train(steps: number, include?: BufferedPair): number {
    if (this.buffer.length === 0 || steps <= 0) return NaN;
    const { batchSize, centerCoef } = this.config;
    // Standardise the buffer once per call: the statistics do not change during it.
    const cache = new Map<BufferedPair, TrainingPair>();
    const toTraining = (p: BufferedPair): TrainingPair => {
      let t = cache.get(p);
      if (!t) {
        t = {
          chosen: this.features(p.chosenRaw, new Float64Array(this.dim)),
          rejected: this.features(p.rejectedRaw, new Float64Array(this.dim)),
          label: p.label,
          margin: p.margin,
        };
        cache.set(p, t);
      }
      return t;
    };
    const grad = new Float64Array(this.dim + 1);
    let lossSum = 0;
    let lossCount = 0;
    this.heads.forEach((h, k) => {
      for (let s = 0; s < steps; s++) {
        grad.fill(0);
        const m = Math.min(batchSize, this.buffer.length);
        let batchLoss = 0;
        for (let j = 0; j < m; j++) {
          const p = j === 0 && include ? include : this.buffer[h.rng.int(this.buffer.length)]!;
          const w = p.weights[k]!;
          if (w === 0) continue;
          batchLoss += h.head.accumulatePairGrad(toTraining(p), centerCoef, w / m, grad);
        }
        h.opt.step(h.head.params, grad);
        lossSum += batchLoss;
        lossCount++;
      }
    });
    return lossSum / lossCount;
  }

  get summary(): PrequentialSummary & { votes: number; buffered: number } {
    return { ...this.prequential.summary(), votes: this.votesSeen, buffered: this.buffer.length };
  }

  private toBufferedPair(vote: RewardVote): BufferedPair | null {
    const { tieMode, bothBadMode } = this.config;
    let chosen = vote.a;
    let rejected = vote.b;
    let label = 1;
    let margin = vote.margin ?? this.config.margin;
    switch (vote.outcome) {
      case 'a':
        break;
      case 'b':
        chosen = vote.b;
        rejected = vote.a;
        break;
      case 'tie':
        if (tieMode === 'skip') return null;
        label = 0.5;
        margin = 0;
        break;
      case 'bothbad':
        if (bothBadMode === 'skip' || tieMode === 'skip') return null;
        label = 0.5;
        margin = 0;
        break;
    }
    if (vote.a.length !== this.dim || vote.b.length !== this.dim) {
      throw new RangeError(`feature length ≠ dim ${this.dim}`);
    }
    const weights = new Uint8Array(this.heads.length);
    for (let k = 0; k < this.heads.length; k++) {
      weights[k] = this.config.bootstrap === 'poisson' ? Math.min(255, this.rng.poisson(1)) : 1;
    }
    return { chosenRaw: Float32Array.from(chosen), rejectedRaw: Float32Array.from(rejected), label, margin, weights };
  }
}

function meanStd(xs: Float64Array): [number, number] {
  let m = 0;
  for (const x of xs) m += x;
  m /= xs.length;
  let v = 0;
  for (const x of xs) v += (x - m) ** 2;
  // Population std over heads: the heads are the whole ensemble, not a sample of it.
  return [m, Math.sqrt(v / xs.length)];
}
