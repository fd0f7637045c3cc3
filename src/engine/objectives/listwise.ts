/**
 * Listwise objectives over N ranked completions of one prompt, on the DPO implicit rewards
 * sᵢ = β·(log πθ(yᵢ|x) − log π_ref(yᵢ|x)).
 *
 * - Plackett–Luce (the DPO paper's listwise generalisation, Rafailov et al. 2023 §A.3):
 *     L = −Σ_{k=0}^{N−2} [ s_{π(k)} − log Σ_{j≥k} exp s_{π(j)} ]
 *   for the observed order π (best first). The last factor is log 1 = 0 and is omitted.
 * - LiPO-λ (Liu et al. 2024, "LiPO: Listwise Preference Optimization through Learning-to-Rank"):
 *     L = −Σ_{ψᵢ>ψⱼ} Δᵢⱼ · log σ(sᵢ − sⱼ),
 *     Δᵢⱼ = |Gᵢ − Gⱼ| · |1/D(τᵢ) − 1/D(τⱼ)|,  G = 2^ψ − 1,  D(τ) = log₂(1 + τ)
 *   where ψ are graded labels and τᵢ is the 1-based rank of item i when the list is sorted by
 *   the CURRENT scores s (descending). The λ weights Δ are constants for the gradient (as in
 *   LambdaRank/LambdaLoss): they depend on s only through a sort.
 *
 * Reduction: each list contributes its sum over factors/pairs; the batch loss is the mean
 * over lists. Gradients are w.r.t. each policy sequence log-prob.
 */
import { logSigmoid, sigmoid } from './math.ts';

export interface ListwiseExample {
  /** log πθ(yᵢ|x) for the N candidates (summed over completion tokens). */
  policyLogps: ArrayLike<number>;
  refLogps: ArrayLike<number>;
  /**
   * Graded labels ψ, higher = better. For a plain ranking use `labelsFromRanking`.
   * Plackett–Luce uses the order they induce; equal labels are ordered by index.
   */
  labels: ArrayLike<number>;
}

export interface ListwiseResult {
  loss: number;
  losses: Float64Array;
  /** dPolicy[list][item] = ∂(mean loss)/∂ log πθ(y_item). */
  dPolicy: Float64Array[];
}

/** Turn a ranking (item indices, best first) into labels N−1 … 0. */
export function labelsFromRanking(ranking: ArrayLike<number>): Float64Array {
  const n = ranking.length;
  const labels = new Float64Array(n);
  const seen = new Uint8Array(n);
  for (let k = 0; k < n; k++) {
    const item = ranking[k]!;
    if (!Number.isInteger(item) || item < 0 || item >= n || seen[item]) {
      throw new RangeError('ranking must be a permutation of 0 … N−1');
    }
    seen[item] = 1;
    labels[item] = n - 1 - k;
  }
  return labels;
}

/** Indices sorted by value descending; ties keep index order. */
function orderDescending(values: ArrayLike<number>): number[] {
  const idx = Array.from({ length: values.length }, (_, i) => i);
  idx.sort((a, b) => values[b]! - values[a]! || a - b);
  return idx;
}

function implicitRewards(ex: ListwiseExample, beta: number): Float64Array {
  const n = ex.policyLogps.length;
  if (ex.refLogps.length !== n || ex.labels.length !== n) {
    throw new RangeError('listwise example: policyLogps, refLogps and labels must have the same length');
  }
  if (n < 2) throw new RangeError('listwise example needs at least 2 candidates');
  const s = new Float64Array(n);
  for (let i = 0; i < n; i++) s[i] = beta * (ex.policyLogps[i]! - ex.refLogps[i]!);
  return s;
}

/** Plackett–Luce negative log-likelihood of one list; returns [loss, ∂loss/∂s]. */
export function plackettLuceNll(scores: ArrayLike<number>, order: readonly number[]): [number, Float64Array] {
  const n = order.length;
  const grad = new Float64Array(n);
  const sorted = order.map((i) => scores[i]!);
  // suffix[k] = log Σ_{j≥k} exp(sorted[j]), accumulated from the end with a stable log-add.
  const suffix = new Float64Array(n);
  suffix[n - 1] = sorted[n - 1]!;
  for (let k = n - 2; k >= 0; k--) {
    const a = sorted[k]!;
    const b = suffix[k + 1]!;
    const hi = Math.max(a, b);
    suffix[k] = hi + Math.log1p(Math.exp(Math.min(a, b) - hi));
  }
  let loss = 0;
  for (let k = 0; k < n - 1; k++) {
    loss -= sorted[k]! - suffix[k]!;
    grad[order[k]!] -= 1;
    // ∂/∂s of log Σ_{j≥k} exp s_j is the softmax over the suffix.
    for (let j = k; j < n; j++) grad[order[j]!] += Math.exp(sorted[j]! - suffix[k]!);
  }
  return [loss, grad];
}

export function plackettLuceLoss(batch: readonly ListwiseExample[], hyper: { beta: number }): ListwiseResult {
  const { beta } = hyper;
  if (!(beta > 0)) throw new RangeError(`beta must be > 0, got ${beta}`);
  if (batch.length === 0) throw new RangeError('plackettLuce: empty batch');
  const losses = new Float64Array(batch.length);
  const dPolicy: Float64Array[] = [];
  let total = 0;
  batch.forEach((ex, b) => {
    const s = implicitRewards(ex, beta);
    const [l, gs] = plackettLuceNll(s, orderDescending(ex.labels));
    losses[b] = l;
    total += l;
    for (let i = 0; i < gs.length; i++) gs[i] = (gs[i]! * beta) / batch.length;
    dPolicy.push(gs);
  });
  return { loss: total / batch.length, losses, dPolicy };
}

/** LiPO-λ pair weights Δᵢⱼ for labels ψ and current scores s (see module comment). */
export function lipoLambdaWeights(labels: ArrayLike<number>, scores: ArrayLike<number>): Float64Array {
  const n = labels.length;
  const rank = new Float64Array(n); // 1-based τ
  orderDescending(scores).forEach((item, k) => {
    rank[item] = k + 1;
  });
  const w = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (!(labels[i]! > labels[j]!)) continue;
      const gain = Math.abs(2 ** labels[i]! - 2 ** labels[j]!); // |(2^ψi − 1) − (2^ψj − 1)|
      const disc = Math.abs(1 / Math.log2(1 + rank[i]!) - 1 / Math.log2(1 + rank[j]!));
      w[i * n + j] = gain * disc;
    }
  }
  return w;
}

export function lipoLambdaLoss(batch: readonly ListwiseExample[], hyper: { beta: number }): ListwiseResult {
  const { beta } = hyper;
  if (!(beta > 0)) throw new RangeError(`beta must be > 0, got ${beta}`);
  if (batch.length === 0) throw new RangeError('lipo: empty batch');
  const losses = new Float64Array(batch.length);
  const dPolicy: Float64Array[] = [];
  let total = 0;
  batch.forEach((ex, b) => {
    const s = implicitRewards(ex, beta);
    const n = s.length;
    const w = lipoLambdaWeights(ex.labels, s);
    const g = new Float64Array(n);
    let l = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const wij = w[i * n + j]!;
        if (wij === 0) continue;
        const d = s[i]! - s[j]!;
        l -= wij * logSigmoid(d);
        const gd = -wij * sigmoid(-d);
        g[i] += gd;
        g[j] -= gd;
      }
    }
    losses[b] = l;
    total += l;
    for (let i = 0; i < n; i++) g[i] = (g[i]! * beta) / batch.length;
    dPolicy.push(g);
  });
  return { loss: total / batch.length, losses, dPolicy };
}
