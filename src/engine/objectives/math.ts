/**
 * Scalar numerics shared by the objectives, the reward model and the statistics.
 * Everything is float64 (JS numbers); callers may pass Float32Array inputs.
 */

/** softplus(x) = log(1 + e^x), stable for large |x|. */
export function softplus(x: number): number {
  // For x > 0: x + log1p(e^-x); for x ≤ 0: log1p(e^x). Neither branch overflows.
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

/** log σ(x) = −softplus(−x): never takes log of a rounded-to-zero sigmoid. */
export function logSigmoid(x: number): number {
  return -softplus(-x);
}

/** σ(x), evaluated on the side that does not overflow. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** log Σ exp(xᵢ) with the max subtracted first. Empty input gives −∞. */
export function logSumExp(xs: ArrayLike<number>, start = 0, end = xs.length): number {
  let m = -Infinity;
  for (let i = start; i < end; i++) m = Math.max(m, xs[i]!);
  if (m === -Infinity) return -Infinity;
  let s = 0;
  for (let i = start; i < end; i++) s += Math.exp(xs[i]! - m);
  return m + Math.log(s);
}

/** Arithmetic mean; NaN for an empty input (matches torch's mean of an empty tensor). */
export function mean(xs: ArrayLike<number>): number {
  if (xs.length === 0) return NaN;
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  return s / xs.length;
}
