import type { AdamWHyper, AttentionShape, Backend, Tensor } from '../backend';
import { acquireDevice } from '../gpu/device';
import type { PooledBuffer } from '../gpu/buffer_pool';
import type { GpuTensor } from '../gpu/tensor';
import type { Bound } from '../../kernels/kernel';
import { AdamWKernel } from '../../kernels/adamw';
import { AttentionFusedKernel, AttentionPvKernel, AttentionScoresKernel, KvCacheWriteKernel, type AttnDims, type Operand } from '../../kernels/attention';
import { ElementwiseKernel } from '../../kernels/elementwise';
import { EmbeddingKernel } from '../../kernels/embedding';
import { LayerNormKernel } from '../../kernels/layer_norm';
import { LogSoftmaxKernel } from '../../kernels/log_softmax';
import { MATVEC_MAX_ROWS, MatmulKernel, MatvecKernel, splitKPlan, SplitKReduceKernel } from '../../kernels/matmul';
import { GradNormKernels, MaskedMeanNllKernel, SumRowsKernel } from '../../kernels/reduce';
import { shapeStr, WebGpuMemory } from './webgpu_memory';

export { GpuTensor } from '../gpu/tensor';

/** Creates the WebGPU backend on the worker's shared device (see src/engine/gpu/device.ts). */
export async function createWebGpuBackend(gpu: GPU, opts?: { powerPreference?: GPUPowerPreference }): Promise<WebGpuBackend> {
  return new WebGpuBackend(await acquireDevice(gpu, opts));
}

/**
 * The WGSL backend. Ops are recorded into one pending command encoder (see GpuContext) and
 * run when `flush()` or `read()` submits it; tensors live in pooled buffers that `release()`
 * returns to the pool.
 *
 * Tensor bookkeeping, memory ops and diagnostics are inherited from WebGpuMemory
 * (./webgpu_memory.ts); this class holds the ops, each checking its operands and recording
 * its kernels.
 */
export class WebGpuBackend extends WebGpuMemory implements Backend {
  readonly name = 'webgpu' as const;

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
    const plan = splitKPlan(M, N, K);
    if (M <= MATVEC_MAX_ROWS && M > 0) MatvecKernel.get(M, N, flags).encode(this.ctx, M, N, K, buffers);
    else if (plan.slices === 1) MatmulKernel.get(flags).encode(this.ctx, M, N, K, buffers);
    else {
      // Too few output tiles for the device: the slices' partials, then their ordered sum.
      const pBytes = plan.slices * M * N * 4;
      const partials = this.ctx.storage.acquire(pBytes);
      const bP: Bound = { buf: partials, bytes: pBytes };
      MatmulKernel.get(flags, true).encode(this.ctx, M, N, K, [bA, bB, bA, bP], plan.kPerSlice);
      SplitKReduceKernel.get(flags.bias, flags.acc).encode(this.ctx, M, N, K, plan.kPerSlice, [bP, bP, bias ? bBias : bP, this.b(out)]);
      this.ctx.storage.release(partials);
    }
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

  /**
   * One fused pass (`attn_fused`): y and `saved`, each row's log-sum-exp [B, H, T]. Neither
   * the scores nor the probabilities are ever in memory; the backward recomputes them from it.
   */
  attention(qkv: Tensor, s: AttentionShape): { y: Tensor; saved: Tensor } {
    const QKV = this.check(qkv);
    const { C, D, q, k, v, act } = this.attnDims(QKV, s, 'attention');
    const { B, T, nHead: H } = s;
    const y = this.alloc([B * T, C]);
    const lse = this.alloc([B, H, T]);
    const dims: AttnDims = { B, H, T, past: 0, Lk: T, scale: 1 / Math.sqrt(D) };
    AttentionFusedKernel.get(this.ctx, D).encode(this.ctx, dims, q, k, v, act, [
      this.b(QKV), this.b(QKV), this.b(QKV), this.b(y), this.b(lse),
    ]);
    return { y, saved: lse };
  }

