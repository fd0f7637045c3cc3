/**
 * Bayesian model averaging over simple explanations of a person's votes.
 *
 * Why: in the first votes a model with every feature (tens of thousands of bag dimensions, the
 * pooled states and the principles) must spread what it learns over all of them; most tastes a
 * person brings are about one thing (shorter, friendlier, simpler). So beside the full model we
 * keep one tiny Bayesian logistic model per principle ("the votes are about length only", …)
 * and weight every model by its evidence: the product of the probabilities it gave each vote
 * before seeing it (the prequential likelihood, which is the marginal likelihood of the data
 * under a sequentially updated Bayesian model; Dawid 1984). A one-principle model that keeps
 * predicting well takes over within a few votes; a taste no principle explains leaves the
 * weight with the full model. The mixture's prediction is still a proper prediction made
 * before the vote, so its prequential accuracy is honest.
 *
 * Each one-feature model is w ~ N(0, priorVariance), P(a ≻ b) = σ(w·x), x the feature's
 * difference a − b; its posterior is the Laplace approximation at the MAP (Newton's method on
 * all its decisive votes; one dimension, so exact enough and cheap), and its predictive
 * probability the probit approximation σ(μx / √(1 + π s² x² / 8)) (MacKay 1992), which keeps a
 * model that has seen two votes from being sure.
 */
import { sigmoid } from '../../src/engine/objectives/math.ts';

export interface ModelAverageConfig {
  /** Names of the one-feature models, one per feature (e.g. the principle axes). */
  features: readonly string[];
  /** Prior variance of each one-feature model's weight (features are in spread units). */
  priorVariance?: number;
  /** Prior probability of the full model; the rest is shared equally by the one-feature models. */
  fullPrior?: number;
  /**
   * Chance that a vote is a coin flip whatever the model says (annotator noise): each model's
   * probability is mixed with ½ by this much, so one flipped vote cannot wipe out a model that
   * is otherwise right. AlpacaFarm's simulated annotators flip 2p of labels with p ≈ 0.1–0.25;
   * people disagree with themselves at similar rates.
   */
  lapse?: number;
}

export interface ModelAverageState {
  /** Posterior probability of each model: index 0 is the full model, then one per feature. */
  weights: number[];
  /** Per one-feature model: posterior mean and std of its weight. */
  features: { name: string; mean: number; std: number }[];
}

interface Observation {
  x: Float64Array;
  /** 1 if a won, 0 if b won. */
  y: number;
}

export class ModelAverage {
  readonly config: Readonly<Required<ModelAverageConfig>>;
  /** Log prior + prequential log-likelihood per model (full first). */
  private readonly logEvidence: Float64Array;
  private readonly observations: Observation[] = [];
  /** Laplace posterior of each one-feature model. */
  private readonly mean: Float64Array;
  private readonly variance: Float64Array;

  constructor(config: ModelAverageConfig) {
    this.config = { priorVariance: 1, fullPrior: 0.5, lapse: 0.1, ...config };
    const n = this.config.features.length;
    if (n < 1) throw new RangeError('a model average needs at least one feature');
    if (!(this.config.fullPrior > 0 && this.config.fullPrior < 1)) throw new RangeError('fullPrior must be in (0, 1)');
    if (!(this.config.lapse >= 0 && this.config.lapse < 1)) throw new RangeError('lapse must be in [0, 1)');
    this.logEvidence = new Float64Array(n + 1);
    this.logEvidence[0] = Math.log(this.config.fullPrior);
    for (let k = 1; k <= n; k++) this.logEvidence[k] = Math.log((1 - this.config.fullPrior) / n);
    this.mean = new Float64Array(n);
    this.variance = new Float64Array(n).fill(this.config.priorVariance);
  }

  /** P(a ≻ b) of each model: the full model's `pFull` first, then each one-feature model's. */
  private predictions(pFull: number, x: ArrayLike<number>): Float64Array {
    const n = this.config.features.length;
    if (x.length !== n) throw new RangeError(`expected ${n} feature differences, got ${x.length}`);
    const out = new Float64Array(n + 1);
    out[0] = pFull;
    for (let k = 0; k < n; k++) {
      const xk = x[k]!;
      out[k + 1] = sigmoid((this.mean[k]! * xk) / Math.sqrt(1 + (Math.PI * this.variance[k]! * xk * xk) / 8));
    }
    const lapse = this.config.lapse;
    for (let m = 0; m <= n; m++) out[m] = lapse / 2 + (1 - lapse) * out[m]!;
    return out;
  }

  /** Posterior model probabilities (full first). */
  modelWeights(): Float64Array {
    const max = Math.max(...this.logEvidence);
    const w = this.logEvidence.map((l) => Math.exp(l - max));
    const sum = w.reduce((a, b) => a + b, 0);
    return w.map((v) => v / sum);
  }

  /**
   * The averaged P(a ≻ b): Σ_m P(m | votes so far) · P_m(a ≻ b). `pFull` is the full model's
   * prediction, `x` the features' differences a − b (spread units).
   */
  predict(pFull: number, x: ArrayLike<number>): number {
    const p = this.predictions(pFull, x);
    const w = this.modelWeights();
    let out = 0;
    for (let m = 0; m < p.length; m++) out += w[m]! * p[m]!;
    return out;
  }

  /**
   * After a decisive vote: every model's evidence is multiplied by the probability it gave the
   * outcome (with `pFull`, the full model's prediction made before it learned the vote), then
   * each one-feature model learns the vote.
   */
  observe(pFull: number, x: ArrayLike<number>, aWon: boolean): void {
    const p = this.predictions(pFull, x);
    for (let m = 0; m < p.length; m++) this.logEvidence[m] += Math.log(aWon ? p[m]! : 1 - p[m]!);
    this.observations.push({ x: Float64Array.from(x), y: aWon ? 1 : 0 });
    for (let k = 0; k < this.config.features.length; k++) this.fit(k);
  }

  /** Laplace posterior of one-feature model k: Newton's method for the MAP, then the curvature there. */
  private fit(k: number): void {
    const prec0 = 1 / this.config.priorVariance;
    let w = this.mean[k]!;
    let h = prec0;
    for (let it = 0; it < 25; it++) {
      let g = prec0 * w;
      h = prec0;
      for (const o of this.observations) {
        const xk = o.x[k]!;
        if (xk === 0) continue;
        const s = sigmoid(w * xk);
        g += (s - o.y) * xk;
        h += s * (1 - s) * xk * xk;
      }
      const step = g / h;
      w -= step;
      if (Math.abs(step) < 1e-10) break;
    }
    // Curvature at the final w.
    h = prec0;
    for (const o of this.observations) {
      const xk = o.x[k]!;
      const s = sigmoid(w * xk);
      h += s * (1 - s) * xk * xk;
    }
    this.mean[k] = w;
    this.variance[k] = 1 / h;
  }

  get state(): ModelAverageState {
    return {
      weights: [...this.modelWeights()],
      features: this.config.features.map((name, k) => ({ name, mean: this.mean[k]!, std: Math.sqrt(this.variance[k]!) })),
    };
  }
}
