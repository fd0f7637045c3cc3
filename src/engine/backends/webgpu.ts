import type { AdamWHyper, AttentionShape, Backend, DType, Tensor } from '../backend';
import { acquireDevice, describeAdapter, onDeviceLost, type AcquiredDevice } from '../gpu/device';
import { GpuContext } from '../gpu/context';
import type { PooledBuffer } from '../gpu/buffer_pool';
import { GpuTensor, sizeOf } from '../gpu/tensor';
import type { Bound } from '../../kernels/kernel';
import { AdamWKernel } from '../../kernels/adamw';
import { AttentionPvKernel, AttentionScoresKernel, KvCacheWriteKernel, type AttnDims, type Operand } from '../../kernels/attention';
import { ElementwiseKernel } from '../../kernels/elementwise';
import { EmbeddingKernel } from '../../kernels/embedding';
import { LayerNormKernel } from '../../kernels/layer_norm';
import { LogSoftmaxKernel } from '../../kernels/log_softmax';
import { MATVEC_MAX_ROWS, MatmulKernel, MatvecKernel } from '../../kernels/matmul';
import { GradNormKernels, MaskedMeanNllKernel, SumRowsKernel } from '../../kernels/reduce';

export { GpuTensor } from '../gpu/tensor';

/** Creates the WebGPU backend on the worker's shared device (see src/engine/gpu/device.ts). */
export async function createWebGpuBackend(gpu: GPU, opts?: { powerPreference?: GPUPowerPreference }): Promise<WebGpuBackend> {
  return new WebGpuBackend(await acquireDevice(gpu, opts));
}

/** True if every element is +0 (bit-exact, so -0 still goes through a real write). */
function allZeroBits(data: Float32Array): boolean {
  const u = new Uint32Array(data.buffer, data.byteOffset, data.length);
  for (let i = 0; i < u.length; i++) if (u[i] !== 0) return false;
  return true;
}

function shapeStr(t: Tensor): string {
  return `[${t.shape.join(',')}]`;
}

/**
 * The WGSL backend. Ops are recorded into one pending command encoder (see GpuContext) and
 * run when `flush()` or `read()` submits it; tensors live in pooled buffers that `release()`
 * returns to the pool.
 */
export class WebGpuBackend implements Backend {
  readonly name = 'webgpu' as const;
  readonly deviceLabel: string;
  readonly isSoftware: boolean;
  readonly device: GPUDevice;
  readonly ctx: GpuContext;
  private live = 0;
  private lostMessage: string | null = null;
  private readonly unsubscribeLost: () => void;

  constructor(acq: AcquiredDevice) {
    this.device = acq.device;
    this.isSoftware = acq.isSoftware;
    this.deviceLabel = describeAdapter(acq.adapterInfo, acq.isSoftware);
    this.ctx = new GpuContext(acq.device);
    this.unsubscribeLost = onDeviceLost((info) => {
      if (info.device === this.device) this.lostMessage = `${info.reason}: ${info.message}`;
    });
  }

  // ------------------------------------------------------------------ diagnostics

  /** Why the device was lost, or null while it is usable. */
  get lost(): string | null {
    return this.lostMessage;
  }

  /** Validation / shader-compilation errors seen on the device since creation. */
  get errors(): readonly string[] {
    return this.ctx.errors;
  }
  /** Queue submits so far. */
  get submits(): number {
    return this.ctx.submits;
  }
  /** GPU memory held by the tensor pool, live and free. */
  pooledBytes(): number {
    return this.ctx.storage.allocatedBytes();
  }
  /** Frees pooled buffers that no live tensor uses. */
  trimPool(): void {
    this.ctx.trim();
  }

  // ------------------------------------------------------------------ helpers

  private check(t: Tensor, dtype: DType = 'f32'): GpuTensor {
    if (this.lostMessage) throw new Error(`WebGPU device lost (${this.lostMessage})`);
    if (!(t instanceof GpuTensor)) throw new Error('WebGpuBackend: tensor from another backend');
    if (t.released) throw new Error('WebGpuBackend: use of a released tensor');
    if (t.dtype !== dtype) throw new Error(`WebGpuBackend: expected a ${dtype} tensor, got ${t.dtype}`);
    return t;
  }

