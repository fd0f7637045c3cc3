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

/** The posterior of a few weights: Laplace approximation at the ensemble's mean weights. */
export interface WeightPosterior {
  /** Mean over heads of each weight. */
  mean: Float64Array;
  /** √diag(H⁻¹), H the regularised objective's Hessian restricted to these weights. */
  std: Float64Array;
}

/** A Gaussian prior on one weight, replacing the default N(0, 1) of the refit objective. */
export interface WeightPrior {
  mean: number;
  precision: number;
}

interface SparsePair {
  idx: Int32Array;
  val: Float64Array;
  label: number;
  margin: number;
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
  /** Weights whose prior is not the default N(0, 1) (½‖w‖² in the refit objective). */
  private readonly priors = new Map<number, WeightPrior>();
  /**
   * Votes along one weight alone (a unit feature difference): `plus` say "more of this feature
   * wins", `minus` "less wins". What a person's statement or critique about a principle says is
   * a direction, not a size, so it enters the likelihood as such votes instead of as a prior
   * mean (which would cap the weight the real votes find).
   */
  private readonly pseudoVotes = new Map<number, { plus: number; minus: number }>();
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
    const pairs = this.sparsePairs();
    const active = this.activeWeights(pairs);
    const grad = new Float64Array(this.dim + 1);
    let lossSum = 0;
    let weightSum = 0;
    this.heads.forEach((h, k) => {
      const w = h.head.params;
      for (let it = 0; it < refitIterations; it++) {
        for (const i of active) grad[i] = 0;
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
        for (const i of active) {
          const prior = this.priors.get(i);
          grad[i] += prior ? prior.precision * (w[i]! - prior.mean) : w[i]!;
        }
        for (const [i, v] of this.pseudoVotes) {
          const s = sigmoid(w[i]!);
          grad[i] += refitC * (-v.plus * (1 - s) + v.minus * s);
        }
        h.refitOpt!.stepAt(w, grad, active);
      }
    });
    return weightSum > 0 ? lossSum / weightSum : NaN;
  }

  /**
   * The weights the refit moves: those some buffered pair's feature difference touches, and
   * those with a prior of their own. The rest have no data, so their posterior is their prior:
   * each head keeps its random prior draw there (its disagreement about what no vote has
   * constrained), and the refit costs O(active) per step instead of O(dim) — the bags are tens
   * of thousands of dimensions, of which a few hundred occur in a session's first votes.
   */
  private activeWeights(pairs: readonly SparsePair[]): Int32Array {
    const seen = new Uint8Array(this.dim);
    for (const p of pairs) for (const i of p.idx) seen[i] = 1;
    for (const i of this.priors.keys()) seen[i] = 1;
    for (const i of this.pseudoVotes.keys()) seen[i] = 1;
    const out: number[] = [];
    for (let i = 0; i < this.dim; i++) if (seen[i]) out.push(i);
    return Int32Array.from(out);
  }

  /** The buffer as sparse feature differences z = φ(chosen) − φ(rejected), zero entries dropped. */
  private sparsePairs(): SparsePair[] {
    const a = new Float64Array(this.dim);
    const b = new Float64Array(this.dim);
    return this.buffer.map((p) => {
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
  }

  /**
   * Sets the Gaussian prior of weight `index` (refit mode only): the refit objective's
   * ½‖w‖² term becomes ½·precision·(w_i − mean)² for it. A person's "yes, I prefer shorter"
   * is such a prior (a mean in the stated direction, a precision worth a few votes); "no" is a
   * prior pinned at 0. `null` puts back the default N(0, 1). The heads are refitted at once
   * (unless `refit` is false: a caller setting several things refits with the last), so the
   * prior shows before the next vote.
   */
  setPrior(index: number, prior: WeightPrior | null, refit = true): void {
    if (this.config.fit !== 'refit') throw new Error("weight priors need fit: 'refit'");
    if (!Number.isInteger(index) || index < 0 || index >= this.dim) throw new RangeError(`weight index ${index} outside 0…${this.dim - 1}`);
    if (prior && !(Number.isFinite(prior.mean) && prior.precision > 0 && Number.isFinite(prior.precision))) {
      throw new RangeError('a weight prior needs a finite mean and a finite precision > 0');
    }
    // A cleared prior stays in the map as the default N(0, 1), so the weight stays active and
    // the refit moves it back (an inactive weight keeps whatever value it has).
    this.priors.set(index, prior ? { ...prior } : { mean: 0, precision: 1 });
    if (refit) this.refitAll();
  }

  /**
   * Sets the pseudo-votes on weight `index` (refit mode only; see `pseudoVotes`), replacing any
   * before, and refits. Counts may be fractional (a critique read with confidence 0.8 is 0.8 of
   * a vote); 0 and 0 removes them (the weight stays active, so the refit moves it back).
   */
  setPseudoVotes(index: number, plus: number, minus: number, refit = true): void {
    if (this.config.fit !== 'refit') throw new Error("pseudo-votes need fit: 'refit'");
    if (!Number.isInteger(index) || index < 0 || index >= this.dim) throw new RangeError(`weight index ${index} outside 0…${this.dim - 1}`);
    if (!(plus >= 0 && minus >= 0 && Number.isFinite(plus) && Number.isFinite(minus))) throw new RangeError('pseudo-vote counts must be finite and ≥ 0');
    this.pseudoVotes.set(index, { plus, minus });
    if (!this.priors.has(index)) this.priors.set(index, { mean: 0, precision: 1 });
    if (refit) this.refitAll();
  }

  /** The prior set on weight `index`, or null for the default N(0, 1). */
  priorOf(index: number): WeightPrior | null {
    const p = this.priors.get(index);
    return p && !(p.mean === 0 && p.precision === 1) ? { ...p } : null;
  }

  /**
   * Laplace approximation of the posterior of the weights at `indices`, at the mean of the
   * heads' weights and conditional on all other weights: H = P + C·Σ p(1−p)·z zᵀ over the
   * buffered decisive pairs and the pseudo-votes, P the priors' precisions, z the pair's feature difference on
   * these weights, p the model's probability of the recorded winner. For a handful of
   * interpretable weights (the style principles) this is the interval the "what you seem to
   * prefer" panel shows; the ensemble's spread over five heads is too coarse for an interval.
   */
  posterior(indices: readonly number[]): WeightPosterior {
    if (this.config.fit !== 'refit') throw new Error("the weight posterior needs fit: 'refit'");
    const n = indices.length;
    const wBar = new Float64Array(this.dim);
    for (const h of this.heads) for (let i = 0; i < this.dim; i++) wBar[i] += h.head.params[i]! / this.heads.length;
    const H = new Float64Array(n * n);
    indices.forEach((idx, r) => {
      H[r * n + r] = this.priors.get(idx)?.precision ?? 1;
    });
    const row = new Map(indices.map((idx, r) => [idx, r]));
    const z = new Float64Array(n);
    for (const p of this.sparsePairs()) {
      let u = -p.margin;
      z.fill(0);
      for (let j = 0; j < p.idx.length; j++) {
        u += wBar[p.idx[j]!]! * p.val[j]!;
        const r = row.get(p.idx[j]!);
        if (r !== undefined) z[r] = p.val[j]!;
      }
      const s = sigmoid(u);
      const c = this.config.refitC * s * (1 - s);
      for (let r = 0; r < n; r++) for (let q = 0; q < n; q++) H[r * n + q] += c * z[r]! * z[q]!;
    }
    indices.forEach((idx, r) => {
      const v = this.pseudoVotes.get(idx);
      if (!v) return;
      const s = sigmoid(wBar[idx]!);
      H[r * n + r] += this.config.refitC * (v.plus + v.minus) * s * (1 - s);
    });
    const inv = invertSpd(H, n);
    return {
      mean: Float64Array.from(indices, (i) => wBar[i]!),
      std: Float64Array.from({ length: n }, (_, r) => Math.sqrt(inv[r * n + r]!)),
    };
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

/** Inverse of a symmetric positive-definite n×n matrix (row-major) by Cholesky; n is small. */
export function invertSpd(m: Float64Array, n: number): Float64Array {
  const L = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = m[i * n + j]!;
      for (let k = 0; k < j; k++) sum -= L[i * n + k]! * L[j * n + k]!;
      if (i === j) {
        if (!(sum > 0)) throw new RangeError('matrix is not positive definite');
        L[i * n + i] = Math.sqrt(sum);
      } else L[i * n + j] = sum / L[j * n + j]!;
    }
  }
  // Solve L Lᵀ X = I column by column.
  const inv = new Float64Array(n * n);
  const y = new Float64Array(n);
  for (let c = 0; c < n; c++) {
    for (let i = 0; i < n; i++) {
      let sum = i === c ? 1 : 0;
      for (let k = 0; k < i; k++) sum -= L[i * n + k]! * y[k]!;
      y[i] = sum / L[i * n + i]!;
    }
    for (let i = n - 1; i >= 0; i--) {
      let sum = y[i]!;
      for (let k = i + 1; k < n; k++) sum -= L[k * n + i]! * inv[k * n + c]!;
      inv[i * n + c] = sum / L[i * n + i]!;
    }
  }
  return inv;
}
