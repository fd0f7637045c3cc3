/**
 * Causal attention for the CPU backend on the WebAssembly SIMD matmul: the contract of
 * `attentionRef` / `attentionBackwardRef` (src/kernels/reference.ts), computed per (batch, head)
 * as small matmuls instead of scalar dot products.
 *
 * Why: the scalar reference runs at about 1.2 ns per multiply-add in V8 and took 20 % of the
 * shipped policy's forward pass (8 × 64 tokens); QKᵀ and P·V as SIMD matmuls cost a fraction of
 * that even with the copies in and out. The full T×T score matrix is multiplied (the causal
 * half above the diagonal is computed and then ignored, or multiplied by P's zeros), which
 * wastes half the flops but keeps every product inside one kernel call.
 *
 * Numerics: products are summed in float32 by the matmul (the reference sums in float64), so
 * results agree with the reference to about 1e-6 relative; the softmax itself is computed in
 * float64 as in the reference. Deterministic: the same inputs give the same bits.
 */
import { matmulWasm } from './matmul';

/** Per-call scratch, grown on demand and reused (attention runs once per layer per pass). */
class Scratch {
  q = new Float32Array(0);
  k = new Float32Array(0);
  v = new Float32Array(0);
  dy = new Float32Array(0);
  s = new Float32Array(0);
  dp = new Float32Array(0);
  o1 = new Float32Array(0);
  o2 = new Float32Array(0);
  o3 = new Float32Array(0);
  /** One softmax row's exponentials, kept in float64 as the reference does. */
  e64 = new Float64Array(0);
  ensure(T: number, D: number): void {
    if (this.q.length < T * D) {
      for (const key of ['q', 'k', 'v', 'dy', 'o1', 'o2', 'o3'] as const) this[key] = new Float32Array(T * D);
    }
    if (this.s.length < T * T) {
      this.s = new Float32Array(T * T);
      this.dp = new Float32Array(T * T);
      this.e64 = new Float64Array(T);
    }
  }
}
const scratch = new Scratch();

/** dst[t·D + d] = src[(b·T + t)·stride + off + d]: one head's [T, D] slice of a packed tensor. */
function gatherHead(src: Float32Array, dst: Float32Array, b: number, T: number, D: number, stride: number, off: number): void {
  for (let t = 0; t < T; t++) {
    const s = (b * T + t) * stride + off;
    dst.set(src.subarray(s, s + D), t * D);
  }
}

/** Head h of batch row b: its Q, K and V slices of the packed qkv [B·T, 3C]. */
function gatherQkv(qkv: Float32Array, w: Scratch, b: number, h: number, T: number, D: number, C: number): void {
  gatherHead(qkv, w.q, b, T, D, 3 * C, h * D);
  gatherHead(qkv, w.k, b, T, D, 3 * C, C + h * D);
  gatherHead(qkv, w.v, b, T, D, 3 * C, 2 * C + h * D);
}

/** The inverse of gatherHead. */
function scatterHead(src: Float32Array, dst: Float32Array, b: number, T: number, D: number, stride: number, off: number): void {
  for (let t = 0; t < T; t++) dst.set(src.subarray(t * D, t * D + D), (b * T + t) * stride + off);
}

/** Causal attention on packed qkv [B·T, 3C]; writes y [B·T, C] and probs [B, H, T, T]. */
export function attentionWasm(
  qkv: Float32Array,
  y: Float32Array,
  probs: Float32Array,
  B: number,
  T: number,
  H: number,
  C: number,
): void {
  const D = C / H;
  const scale = 1 / Math.sqrt(D);
  const w = scratch;
  w.ensure(T, D);
  const { q, k, v, s: S, o1: yh, e64 } = w;
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      gatherQkv(qkv, w, b, h, T, D, C);
      matmulWasm(q, k, S, T, D, T, false, true, null, false);
      const pOff = (b * H + h) * T * T;
      const P = probs.subarray(pOff, pOff + T * T);
      for (let t = 0; t < T; t++) {
        const row = t * T;
        let max = -Infinity;
        for (let j = 0; j <= t; j++) {
          const x = S[row + j] * scale;
          if (x > max) max = x;
        }
        let sum = 0;
        for (let j = 0; j <= t; j++) {
          const e = Math.exp(S[row + j] * scale - max);
          e64[j] = e;
          sum += e;
        }
        for (let j = 0; j <= t; j++) P[row + j] = e64[j] / sum;
        P.fill(0, row + t + 1, row + T);
      }
      matmulWasm(P, v, yh, T, T, D, false, false, null, false);
      scatterHead(yh, y, b, T, D, C, h * D);
    }
  }
}

/**
 * Backward of attentionWasm with the stored probabilities P (as attentionBackwardRef):
 * dV = Pᵀ·dY, dP = dY·Vᵀ, dS = P ⊙ (dP − rowsum(dP ⊙ P))·scale, dQ = dS·K, dK = dSᵀ·Q.
 * Writes every element of dqkv.
 */
export function attentionBackwardWasm(
  dy: Float32Array,
  qkv: Float32Array,
  probs: Float32Array,
  dqkv: Float32Array,
  B: number,
  T: number,
  H: number,
  C: number,
): void {
  const D = C / H;
  const scale = 1 / Math.sqrt(D);
  const C3 = 3 * C;
  const w = scratch;
  w.ensure(T, D);
  const { q, k, v, dy: dyh, s: dS, dp: dP, o1: dq, o2: dk, o3: dv } = w;
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      gatherQkv(qkv, w, b, h, T, D, C);
      gatherHead(dy, dyh, b, T, D, C, h * D);
      const pOff = (b * H + h) * T * T;
      const P = probs.subarray(pOff, pOff + T * T);
      matmulWasm(P, dyh, dv, T, T, D, true, false, null, false);
      matmulWasm(dyh, v, dP, T, D, T, false, true, null, false);
      for (let t = 0; t < T; t++) {
        const row = t * T;
        let rowDot = 0;
        for (let j = 0; j <= t; j++) rowDot += dP[row + j] * P[row + j];
        for (let j = 0; j <= t; j++) dS[row + j] = P[row + j] * (dP[row + j] - rowDot) * scale;
        dS.fill(0, row + t + 1, row + T);
      }
      matmulWasm(dS, k, dq, T, T, D, false, false, null, false);
      matmulWasm(dS, q, dk, T, T, D, true, false, null, false);
      scatterHead(dq, dqkv, b, T, D, C3, h * D);
      scatterHead(dk, dqkv, b, T, D, C3, C + h * D);
      scatterHead(dv, dqkv, b, T, D, C3, 2 * C + h * D);
    }
  }
}
