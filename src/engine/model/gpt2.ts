import { readReusing, type Backend, type Tensor } from '../backend';
import { gpt2ParamSpecs, type GPT2Config, type ParamSpec } from './config';
import type { SafeTensor } from './safetensors';
import { Rng } from '../rng';

/** One block's parameters, by role. */
interface LayerParams {
  ln1: [Tensor, Tensor];
  attn: [Tensor, Tensor];
  proj: [Tensor, Tensor];
  ln2: [Tensor, Tensor];
  fc: [Tensor, Tensor];
  mlpProj: [Tensor, Tensor];
}

/** Activations of one transformer block, kept for the backward pass. */
interface BlockCache {
  x: Tensor;
  ln1: { y: Tensor; mean: Tensor; rstd: Tensor };
  qkv: Tensor;
  /** saved: what the backend's attention backward reads (`Backend.attention`). */
  att: { y: Tensor; saved: Tensor };
  x2: Tensor;
  ln2: { y: Tensor; mean: Tensor; rstd: Tensor };
  fc: Tensor;
  act: Tensor;
}

/** What `forward` keeps so `backward` can run; release it with `releaseForward`. */
export interface ForwardState {
  B: number;
  T: number;
  ids: Tensor;
  targets: Tensor;
  blocks: BlockCache[];
  xFinal: Tensor;
  lnf: { y: Tensor; mean: Tensor; rstd: Tensor };
  logits: Tensor;
  lse: Tensor;
  /** Per-position log-prob of targets[i] given ids[≤ i]: [B·T]. */
  logprobs: Tensor;
}

/** A KV cache for batched decoding of B sequences up to maxT positions. */
export interface KVCache {
  B: number;
  maxT: number;
  /** Number of positions already written. */
  length: number;
  k: Tensor[];
  v: Tensor[];
}

/** The causal-mask buffers Hugging Face GPT-2 checkpoints may carry; this engine builds its own mask. */
const IGNORED_CHECKPOINT_TENSORS = /(^|\.)attn\.(bias|masked_bias)$/;

/**
 * A GPT-2-architecture decoder (pre-LN, learned positions, tanh GELU, tied embeddings) written
 * once against the Backend interface, so the CPU reference and WebGPU run the same program.
 */
export class GPT2Model {
  readonly specs: ParamSpec[];
  readonly params = new Map<string, Tensor>();
  /** Per-layer parameter records (`layerParams`). */
  private readonly layers: LayerParams[] = [];
  grads: Map<string, Tensor> | null = null;

  constructor(
    readonly backend: Backend,
    readonly config: GPT2Config,
    /** Host arrays (uploaded) or another model's tensors on this backend (cloned on the device). */
    weights: ReadonlyMap<string, Float32Array | Tensor>,
  ) {
    this.specs = gpt2ParamSpecs(config);
    for (const s of this.specs) {
      const w = weights.get(s.name);
      if (!w) throw new Error(`weights: missing tensor "${s.name}"`);
      const n = s.shape.reduce((a, b) => a * b, 1);
      const size = w instanceof Float32Array ? w.length : w.size;
      if (size !== n) throw new Error(`weights: "${s.name}" has ${size} values, expected [${s.shape}] = ${n}`);
      this.params.set(s.name, w instanceof Float32Array ? backend.upload(w, s.shape) : backend.clone(w));
    }
  }

  /** A second model with a copy of this one's parameters, made on the backend (no host round trip). */
  copy(): GPT2Model {
    return new GPT2Model(this.backend, this.config, this.params);
  }

  /** Builds a model from safetensors entries in Hugging Face GPT-2 naming and layout. */
  static fromCheckpoint(backend: Backend, config: GPT2Config, tensors: Map<string, SafeTensor>): GPT2Model {
    return new GPT2Model(backend, config, GPT2Model.checkpointWeights(config, tensors));
  }

