/**
 * Bayesian model averaging over small explanations of a person's votes, each a Bayesian
 * logistic model on a few feature columns (a generalisation of scripts/rm/model_average.ts,
 * whose candidates are one column each). The online loop weighs its reward model against the
 * style principles, length ideal points and "has words" this way (src/engine/learning/explanations.ts).
 *
 * Each candidate m reads columns S_m of the feature differences x = φ(a) − φ(b), with
 * w ~ N(0, v_m·I) (v_m its own `priorVariance` or the mixture's) and P(a ≻ b) = σ(w·x_S).
 * Its posterior is the Laplace
 * approximation at the MAP (Newton's method; |S_m| ≤ a dozen, so the Hessian is tiny), its
 * predictive probability the probit approximation σ(μ / √(1 + π s² / 8)) with μ = m·x_S and
 * s² = x_Sᵀ Σ x_S (MacKay 1992). Candidates are weighted by prior × prequential likelihood
 * (the product of the probabilities each gave the votes before seeing them; Dawid 1984), each
 * probability mixed with ½ by `lapse` so one flipped vote cannot wipe out a right model. With
 * `ties`, a tie and a decisive vote also weigh each model by Davidson's (1970) tie probability
 * on its log-odds (`observeTie`): a model that calls a pair close expects a tie there, or by
 * its own P(tie) where an outside model has one. Outside models (the loop's reward model and
 * its group test over words, `WordMentions`) enter with the predictions they made before each
 * vote. `judge` gives the mixture's call with its uncertainty, for acting on it.
 */
import { sigmoid } from '../objectives/math.ts';
import { invertSpd } from './ensemble.ts';

export interface MixtureCandidate {
  name: string;
  /** Columns of x this model reads. */
  columns: readonly number[];
  /** Prior probability (the full model's is `fullPrior`; all priors are renormalised). */
  prior: number;
  /** Prior variance of each of its weights (default: the mixture's `priorVariance`). */
  priorVariance?: number;
}

export interface EvidenceMixtureConfig {
  candidates: readonly MixtureCandidate[];
  /** Prior probability of each outside model (the loop's reward model first), whose predictions `predict` and `observe` are given. */
  externalPriors: readonly number[];
  priorVariance?: number;
  lapse?: number;
  /**
   * Votes each explanation is fitted on: the most recent ones (default 512, the reward model's
   * buffer). Its cost per vote is this × candidates × Newton steps × columns², so a long
   * session does not grow it without bound; the evidence itself keeps accumulating.
   */
  maxObservations?: number;
  /** Weigh the models also by how well they expect ties (`observeTie`); default off. */
  ties?: boolean;
}

interface Fit {
  mean: Float64Array;
  /** Posterior covariance, row-major |S|×|S|. */
  cov: Float64Array;
}

export class EvidenceMixture {
  private readonly logEvidence: Float64Array;
  private readonly fits: Fit[];
  /**
   * For each model, the 2·cosh(d/2) of the log-odds d it gave each vote it was asked about
   * (decisive or tie), and which were ties: what its tie rate ν is estimated from.
   */
  private readonly tieHistory: { c: number[]; tie: boolean[] }[];
  private readonly xs: Float64Array[] = [];
  private readonly ys: number[] = [];
  private readonly priorVariance: number;
  private readonly lapse: number;
  private readonly maxObservations: number;

