import type { Rng } from './rng';

export interface SamplingParams {
  /** 0 means greedy. */
  temperature: number;
  /** 0 disables top-k. */
  topK: number;
  /** 1 disables nucleus sampling. */
  topP: number;
}

export const DEFAULT_SAMPLING: SamplingParams = { temperature: 1, topK: 0, topP: 1 };

export function isGreedy(p: SamplingParams): boolean {
  return p.temperature <= 0 || p.topK === 1;
}

/**
 * Draws one token id from a row of logits: temperature, then top-k, then top-p (the smallest
 * set of most likely tokens whose mass reaches p), renormalised. Ties in sorting are broken by
 * the lower id, so the draw depends only on the logits and the RNG.
 */
export function sampleToken(logits: Float32Array, p: SamplingParams, rng: Rng): number {
  const V = logits.length;
  if (isGreedy(p)) {
    let best = 0;
    for (let v = 1; v < V; v++) if (logits[v] > logits[best]) best = v;
    return best;
  }
  let max = -Infinity;
  for (let v = 0; v < V; v++) if (logits[v] > max) max = logits[v];
  const probs = new Float64Array(V);
  let sum = 0;
  for (let v = 0; v < V; v++) {
    probs[v] = Math.exp((logits[v] - max) / p.temperature);
    sum += probs[v];
  }
  const restrict = (p.topK > 0 && p.topK < V) || p.topP < 1;
  let ids: number[];
  if (restrict) {
    const byProb = (a: number, b: number) => probs[b] - probs[a] || a - b;
    ids = p.topK > 0 && p.topK < V ? topKIds(probs, p.topK).sort(byProb) : Array.from({ length: V }, (_, i) => i).sort(byProb);
    if (p.topP < 1) {
      let mass = 0;
      let keep = 0;
      const total = ids.reduce((s, i) => s + probs[i], 0);
      while (keep < ids.length) {
        mass += probs[ids[keep]] / total;
        keep++;
        if (mass >= p.topP) break;
      }
      ids = ids.slice(0, keep);
    }
    sum = ids.reduce((s, i) => s + probs[i], 0);
  } else {
    ids = [];
  }
  let u = rng.next() * sum;
  if (restrict) {
    for (const i of ids) {
      u -= probs[i];
      if (u <= 0) return i;
    }
    return ids[ids.length - 1];
  }
  for (let v = 0; v < V; v++) {
    u -= probs[v];
    if (u <= 0) return v;
  }
  return V - 1;
}

/**
 * The ids of the `k` largest `probs` (ties: the lower id is larger), in no particular order: a
 * min-heap of size k over one pass, O(V log k), where sorting the whole vocabulary for every
 * token was O(V log V). The set is the one a full sort's first k would hold (a strict order).
 */
export function topKIds(probs: Float64Array, k: number): number[] {
  // `below(a, b)`: a ranks under b (smaller probability, or equal and a higher id).
  const below = (a: number, b: number) => probs[a] < probs[b] || (probs[a] === probs[b] && a > b);
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
  for (let v = 0; v < probs.length; v++) {
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
