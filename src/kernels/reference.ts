/**
 * CPU reference implementations of every GPU kernel, on plain typed arrays.
 *
 * These define the numbers the WGSL kernels are tested against, and they are also the compute
 * of the `cpu` backend (Node command line, and the fallback where WebGPU is missing or only a
 * software adapter exists). They favour clarity, but the loops are ordered for cache locality
 * and accumulate in float64 where a sum runs long, because the CPU backend trains real models.
 */

/** Storage the reference runs on: float32 normally, float64 for precise gradient checks. */
export type FloatArray = Float32Array | Float64Array;

export const GELU_C = Math.sqrt(2 / Math.PI);

/**
 * C = op(A)·op(B) (+ bias), accumulated into `out` when `accumulate`.
 * A is [M,K] ([K,M] if transA), B is [K,N] ([N,K] if transB), out is [M,N].
 */
export function matmulRef(
  a: FloatArray,
  b: FloatArray,
  out: FloatArray,
  M: number,
  K: number,
  N: number,
  transA = false,
  transB = false,
  bias: FloatArray | null = null,
  accumulate = false,
): void {
  const row = new Float64Array(N);
  if (!transA && !transB) {
    for (let i = 0; i < M; i++) {
      row.fill(0);
      const aOff = i * K;
      for (let k = 0; k < K; k++) {
        const av = a[aOff + k];
        if (av === 0) continue;
        const bOff = k * N;
        for (let j = 0; j < N; j++) row[j] += av * b[bOff + j];
      }
      storeRow(row, out, i * N, N, bias, accumulate);
    }
  } else if (!transA && transB) {
    for (let i = 0; i < M; i++) {
      const aOff = i * K;
      for (let j = 0; j < N; j++) {
        const bOff = j * K;
        let s = 0;
        for (let k = 0; k < K; k++) s += a[aOff + k] * b[bOff + k];
        row[j] = s;
      }
      storeRow(row, out, i * N, N, bias, accumulate);
    }
  } else if (transA && !transB) {
    // A is [K,M]: walk k outermost so both A and B are read row-wise.
    const acc = new Float64Array(M * N);
    for (let k = 0; k < K; k++) {
      const aOff = k * M;
      const bOff = k * N;
      for (let i = 0; i < M; i++) {
        const av = a[aOff + i];
        if (av === 0) continue;
        const cOff = i * N;
        for (let j = 0; j < N; j++) acc[cOff + j] += av * b[bOff + j];
      }
    }
    for (let i = 0; i < M; i++) storeRow(acc.subarray(i * N, i * N + N), out, i * N, N, bias, accumulate);
  } else {
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += a[k * M + i] * b[j * K + k];
        row[j] = s;
      }
      storeRow(row, out, i * N, N, bias, accumulate);
    }
  }
}

function storeRow(
  row: Float64Array,
  out: FloatArray,
  off: number,
  N: number,
  bias: FloatArray | null,
  accumulate: boolean,
): void {
  for (let j = 0; j < N; j++) {
    const v = row[j] + (bias ? bias[j] : 0);
    out[off + j] = accumulate ? out[off + j] + v : v;
  }
}

/** Column sums of a [M,N] matrix, added into out [N] when accumulate. */
export function sumRowsRef(a: FloatArray, out: FloatArray, M: number, N: number, accumulate = false): void {
  const acc = new Float64Array(N);
  for (let i = 0; i < M; i++) {
    const off = i * N;
    for (let j = 0; j < N; j++) acc[j] += a[off + j];
  }
  for (let j = 0; j < N; j++) out[j] = accumulate ? out[j] + acc[j] : acc[j];
}

export function layerNormRef(
  x: FloatArray,
  gamma: FloatArray,
  beta: FloatArray,
  y: FloatArray,
  mean: FloatArray,
  rstd: FloatArray,
  N: number,
  C: number,
  eps: number,
): void {
  for (let i = 0; i < N; i++) {
    const off = i * C;
    let s = 0;
    for (let c = 0; c < C; c++) s += x[off + c];
    const m = s / C;
    let v = 0;
    for (let c = 0; c < C; c++) {
      const d = x[off + c] - m;
      v += d * d;
    }
    const r = 1 / Math.sqrt(v / C + eps);
    mean[i] = m;
    rstd[i] = r;
    for (let c = 0; c < C; c++) y[off + c] = (x[off + c] - m) * r * gamma[c] + beta[c];
  }
}

