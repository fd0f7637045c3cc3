/**
 * One person's taste on the style principles, from their own votes only: a Bayesian logistic
 * (Bradley–Terry) model P(chosen ≻ rejected) = σ(wᵀ(φ(chosen) − φ(rejected))), where φ is the
 * principle features in spread units (`principleFeatures` / each axis's `spread`) and
 * w ~ N(0, σ₀² I) a priori. The MAP weights come from Newton's method; the interval is the
 * Laplace approximation (the inverse Hessian at the MAP). Eight weights, no model weights
 * involved: cheap enough to refit for every annotator of a crowd on every vote.
 *
 * This is not the pooled reward model (which also reads tokens, words and the policy's own
 * features, and takes statements and critiques): it answers "what does this person's voting
 * say about the principles", which is what comparing people needs.
 */
import { sigmoid } from '../objectives/math';
import { PRINCIPLE_AXES, principleFeatures, principleSpreads } from '../principles/principles';
import { choleskySolveInPlace, robustCholesky, spdInverse } from '../ratings/linalg';

export interface TastePair {
  chosen: string;
  rejected: string;
}

export interface AxisTaste {
  axis: string;
  /** Log-odds of winning per spread more of the axis, other things equal (> 0: prefers more). */
  weight: number;
  /** Laplace standard deviation of `weight`. */
  std: number;
  /** 95 % interval. */
  low: number;
  high: number;
}

/** The prior's standard deviation: one spread moves the odds by at most a few times, a priori. */
export const TASTE_PRIOR_STD = 1;
const NEWTON_ITERATIONS = 30;

/** The feature differences φ(chosen) − φ(rejected) in spread units, one row per pair. */
export function tasteDesign(pairs: readonly TastePair[], features: (text: string) => Float64Array = principleFeatures): Float64Array[] {
  const spreads = principleSpreads();
  return pairs.map(({ chosen, rejected }) => {
    const c = features(chosen);
    const r = features(rejected);
    return Float64Array.from(spreads, (s, k) => (c[k]! - r[k]!) / s);
  });
}

/** MAP weights and Laplace covariance diagonal of the model above, from design rows `x`. */
export function fitTaste(x: readonly Float64Array[], priorStd = TASTE_PRIOR_STD): { mean: Float64Array; std: Float64Array } {
  const d = PRINCIPLE_AXES.length;
  const precision = 1 / (priorStd * priorStd);
  const w = new Float64Array(d);
  const hessian = (): Float64Array => {
    const h = new Float64Array(d * d);
    for (let i = 0; i < d; i++) h[i * d + i] = precision;
    for (const row of x) {
      const p = sigmoid(dot(w, row));
      const c = p * (1 - p);
      for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) h[i * d + j] += c * row[i]! * row[j]!;
    }
    return h;
  };
  for (let it = 0; it < NEWTON_ITERATIONS; it++) {
    // Gradient of the negative log posterior: −Σ (1 − p) x + w/σ₀².
    const g = new Float64Array(d);
    for (let i = 0; i < d; i++) g[i] = precision * w[i]!;
    for (const row of x) {
      const p = sigmoid(dot(w, row));
      for (let i = 0; i < d; i++) g[i] -= (1 - p) * row[i]!;
    }
    const step = g;
    choleskySolveInPlace(robustCholesky(hessian(), d).factor, d, step);
    let moved = 0;
    for (let i = 0; i < d; i++) {
      w[i] -= step[i]!;
      moved = Math.max(moved, Math.abs(step[i]!));
    }
    if (moved < 1e-10) break;
  }
  // Laplace: the covariance is the inverse Hessian at the MAP.
  const { inverse } = spdInverse(hessian(), d);
  const std = Float64Array.from({ length: d }, (_, i) => Math.sqrt(inverse[i * d + i]!));
  return { mean: w, std };
}

/**
 * A person's taste on every axis, strongest first. `features` is `principleFeatures` (a caller
 * that refits often passes a cached one).
 */
export function personalTaste(pairs: readonly TastePair[], features: (text: string) => Float64Array = principleFeatures, priorStd = TASTE_PRIOR_STD): AxisTaste[] {
  const { mean, std } = fitTaste(tasteDesign(pairs, features), priorStd);
  return PRINCIPLE_AXES.map((axis, k) => ({ axis: axis.id, weight: mean[k]!, std: std[k]!, low: mean[k]! - 1.96 * std[k]!, high: mean[k]! + 1.96 * std[k]! })).sort(
    (a, b) => Math.abs(b.weight) - Math.abs(a.weight) || a.axis.localeCompare(b.axis),
  );
}

/**
 * Axes where two people's tastes differ: |w₁ − w₂| > 1.96·√(s₁² + s₂²) (their posteriors are
 * independent: each is fitted on that person's votes alone), largest difference first.
 */
export function tasteDifferences(a: readonly AxisTaste[], b: readonly AxisTaste[]): { axis: string; difference: number; z: number }[] {
  const byAxis = new Map(b.map((t) => [t.axis, t]));
  const out: { axis: string; difference: number; z: number }[] = [];
  for (const ta of a) {
    const tb = byAxis.get(ta.axis);
    if (!tb) continue;
    const difference = ta.weight - tb.weight;
    const z = difference / Math.sqrt(ta.std * ta.std + tb.std * tb.std);
    if (Math.abs(z) > 1.96) out.push({ axis: ta.axis, difference, z });
  }
  return out.sort((x, y) => Math.abs(y.z) - Math.abs(x.z));
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}