  constructor(private readonly config: EvidenceMixtureConfig) {
    this.priorVariance = config.priorVariance ?? 1;
    this.lapse = config.lapse ?? 0.1;
    this.maxObservations = config.maxObservations ?? 512;
    for (const c of config.candidates) {
      if (c.priorVariance !== undefined && !(c.priorVariance > 0)) throw new RangeError(`candidate ${c.name}: priorVariance must be > 0, got ${c.priorVariance}`);
    }
    if (!(this.priorVariance > 0)) throw new RangeError(`priorVariance must be > 0, got ${this.priorVariance}`);
    const priors = [...config.externalPriors, ...config.candidates.map((c) => c.prior)];
    const total = priors.reduce((s, p) => s + p, 0);
    this.logEvidence = Float64Array.from(priors, (p) => Math.log(p / total));
    this.tieHistory = priors.map(() => ({ c: [], tie: [] }));
    this.fits = config.candidates.map((c) => {
      const n = c.columns.length;
      const cov = new Float64Array(n * n);
      for (let i = 0; i < n; i++) cov[i * n + i] = c.priorVariance ?? this.priorVariance;
      return { mean: new Float64Array(n), cov };
    });
  }

  /** Candidate m's predictive P(a ≻ b) (probit approximation), and its std by the delta method: p(1 − p)·√(xᵀΣx). */
  private predictOne(m: number, x: ArrayLike<number>): { p: number; std: number } {
    const cols = this.config.candidates[m]!.columns;
    const { mean, cov } = this.fits[m]!;
    const n = cols.length;
    let mu = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      const xi = x[cols[i]!]!;
      mu += mean[i]! * xi;
      for (let j = 0; j < n; j++) s2 += xi * cov[i * n + j]! * x[cols[j]!]!;
    }
    const p = sigmoid(mu / Math.sqrt(1 + (Math.PI * Math.max(0, s2)) / 8));
    return { p, std: p * (1 - p) * Math.sqrt(Math.max(0, s2)) };
  }

  /** Each model's P(a ≻ b | decisive) before the lapse, and its variance (outside models: as given, 0 when not). */
  private modelCalls(pExternal: readonly number[], x: ArrayLike<number>, externalStd: readonly number[] = []): { p: Float64Array; variance: Float64Array } {
    const E = this.config.externalPriors.length;
    if (pExternal.length !== E) throw new RangeError(`expected ${E} outside predictions, got ${pExternal.length}`);
    const p = new Float64Array(this.fits.length + E);
    const variance = new Float64Array(p.length);
    for (let m = 0; m < E; m++) {
      p[m] = pExternal[m]!;
      variance[m] = (externalStd[m] ?? 0) ** 2;
    }
    for (let m = 0; m < this.fits.length; m++) {
      const one = this.predictOne(m, x);
      p[m + E] = one.p;
      variance[m + E] = one.std ** 2;
    }
    return { p, variance };
  }

  /** Candidate m's Laplace posterior: mean and covariance (row-major) over its columns. */
  posterior(m: number): { mean: Float64Array; cov: Float64Array } {
    const f = this.fits[m]!;
    return { mean: Float64Array.from(f.mean), cov: Float64Array.from(f.cov) };
  }

  /** The candidates' names, in the order `weights` gives them after the outside models. */
  get candidateNames(): string[] {
    return this.config.candidates.map((c) => c.name);
  }

  /** Posterior probability of each model: the outside models first, then the candidates. */
  weights(): Float64Array {
    const max = Math.max(...this.logEvidence);
    const w = this.logEvidence.map((l) => Math.exp(l - max));
    const sum = w.reduce((a, b) => a + b, 0);
    return w.map((v) => v / sum);
  }

  /** The mixture's predictive P(a ≻ b) of the next vote (`judge`'s `pAB`). */
  predict(pExternal: readonly number[], x: ArrayLike<number>): number {
    return this.judge(pExternal, x).pAB;
  }

  /**
   * The mixture's call on a pair, for acting on it (relabelling):
   * - `pAB`: the predictive P(a ≻ b) of the next vote, lapse included (what `predict` returns);
   * - `tastePAB`: the same average without the lapse: how sure the models are about which answer
   *   the person prefers, rather than about the vote, which a lapse can flip (so it can leave
   *   [lapse/2, 1 − lapse/2]);
   * - `std`: the uncertainty of `tastePAB` by the law of total variance, the posterior-weighted
   *   spread of the models' P(a ≻ b) around it plus the weighted variance within each model
   *   (an explanation's from its Laplace posterior by the delta method, an outside model's as
   *   given in `externalStd`, e.g. an ensemble's heads' std; 0 when not given), capped at ½,
   *   the largest std a probability can have (so a bound of ½ never rejects).
   */
  judge(pExternal: readonly number[], x: ArrayLike<number>, externalStd: readonly number[] = []): { pAB: number; tastePAB: number; std: number } {
    const { p, variance: within } = this.modelCalls(pExternal, x, externalStd);
    const w = this.weights();
    let taste = 0;
    for (let m = 0; m < p.length; m++) taste += w[m]! * p[m]!;
    let variance = 0;
    for (let m = 0; m < p.length; m++) variance += w[m]! * ((p[m]! - taste) ** 2 + within[m]!);
    // A probability's std is at most ½ (the delta method can overshoot that for a wide posterior).
    return { pAB: this.lapse / 2 + (1 - this.lapse) * taste, tastePAB: taste, std: Math.min(0.5, Math.sqrt(variance)) };
  }

  /**
   * Davidson's (1970) tie model on a model's log-odds d: P(tie) = ν / (2·cosh(d/2) + ν), so a
   * model that calls a pair close expects a tie there and one that calls it clear does not (an
   * outside model that gives its own P(tie) in `externalTie` is weighed by that instead). ν
   * is each model's own maximum-likelihood tie rate on the votes before this one (with one
   * pseudo-tie and one pseudo-decisive vote at d = 0, so it is never 0 or ∞).
   */
  private tieProbabilities(closeness: Float64Array, externalTie: readonly (number | undefined)[]): Float64Array {
    if (externalTie.length > this.config.externalPriors.length) throw new RangeError(`at most ${this.config.externalPriors.length} outside tie probabilities, got ${externalTie.length}`);
    return closeness.map((c, m) => {
      const own = externalTie[m];
      if (own !== undefined) {
        if (!(own > 0 && own < 1)) throw new RangeError(`an outside model's P(tie) must be in (0, 1), got ${own}`);
        return own;
      }
      const nu = this.tieRate(m);
      return nu / (c + nu);
    });
  }

  /**
   * Model m's tie rate ν: the maximum likelihood over its latest `maxObservations` votes plus
   * the two pseudo-votes. With c_i = 2·cosh(d_i/2) and T ties, the log-likelihood
   * T·ln ν − Σ ln(c_i + ν) is concave in u = ln ν, with derivative T − Σ ν/(c_i + ν): bisection
   * on its sign finds the one maximum.
   */
  tieRate(m: number): number {
    const h = this.tieHistory[m]!;
    const T = h.tie.filter(Boolean).length + 1;
    const slope = (nu: number) => {
      let s = T - (2 * nu) / (2 + nu); // the two pseudo-votes at d = 0 (c = 2)
      for (const c of h.c) s -= nu / (c + nu);
      return s;
    };
    let lo = Math.log(1e-6);
    let hi = Math.log(1e6);
    for (let it = 0; it < 60; it++) {
      const mid = (lo + hi) / 2;
      if (slope(Math.exp(mid)) > 0) lo = mid;
      else hi = mid;
    }
    return Math.exp((lo + hi) / 2);
  }

  /** 2·cosh(d/2) of each model's call, d its log-odds: 2 for a coin flip, large for a clear call. */
  private static closeness(calls: Float64Array): Float64Array {
    return calls.map((p) => {
      const q = Math.min(1 - 1e-9, Math.max(1e-9, p));
      return 2 * Math.cosh(Math.log(q / (1 - q)) / 2);
    });
  }

  private recordTieHistory(closeness: Float64Array, tie: boolean): void {
    closeness.forEach((c, m) => {
      const h = this.tieHistory[m]!;
      h.c.push(c);
      h.tie.push(tie);
      if (h.c.length > this.maxObservations) {
        h.c.shift();
        h.tie.shift();
      }
    });
  }

  /**
   * A tie: with `ties` on, each model's evidence gains its P(tie) (`tieProbabilities`); no fit
   * changes (the explanations are fitted on decisive votes). Without, a tie weighs nothing.
   * `externalTie[m]`, where given, is outside model m's own P(tie) for this pair, used instead
   * of Davidson's on its call (a model of its own ties, such as `WordMentions`); `observe` takes
   * the same, for its P(decisive) = 1 − P(tie).
   */
  observeTie(pExternal: readonly number[], x: ArrayLike<number>, externalTie: readonly (number | undefined)[] = []): void {
    if (!this.config.ties) return;
    const closeness = EvidenceMixture.closeness(this.modelCalls(pExternal, x).p);
    const tie = this.tieProbabilities(closeness, externalTie);
    for (let m = 0; m < tie.length; m++) this.logEvidence[m] += Math.log(tie[m]!);
    this.recordTieHistory(closeness, true);
  }

  observe(pExternal: readonly number[], x: ArrayLike<number>, aWon: boolean, externalTie: readonly (number | undefined)[] = []): void {
    const calls = this.modelCalls(pExternal, x).p;
    const p = calls.map((q) => this.lapse / 2 + (1 - this.lapse) * q);
    if (this.config.ties) {
      // A decisive vote is also "not a tie": each model's P(decisive) = 1 − P(tie).
      const closeness = EvidenceMixture.closeness(calls);
      const tie = this.tieProbabilities(closeness, externalTie);
      for (let m = 0; m < p.length; m++) this.logEvidence[m] += Math.log(1 - tie[m]!);
      this.recordTieHistory(closeness, false);
    }
    for (let m = 0; m < p.length; m++) this.logEvidence[m] += Math.log(aWon ? p[m]! : 1 - p[m]!);
    this.xs.push(Float64Array.from(x));
    this.ys.push(aWon ? 1 : 0);
    if (this.xs.length > this.maxObservations) {
      this.xs.shift();
      this.ys.shift();
    }
    for (let m = 0; m < this.fits.length; m++) this.fit(m);
  }

  /** Newton's method for the MAP of candidate m, then the inverse Hessian there. */
  private fit(m: number): void {
    const cols = this.config.candidates[m]!.columns;
    const n = cols.length;
    const w = Float64Array.from(this.fits[m]!.mean);
    const prec = 1 / (this.config.candidates[m]!.priorVariance ?? this.priorVariance);
    const H = new Float64Array(n * n);
    const g = new Float64Array(n);
    const hessian = () => {
      H.fill(0);
      g.fill(0);
      for (let i = 0; i < n; i++) {
        H[i * n + i] = prec;
        g[i] = prec * w[i]!;
      }
      for (let o = 0; o < this.xs.length; o++) {
        const x = this.xs[o]!;
        let u = 0;
        for (let i = 0; i < n; i++) u += w[i]! * x[cols[i]!]!;
        const s = sigmoid(u);
        const r = s - this.ys[o]!;
        const c = s * (1 - s);
        for (let i = 0; i < n; i++) {
          const xi = x[cols[i]!]!;
          if (xi === 0) continue;
          g[i] += r * xi;
          for (let j = 0; j < n; j++) H[i * n + j] += c * xi * x[cols[j]!]!;
        }
      }
    };
    // H is the prior precision plus a positive semi-definite sum, so always positive definite;
    // n ≤ a dozen, so inverting it for each Newton step (invertSpd) costs nothing.
    for (let it = 0; it < 30; it++) {
      hessian();
      const Hinv = invertSpd(H, n);
      let size = 0;
      for (let i = 0; i < n; i++) {
        let step = 0;
        for (let j = 0; j < n; j++) step += Hinv[i * n + j]! * g[j]!;
        w[i] -= step;
        size = Math.max(size, Math.abs(step));
      }
      if (size < 1e-9) break;
    }
    hessian();
    this.fits[m] = { mean: w, cov: invertSpd(H, n) };
  }
}