/**
 * dx = rstd·(g − mean(g) − x̂·mean(g·x̂)) with g = dy·gamma, x̂ the normalised input;
 * dgamma += Σ dy·x̂, dbeta += Σ dy over rows.
 */
export function layerNormBackwardRef(
  dy: FloatArray,
  x: FloatArray,
  gamma: FloatArray,
  mean: FloatArray,
  rstd: FloatArray,
  dx: FloatArray,
  dgamma: FloatArray,
  dbeta: FloatArray,
  N: number,
  C: number,
): void {
  const dg = new Float64Array(C);
  const db = new Float64Array(C);
  for (let i = 0; i < N; i++) {
    const off = i * C;
    const m = mean[i];
    const r = rstd[i];
    let sumG = 0;
    let sumGX = 0;
    for (let c = 0; c < C; c++) {
      const xh = (x[off + c] - m) * r;
      const g = dy[off + c] * gamma[c];
      sumG += g;
      sumGX += g * xh;
      dg[c] += dy[off + c] * xh;
      db[c] += dy[off + c];
    }
    const meanG = sumG / C;
    const meanGX = sumGX / C;
    for (let c = 0; c < C; c++) {
      const xh = (x[off + c] - m) * r;
      const g = dy[off + c] * gamma[c];
      dx[off + c] = r * (g - meanG - xh * meanGX);
    }
  }
  for (let c = 0; c < C; c++) {
    dgamma[c] += dg[c];
    dbeta[c] += db[c];
  }
}

export function geluRef(x: FloatArray, y: FloatArray): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    y[i] = 0.5 * v * (1 + Math.tanh(GELU_C * (v + 0.044715 * v * v * v)));
  }
}

export function geluBackwardRef(dy: FloatArray, x: FloatArray, dx: FloatArray): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    const u = GELU_C * (v + 0.044715 * v * v * v);
    const t = Math.tanh(u);
    const du = GELU_C * (1 + 3 * 0.044715 * v * v);
    dx[i] = dy[i] * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * du);
  }
}

/**
 * Causal attention on packed qkv [B·T, 3C]; writes y [B·T, C] and probs [B, H, T, T].
 */
export function attentionRef(
  qkv: FloatArray,
  y: FloatArray,
  probs: FloatArray,
  B: number,
  T: number,
  H: number,
  C: number,
): void {
  const D = C / H;
  const scale = 1 / Math.sqrt(D);
  const C3 = 3 * C;
  const scores = new Float64Array(T);
  const acc = new Float64Array(D);
  probs.fill(0);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const pOff = (b * H + h) * T * T;
      for (let t = 0; t < T; t++) {
        const qOff = (b * T + t) * C3 + h * D;
        let max = -Infinity;
        for (let s = 0; s <= t; s++) {
          const kOff = (b * T + s) * C3 + C + h * D;
          let dot = 0;
          for (let d = 0; d < D; d++) dot += qkv[qOff + d] * qkv[kOff + d];
          scores[s] = dot * scale;
          if (scores[s] > max) max = scores[s];
        }
        let sum = 0;
        for (let s = 0; s <= t; s++) {
          scores[s] = Math.exp(scores[s] - max);
          sum += scores[s];
        }
        const yOff = (b * T + t) * C + h * D;
        acc.fill(0);
        for (let s = 0; s <= t; s++) {
          const p = scores[s] / sum;
          probs[pOff + t * T + s] = p;
          const vOff = (b * T + s) * C3 + 2 * C + h * D;
          for (let d = 0; d < D; d++) acc[d] += p * qkv[vOff + d];
        }
        for (let d = 0; d < D; d++) y[yOff + d] = acc[d];
      }
    }
  }
}