  private alloc(shape: readonly number[], dtype: DType = 'f32', forWrite = false): GpuTensor {
    if (this.lostMessage) throw new Error(`WebGPU device lost (${this.lostMessage})`);
    const size = sizeOf(shape);
    // A buffer about to take a queue.writeBuffer must not be one the pending encoder reads.
    const buf = this.ctx.storage.acquire(Math.max(4, size * 4), forWrite ? this.ctx.epoch : -1);
    this.live += size * 4;
    return new GpuTensor([...shape], dtype, size, buf);
  }

  private b(t: GpuTensor): Bound {
    return { buf: t.buf, bytes: t.bytes };
  }

  /**
   * Binding for an input of an op that also writes caller-owned tensors: WebGPU forbids one
   * buffer being both read-only and writable in a dispatch, so an aliased input is copied.
   */
  private input(t: GpuTensor, written: readonly GpuTensor[], temps: PooledBuffer[]): Bound {
    if (!written.some((w) => w.buf === t.buf)) return this.b(t);
    const tmp = this.ctx.storage.acquire(Math.max(4, t.bytes));
    this.ctx.copy(t.buf, tmp, t.bytes);
    temps.push(tmp);
    return { buf: tmp, bytes: t.bytes };
  }

  private done(temps: PooledBuffer[]): void {
    for (const p of temps) this.ctx.storage.release(p);
  }

  private distinctOutputs(op: string, ts: readonly GpuTensor[]): void {
    for (let i = 0; i < ts.length; i++) {
      for (let j = i + 1; j < ts.length; j++) {
        if (ts[i].buf === ts[j].buf) throw new Error(`${op}: two written tensors share storage`);
      }
    }
  }

  // ------------------------------------------------------------------ memory

  upload(data: Float32Array, shape: readonly number[]): Tensor {
    const n = sizeOf(shape);
    if (data.length !== n) throw new Error(`upload: ${data.length} values for shape [${shape}]`);
    const t = this.alloc(shape, 'f32', true);
    this.ctx.write(t.buf, data, t.bytes);
    return t;
  }

  uploadU32(data: Uint32Array, shape: readonly number[]): Tensor {
    const n = sizeOf(shape);
    if (data.length !== n) throw new Error(`uploadU32: ${data.length} ids for shape [${shape}]`);
    const t = this.alloc(shape, 'u32', true);
    this.ctx.write(t.buf, data, t.bytes);
    return t;
  }

  zeros(shape: readonly number[]): Tensor {
    const t = this.alloc(shape);
    this.ctx.clear(t.buf, t.bytes);
    return t;
  }

  zero(t: Tensor): void {
    const g = this.check(t, t.dtype);
    this.ctx.clear(g.buf, g.bytes);
  }

  write(t: Tensor, data: Float32Array): void {
    const g = this.check(t);
    if (data.length !== g.size) throw new Error(`write: ${data.length} values into ${shapeStr(g)}`);
    // Zeroing gradients and optimizer moments this way would otherwise ship every byte over
    // the bus (and, for tensors pending work reads, through a same-size staging buffer).
    if (allZeroBits(data)) this.ctx.clear(g.buf, g.bytes);
    else this.ctx.write(g.buf, data, g.bytes);
  }

  clone(t: Tensor): Tensor {
    const src = this.check(t, t.dtype);
    const out = this.alloc(src.shape, src.dtype);
    this.ctx.copy(src.buf, out.buf, src.bytes);
    return out;
  }

  async read(t: Tensor): Promise<Float32Array> {
    const g = this.check(t);
    return new Float32Array(await this.ctx.readBack(g.buf, g.bytes));
  }

  async readU32(t: Tensor): Promise<Uint32Array> {
    const g = this.check(t, 'u32');
    return new Uint32Array(await this.ctx.readBack(g.buf, g.bytes));
  }

  release(t: Tensor): void {
    if (!(t instanceof GpuTensor)) throw new Error('WebGpuBackend: tensor from another backend');
    if (t.released) throw new Error('WebGpuBackend: tensor released twice');
    t.released = true;
    this.live -= t.bytes;
    // Safe even if pending commands still use it: later users are recorded after them, and
    // writeBuffer skips buffers stamped with the pending epoch.
    this.ctx.storage.release(t.buf);
  }

  flush(): void {
    this.ctx.flush();
  }

  liveBytes(): number {
    return this.live;
  }