  /**
   * The parameters a checkpoint's tensors give for this config, checked (names, shapes, finite
   * values, tied head) without touching a backend: a caller can refuse a bad file before it
   * lets go of the model it has.
   */
  static checkpointWeights(config: GPT2Config, tensors: Map<string, SafeTensor>): Map<string, Float32Array> {
    const byName = new Map<string, SafeTensor>();
    let lmHead: SafeTensor | undefined;
    for (const [rawName, t] of tensors) {
      const name = rawName.startsWith('transformer.') ? rawName.slice('transformer.'.length) : rawName;
      if (IGNORED_CHECKPOINT_TENSORS.test(name)) continue;
      if (name === 'lm_head.weight') {
        lmHead = t;
        continue;
      }
      // With and without the prefix would be two values for one parameter, one silently dropped.
      if (byName.has(name)) throw new Error(`model.safetensors: tensor "${name}" appears twice (with and without "transformer.")`);
      byName.set(name, t);
    }
    const weights = new Map<string, Float32Array>();
    for (const s of gpt2ParamSpecs(config)) {
      const t = byName.get(s.name);
      if (!t) throw new Error(`model.safetensors: missing tensor "${s.name}" required by config.json`);
      if (t.shape.length !== s.shape.length || t.shape.some((d, i) => d !== s.shape[i])) {
        throw new Error(
          `model.safetensors: tensor "${s.name}" has shape [${t.shape}] but config.json implies [${s.shape}]`,
        );
      }
      checkFinite(s.name, t.data);
      weights.set(s.name, t.data);
      byName.delete(s.name);
    }
    // Tied embeddings: a stored LM head must be the token embedding, else the file is untied.
    const wte = weights.get('wte.weight')!;
    if (lmHead && (lmHead.shape.join() !== `${config.vocabSize},${config.nEmbd}` || lmHead.data.some((x, i) => x !== wte[i]))) {
      throw new Error('model.safetensors: tensor "lm_head.weight" differs from "wte.weight" (an untied LM head is not implemented)');
    }
    if (byName.size > 0) {
      throw new Error(`model.safetensors: unexpected tensors ${[...byName.keys()].slice(0, 5).join(', ')} (not GPT-2 layout?)`);
    }
    return weights;
  }

  /** GPT-2's initialisation (N(0, 0.02), residual projections scaled by 1/√(2·nLayer)). */
  static randomInit(backend: Backend, config: GPT2Config, seed: number, std = 0.02): GPT2Model {
    const rng = new Rng(seed);
    const weights = new Map<string, Float32Array>();
    for (const s of gpt2ParamSpecs(config)) {
      const n = s.shape.reduce((a, b) => a * b, 1);
      const w = new Float32Array(n);
      if (s.name.endsWith('ln_1.weight') || s.name.endsWith('ln_2.weight') || s.name === 'ln_f.weight') w.fill(1);
      else if (s.shape.length === 2) {
        const sd = s.name.endsWith('c_proj.weight') ? std / Math.sqrt(2 * config.nLayer) : std;
        for (let i = 0; i < n; i++) w[i] = rng.normal() * sd;
      }
      weights.set(s.name, w);
    }
    return new GPT2Model(backend, config, weights);
  }

  p(name: string): Tensor {
    const t = this.params.get(name);
    if (!t) throw new Error(`no parameter ${name}`);
    return t;
  }

  /**
   * Host copies of all parameters, in spec order (snapshots, export, checkpoints); into
   * `reuse`'s arrays where given (a dropped checkpoint's, which nothing else holds).
   */
  async readWeights(reuse?: ReadonlyMap<string, Float32Array>): Promise<Map<string, Float32Array>> {
    // All reads issued before the first await: WebGPU copies them in one submit, not one per tensor.
    const values = await Promise.all(this.specs.map((s) => readReusing(this.backend, this.p(s.name), reuse?.get(s.name))));
    return new Map(this.specs.map((s, i) => [s.name, values[i]!]));
  }

  /**
   * Why `weights` cannot replace this model's parameters (a tensor missing, of another size, or
   * not in the model); null when they can. For weights from outside (another engine's copy):
   * `writeWeights` checks each tensor only as it writes it, so a bad one would leave some written.
   */
  weightsProblem(weights: ReadonlyMap<string, unknown>): string | null {
    for (const s of this.specs) {
      const w = weights.get(s.name);
      const size = this.p(s.name).size;
      if (!(w instanceof Float32Array) || w.length !== size) return `tensor ${s.name}: missing or not ${size} floats`;
    }
    return weights.size === this.specs.length ? null : `${weights.size} tensors, the policy has ${this.specs.length}`;
  }

  writeWeights(weights: Map<string, Float32Array>): void {
    for (const s of this.specs) {
      const w = weights.get(s.name);
      if (!w) throw new Error(`writeWeights: missing ${s.name}`);
      this.backend.write(this.p(s.name), w);
    }
  }

  // ------------------------------------------------------------------ training forward