/**
 * Backward of attentionRef. With P = softmax(S), S = scale·QKᵀ (causal):
 * dV = Pᵀ·dY, dP = dY·Vᵀ, dS = P ⊙ (dP − rowsum(dP ⊙ P)), dQ = scale·dS·K, dK = scale·dSᵀ·Q.
 */
export function attentionBackwardRef(
  dy: FloatArray,
  qkv: FloatArray,
  probs: FloatArray,
  dqkv: FloatArray,
  B: number,
  T: number,
  H: number,
  C: number,
): void {
  const D = C / H;
  const scale = 1 / Math.sqrt(D);
  const C3 = 3 * C;
  dqkv.fill(0);
  const dP = new Float64Array(T);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const pOff = (b * H + h) * T * T;
      for (let t = 0; t < T; t++) {
        const dyOff = (b * T + t) * C + h * D;
        let rowDot = 0;
        for (let s = 0; s <= t; s++) {
          const vOff = (b * T + s) * C3 + 2 * C + h * D;
          let dot = 0;
          for (let d = 0; d < D; d++) dot += dy[dyOff + d] * qkv[vOff + d];
          dP[s] = dot;
          rowDot += dot * probs[pOff + t * T + s];
        }
        const qOff = (b * T + t) * C3 + h * D;
        for (let s = 0; s <= t; s++) {
          const p = probs[pOff + t * T + s];
          const dS = p * (dP[s] - rowDot) * scale;
          const kOff = (b * T + s) * C3 + C + h * D;
          const vOff = kOff + C;
          for (let d = 0; d < D; d++) {
            dqkv[qOff + d] += dS * qkv[kOff + d];
            dqkv[kOff + d] += dS * qkv[qOff + d];
            dqkv[vOff + d] += p * dy[dyOff + d];
          }
        }
      }
    }
  }
}

/**
 * Attention with a KV cache ([B, H, maxT, D] each). New k/v rows are written at past…past+T−1,
 * then each new query attends to cached positions 0…past+t.
 */
export function attentionCachedRef(
  qkv: FloatArray,
  kCache: FloatArray,
  vCache: FloatArray,
  y: FloatArray,
  B: number,
  T: number,
  H: number,
  C: number,
  past: number,
  maxT: number,
): void {
  const D = C / H;
  const scale = 1 / Math.sqrt(D);
  const C3 = 3 * C;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const row = (b * T + t) * C3;
      for (let h = 0; h < H; h++) {
        const cOff = ((b * H + h) * maxT + past + t) * D;
        for (let d = 0; d < D; d++) {
          kCache[cOff + d] = qkv[row + C + h * D + d];
          vCache[cOff + d] = qkv[row + 2 * C + h * D + d];
        }
      }
    }
  }
  const scores = new Float64Array(past + T);
  const acc = new Float64Array(D);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const base = (b * H + h) * maxT * D;
      for (let t = 0; t < T; t++) {
        const qOff = (b * T + t) * C3 + h * D;
        const last = past + t;
        let max = -Infinity;
        for (let s = 0; s <= last; s++) {
          let dot = 0;
          const kOff = base + s * D;
          for (let d = 0; d < D; d++) dot += qkv[qOff + d] * kCache[kOff + d];
          scores[s] = dot * scale;
          if (scores[s] > max) max = scores[s];
        }
        let sum = 0;
        for (let s = 0; s <= last; s++) {
          scores[s] = Math.exp(scores[s] - max);
          sum += scores[s];
        }
        acc.fill(0);
        for (let s = 0; s <= last; s++) {
          const p = scores[s] / sum;
          const vOff = base + s * D;
          for (let d = 0; d < D; d++) acc[d] += p * vCache[vOff + d];
        }
        const yOff = (b * T + t) * C + h * D;
        for (let d = 0; d < D; d++) y[yOff + d] = acc[d];
      }
    }
  }
}