  dispose(): void {
    this.unsubscribeLost();
    this.ctx.dispose();
    this.live = 0;
  }

  // ------------------------------------------------------------------ linear algebra

  matmul(
    a: Tensor,
    b: Tensor,
    opts: { transA?: boolean; transB?: boolean; bias?: Tensor; into?: Tensor } = {},
  ): Tensor {
    const A = this.check(a);
    const B = this.check(b);
    const transA = !!opts.transA;
    const transB = !!opts.transB;
    if (A.shape.length !== 2 || B.shape.length !== 2) {
      throw new Error(`matmul: expected 2-D operands, got ${shapeStr(A)} · ${shapeStr(B)}`);
    }
    const M = transA ? A.shape[1] : A.shape[0];
    const K = transA ? A.shape[0] : A.shape[1];
    const Kb = transB ? B.shape[1] : B.shape[0];
    const N = transB ? B.shape[0] : B.shape[1];
    if (K !== Kb) {
      throw new Error(`matmul: incompatible shapes ${shapeStr(A)}${transA ? 'ᵀ' : ''} · ${shapeStr(B)}${transB ? 'ᵀ' : ''}`);
    }
    const bias = opts.bias ? this.check(opts.bias) : null;
    if (bias && bias.size !== N) throw new Error(`matmul: bias ${shapeStr(bias)} for N=${N}`);
    const out = opts.into ? this.check(opts.into) : this.alloc([M, N]);
    if (out.size !== M * N) throw new Error(`matmul: \`into\` ${shapeStr(out)} is not [${M},${N}]`);

    const temps: PooledBuffer[] = [];
    const w = opts.into ? [out] : [];
    const bA = this.input(A, w, temps);
    const bB = this.input(B, w, temps);
    const bBias = bias ? this.input(bias, w, temps) : bA;
    const flags = { transA, transB, bias: !!bias, acc: !!opts.into };
    const buffers = [bA, bB, bBias, this.b(out)];
    if (M <= MATVEC_MAX_ROWS && M > 0) MatvecKernel.get(M, N, flags).encode(this.ctx, M, N, K, buffers);
    else MatmulKernel.get(flags).encode(this.ctx, M, N, K, buffers);
    this.done(temps);
    return out;
  }

  add(a: Tensor, b: Tensor): Tensor {
    const A = this.check(a);
    const B = this.check(b);
    if (A.size !== B.size) throw new Error(`add: ${shapeStr(A)} + ${shapeStr(B)}`);
    const out = this.alloc(A.shape);
    ElementwiseKernel.get('add').encode(this.ctx, A.size, [this.b(A), this.b(B), this.b(out)]);
    return out;
  }

  addInto(into: Tensor, a: Tensor): Tensor {
    const O = this.check(into);
    const A = this.check(a);
    if (A.size !== O.size) throw new Error(`addInto: ${shapeStr(O)} += ${shapeStr(A)}`);
    const temps: PooledBuffer[] = [];
    ElementwiseKernel.get('add_into').encode(this.ctx, A.size, [this.input(A, [O], temps), this.b(O)]);
    this.done(temps);
    return O;
  }

  sumRows(a: Tensor, into?: Tensor): Tensor {
    const A = this.check(a);
    if (A.shape.length !== 2) throw new Error(`sumRows: expected [M,N], got ${shapeStr(A)}`);
    const [M, N] = A.shape;
    const out = into ? this.check(into) : this.alloc([N]);
    if (out.size !== N) throw new Error(`sumRows: \`into\` ${shapeStr(out)} for N=${N}`);
    const temps: PooledBuffer[] = [];
    const bA = this.input(A, into ? [out] : [], temps);
    SumRowsKernel.get(!!into).encode(this.ctx, M, N, [bA, this.b(out)]);
    this.done(temps);
    return out;
  }

  scale(a: Tensor, s: number): Tensor {
    const A = this.check(a);
    const out = this.alloc(A.shape);
    ElementwiseKernel.get('scale').encode(this.ctx, A.size, [this.b(A), this.b(out)], s);
    return out;
  }

  // ------------------------------------------------------------------ layer norm

