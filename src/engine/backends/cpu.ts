import type { AdamWHyper, AttentionShape, Backend, DType, Tensor } from '../backend';
import * as ref from '../../kernels/reference';
import type { FloatArray } from '../../kernels/reference';
import { matmulWasm, wasmSimdAvailable } from '../../kernels/wasm/matmul';
import { geluBackwardFast, geluFast, matmulFewRowsNT } from '../../kernels/cpu_fast';
import { attentionBackwardWasm, attentionWasm } from '../../kernels/wasm/attention';
import { logSoftmaxGatherBackwardWasm, logSoftmaxGatherWasm } from '../../kernels/wasm/log_softmax';

export interface CpuBackendOptions {
  /**
   * 'f64' stores every tensor in float64: slower, but finite-difference gradient checks and
   * golden comparisons then measure the math, not float32 round-off.
   */
  precision?: 'f32' | 'f64';
  /**
   * Use the fast float32 kernels (default true in f32 mode): the WebAssembly SIMD matmul where
   * available, 30–50× faster than the TypeScript loops at the policy's training shapes, and
   * the kernels of src/kernels/cpu_fast.ts. `false` runs every op as the TypeScript reference,
   * which stays the oracle for kernel tests.
   */
  wasm?: boolean;
}

/** A tensor living in host memory. */
export class CpuTensor implements Tensor {
  released = false;
  constructor(
    readonly shape: readonly number[],
    readonly dtype: DType,
    readonly data: FloatArray | Uint32Array,
  ) {}
  get size(): number {
    return this.data.length;
  }
}

/** Storage under this many floats (256 KiB) is cheap to allocate and is not pooled. */
const POOL_MIN_FLOATS = 65536;
/** At most this much released storage is kept for reuse. */
const POOL_MAX_BYTES = 256 * 1024 * 1024;

function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * The reference backend: every op is the TypeScript function in src/kernels/reference.ts.
 * Used by Node (command line, simulations), as the WebGPU fallback, and as the oracle in
 * the kernel tests.
 */
export class CpuBackend implements Backend {
  readonly name = 'cpu' as const;
  readonly deviceLabel: string;
  private bytes = 0;
  /** Released float32 storage by length, for `make` to reuse (see there). */
  private readonly free = new Map<number, FloatArray[]>();
  private pooledBytes = 0;
  private readonly f64: boolean;
  /** Whether matmuls run on the WebAssembly SIMD kernel (which `startMatmulThreads` threads). */
  readonly wasm: boolean;
  /** Float32 fast kernels (cpu_fast.ts) instead of the references: f32 mode unless wasm: false. */
  private readonly fast: boolean;

  constructor(opts: CpuBackendOptions = {}) {
    this.f64 = opts.precision === 'f64';
    this.wasm = !this.f64 && opts.wasm !== false && wasmSimdAvailable();
    this.fast = !this.f64 && opts.wasm !== false;
    this.deviceLabel = this.f64
      ? 'CPU (TypeScript reference, float64)'
      : this.wasm ? 'CPU (TypeScript + WebAssembly SIMD matmul)' : this.fast ? 'CPU (TypeScript)' : 'CPU (TypeScript reference)';
  }

  private f(t: Tensor): FloatArray {
    const c = t as CpuTensor;
    if (c.released) throw new Error('CpuBackend: use of a released tensor');
    if (c.dtype !== 'f32') throw new Error(`CpuBackend: expected an f32 tensor, got ${c.dtype}`);
    return c.data as FloatArray;
  }
  private u(t: Tensor): Uint32Array {
    const c = t as CpuTensor;
    if (c.released) throw new Error('CpuBackend: use of a released tensor');
    if (c.dtype !== 'u32') throw new Error(`CpuBackend: expected a u32 tensor, got ${c.dtype}`);
    return c.data as Uint32Array;
  }
  /**
   * A tensor of `shape`, holding `data` or zeros (or, with `uninitialized`, whatever its reused
   * storage held: only for ops that write every element). Released float32 storage of at least
   * POOL_MIN_FLOATS is reused for the same length: a fresh large typed array costs its page
   * faults on first write, which in Chromium made the matmul's copy-out its slowest line.
   */
  private make(shape: readonly number[], data?: ArrayLike<number>, uninitialized = false): CpuTensor {
    const n = sizeOf(shape);
    let d: FloatArray | undefined;
    if (!this.f64 && n >= POOL_MIN_FLOATS) {
      d = this.free.get(n)?.pop();
      if (d) {
        this.pooledBytes -= d.byteLength;
        if (!data && !uninitialized) d.fill(0);
      }
    }
    d ??= this.f64 ? new Float64Array(n) : new Float32Array(n);
    if (data) {
      if (data.length !== n) throw new Error(`CpuBackend: data of ${data.length} elements for shape [${shape}]`);
      d.set(data);
    }
    this.bytes += d.byteLength;
    return new CpuTensor([...shape], 'f32', d);
  }

