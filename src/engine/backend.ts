/**
 * The op-level contract every compute backend implements. The GPT-2 model (forward, backward,
 * decoding, optimizer) is written once against this interface; `cpu` implements it with the
 * TypeScript reference functions in `src/kernels/reference.ts`, `webgpu` with WGSL kernels.
 *
 * Conventions
 * - Every tensor is a dense row-major float32 array (or uint32 for ids) of `shape`.
 * - Ops are issued eagerly and return new tensors; on WebGPU they are only *recorded*
 *   (encoded into the current command encoder) and nothing waits for the device until
 *   `read()`/`flush()`. So an op never blocks, and results are only visible through `read()`.
 * - Ops never retain their inputs; the caller `release()`s what it no longer needs
 *   (WebGPU returns the buffer to a pool). Releasing twice is an error.
 * - "Accumulate" ops (`into` arguments) add into an existing tensor: `into += result`.
 * - Weight matrices use Hugging Face GPT-2's Conv1D layout: W is [in, out] and y = x·W + b.
 */

export type DType = 'f32' | 'u32';

export interface Tensor {
  readonly shape: readonly number[];
  readonly dtype: DType;
  /** Number of elements (product of shape). */
  readonly size: number;
}

export type BackendName = 'cpu' | 'webgpu';

export interface AdamWHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** 1-based step count, used for bias correction: m̂ = m/(1-β1^t), v̂ = v/(1-β2^t). */
  step: number;
}

export interface AttentionShape {
  /** Batch size. */
  B: number;
  /** Sequence length of the query block. */
  T: number;
  nHead: number;
}

export interface Backend {
  readonly name: BackendName;
  /** Human-readable device description (adapter name, or "CPU (TypeScript)"). */
  readonly deviceLabel: string;

  // ---------------------------------------------------------------- memory
  upload(data: Float32Array, shape: readonly number[]): Tensor;
  uploadU32(data: Uint32Array, shape: readonly number[]): Tensor;
  zeros(shape: readonly number[]): Tensor;
  /** Set every element of a tensor to 0 (gradients, optimizer moments) without a host array. */
  zero(t: Tensor): void;
  /** Overwrite an existing f32 tensor's contents with `data` (same size). */
  write(t: Tensor, data: Float32Array): void;
  /** Copy of a tensor (new storage). */
  clone(t: Tensor): Tensor;
  /** Read a tensor back to the host. On WebGPU this submits pending work first. */
  read(t: Tensor): Promise<Float32Array>;
  /**
   * Reads into `dst` when it has the tensor's size and returns it; otherwise like `read`. Where
   * missing, callers use `read`. A checkpoint per vote reads every weight and AdamW moment, and
   * a fresh 17 MB array costs far more than the copy (page faults, zeroing).
   */
  readInto?(t: Tensor, dst: Float32Array): Promise<Float32Array>;
  readU32(t: Tensor): Promise<Uint32Array>;
  release(t: Tensor): void;
  /** Submit pending work (WebGPU); no-op on CPU. */
  flush(): void;
  /** Bytes currently held by live (unreleased) tensors, for the memory benchmark. */
  liveBytes(): number;
  dispose(): void;

  // ---------------------------------------------------------------- linear algebra
  /**
   * C = op(A)·op(B) (+ bias broadcast over rows), where op(X) = Xᵀ when trans* is set.
   * A is [M,K] (or [K,M] with transA), B is [K,N] (or [N,K] with transB), bias is [N].
   * With `into` the result is added into `into` ([M,N]) and `into` is returned.
   */
  matmul(
    a: Tensor,
    b: Tensor,
    opts?: { transA?: boolean; transB?: boolean; bias?: Tensor; into?: Tensor },
  ): Tensor;
  /** Elementwise a + b (same shape). */
  add(a: Tensor, b: Tensor): Tensor;
  /** into += a (same size); returns `into`. */
  addInto(into: Tensor, a: Tensor): Tensor;
  /** Column sums of a [M,N] matrix → [N] (bias gradient). With `into`, accumulates. */
  sumRows(a: Tensor, into?: Tensor): Tensor;
  /** a * s elementwise (new tensor). */
  scale(a: Tensor, s: number): Tensor;

  // ---------------------------------------------------------------- layer norm
  /**
   * Row-wise layer norm over the last dimension C of x [N,C]:
   * y = (x − mean)·rstd·gamma + beta, rstd = 1/sqrt(var + eps) (biased variance).
   * Returns y and the per-row mean and rstd [N] saved for the backward pass.
   */
  layerNorm(x: Tensor, gamma: Tensor, beta: Tensor, eps: number): { y: Tensor; mean: Tensor; rstd: Tensor };
  /** Gradients of layerNorm. dgamma/dbeta are accumulated into the given tensors. */
  layerNormBackward(
    dy: Tensor,
    x: Tensor,
    gamma: Tensor,
    mean: Tensor,
    rstd: Tensor,
    dgamma: Tensor,
    dbeta: Tensor,
  ): Tensor;

  // ---------------------------------------------------------------- GELU (GPT-2 tanh form)
  /** gelu(x) = 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
  gelu(x: Tensor): Tensor;
  /** dy · gelu'(x). */
  geluBackward(dy: Tensor, x: Tensor): Tensor;