  layerNorm(x: Tensor, gamma: Tensor, beta: Tensor, eps: number): { y: Tensor; mean: Tensor; rstd: Tensor } {
    const X = this.check(x);
    const G = this.check(gamma);
    const Bt = this.check(beta);
    if (X.shape.length !== 2) throw new Error(`layerNorm: expected [N,C], got ${shapeStr(X)}`);
    const [N, C] = X.shape;
    if (G.size !== C || Bt.size !== C) throw new Error(`layerNorm: gamma/beta must have ${C} elements`);
    const y = this.alloc([N, C]);
    const mean = this.alloc([N]);
    const rstd = this.alloc([N]);
    LayerNormKernel.get('layer_norm', C).encode(this.ctx, N, C, eps, [
      this.b(X), this.b(G), this.b(Bt), this.b(y), this.b(mean), this.b(rstd),
    ]);
    return { y, mean, rstd };
  }

  layerNormBackward(
    dy: Tensor,
    x: Tensor,
    gamma: Tensor,
    mean: Tensor,
    rstd: Tensor,
    dgamma: Tensor,
    dbeta: Tensor,
  ): Tensor {
    const DY = this.check(dy);
    const X = this.check(x);
    const G = this.check(gamma);
    const Mn = this.check(mean);
    const Rs = this.check(rstd);
    const DG = this.check(dgamma);
    const DB = this.check(dbeta);
    if (X.shape.length !== 2) throw new Error(`layerNormBackward: expected [N,C], got ${shapeStr(X)}`);
    const [N, C] = X.shape;
    if (DY.size !== N * C || Mn.size !== N || Rs.size !== N || G.size !== C || DG.size !== C || DB.size !== C) {
      throw new Error('layerNormBackward: shape mismatch');
    }
    this.distinctOutputs('layerNormBackward', [DG, DB]);
    const dx = this.alloc([N, C]);
    LayerNormKernel.get('layer_norm_backward_dx', C).encode(this.ctx, N, C, 0, [
      this.b(DY), this.b(X), this.b(G), this.b(Mn), this.b(Rs), this.b(dx),
    ]);
    const temps: PooledBuffer[] = [];
    const w = [DG, DB];
    LayerNormKernel.get('layer_norm_backward_params', C).encode(this.ctx, N, C, 0, [
      this.input(DY, w, temps), this.input(X, w, temps), this.input(Mn, w, temps), this.input(Rs, w, temps),
      this.b(DG), this.b(DB),
    ]);
    this.done(temps);
    return dx;
  }

  // ------------------------------------------------------------------ GELU

  gelu(x: Tensor): Tensor {
    const X = this.check(x);
    const out = this.alloc(X.shape);
    ElementwiseKernel.get('gelu').encode(this.ctx, X.size, [this.b(X), this.b(out)]);
    return out;
  }

  geluBackward(dy: Tensor, x: Tensor): Tensor {
    const DY = this.check(dy);
    const X = this.check(x);
    if (DY.size !== X.size) throw new Error(`geluBackward: ${shapeStr(DY)} vs ${shapeStr(X)}`);
    const out = this.alloc(X.shape);
    ElementwiseKernel.get('gelu_backward').encode(this.ctx, X.size, [this.b(DY), this.b(X), this.b(out)]);
    return out;
  }

  // ------------------------------------------------------------------ attention

  private attnDims(qkv: GpuTensor, s: AttentionShape, op: string) {
    if (qkv.shape.length !== 2 || qkv.shape[1] % 3 !== 0 || qkv.shape[0] !== s.B * s.T) {
      throw new Error(`${op}: qkv ${shapeStr(qkv)} is not [B·T, 3C] for B=${s.B}, T=${s.T}`);
    }
    const C = qkv.shape[1] / 3;
    if (C % s.nHead !== 0) throw new Error(`${op}: C=${C} not divisible by nHead=${s.nHead}`);
    const D = C / s.nHead;
    // Operands inside the packed qkv [B·T, 3C] and in [B·T, C] activations.
    const rowQkv = (off: number): Operand => ({ sb: s.T * 3 * C, sh: D, sr: 3 * C, off });
    const rowAct: Operand = { sb: s.T * C, sh: D, sr: C, off: 0 };
    return { C, D, q: rowQkv(0), k: rowQkv(C), v: rowQkv(2 * C), act: rowAct };
  }

