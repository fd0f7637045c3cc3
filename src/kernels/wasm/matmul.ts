/**
 * WebAssembly SIMD128 matmul for the CPU backend: the same contract as `matmulRef`
 * (src/kernels/reference.ts) on float32 arrays, 25-60x faster than its plain-JS loops at the
 * policy's training shapes (bench/cpu_matmul.ts).
 *
 * The kernel (matmul_simd.wat) only does C[m,n] (+)= A[m,k]·B[k,n] on row-major operands with
 * m % 4 == 0 and n % 8 == 0. This wrapper does the rest while copying into the wasm memory:
 * transposes A or B when asked, pads M to a multiple of 4 and N to a multiple of 8 with zeros,
 * pre-loads C with `out` and/or the bias so the kernel's accumulate mode adds them, and copies
 * the [M,N] corner back. Everything is synchronous: the module is ~1 KB, under the 4 KB that
 * Chrome has allowed for a synchronous `new WebAssembly.Module` on the main thread, and workers
 * have no such limit.
 *
 * Numerics: products are summed in float32 (the reference sums in float64), in k order within
 * slices of 256. The relative difference to the reference is ~1e-6 for K in the hundreds.
 */
import { MATMUL_SIMD_BASE64 } from './matmul_simd_bytes';

/** Rows of C per register block: M is padded to a multiple of this. */
const MR = 4;
/** Columns of C per register block: N is padded to a multiple of this. */
const NR = 8;
/** K slice the kernel packs at a time; fixes the size of its scratch area. */
const KC = 256;
/** Scratch the kernel keeps for one packed KC x NR panel of B, before the packed A slice. */
const BPACK_FLOATS = KC * NR;
/** Offsets are rounded up to 16 floats (64 bytes) so every v128 access stays in one cache line. */
const ALIGN_FLOATS = 16;
const PAGE_BYTES = 65536;
/** wasm32 memories end at 4 GiB. */
const MAX_BYTES = 65536 * PAGE_BYTES;

type KernelFn = (a: number, b: number, c: number, m: number, k: number, n: number, acc: number, work: number) => void;

interface Kernel {
  memory: WebAssembly.Memory;
  matmul: KernelFn;
  /** Float32 view of `memory`; replaced whenever the memory grows (growing detaches it). */
  heap: Float32Array;
}

let moduleBytes: Uint8Array<ArrayBuffer> | null = null;
let kernel: Kernel | null = null;
let available: boolean | null = null;

function bytes(): Uint8Array<ArrayBuffer> {
  if (!moduleBytes) {
    // atob exists in browsers, workers and Node >= 16, unlike Buffer.
    const bin = atob(MATMUL_SIMD_BASE64);
    moduleBytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) moduleBytes[i] = bin.charCodeAt(i);
  }
  return moduleBytes;
}

function getKernel(): Kernel {
  if (!kernel) {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes()), {});
    const memory = instance.exports.memory as WebAssembly.Memory;
    kernel = { memory, matmul: instance.exports.matmul as KernelFn, heap: new Float32Array(memory.buffer) };
  }
  return kernel;
}

/**
 * True when this engine can run `matmulWasm`. It validates the kernel module itself rather than
 * a tiny SIMD probe (only the real module proves every opcode it uses is accepted; the ~1 KB
 * costs nothing) and then instantiates it, which also catches pages whose CSP forbids compiling
 * wasm ('wasm-unsafe-eval' missing): there validation passes but compiling throws.
 */
export function wasmSimdAvailable(): boolean {
  if (available === null) {
    try {
      available = typeof WebAssembly === 'object' && WebAssembly.validate(bytes());
      if (available) getKernel();
    } catch {
      available = false;
    }
  }
  return available;
}

/** Current size of the kernel's memory in bytes (0 before first use). It only ever grows. */
export function wasmMatmulMemoryBytes(): number {
  return kernel ? kernel.memory.buffer.byteLength : 0;
}

function alignUp(floats: number): number {
  return Math.ceil(floats / ALIGN_FLOATS) * ALIGN_FLOATS;
}

/** Makes the memory hold at least `floats` float32s and returns the (possibly new) view. */
function reserve(k: Kernel, floats: number): Float32Array {
  const need = floats * 4;
  if (need > MAX_BYTES) throw new RangeError(`matmulWasm: needs ${need} bytes, over the 4 GiB of a wasm32 memory`);
  const have = k.memory.buffer.byteLength;
  if (need > have) k.memory.grow(Math.ceil((need - have) / PAGE_BYTES));
  if (k.heap.buffer !== k.memory.buffer) k.heap = new Float32Array(k.memory.buffer);
  return k.heap;
}

/**
 * dst[dstOff + c*dstStride + r] = src[r*cols + c] for r < rows, c < cols: writes the transpose
 * of the row-major [rows, cols] src as rows of length dstStride. Tiled 64x64 so a tile's lines
 * stay in L1, and four source rows at a time so each destination write is 4 adjacent floats:
 * that measured 1.3-1.7x faster than the one-element inner loop (~0.7 ns/element for
 * 640x256, ~1.6 ns for 4096x256, whose 16 KiB destination stride defeats the TLB).
 */
