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
 *
 * Threads: after `startMatmulThreads(n)` the kernel runs on a shared memory and a call with
 * enough work is split into n bands of C's rows, one per thread (matmul_threads.ts). Each row
 * is computed exactly as on one thread, so the bits do not depend on the thread count.
 */
import { MATMUL_SIMD_BASE64, MATMUL_SIMD_SHARED_BASE64 } from './matmul_simd_bytes';
import { MatmulThreadPool, sharedMemoryAvailable, type KernelArgs } from './matmul_threads';

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
/** wasm32 memories end at 4 GiB; the kernel declares that maximum. */
const MAX_PAGES = 65536;
const MAX_BYTES = MAX_PAGES * PAGE_BYTES;
/**
 * Calls under this many multiply-adds stay on the calling thread. Measured on the 2-core
 * development VM (Node 20): waking a helper and joining it cost 0.1–0.2 ms, so 2 threads lost
 * at 2–4M multiply-adds, tied at 12.6M (64×256×768) and ran 1.7–1.8× faster at 100M and more
 * (512×256×768 and the policy's other training shapes).
 */
const THREAD_MIN_MACS = 1 << 24;

type KernelFn = (a: number, b: number, c: number, m: number, k: number, n: number, acc: number, work: number) => void;

/** The module's log-softmax row functions (see matmul_simd.wat and log_softmax.ts). */
export interface RowFns {
  rowmax: (p: number, n: number) => number;
  expshift: (p: number, n: number, shift: number, scale: number, dst: number) => number;
}

interface Kernel extends RowFns {
  memory: WebAssembly.Memory;
  matmul: KernelFn;
  /** Float32 view of `memory`; replaced whenever the memory grows (growing detaches it). */
  heap: Float32Array;
}

let moduleBytes: Uint8Array<ArrayBuffer> | null = null;
let kernel: Kernel | null = null;
let available: boolean | null = null;
/** Helpers of the threaded matmul, when started; `kernel` then runs on their shared memory. */
let pool: MatmulThreadPool | null = null;

function decode(base64: string): Uint8Array<ArrayBuffer> {
  // atob exists in browsers, workers and Node >= 16, unlike Buffer.
  const bin = atob(base64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function bytes(): Uint8Array<ArrayBuffer> {
  moduleBytes ??= decode(MATMUL_SIMD_BASE64);
  return moduleBytes;
}

function instantiate(module: WebAssembly.Module, memory: WebAssembly.Memory): Kernel {
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  const e = instance.exports;
  return {
    memory,
    matmul: e.matmul as KernelFn,
    rowmax: e.rowmax as RowFns['rowmax'],
    expshift: e.expshift as RowFns['expshift'],
    heap: new Float32Array(memory.buffer),
  };
}

function getKernel(): Kernel {
  kernel ??= instantiate(new WebAssembly.Module(bytes()), new WebAssembly.Memory({ initial: 1, maximum: MAX_PAGES }));
  return kernel;
}

/**
 * Runs the matmul on `threads` threads from now on (the caller and threads − 1 helper workers)
 * and resolves to the number in use: 1 where shared memory is missing (a page that is not
 * cross-origin isolated), where wasm SIMD is, or where a helper failed to start; calls made
 * before it resolves run on one thread. Results do not depend on the thread count. A second
 * call replaces the helpers.
 */
export async function startMatmulThreads(threads: number): Promise<number> {
  stopMatmulThreads();
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`startMatmulThreads: ${threads} threads`);
  if (threads === 1 || !wasmSimdAvailable() || !sharedMemoryAvailable()) return 1;
  const module = new WebAssembly.Module(decode(MATMUL_SIMD_SHARED_BASE64));
  const memory = new WebAssembly.Memory({ initial: 1, maximum: MAX_PAGES, shared: true });
  const shared = instantiate(module, memory);
  let started: MatmulThreadPool;
  try {
    started = await MatmulThreadPool.start(module, memory, threads - 1);
  } catch {
    return 1;
  }
  // Another start or a stop while the helpers were starting wins over this one.
  if (pool) {
    started.dispose();
    return pool.threads;
  }
  pool = started;
  kernel = shared;
  return threads;
}

/** Back to one thread (and a plain memory); the helpers are terminated. */
export function stopMatmulThreads(): void {
  if (!pool) return;
  pool.dispose();
  pool = null;
  kernel = null;
}

/** Threads the matmul runs on now (1 until `startMatmulThreads` has resolved). */
export function matmulThreads(): number {
  return pool ? pool.threads : 1;
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

/**
 * The module's row functions and a float32 view of its memory holding at least `floats`
 * floats, for the other wrappers of this module (log_softmax.ts). The view is valid until the
 * next call into this file; everything in the memory is scratch between calls.
 */
export function simdRows(floats: number): RowFns & { heap: Float32Array } {
  const k = getKernel();
  return { rowmax: k.rowmax, expshift: k.expshift, heap: reserve(k, floats) };
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
  // A plain memory's old buffer is detached by grow; a shared one's keeps its old length.
  if (k.heap.byteLength !== k.memory.buffer.byteLength) k.heap = new Float32Array(k.memory.buffer);
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

  // Bands of C's rows, one per thread (whole 4-row blocks): only for calls worth the wake-up.
  const blocks = Mp / MR;
  const bands = pool && M * K * N >= THREAD_MIN_MACS ? Math.min(pool.threads, blocks) : 1;

  // Layout in floats: A [Mp,K] | B [K,Np] | C [Mp,Np] | one kernel scratch per band, each the
  // packed B panel then the band's packed A slice. Reused across calls.
  const aOff = 0;
  const bOff = aOff + alignUp(Mp * K);
  const cOff = bOff + alignUp(K * Np);
  const wOff = cOff + alignUp(Mp * Np);
  const heap = reserve(k, wOff + bands * (BPACK_FLOATS + ALIGN_FLOATS) + Mp * Math.min(K, KC));

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

  const acc = preload ? 1 : 0;
  if (bands === 1) {
    k.matmul(aOff * 4, bOff * 4, cOff * 4, Mp, K, Np, acc, wOff * 4);
  } else {
    const parts: KernelArgs[] = [];
    let work = wOff;
    for (let i = 0; i < bands; i++) {
      const r0 = Math.floor((i * blocks) / bands) * MR;
      const m = Math.floor(((i + 1) * blocks) / bands) * MR - r0;
      parts.push([(aOff + r0 * K) * 4, bOff * 4, (cOff + r0 * Np) * 4, m, K, Np, acc, work * 4]);
      work += alignUp(BPACK_FLOATS + m * Math.min(K, KC));
    }
    pool!.run(parts, k.matmul);
  }

  // Copied out as bytes: in Chromium (V8 14), Float32Array.prototype.set from a view of wasm
  // memory took 2.25 ms per 2M floats, 13× a Uint8Array copy of the same bytes (0.17 ms), and
  // the copy-out was 40 % of this function's time in the CPU forward.
  const src = new Uint8Array(heap.buffer, heap.byteOffset, heap.byteLength);
  const dst = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  if (Np === N) dst.set(src.subarray(cOff * 4, (cOff + M * N) * 4));
  else for (let i = 0; i < M; i++) dst.set(src.subarray((cOff + i * Np) * 4, (cOff + i * Np + N) * 4), i * N * 4);
}
