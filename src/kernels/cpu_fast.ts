/**
 * Faster float32 versions of the CPU backend's elementwise kernels. The functions in
 * reference.ts stay the oracle (and run in the float64 backend that gradient checks use); these
 * trade a bounded, tested error for speed where profiling showed the reference dominating.
 *
 * GELU ("gelu_new", the tanh form) spent 16 % of the shipped policy's forward pass in
 * `Math.tanh`. A rational approximation of tanh, evaluated in float64 with only +, ×, ÷ and a
 * clamp, computed GELU over 512K floats in 3.0 ms against 7.3 ms with `Math.tanh` in Chromium
 * (2.8 ms against 8.4 ms in Node) and, unlike `Math.tanh` (whose last bits the spec leaves to
 * each engine), gives the same bits in every JavaScript engine. A fast `exp` in JavaScript was
 * tried for the log-softmax and for tanh and dropped: in Chromium it was no faster than
 * `Math.exp` (13 ms against 14 ms per 2M), called through a function twice as slow.
 */

import { GELU_C } from './reference';

/**
 * tanh(u) ≈ u·p(u²)/q(u²) on the clamp [−7.9053, 7.9053], outside which float32 tanh is ±1.
 * Coefficients: Eigen's `generic_fast_tanh_float` (Eigen/src/Core/MathFunctionsImpl.h), a
 * 13/6 rational fit for float32. Measured against `Math.tanh` on a 1e-4 grid of [−12, 12]:
 * max |error| 2.6e-7, relative error under 1.3e-7 for |u| ≤ 1 (about one float32 ulp).
 */
export function tanhRational(u: number): number {
  const x = u > 7.90531110763549805 ? 7.90531110763549805 : u < -7.90531110763549805 ? -7.90531110763549805 : u;
  const z = x * x;
  const p =
      ((((((-2.76076847742355e-16 * z + 2.00018790482477e-13) * z - 8.60467152213735e-11) * z +
        5.12229709037114e-8) * z + 1.48572235717979e-5) * z + 6.37261928875436e-4) * z +
        4.89352455891786e-3) * x;
  const q = ((1.19825839466702e-6 * z + 1.18534705686654e-4) * z + 2.268434632439e-3) * z + 4.89352518554385e-3;
  return p / q;
}

/** y = gelu_new(x), as `geluRef` with `tanhRational` for `Math.tanh`. */
export function geluFast(x: Float32Array, y: Float32Array): void {
  const n = x.length;
  for (let i = 0; i < n; i++) {
    const v = x[i];
    y[i] = 0.5 * v * (1 + tanhRational(GELU_C * (v + 0.044715 * v * v * v)));
  }
}

/**
 * dx = dy · gelu_new′(x), as `geluBackwardRef` with `tanhRational` for `Math.tanh`, except
 * that for |u| > 3 the derivative's 1 − tanh²u is computed as 4e/(1 + e)² with e = e^(−2|u|):
 * there 1 − tanh² is under 0.01 and the rational tanh's ~3e-7 absolute error, multiplied by
 * the derivative's factor ∝ x³, made errors of 1e-3 at |x| = 40.
 */
export function geluBackwardFast(dy: Float32Array, x: Float32Array, dx: Float32Array): void {
  const n = x.length;
  for (let i = 0; i < n; i++) {
    const v = x[i];
    const u = GELU_C * (v + 0.044715 * v * v * v);
    const t = tanhRational(u);
    let sech2: number;
    if (u > 3 || u < -3) {
      const e = Math.exp(u < 0 ? 2 * u : -2 * u);
      sech2 = (4 * e) / ((1 + e) * (1 + e));
    } else sech2 = 1 - t * t;
    const du = GELU_C * (1 + 3 * 0.044715 * v * v);
    dx[i] = dy[i] * (0.5 * (1 + t) + 0.5 * v * sech2 * du);
  }
}

/**
 * C = A·Bᵀ (+ bias), any M; written for a few rows of A: the LM head while decoding
 * ([B,C]·[V,C]ᵀ with B ≤ 3, where transposing B for the wasm kernel costs more than it saves;
 * without wasm every A·Bᵀ of the fast backend comes here). The same sums as
 * `matmulRef`'s transB branch, bit for bit (each output one float64 sum over k in order), but
 * four rows of B per pass share each load of A's element: the draw's LM head took 117 ms of a
 * 2 × 64-token draw in the page's profile.
 */
export function matmulFewRowsNT(
  a: Float32Array,
  b: Float32Array,
  out: Float32Array,
  M: number,
  K: number,
  N: number,
  bias: Float32Array | null,
  accumulate: boolean,
): void {
  for (let i = 0; i < M; i++) {
    const aOff = i * K;
    const oOff = i * N;
    let j = 0;
    for (; j + 4 <= N; j += 4) {
      const b0 = j * K;
      const b1 = b0 + K;
      const b2 = b1 + K;
      const b3 = b2 + K;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let k = 0; k < K; k++) {
        const av = a[aOff + k]!;
        s0 += av * b[b0 + k]!;
        s1 += av * b[b1 + k]!;
        s2 += av * b[b2 + k]!;
        s3 += av * b[b3 + k]!;
      }
      storeSum(out, oOff + j, s0, bias, j, accumulate);
      storeSum(out, oOff + j + 1, s1, bias, j + 1, accumulate);
      storeSum(out, oOff + j + 2, s2, bias, j + 2, accumulate);
      storeSum(out, oOff + j + 3, s3, bias, j + 3, accumulate);
    }
    for (; j < N; j++) {
      const bOff = j * K;
      let s = 0;
      for (let k = 0; k < K; k++) s += a[aOff + k]! * b[bOff + k]!;
      storeSum(out, oOff + j, s, bias, j, accumulate);
    }
  }
}

/** `matmulRef`'s store: the float64 sum plus the bias, rounded once into (or onto) the float32 output. */
function storeSum(out: Float32Array, at: number, sum: number, bias: Float32Array | null, j: number, accumulate: boolean): void {
  const v = sum + (bias ? bias[j]! : 0);
  out[at] = accumulate ? out[at]! + v : v;
}