export function embeddingRef(
  ids: Uint32Array,
  wte: FloatArray,
  wpe: FloatArray,
  x: FloatArray,
  B: number,
  T: number,
  C: number,
  posOffset = 0,
): void {
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const i = b * T + t;
      const eOff = ids[i] * C;
      const pOff = (posOffset + t) * C;
      const xOff = i * C;
      for (let c = 0; c < C; c++) x[xOff + c] = wte[eOff + c] + wpe[pOff + c];
    }
  }
}

export function embeddingBackwardRef(
  dx: FloatArray,
  ids: Uint32Array,
  dwte: FloatArray,
  dwpe: FloatArray,
  B: number,
  T: number,
  C: number,
): void {
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const i = b * T + t;
      const eOff = ids[i] * C;
      const pOff = t * C;
      const xOff = i * C;
      for (let c = 0; c < C; c++) {
        dwte[eOff + c] += dx[xOff + c];
        dwpe[pOff + c] += dx[xOff + c];
      }
    }
  }
}

export function logSoftmaxGatherRef(
  logits: FloatArray,
  targets: Uint32Array,
  logprobs: FloatArray,
  lse: FloatArray,
  N: number,
  V: number,
): void {
  for (let i = 0; i < N; i++) {
    const off = i * V;
    let max = -Infinity;
    for (let v = 0; v < V; v++) if (logits[off + v] > max) max = logits[off + v];
    let sum = 0;
    for (let v = 0; v < V; v++) sum += Math.exp(logits[off + v] - max);
    const l = max + Math.log(sum);
    lse[i] = l;
    logprobs[i] = logits[off + targets[i]] - l;
  }
}

export function logSoftmaxGatherBackwardRef(
  dlogprobs: FloatArray,
  logits: FloatArray,
  lse: FloatArray,
  targets: Uint32Array,
  dlogits: FloatArray,
  N: number,
  V: number,
): void {
  for (let i = 0; i < N; i++) {
    const off = i * V;
    const g = dlogprobs[i];
    const l = lse[i];
    for (let v = 0; v < V; v++) dlogits[off + v] = -g * Math.exp(logits[off + v] - l);
    dlogits[off + targets[i]] += g;
  }
}

export function crossEntropyRef(logprobs: FloatArray, mask: FloatArray): number {
  let s = 0;
  let n = 0;
  for (let i = 0; i < logprobs.length; i++) {
    s -= mask[i] * logprobs[i];
    n += mask[i];
  }
  return n > 0 ? s / n : 0;
}

export function softmaxRef(logits: FloatArray, out: FloatArray, N: number, V: number, temperature: number): void {
  const invT = 1 / temperature;
  for (let i = 0; i < N; i++) {
    const off = i * V;
    let max = -Infinity;
    for (let v = 0; v < V; v++) if (logits[off + v] > max) max = logits[off + v];
    let sum = 0;
    for (let v = 0; v < V; v++) {
      const e = Math.exp((logits[off + v] - max) * invT);
      out[off + v] = e;
      sum += e;
    }
    for (let v = 0; v < V; v++) out[off + v] /= sum;
  }
}

/** exp((x − max) / temperature) for each entry of a row, in float64: the unnormalised softmax every host draw reads. */
export function temperedWeights(row: ArrayLike<number>, temperature: number): Float64Array {
  let max = -Infinity;
  for (let v = 0; v < row.length; v++) if (row[v]! > max) max = row[v]!;
  return Float64Array.from({ length: row.length }, (_, v) => Math.exp((row[v]! - max) / temperature));
}

/**
 * One draw from softmax(row / temperature) by inverse CDF in id order: the first id whose
 * running sum of exp((logit − max)/T) reaches u·Σ (u uniform in [0, 1)), in float64; V − 1 if
 * rounding leaves a remainder. `sampleToken` draws with it, the CPU backend's `sample` too,
 * and it is the reference of the WGSL `sample` kernel (which does the same walk in float32).
 */
export function sampleRowRef(row: ArrayLike<number>, temperature: number, u: number): number {
  const V = row.length;
  const weights = temperedWeights(row, temperature);
  let sum = 0;
  for (let v = 0; v < V; v++) sum += weights[v]!;
  let left = u * sum;
  for (let v = 0; v < V; v++) {
    left -= weights[v]!;
    if (left <= 0) return v;
  }
  return V - 1;
}