  attention(qkv: Tensor, s: AttentionShape): { y: Tensor; probs: Tensor } {
    const QKV = this.check(qkv);
    const { C, D, q, k, v, act } = this.attnDims(QKV, s, 'attention');
    const { B, T, nHead: H } = s;
    const y = this.alloc([B * T, C]);
    const probs = this.alloc([B, H, T, T]);
    const dims: AttnDims = { B, H, T, past: 0, Lk: T, scale: 1 / Math.sqrt(D) };
    AttentionScoresKernel.get(this.ctx, D, T, false).encode(this.ctx, dims, q, k, [
      this.b(QKV), this.b(QKV), this.b(QKV), this.b(probs),
    ]);
    AttentionPvKernel.get(this.ctx, D, T, false).encode(this.ctx, { ...dims, scale: 1 }, T, v, act, [
      this.b(probs), this.b(QKV), this.b(y),
    ]);
    return { y, probs };
  }

  attentionBackward(dy: Tensor, qkv: Tensor, probs: Tensor, s: AttentionShape): Tensor {
    const DY = this.check(dy);
    const QKV = this.check(qkv);
    const P = this.check(probs);
    const { C, D, q, k, v, act } = this.attnDims(QKV, s, 'attentionBackward');
    const { B, T, nHead: H } = s;
    if (DY.size !== B * T * C) throw new Error(`attentionBackward: dy ${shapeStr(DY)} is not [B·T, C]`);
    if (P.size !== B * H * T * T) throw new Error(`attentionBackward: probs ${shapeStr(P)} is not [B,H,T,T]`);
    const scale = 1 / Math.sqrt(D);
    const dims: AttnDims = { B, H, T, past: 0, Lk: T, scale };
    const dqkv = this.alloc(QKV.shape);
    const dS = this.ctx.storage.acquire(Math.max(4, B * H * T * T * 4));
    const bDS: Bound = { buf: dS, bytes: B * H * T * T * 4 };
    // dS = P ⊙ (dY·Vᵀ − rowsum(P ⊙ dY·Vᵀ))
    AttentionScoresKernel.get(this.ctx, D, T, true).encode(this.ctx, dims, act, v, [
      this.b(DY), this.b(QKV), this.b(P), bDS,
    ]);
    const pvN = AttentionPvKernel.get(this.ctx, D, T, false);
    const pvT = AttentionPvKernel.get(this.ctx, D, T, true);
    // dQ = scale·dS·K, dK = scale·dSᵀ·Q, dV = Pᵀ·dY. dqkv has qkv's layout, so the q/k/v
    // operand descriptors also address the thirds of dqkv the three products fill.
    pvN.encode(this.ctx, dims, T, k, q, [bDS, this.b(QKV), this.b(dqkv)]);
    pvT.encode(this.ctx, dims, T, q, k, [bDS, this.b(QKV), this.b(dqkv)]);
    pvT.encode(this.ctx, { ...dims, scale: 1 }, T, act, v, [this.b(P), this.b(DY), this.b(dqkv)]);
    this.ctx.storage.release(dS);
    return dqkv;
  }

  attentionCached(
    qkv: Tensor,
    kCache: Tensor,
    vCache: Tensor,
    s: AttentionShape & { past: number; maxT: number },
  ): Tensor {
    const QKV = this.check(qkv);
    const KC = this.check(kCache);
    const VC = this.check(vCache);
    const { C, D, q, act } = this.attnDims(QKV, s, 'attentionCached');
    const { B, T, nHead: H, past, maxT } = s;
    if (past + T > maxT) throw new Error(`attentionCached: position ${past + T} exceeds the cache (${maxT})`);
    if (KC.size !== B * H * maxT * D || VC.size !== B * H * maxT * D) {
      throw new Error(`attentionCached: caches must be [${B},${H},${maxT},${D}]`);
    }
    this.distinctOutputs('attentionCached', [KC, VC]);
    const Lk = past + T;
    const dims: AttnDims = { B, H, T, past, Lk, scale: 1 / Math.sqrt(D) };
    const temps: PooledBuffer[] = [];
    KvCacheWriteKernel.get(D).encode(this.ctx, dims, C, maxT, [this.input(QKV, [KC, VC], temps), this.b(KC), this.b(VC)]);
    this.done(temps);

    const cache: Operand = { sb: H * maxT * D, sh: maxT * D, sr: D, off: 0 };
    const y = this.alloc([B * T, C]);
    const sBytes = B * H * T * Lk * 4;
    const scratch = this.ctx.storage.acquire(Math.max(4, sBytes));
    const bS: Bound = { buf: scratch, bytes: sBytes };
    AttentionScoresKernel.get(this.ctx, D, T, false).encode(this.ctx, dims, q, cache, [
      this.b(QKV), this.b(KC), this.b(QKV), bS,
    ]);
    AttentionPvKernel.get(this.ctx, D, T, false).encode(this.ctx, { ...dims, scale: 1 }, T, cache, act, [
      bS, this.b(VC), this.b(y),
    ]);
    this.ctx.storage.release(scratch);
    return y;
  }