  upload(data: Float32Array, shape: readonly number[]): Tensor {
    return this.make(shape, data);
  }
  uploadU32(data: Uint32Array, shape: readonly number[]): Tensor {
    if (data.length !== sizeOf(shape)) throw new Error(`CpuBackend: ${data.length} ids for shape [${shape}]`);
    this.bytes += data.byteLength;
    return new CpuTensor([...shape], 'u32', data.slice());
  }
  zeros(shape: readonly number[]): Tensor {
    return this.make(shape);
  }
  zero(t: Tensor): void {
    const c = t as CpuTensor;
    if (c.released) throw new Error('CpuBackend: use of a released tensor');
    c.data.fill(0);
  }
  write(t: Tensor, data: Float32Array): void {
    const d = this.f(t);
    if (d.length !== data.length) throw new Error('CpuBackend.write: size mismatch');
    d.set(data);
  }
  clone(t: Tensor): Tensor {
    const c = t as CpuTensor;
    if (c.dtype === 'u32') return this.uploadU32(c.data as Uint32Array, c.shape);
    return this.make(t.shape, this.f(t));
  }
  async read(t: Tensor): Promise<Float32Array> {
    // slice(): one copy (or one conversion from float64); 4.2M floats took 19.9 ms against
    // 28.7 ms with `Float32Array.from` in Node.
    const d = this.f(t);
    return d instanceof Float32Array ? d.slice() : new Float32Array(d);
  }
  async readInto(t: Tensor, dst: Float32Array): Promise<Float32Array> {
    const d = this.f(t);
    if (dst.length !== d.length) return this.read(t);
    dst.set(d);
    return dst;
  }
  async readU32(t: Tensor): Promise<Uint32Array> {
    return this.u(t).slice();
  }
  /** Synchronous view for CPU-only callers (float64 in f64 mode). */
  view(t: Tensor): FloatArray {
    return this.f(t);
  }
  release(t: Tensor): void {
    const c = t as CpuTensor;
    if (c.released) throw new Error('CpuBackend: tensor released twice');
    c.released = true;
    this.bytes -= c.data.byteLength;
    const d = c.data;
    if (d instanceof Float32Array && d.length >= POOL_MIN_FLOATS && this.pooledBytes + d.byteLength <= POOL_MAX_BYTES) {
      const list = this.free.get(d.length);
      if (list) list.push(d);
      else this.free.set(d.length, [d]);
      this.pooledBytes += d.byteLength;
    }
  }
  flush(): void {}
  liveBytes(): number {
    return this.bytes;
  }
  dispose(): void {
    this.free.clear();
    this.pooledBytes = 0;
  }

  matmul(
    a: Tensor,
    b: Tensor,
    opts: { transA?: boolean; transB?: boolean; bias?: Tensor; into?: Tensor } = {},
  ): Tensor {
    const [ar, ac] = a.shape;
    const [br, bc] = b.shape;
    const M = opts.transA ? ac : ar;
    const K = opts.transA ? ar : ac;
    const Kb = opts.transB ? bc : br;
    const N = opts.transB ? br : bc;
    if (a.shape.length !== 2 || b.shape.length !== 2 || K !== Kb) {
      throw new Error(`matmul: incompatible shapes [${a.shape}]${opts.transA ? 'ᵀ' : ''} · [${b.shape}]${opts.transB ? 'ᵀ' : ''}`);
    }
    const out = opts.into ?? this.make([M, N], undefined, this.wasm);
    if (out.size !== M * N) throw new Error('matmul: `into` has the wrong size');
    // With few rows and a transposed B (the LM head while decoding), transposing B for the
    // wasm kernel costs more than the TypeScript loop saves.
    if (this.wasm && !(opts.transB && M < 4)) {
      matmulWasm(
        this.f(a) as Float32Array, this.f(b) as Float32Array, this.f(out) as Float32Array, M, K, N,
        !!opts.transA, !!opts.transB, opts.bias ? (this.f(opts.bias) as Float32Array) : null, !!opts.into,
      );
      return out;
    }
    if (this.fast && opts.transB && !opts.transA) {
      matmulFewRowsNT(
        this.f(a) as Float32Array, this.f(b) as Float32Array, this.f(out) as Float32Array, M, K, N,
        opts.bias ? (this.f(opts.bias) as Float32Array) : null, !!opts.into,
      );
      return out;
    }
    ref.matmulRef(
      this.f(a), this.f(b), this.f(out), M, K, N,
      !!opts.transA, !!opts.transB, opts.bias ? this.f(opts.bias) : null, !!opts.into,
    );
    return out;
  }
  add(a: Tensor, b: Tensor): Tensor {
    const x = this.f(a);
    const y = this.f(b);
    if (x.length !== y.length) throw new Error('add: size mismatch');
    const out = this.make(a.shape);
    const o = this.f(out);
    for (let i = 0; i < x.length; i++) o[i] = x[i] + y[i];
    return out;
  }
  addInto(into: Tensor, a: Tensor): Tensor {
    const o = this.f(into);
    const x = this.f(a);
    if (x.length !== o.length) throw new Error('addInto: size mismatch');
    for (let i = 0; i < x.length; i++) o[i] += x[i];
    return into;
  }
  sumRows(a: Tensor, into?: Tensor): Tensor {
    const [M, N] = a.shape;
    const out = into ?? this.make([N]);
    ref.sumRowsRef(this.f(a), this.f(out), M, N, !!into);
    return out;
  }
  scale(a: Tensor, s: number): Tensor {
    const x = this.f(a);
    const out = this.make(a.shape);
    const o = this.f(out);
    for (let i = 0; i < x.length; i++) o[i] = x[i] * s;
    return out;
  }