  /**
   * Forward over a right-padded batch ids [B·T]. targets[b·T + t] is the token whose log-prob
   * is wanted at position t (usually ids[b·T + t + 1]; anything where the caller's mask is 0).
   */
  forward(ids: Uint32Array, targets: Uint32Array, B: number, T: number): ForwardState {
    const be = this.backend;
    const c = this.config;
    if (ids.length !== B * T || targets.length !== B * T) throw new Error('forward: ids/targets must be B·T long');
    if (T > c.nPositions) throw new Error(`forward: sequence length ${T} exceeds n_positions ${c.nPositions}`);
    checkIds(ids, c.vocabSize);
    checkIds(targets, c.vocabSize);
    const idsT = be.uploadU32(ids, [B * T]);
    const targetsT = be.uploadU32(targets, [B * T]);
    let x = be.embedding(idsT, this.p('wte.weight'), this.p('wpe.weight'), B, T);
    const blocks: BlockCache[] = [];
    for (let l = 0; l < c.nLayer; l++) {
      const cache = this.block(l, x, (qkv) => be.attention(qkv, { B, T, nHead: c.nHead }));
      blocks.push(cache);
      const out = this.mlpOut(l, cache.act);
      x = be.add(cache.x2, out);
      be.release(out);
    }
    const lnf = be.layerNorm(x, this.p('ln_f.weight'), this.p('ln_f.bias'), c.layerNormEpsilon);
    const logits = be.matmul(lnf.y, this.p('wte.weight'), { transB: true });
    const { logprobs, lse } = be.logSoftmaxGather(logits, targetsT);
    return { B, T, ids: idsT, targets: targetsT, blocks, xFinal: x, lnf, logits, lse, logprobs };
  }

  /**
   * Block l up to its MLP's activation, with `attend` as its attention: the training pass's
   * (which keeps what its backward reads) or decoding's (which reads and extends the KV
   * cache). One body for both, so decoding runs exactly the training pass's operations.
   */
  private block<A extends { y: Tensor }>(l: number, x: Tensor, attend: (qkv: Tensor) => A): Omit<BlockCache, 'att'> & { att: A } {
    const be = this.backend;
    const w = this.layerParams(l);
    const ln1 = be.layerNorm(x, w.ln1[0], w.ln1[1], this.config.layerNormEpsilon);
    const qkv = be.matmul(ln1.y, w.attn[0], { bias: w.attn[1] });
    const att = attend(qkv);
    const proj = be.matmul(att.y, w.proj[0], { bias: w.proj[1] });
    const x2 = be.add(x, proj);
    be.release(proj);
    const ln2 = be.layerNorm(x2, w.ln2[0], w.ln2[1], this.config.layerNormEpsilon);
    const fc = be.matmul(ln2.y, w.fc[0], { bias: w.fc[1] });
    const act = be.gelu(fc);
    return { x, ln1, qkv, att, x2, ln2, fc, act };
  }

  private mlpOut(l: number, act: Tensor): Tensor {
    const w = this.layerParams(l);
    return this.backend.matmul(act, w.mlpProj[0], { bias: w.mlpProj[1] });
  }

  /** Layer l's parameters, looked up by name once: they are written in place, never replaced (decoding looked them up per token). */
  private layerParams(l: number): LayerParams {
    let w = this.layers[l];
    if (!w) {
      const pair = (name: string): [Tensor, Tensor] => [this.p(`h.${l}.${name}.weight`), this.p(`h.${l}.${name}.bias`)];
      w = { ln1: pair('ln_1'), attn: pair('attn.c_attn'), proj: pair('attn.c_proj'), ln2: pair('ln_2'), fc: pair('mlp.c_fc'), mlpProj: pair('mlp.c_proj') };
      this.layers[l] = w;
    }
    return w;
  }

  /** Frees everything `forward` kept except what the caller still holds (logprobs, final hidden). */
  releaseForward(s: ForwardState, keep: { logprobs?: boolean; hidden?: boolean } = {}): void {
    const be = this.backend;
    for (const b of s.blocks) {
      for (const t of [b.x, b.ln1.y, b.ln1.mean, b.ln1.rstd, b.qkv, b.att.y, b.att.saved, b.x2, b.ln2.y, b.ln2.mean, b.ln2.rstd, b.fc, b.act]) {
        be.release(t);
      }
    }
    for (const t of [s.ids, s.targets, s.xFinal, s.lnf.mean, s.lnf.rstd, s.logits, s.lse]) be.release(t);
    if (!keep.hidden) be.release(s.lnf.y);
    if (!keep.logprobs) be.release(s.logprobs);
    s.blocks = [];
  }

  // ------------------------------------------------------------------ backward