  // ------------------------------------------------------------------ embeddings

  embedding(ids: Tensor, wte: Tensor, wpe: Tensor, B: number, T: number, posOffset = 0): Tensor {
    const I = this.check(ids, 'u32');
    const E = this.check(wte);
    const Pe = this.check(wpe);
    if (E.shape.length !== 2 || Pe.shape.length !== 2 || E.shape[1] !== Pe.shape[1]) {
      throw new Error(`embedding: wte ${shapeStr(E)} / wpe ${shapeStr(Pe)} mismatch`);
    }
    if (I.size !== B * T) throw new Error(`embedding: ${I.size} ids for B=${B}, T=${T}`);
    const [V, C] = E.shape;
    const P = Pe.shape[0];
    if (posOffset + T > P) throw new Error(`embedding: positions up to ${posOffset + T} exceed wpe (${P})`);
    const x = this.alloc([B * T, C]);
    EmbeddingKernel.get('embedding').encode(this.ctx, { B, T, C, posOffset, V, P, rows: 0 }, [
      this.b(I), this.b(E), this.b(Pe), this.b(x),
    ]);
    return x;
  }

  embeddingBackward(dx: Tensor, ids: Tensor, dwte: Tensor, dwpe: Tensor, B: number, T: number): void {
    const DX = this.check(dx);
    const I = this.check(ids, 'u32');
    const DE = this.check(dwte);
    const DP = this.check(dwpe);
    if (DE.shape.length !== 2) throw new Error(`embeddingBackward: dwte ${shapeStr(DE)} is not [V,C]`);
    const [V, C] = DE.shape;
    if (I.size !== B * T || DX.size !== B * T * C) throw new Error('embeddingBackward: dx/ids size mismatch');
    if (DP.size < T * C || DP.size % C !== 0) throw new Error(`embeddingBackward: dwpe ${shapeStr(DP)} too small`);
    this.distinctOutputs('embeddingBackward', [DE, DP]);
    const dims = { B, T, C, posOffset: 0, V, P: DP.size / C, rows: 0 };
    const temps: PooledBuffer[] = [];
    const w = [DE, DP];
    const bDX = this.input(DX, w, temps);
    EmbeddingKernel.get('embedding_backward_wte').encode(this.ctx, dims, [bDX, this.b(I), this.b(DE)]);
    EmbeddingKernel.get('embedding_backward_wpe').encode(this.ctx, dims, [bDX, this.b(DP)]);
    this.done(temps);
  }

  // ------------------------------------------------------------------ output log-probs

  private rowsOf(t: GpuTensor, op: string): [number, number] {
    if (t.shape.length !== 2) throw new Error(`${op}: expected [N,V], got ${shapeStr(t)}`);
    return [t.shape[0], t.shape[1]];
  }

  logSoftmaxGather(logits: Tensor, targets: Tensor): { logprobs: Tensor; lse: Tensor } {
    const L = this.check(logits);
    const Tg = this.check(targets, 'u32');
    const [N, V] = this.rowsOf(L, 'logSoftmaxGather');
    if (Tg.size !== N) throw new Error(`logSoftmaxGather: ${Tg.size} targets for ${N} rows`);
    const logprobs = this.alloc([N]);
    const lse = this.alloc([N]);
    LogSoftmaxKernel.get('log_softmax_gather').encode(this.ctx, N, V, [
      this.b(L), this.b(Tg), this.b(logprobs), this.b(lse),
    ]);
    return { logprobs, lse };
  }