  layerNorm(x: Tensor, gamma: Tensor, beta: Tensor, eps: number) {
    const [N, C] = x.shape;
    const y = this.make([N, C]);
    const mean = this.make([N]);
    const rstd = this.make([N]);
    ref.layerNormRef(this.f(x), this.f(gamma), this.f(beta), this.f(y), this.f(mean), this.f(rstd), N, C, eps);
    return { y, mean, rstd };
  }
  layerNormBackward(dy: Tensor, x: Tensor, gamma: Tensor, mean: Tensor, rstd: Tensor, dgamma: Tensor, dbeta: Tensor) {
    const [N, C] = x.shape;
    const dx = this.make([N, C]);
    ref.layerNormBackwardRef(
      this.f(dy), this.f(x), this.f(gamma), this.f(mean), this.f(rstd),
      this.f(dx), this.f(dgamma), this.f(dbeta), N, C,
    );
    return dx;
  }

  gelu(x: Tensor): Tensor {
    const out = this.make(x.shape);
    if (this.fast) geluFast(this.f(x) as Float32Array, this.f(out) as Float32Array);
    else ref.geluRef(this.f(x), this.f(out));
    return out;
  }
  geluBackward(dy: Tensor, x: Tensor): Tensor {
    const out = this.make(x.shape);
    if (this.fast) geluBackwardFast(this.f(dy) as Float32Array, this.f(x) as Float32Array, this.f(out) as Float32Array);
    else ref.geluBackwardRef(this.f(dy), this.f(x), this.f(out));
    return out;
  }

  attention(qkv: Tensor, s: AttentionShape) {
    const C = qkv.shape[1] / 3;
    const y = this.make([s.B * s.T, C]);
    const probs = this.make([s.B, s.nHead, s.T, s.T]);
    if (this.wasm) attentionWasm(this.f(qkv) as Float32Array, this.f(y) as Float32Array, this.f(probs) as Float32Array, s.B, s.T, s.nHead, C);
    else ref.attentionRef(this.f(qkv), this.f(y), this.f(probs), s.B, s.T, s.nHead, C);
    // The CPU keeps the probabilities: recomputing them would cost a QKᵀ per layer in the backward.
    return { y, saved: probs };
  }
  attentionBackward(dy: Tensor, qkv: Tensor, probs: Tensor, s: AttentionShape): Tensor {
    const C = qkv.shape[1] / 3;
    const dqkv = this.make(qkv.shape);
    if (this.wasm) {
      attentionBackwardWasm(
        this.f(dy) as Float32Array, this.f(qkv) as Float32Array, this.f(probs) as Float32Array,
        this.f(dqkv) as Float32Array, s.B, s.T, s.nHead, C,
      );
    } else ref.attentionBackwardRef(this.f(dy), this.f(qkv), this.f(probs), this.f(dqkv), s.B, s.T, s.nHead, C);
    return dqkv;
  }
  attentionCached(qkv: Tensor, kCache: Tensor, vCache: Tensor, s: AttentionShape & { past: number; maxT: number }): Tensor {
    const C = qkv.shape[1] / 3;
    if (s.past + s.T > s.maxT) throw new Error(`attentionCached: position ${s.past + s.T} exceeds the cache (${s.maxT})`);
    const y = this.make([s.B * s.T, C]);
    ref.attentionCachedRef(this.f(qkv), this.f(kCache), this.f(vCache), this.f(y), s.B, s.T, s.nHead, C, s.past, s.maxT);
    return y;
  }