  zeroGrads(): Map<string, Tensor> {
    if (!this.grads) {
      this.grads = new Map(this.specs.map((s) => [s.name, this.backend.zeros(s.shape)]));
    } else {
      for (const g of this.grads.values()) this.backend.zero(g);
    }
    return this.grads;
  }

  g(name: string): Tensor {
    const t = this.grads?.get(name);
    if (!t) throw new Error('backward: call zeroGrads() first');
    return t;
  }

  /**
   * Accumulates dL/dθ into `grads` given dL/d(logprobs) [B·T] (zero where a position does not
   * count). Releases the forward state's activations as it goes.
   */
  backward(s: ForwardState, dlogprobs: Float32Array): void {
    const be = this.backend;
    const c = this.config;
    const { B, T } = s;
    if (dlogprobs.length !== B * T) throw new Error('backward: dlogprobs must be B·T long');
    const dlp = be.upload(dlogprobs, [B * T]);
    const dlogits = be.logSoftmaxGatherBackward(dlp, s.logits, s.lse, s.targets);
    be.release(dlp);
    // Tied embeddings: the LM head's weight gradient lands in wte's gradient.
    be.matmul(dlogits, s.lnf.y, { transA: true, into: this.g('wte.weight') });
    const dh = be.matmul(dlogits, this.p('wte.weight'));
    be.release(dlogits);
    let dx = be.layerNormBackward(dh, s.xFinal, this.p('ln_f.weight'), s.lnf.mean, s.lnf.rstd, this.g('ln_f.weight'), this.g('ln_f.bias'));
    be.release(dh);
    for (let l = c.nLayer - 1; l >= 0; l--) {
      const next = this.blockBackward(l, s.blocks[l], dx, B, T);
      be.release(dx);
      dx = next;
    }
    be.embeddingBackward(dx, s.ids, this.g('wte.weight'), this.g('wpe.weight'), B, T);
    be.release(dx);
  }

  private blockBackward(l: number, k: BlockCache, dout: Tensor, B: number, T: number): Tensor {
    const be = this.backend;
    const c = this.config;
    const pre = `h.${l}.`;
    // MLP: out = x2 + act·Wp + bp, act = gelu(fc), fc = ln2·Wfc + bfc.
    be.matmul(k.act, dout, { transA: true, into: this.g(pre + 'mlp.c_proj.weight') });
    be.sumRows(dout, this.g(pre + 'mlp.c_proj.bias'));
    const dact = be.matmul(dout, this.p(pre + 'mlp.c_proj.weight'), { transB: true });
    const dfc = be.geluBackward(dact, k.fc);
    be.release(dact);
    be.matmul(k.ln2.y, dfc, { transA: true, into: this.g(pre + 'mlp.c_fc.weight') });
    be.sumRows(dfc, this.g(pre + 'mlp.c_fc.bias'));
    const dln2 = be.matmul(dfc, this.p(pre + 'mlp.c_fc.weight'), { transB: true });
    be.release(dfc);
    const dx2 = be.layerNormBackward(dln2, k.x2, this.p(pre + 'ln_2.weight'), k.ln2.mean, k.ln2.rstd, this.g(pre + 'ln_2.weight'), this.g(pre + 'ln_2.bias'));
    be.release(dln2);
    be.addInto(dx2, dout);
    // Attention: x2 = x + attY·Wo + bo, attY = attention(qkv), qkv = ln1·Wqkv + bqkv.
    be.matmul(k.att.y, dx2, { transA: true, into: this.g(pre + 'attn.c_proj.weight') });
    be.sumRows(dx2, this.g(pre + 'attn.c_proj.bias'));
    const datt = be.matmul(dx2, this.p(pre + 'attn.c_proj.weight'), { transB: true });
    const dqkv = be.attentionBackward(datt, k.qkv, k.att.saved, { B, T, nHead: c.nHead });
    be.release(datt);
    be.matmul(k.ln1.y, dqkv, { transA: true, into: this.g(pre + 'attn.c_attn.weight') });
    be.sumRows(dqkv, this.g(pre + 'attn.c_attn.bias'));
    const dln1 = be.matmul(dqkv, this.p(pre + 'attn.c_attn.weight'), { transB: true });
    be.release(dqkv);
    const dx = be.layerNormBackward(dln1, k.x, this.p(pre + 'ln_1.weight'), k.ln1.mean, k.ln1.rstd, this.g(pre + 'ln_1.weight'), this.g(pre + 'ln_1.bias'));
    be.release(dln1);
    be.addInto(dx, dx2);
    be.release(dx2);
    return dx;
  }