  // ---------------------------------------------------------------- attention
  /**
   * Causal multi-head self-attention on a packed qkv [B·T, 3C] (q | k | v along the last dim,
   * head h owning columns h·D … h·D+D−1 of each, D = C/nHead), scale 1/√D, stable softmax,
   * query t attends to keys 0…t. Returns y [B·T, C] (heads re-concatenated) and what the
   * backward pass reads, `saved`: on the CPU the softmax probabilities [B, nHead, T, T] (zeros
   * above the diagonal); on WebGPU each row's log-sum-exp [B, nHead, T], from which the
   * backward recomputes the probabilities (T floats kept per row instead of T², per layer until
   * the backward runs). Sequences are right-padded, so causality alone keeps padding out of real positions.
   */
  attention(qkv: Tensor, shape: AttentionShape): { y: Tensor; saved: Tensor };
  /** Gradient of `attention` with respect to qkv, given its `saved`: returns dqkv [B·T, 3C]. */
  attentionBackward(dy: Tensor, qkv: Tensor, saved: Tensor, shape: AttentionShape): Tensor;
  /**
   * Inference attention with a KV cache. qkv [B·T, 3C] holds T new positions starting at
   * position `past` for each of B sequences. The new k and v are written into the caches
   * (each [B, nHead, maxT, D]) at positions past … past+T−1, then each new query at absolute
   * position past+t attends to cached keys 0 … past+t. Returns y [B·T, C].
   */
  attentionCached(
    qkv: Tensor,
    kCache: Tensor,
    vCache: Tensor,
    shape: AttentionShape & { past: number; maxT: number },
  ): Tensor;

  // ---------------------------------------------------------------- embeddings
  /**
   * x[b·T + t] = wte[ids[b·T + t]] + wpe[posOffset + t], ids u32 [B·T], wte [V,C], wpe [P,C].
   * Returns x [B·T, C].
   */
  embedding(ids: Tensor, wte: Tensor, wpe: Tensor, B: number, T: number, posOffset?: number): Tensor;
  /** Scatter-add of dx [B·T, C] into dwte (by id) and dwpe (by position t). */
  embeddingBackward(dx: Tensor, ids: Tensor, dwte: Tensor, dwpe: Tensor, B: number, T: number): void;

  // ---------------------------------------------------------------- output log-probs
  /**
   * logits [N, V] and targets u32 [N]: logprobs[i] = logits[i, targets[i]] − logsumexp(logits[i]).
   * Returns logprobs [N] and the row logsumexp [N] kept for the backward pass.
   */
  logSoftmaxGather(logits: Tensor, targets: Tensor): { logprobs: Tensor; lse: Tensor };
  /** dlogits[i, v] = dlogprobs[i] · (1[v = targets[i]] − softmax(logits[i])[v]). */
  logSoftmaxGatherBackward(dlogprobs: Tensor, logits: Tensor, lse: Tensor, targets: Tensor): Tensor;
  /** Masked mean cross-entropy: −Σ mask[i]·logprobs[i] / Σ mask[i]; returns a [1] tensor. */
  crossEntropy(logprobs: Tensor, mask: Tensor): Tensor;
  /** Softmax of logits [N,V] / temperature (for sampling). */
  softmax(logits: Tensor, temperature: number): Tensor;
  /** Row argmax of [N,V] → u32 [N] (greedy decoding without reading back logits). */
  argmax(logits: Tensor): Tensor;
  /**
   * The k largest logits of each row of [N,V], largest first, ties to the lower index: values
   * [N,k] and u32 indices [N,k] (top-k sampling reads these back instead of the whole row). 1 ≤ k ≤ V.
   */
  topK(logits: Tensor, k: number): { values: Tensor; ids: Tensor };
  /**
   * One draw per row of logits [N,V] from softmax(row / temperature), by inverse CDF in id
   * order from `uniforms[i]` in [0, 1) (the host RNG's): u32 ids [N]. `sampleRowRef` (float64)
   * on the CPU; on WebGPU the same walk in float32 where the logits are, so only the ids come back.
   */
  sample(logits: Tensor, temperature: number, uniforms: Float64Array): Tensor;
  /** Rows `rows` of x [N,C] → [rows.length, C]. */
  gatherRows(x: Tensor, rows: Tensor): Tensor;

  // ---------------------------------------------------------------- optimizer
  /** In-place AdamW with decoupled weight decay: p −= lr·(m̂/(√v̂+eps) + wd·p). */
  adamw(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, h: AdamWHyper): void;
  /**
   * Global gradient-norm clipping: norm = √(Σ_g Σ g²); if norm > maxNorm every gradient is
   * scaled by maxNorm/(norm + 1e-6). Returns the pre-clip norm as a [1] tensor (read it only
   * if needed: on WebGPU the scale is applied on the device without a readback).
   */
  clipGradNorm(grads: readonly Tensor[], maxNorm: number): Tensor;
}

/** `be.readInto(t, spare)` where the backend has it and a spare array is given, else `be.read(t)`. */
export function readReusing(be: Backend, t: Tensor, spare: Float32Array | undefined): Promise<Float32Array> {
  return spare && be.readInto ? be.readInto(t, spare) : be.read(t);
}