/** out[i, :] = x[rows[i], :] for x [*, C] (rows may repeat): the CPU reference of `gather_rows`. */
export function gatherRowsRef(x: FloatArray, rows: Uint32Array, out: FloatArray, C: number): void {
  for (let i = 0; i < rows.length; i++) out.set(x.subarray(rows[i]! * C, rows[i]! * C + C), i * C);
}

/** Row argmax; the lowest index wins ties (the WGSL kernel follows the same rule). */
export function argmaxRef(logits: FloatArray, out: Uint32Array, N: number, V: number): void {
  for (let i = 0; i < N; i++) {
    const off = i * V;
    let best = 0;
    for (let v = 1; v < V; v++) if (logits[off + v] > logits[off + best]) best = v;
    out[i] = best;
  }
}

/**
 * The k largest entries of each row of logits [N, V], largest first, ties to the lower index
 * (the WGSL topk follows the same order): values [N, k] and indices [N, k]. A min-heap of size
 * k per row, O(V log k).
 */
export function topKRef(logits: FloatArray, values: FloatArray, ids: Uint32Array, N: number, V: number, k: number): void {
  for (let i = 0; i < N; i++) {
    const row = logits.subarray(i * V, (i + 1) * V);
    const top = topKIndices(row, k).sort((a, b) => row[b]! - row[a]! || a - b);
    top.forEach((v, r) => {
      values[i * k + r] = row[v]!;
      ids[i * k + r] = v;
    });
  }
}

/**
 * The indices of the `k` largest entries of `x` (ties: the lower index ranks higher), in no
 * particular order: a min-heap of size k over one pass. The set is a full sort's first k.
 */
export function topKIndices(x: ArrayLike<number>, k: number): number[] {
  // `below(a, b)`: a ranks under b (smaller, or equal with a higher index).
  const below = (a: number, b: number) => x[a]! < x[b]! || (x[a] === x[b] && a > b);
  const heap: number[] = [];
  const siftDown = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && below(heap[l]!, heap[m]!)) m = l;
      if (r < heap.length && below(heap[r]!, heap[m]!)) m = r;
      if (m === i) return;
      [heap[i], heap[m]] = [heap[m]!, heap[i]!];
      i = m;
    }
  };
  for (let v = 0; v < x.length; v++) {
    if (heap.length < k) {
      heap.push(v);
      for (let i = heap.length - 1; i > 0; ) {
        const parent = (i - 1) >> 1;
        if (!below(heap[i]!, heap[parent]!)) break;
        [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
        i = parent;
      }
    } else if (below(heap[0]!, v)) {
      heap[0] = v;
      siftDown(0);
    }
  }
  return heap;
}

export function adamwRef(
  p: FloatArray,
  g: FloatArray,
  m: FloatArray,
  v: FloatArray,
  lr: number,
  beta1: number,
  beta2: number,
  eps: number,
  weightDecay: number,
  step: number,
): void {
  const bc1 = 1 - Math.pow(beta1, step);
  const bc2 = 1 - Math.pow(beta2, step);
  for (let i = 0; i < p.length; i++) {
    const gi = g[i];
    const mi = beta1 * m[i] + (1 - beta1) * gi;
    const vi = beta2 * v[i] + (1 - beta2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    const mHat = mi / bc1;
    const vHat = vi / bc2;
    p[i] = p[i] - lr * (mHat / (Math.sqrt(vHat) + eps) + weightDecay * p[i]);
  }
}

/** Returns the pre-clip global norm; scales the gradients in place when it exceeds maxNorm. */
export function clipGradNormRef(grads: readonly FloatArray[], maxNorm: number): number {
  let sq = 0;
  for (const g of grads) for (let i = 0; i < g.length; i++) sq += g[i] * g[i];
  const norm = Math.sqrt(sq);
  if (norm > maxNorm) {
    const s = maxNorm / (norm + 1e-6);
    for (const g of grads) for (let i = 0; i < g.length; i++) g[i] *= s;
  }
  return norm;
}