function transposeInto(
  src: Float32Array,
  rows: number,
  cols: number,
  dst: Float32Array,
  dstOff: number,
  dstStride: number,
): void {
  const T = 64;
  for (let r0 = 0; r0 < rows; r0 += T) {
    const r1 = Math.min(r0 + T, rows);
    for (let c0 = 0; c0 < cols; c0 += T) {
      const c1 = Math.min(c0 + T, cols);
      let r = r0;
      for (; r + 4 <= r1; r += 4) {
        const s0 = r * cols;
        const s1 = s0 + cols;
        const s2 = s1 + cols;
        const s3 = s2 + cols;
        for (let c = c0; c < c1; c++) {
          const d = dstOff + c * dstStride + r;
          dst[d] = src[s0 + c];
          dst[d + 1] = src[s1 + c];
          dst[d + 2] = src[s2 + c];
          dst[d + 3] = src[s3 + c];
        }
      }
      for (; r < r1; r++) {
        const s = r * cols;
        for (let c = c0; c < c1; c++) dst[dstOff + c * dstStride + r] = src[s + c];
      }
    }
  }
}

/**
 * C = op(A)·op(B) (+ bias), accumulated into `out` when `accumulate`; exactly the contract of
 * `matmulRef`. A is [M,K] ([K,M] if transA), B is [K,N] ([N,K] if transB), bias is [N] and is
 * added to every row, out is [M,N]. `out` may alias an input: all operands are copied first.
 */
export function matmulWasm(
  a: Float32Array,
  b: Float32Array,
  out: Float32Array,
  M: number,
  K: number,
  N: number,
  transA: boolean,
  transB: boolean,
  bias: Float32Array | null,
  accumulate: boolean,
): void {
  if (a.length < M * K || b.length < K * N || out.length < M * N || (bias && bias.length < N)) {
    throw new RangeError(`matmulWasm: arrays too short for M=${M} K=${K} N=${N}`);
  }
  if (M === 0 || N === 0) return;
  const k = getKernel();
  const Mp = Math.ceil(M / MR) * MR;
  const Np = Math.ceil(N / NR) * NR;

  // Layout in floats: A [Mp,K] | B [K,Np] | C [Mp,Np] | kernel scratch. Reused across calls.
  const aOff = 0;
  const bOff = aOff + alignUp(Mp * K);
  const cOff = bOff + alignUp(K * Np);
  const wOff = cOff + alignUp(Mp * Np);
  const heap = reserve(k, wOff + BPACK_FLOATS + Mp * Math.min(K, KC));

  // A, as row-major [Mp,K]; padded rows are zero so they cannot put NaN/denormals in flight.
  if (transA) transposeInto(a, K, M, heap, aOff, K);
  else heap.set(a.subarray(0, M * K), aOff);
  heap.fill(0, aOff + M * K, aOff + Mp * K);

  // B, as row-major [K,Np] with zero padding columns.
  if (transB) {
    transposeInto(b, N, K, heap, bOff, Np);
    if (Np !== N) for (let r = 0; r < K; r++) heap.fill(0, bOff + r * Np + N, bOff + (r + 1) * Np);
  } else if (Np === N) {
    heap.set(b.subarray(0, K * N), bOff);
  } else {
    for (let r = 0; r < K; r++) {
      heap.set(b.subarray(r * N, (r + 1) * N), bOff + r * Np);
      heap.fill(0, bOff + r * Np + N, bOff + (r + 1) * Np);
    }
  }

  // C starts as out (+ bias) when either is wanted, and the kernel adds the product onto it.
  const preload = accumulate || bias !== null;
  if (accumulate) {
    for (let i = 0; i < M; i++) {
      const o = i * N;
      const d = cOff + i * Np;
      if (bias) for (let j = 0; j < N; j++) heap[d + j] = out[o + j] + bias[j];
      else heap.set(out.subarray(o, o + N), d);
      heap.fill(0, d + N, d + Np);
    }
    heap.fill(0, cOff + M * Np, cOff + Mp * Np);
  } else if (bias) {
    // Bias in row 0, then double the filled rows with copyWithin (memmove speed, not a JS loop).
    heap.set(bias.subarray(0, N), cOff);
    heap.fill(0, cOff + N, cOff + Np);
    const total = Mp * Np;
    for (let filled = Np; filled < total; filled *= 2) {
      heap.copyWithin(cOff + filled, cOff, cOff + Math.min(filled, total - filled));
    }
  }

  k.matmul(aOff * 4, bOff * 4, cOff * 4, Mp, K, Np, preload ? 1 : 0, wOff * 4);

  if (Np === N) out.set(heap.subarray(cOff, cOff + M * N));
  else for (let i = 0; i < M; i++) out.set(heap.subarray(cOff + i * Np, cOff + i * Np + N), i * N);
}