  /** Recomputes the probabilities from `saved` (the rows' log-sum-exp) into a scratch buffer. */
  attentionBackward(dy: Tensor, qkv: Tensor, saved: Tensor, s: AttentionShape): Tensor {
    const DY = this.check(dy);
    const QKV = this.check(qkv);
    const LSE = this.check(saved);
    const { C, D, q, k, v, act } = this.attnDims(QKV, s, 'attentionBackward');
    const { B, T, nHead: H } = s;
    if (DY.size !== B * T * C) throw new Error(`attentionBackward: dy ${shapeStr(DY)} is not [B·T, C]`);
    if (LSE.size !== B * H * T) throw new Error(`attentionBackward: saved ${shapeStr(LSE)} is not the log-sum-exp [B,H,T]`);
    const scale = 1 / Math.sqrt(D);
    const dims: AttnDims = { B, H, T, past: 0, Lk: T, scale };
    const dqkv = this.alloc(QKV.shape);
    const pBytes = B * H * T * T * 4;
    const probs = this.ctx.storage.acquire(Math.max(4, pBytes));
    const bP: Bound = { buf: probs, bytes: pBytes };
    const none = this.ctx.storage.acquire(4);
    const bNone: Bound = { buf: none, bytes: 4 };
    // P = exp(scale·Q·Kᵀ − lse), the forward's softmax without its max and sum.
    AttentionScoresKernel.get(this.ctx, D, T, false, 'recompute').encode(this.ctx, dims, q, k, [
      this.b(QKV), this.b(QKV), this.b(QKV), bP, this.b(LSE),
    ]);
    const dS = this.ctx.storage.acquire(Math.max(4, pBytes));
    const bDS: Bound = { buf: dS, bytes: pBytes };
    // dS = P ⊙ (dY·Vᵀ − rowsum(P ⊙ dY·Vᵀ))
    AttentionScoresKernel.get(this.ctx, D, T, true).encode(this.ctx, dims, act, v, [
      this.b(DY), this.b(QKV), bP, bDS, bNone,
    ]);
    const pvN = AttentionPvKernel.get(this.ctx, D, T, false);
    const pvT = AttentionPvKernel.get(this.ctx, D, T, true);
    // dQ = scale·dS·K, dK = scale·dSᵀ·Q, dV = Pᵀ·dY. dqkv has qkv's layout, so the q/k/v
    // operand descriptors also address the thirds of dqkv the three products fill.
    pvN.encode(this.ctx, dims, T, k, q, [bDS, this.b(QKV), this.b(dqkv)]);
    pvT.encode(this.ctx, dims, T, q, k, [bDS, this.b(QKV), this.b(dqkv)]);
    pvT.encode(this.ctx, { ...dims, scale: 1 }, T, act, v, [bP, this.b(DY), this.b(dqkv)]);
    for (const buf of [dS, probs, none]) this.ctx.storage.release(buf);
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
    const none = this.ctx.storage.acquire(4);
    AttentionScoresKernel.get(this.ctx, D, T, false).encode(this.ctx, dims, q, cache, [
      this.b(QKV), this.b(KC), this.b(QKV), bS, { buf: none, bytes: 4 },
    ]);
    AttentionPvKernel.get(this.ctx, D, T, false).encode(this.ctx, { ...dims, scale: 1 }, T, cache, act, [
      bS, this.b(VC), this.b(y),
    ]);
    this.ctx.storage.release(scratch);
    this.ctx.storage.release(none);
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

  topK(logits: Tensor, k: number): { values: Tensor; ids: Tensor } {
    const L = this.check(logits);
    const [N, V] = this.rowsOf(L, 'topK');
    if (!Number.isInteger(k) || k < 1 || k > V) throw new Error(`topK: k=${k} must be in 1…${V}`);
    const values = this.alloc([N, k]);
    const ids = this.alloc([N, k], 'u32');
    LogSoftmaxKernel.get('topk').encode(this.ctx, N, V, [this.b(L), this.b(values), this.b(ids)], 1, k);
    return { values, ids };
  }

  sample(logits: Tensor, temperature: number, uniforms: Float64Array): Tensor {
    const L = this.check(logits);
    const [N, V] = this.rowsOf(L, 'sample');
    if (uniforms.length !== N) throw new Error(`sample: ${uniforms.length} uniforms for ${N} rows`);
    if (!(temperature > 0)) throw new Error(`sample: temperature ${temperature} must be > 0`);
    // N floats go up (the uniforms), N ids come back: never the [N, V] row.
    const u = this.check(this.upload(Float32Array.from(uniforms), [N]));
    const ids = this.alloc([N], 'u32');
    LogSoftmaxKernel.get('sample').encode(this.ctx, N, V, [this.b(L), this.b(u), this.b(ids)], temperature);
    this.release(u);
    return ids;
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