  logSoftmaxGatherBackward(dlogprobs: Tensor, logits: Tensor, lse: Tensor, targets: Tensor): Tensor {
    const DL = this.check(dlogprobs);
    const L = this.check(logits);
    const LSE = this.check(lse);
    const Tg = this.check(targets, 'u32');
    const [N, V] = this.rowsOf(L, 'logSoftmaxGatherBackward');
    if (DL.size !== N || LSE.size !== N || Tg.size !== N) throw new Error('logSoftmaxGatherBackward: row count mismatch');
    const out = this.alloc([N, V]);
    LogSoftmaxKernel.get('log_softmax_gather_backward').encode(this.ctx, N, V, [
      this.b(DL), this.b(L), this.b(LSE), this.b(Tg), this.b(out),
    ]);
    return out;
  }

  crossEntropy(logprobs: Tensor, mask: Tensor): Tensor {
    const LP = this.check(logprobs);
    const Mk = this.check(mask);
    if (LP.size !== Mk.size) throw new Error(`crossEntropy: logprobs ${shapeStr(LP)} vs mask ${shapeStr(Mk)}`);
    const out = this.alloc([1]);
    MaskedMeanNllKernel.instance.encode(this.ctx, LP.size, [this.b(LP), this.b(Mk), this.b(out)]);
    return out;
  }

  softmax(logits: Tensor, temperature: number): Tensor {
    const L = this.check(logits);
    const [N, V] = this.rowsOf(L, 'softmax');
    const out = this.alloc([N, V]);
    LogSoftmaxKernel.get('softmax').encode(this.ctx, N, V, [this.b(L), this.b(out)], temperature);
    return out;
  }

  argmax(logits: Tensor): Tensor {
    const L = this.check(logits);
    const [N, V] = this.rowsOf(L, 'argmax');
    const out = this.alloc([N], 'u32');
    LogSoftmaxKernel.get('argmax').encode(this.ctx, N, V, [this.b(L), this.b(out)]);
    return out;
  }

  gatherRows(x: Tensor, rows: Tensor): Tensor {
    const X = this.check(x);
    const R = this.check(rows, 'u32');
    if (X.shape.length !== 2) throw new Error(`gatherRows: expected [N,C], got ${shapeStr(X)}`);
    const [N, C] = X.shape;
    const out = this.alloc([R.size, C]);
    EmbeddingKernel.get('gather_rows').encode(this.ctx, { B: 0, T: 1, C, posOffset: 0, V: N, P: 0, rows: R.size }, [
      this.b(X), this.b(R), this.b(out),
    ]);
    return out;
  }

  // ------------------------------------------------------------------ optimizer

  adamw(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, h: AdamWHyper): void {
    const Pm = this.check(param);
    const G = this.check(grad);
    const Mm = this.check(m);
    const Vm = this.check(v);
    const n = Pm.size;
    if (G.size !== n || Mm.size !== n || Vm.size !== n) throw new Error('adamw: param/grad/m/v sizes differ');
    if (!(h.step >= 1)) throw new Error(`adamw: step must be ≥ 1 (got ${h.step})`);
    this.distinctOutputs('adamw', [Pm, Mm, Vm]);
    const temps: PooledBuffer[] = [];
    AdamWKernel.instance.encode(this.ctx, n, h, [this.b(Pm), this.input(G, [Pm, Mm, Vm], temps), this.b(Mm), this.b(Vm)]);
    this.done(temps);
  }

  clipGradNorm(grads: readonly Tensor[], maxNorm: number): Tensor {
    const gs = grads.map((g) => this.check(g));
    const norm = this.alloc([1]);
    let slots = 0;
    for (const g of gs) slots += GradNormKernels.groupsFor(g.size);
    if (slots === 0) {
      this.ctx.clear(norm.buf, 4);
      return norm;
    }
    const partials = this.ctx.storage.acquire(slots * 4);
    const bP: Bound = { buf: partials, bytes: slots * 4 };
    let slot = 0;
    for (const g of gs) {
      GradNormKernels.encodePartial(this.ctx, g.size, slot, [this.b(g), bP]);
      slot += GradNormKernels.groupsFor(g.size);
    }
    GradNormKernels.encodeFinal(this.ctx, slots, [bP, this.b(norm)]);
    for (const g of gs) GradNormKernels.encodeScale(this.ctx, g.size, maxNorm, [this.b(g), this.b(norm)]);
    this.ctx.storage.release(partials);
    return norm;
  }
}