  // ------------------------------------------------------------------ decoding

  createKVCache(B: number, maxT: number): KVCache {
    const c = this.config;
    if (maxT > c.nPositions) throw new Error(`KV cache length ${maxT} exceeds n_positions ${c.nPositions}`);
    const D = c.nEmbd / c.nHead;
    const shape = [B, c.nHead, maxT, D];
    const k: Tensor[] = [];
    const v: Tensor[] = [];
    for (let l = 0; l < c.nLayer; l++) {
      k.push(this.backend.zeros(shape));
      v.push(this.backend.zeros(shape));
    }
    return { B, maxT, length: 0, k, v };
  }

  releaseKVCache(cache: KVCache): void {
    for (const t of [...cache.k, ...cache.v]) this.backend.release(t);
    cache.k = [];
    cache.v = [];
  }

  /**
   * Runs T new tokens per sequence (ids [B·T]) through the model with the cache and returns the
   * logits of each sequence's last new position: [B, V].
   */
  decode(cache: KVCache, ids: Uint32Array, T: number): Tensor {
    if (ids.length !== cache.B * T) throw new Error('decode: ids must be B·T long');
    checkIds(ids, this.config.vocabSize);
    const idsT = this.backend.uploadU32(ids, [cache.B * T]);
    try {
      return this.decodeIds(cache, idsT, T);
    } finally {
      this.backend.release(idsT);
    }
  }

  /**
   * `decode` from ids already on the device ([B·T] u32, each below the vocabulary size: an
   * argmax's output), so greedy decoding feeds each token back without a round trip.
   */
  decodeIds(cache: KVCache, idsT: Tensor, T: number): Tensor {
    const be = this.backend;
    const c = this.config;
    const B = cache.B;
    if (idsT.shape.reduce((a, b) => a * b, 1) !== B * T) throw new Error('decode: ids must be B·T long');
    if (cache.length + T > cache.maxT) throw new Error(`decode: the cache holds ${cache.maxT} positions`);
    let x = be.embedding(idsT, this.p('wte.weight'), this.p('wpe.weight'), B, T, cache.length);
    for (let l = 0; l < c.nLayer; l++) {
      const k = this.block(l, x, (qkv) => ({
        y: be.attentionCached(qkv, cache.k[l], cache.v[l], { B, T, nHead: c.nHead, past: cache.length, maxT: cache.maxT }),
      }));
      const out = this.mlpOut(l, k.act);
      x = be.add(k.x2, out);
      releaseAll(be, k.x, k.ln1.y, k.ln1.mean, k.ln1.rstd, k.qkv, k.att.y, k.x2, k.ln2.y, k.ln2.mean, k.ln2.rstd, k.fc, k.act, out);
    }
    cache.length += T;
    let last = x;
    if (T > 1) {
      const rows = new Uint32Array(B);
      for (let b = 0; b < B; b++) rows[b] = b * T + T - 1;
      const rowsT = be.uploadU32(rows, [B]);
      last = be.gatherRows(x, rowsT);
      releaseAll(be, rowsT, x);
    }
    const lnf = be.layerNorm(last, this.p('ln_f.weight'), this.p('ln_f.bias'), c.layerNormEpsilon);
    releaseAll(be, last, lnf.mean, lnf.rstd);
    const logits = be.matmul(lnf.y, this.p('wte.weight'), { transB: true });
    be.release(lnf.y);
    return logits;
  }

  dispose(): void {
    for (const t of this.params.values()) this.backend.release(t);
    this.params.clear();
    this.layers.length = 0;
    if (this.grads) for (const t of this.grads.values()) this.backend.release(t);
    this.grads = null;
  }
}

function releaseAll(be: Backend, ...ts: Tensor[]): void {
  for (const t of ts) be.release(t);
}

/** All-NaN weights once loaded and generated empty text with exit code 0. */
function checkFinite(name: string, data: Float32Array): void {
  for (let i = 0; i < data.length; i++) {
    // x - x is 0 for every finite x and NaN for NaN and ±Infinity.
    if (data[i] - data[i] !== 0) {
      throw new Error(`model.safetensors: tensor "${name}" holds ${data[i]} at index ${i} (weights must be finite)`);
    }
  }
}

function checkIds(ids: Uint32Array, V: number): void {
  for (let i = 0; i < ids.length; i++) {
    if (ids[i] >= V) throw new Error(`token id ${ids[i]} is outside the vocabulary (size ${V})`);
  }
}
