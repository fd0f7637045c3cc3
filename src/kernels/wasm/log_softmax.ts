/**
 * Log-softmax with a gather of the targets' log-probs, forward and backward, for the CPU
 * backend: the contract of `logSoftmaxGatherRef` / `logSoftmaxGatherBackwardRef`
 * (src/kernels/reference.ts), with the row max and the exponentials in WebAssembly SIMD
 * (`rowmax`, `expshift` in matmul_simd.wat).
 *
 * Why: the reference's `Math.exp` over every vocabulary entry of every position took about
 * 10 % of the shipped policy's forward pass (2M exponentials for 8 × 64 tokens, ~7 ns each in
 * Chromium); four lanes of a float32 polynomial cost a fraction of that.
 *
 * Numerics: e^x in float32 with relative error ~1e-7, summed in float64 (as the reference
 * sums); log-probs agree with the reference to ~1e-6. Rows are copied into the module's memory
 * a block at a time and padded to a multiple of 4 with −∞ (whose e^x, 1e-38, changes no sum).
 */
import { simdRows } from './matmul';

/** Floats of logits copied per block: 4 MiB of scratch whatever N·V is. */
const BLOCK_FLOATS = 1 << 20;
/** The rows start here: byte address 0 means "no destination" to `expshift`. */
const BASE = 16;

function layout(N: number, V: number): { Vp: number; rows: number } {
  const Vp = Math.ceil(V / 4) * 4;
  return { Vp, rows: Math.max(1, Math.min(N, Math.floor(BLOCK_FLOATS / Vp))) };
}

/** Copies rows r0 … r0+n−1 of logits [N, V] into heap at BASE with stride Vp, padded with −∞. */
function copyRows(logits: Float32Array, heap: Float32Array, r0: number, n: number, V: number, Vp: number): void {
  if (Vp === V) {
    heap.set(logits.subarray(r0 * V, (r0 + n) * V), BASE);
    return;
  }
  for (let i = 0; i < n; i++) {
    const d = BASE + i * Vp;
    heap.set(logits.subarray((r0 + i) * V, (r0 + i + 1) * V), d);
    heap.fill(-Infinity, d + V, d + Vp);
  }
}

export function logSoftmaxGatherWasm(
  logits: Float32Array,
  targets: Uint32Array,
  logprobs: Float32Array,
  lse: Float32Array,
  N: number,
  V: number,
): void {
  const { Vp, rows } = layout(N, V);
  const k = simdRows(BASE + rows * Vp);
  for (let r0 = 0; r0 < N; r0 += rows) {
    const n = Math.min(rows, N - r0);
    copyRows(logits, k.heap, r0, n, V, Vp);
    for (let i = 0; i < n; i++) {
      const p = (BASE + i * Vp) * 4;
      const max = k.rowmax(p, Vp);
      const l = max + Math.log(k.expshift(p, Vp, max, 1, 0));
      const row = r0 + i;
      lse[row] = l;
      logprobs[row] = logits[row * V + targets[row]] - l;
    }
  }
}

/** dlogits = −g·softmax(logits) with +g at each row's target, g = dlogprobs (as the reference). */
export function logSoftmaxGatherBackwardWasm(
  dlogprobs: Float32Array,
  logits: Float32Array,
  lse: Float32Array,
  targets: Uint32Array,
  dlogits: Float32Array,
  N: number,
  V: number,
): void {
  const { Vp, rows } = layout(N, V);
  const k = simdRows(BASE + rows * Vp);
  const heapBytes = new Uint8Array(k.heap.buffer, k.heap.byteOffset, k.heap.byteLength);
  const outBytes = new Uint8Array(dlogits.buffer, dlogits.byteOffset, dlogits.byteLength);
  for (let r0 = 0; r0 < N; r0 += rows) {
    const n = Math.min(rows, N - r0);
    copyRows(logits, k.heap, r0, n, V, Vp);
    for (let i = 0; i < n; i++) {
      const p = (BASE + i * Vp) * 4;
      // In place: the row's logits become −g·e^(x − lse).
      k.expshift(p, Vp, lse[r0 + i], -dlogprobs[r0 + i], p);
      // Bytes, not floats: see the copy-out in matmul.ts.
      outBytes.set(heapBytes.subarray(p, p + V * 4), (r0 + i) * V * 4);
    }
  }
  for (let row = 0; row < N; row++) dlogits[row * V + targets[row]] += dlogprobs[row];
}