  embedding(ids: Tensor, wte: Tensor, wpe: Tensor, B: number, T: number, posOffset = 0): Tensor {
    const C = wte.shape[1];
    const x = this.make([B * T, C]);
    ref.embeddingRef(this.u(ids), this.f(wte), this.f(wpe), this.f(x), B, T, C, posOffset);
    return x;
  }
  embeddingBackward(dx: Tensor, ids: Tensor, dwte: Tensor, dwpe: Tensor, B: number, T: number): void {
    ref.embeddingBackwardRef(this.f(dx), this.u(ids), this.f(dwte), this.f(dwpe), B, T, dwte.shape[1]);
  }

  logSoftmaxGather(logits: Tensor, targets: Tensor) {
    const [N, V] = logits.shape;
    const logprobs = this.make([N]);
    const lse = this.make([N]);
    if (this.wasm) {
      logSoftmaxGatherWasm(this.f(logits) as Float32Array, this.u(targets), this.f(logprobs) as Float32Array, this.f(lse) as Float32Array, N, V);
    } else ref.logSoftmaxGatherRef(this.f(logits), this.u(targets), this.f(logprobs), this.f(lse), N, V);
    return { logprobs, lse };
  }
  logSoftmaxGatherBackward(dlogprobs: Tensor, logits: Tensor, lse: Tensor, targets: Tensor): Tensor {
    const [N, V] = logits.shape;
    const d = this.make([N, V], undefined, this.wasm);
    if (this.wasm) {
      logSoftmaxGatherBackwardWasm(
        this.f(dlogprobs) as Float32Array, this.f(logits) as Float32Array, this.f(lse) as Float32Array,
        this.u(targets), this.f(d) as Float32Array, N, V,
      );
    } else ref.logSoftmaxGatherBackwardRef(this.f(dlogprobs), this.f(logits), this.f(lse), this.u(targets), this.f(d), N, V);
    return d;
  }
  crossEntropy(logprobs: Tensor, mask: Tensor): Tensor {
    return this.make([1], [ref.crossEntropyRef(this.f(logprobs), this.f(mask))]);
  }
  softmax(logits: Tensor, temperature: number): Tensor {
    const [N, V] = logits.shape;
    const out = this.make([N, V]);
    ref.softmaxRef(this.f(logits), this.f(out), N, V, temperature);
    return out;
  }
  argmax(logits: Tensor): Tensor {
    const [N, V] = logits.shape;
    const out = new Uint32Array(N);
    ref.argmaxRef(this.f(logits), out, N, V);
    this.bytes += out.byteLength;
    return new CpuTensor([N], 'u32', out);
  }

  topK(logits: Tensor, k: number): { values: Tensor; ids: Tensor } {
    const [N, V] = logits.shape;
    if (!Number.isInteger(k) || k < 1 || k > V) throw new Error(`topK: k=${k} must be in 1…${V}`);
    const values = this.make([N, k]);
    const ids = new Uint32Array(N * k);
    ref.topKRef(this.f(logits), this.f(values), ids, N, V, k);
    this.bytes += ids.byteLength;
    return { values, ids: new CpuTensor([N, k], 'u32', ids) };
  }
  sample(logits: Tensor, temperature: number, uniforms: Float64Array): Tensor {
    const [N, V] = logits.shape;
    if (uniforms.length !== N) throw new Error(`sample: ${uniforms.length} uniforms for ${N} rows`);
    if (!(temperature > 0)) throw new Error(`sample: temperature ${temperature} must be > 0`);
    const L = this.f(logits);
    const ids = new Uint32Array(N);
    for (let i = 0; i < N; i++) ids[i] = ref.sampleRowRef(L.subarray(i * V, (i + 1) * V), temperature, uniforms[i]!);
    this.bytes += ids.byteLength;
    return new CpuTensor([N], 'u32', ids);
  }
  gatherRows(x: Tensor, rows: Tensor): Tensor {
    const [, C] = x.shape;
    const r = this.u(rows);
    const out = this.make([r.length, C]);
    ref.gatherRowsRef(this.f(x), r, this.f(out), C);
    return out;
  }

  adamw(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, h: AdamWHyper): void {
    ref.adamwRef(this.f(param), this.f(grad), this.f(m), this.f(v), h.lr, h.beta1, h.beta2, h.eps, h.weightDecay, h.step);
  }
  clipGradNorm(grads: readonly Tensor[], maxNorm: number): Tensor {
    const norm = ref.clipGradNormRef(grads.map((g) => this.f(g)), maxNorm);
    return this.make([1], [norm]);
  }
}
