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
    ids = Array.from({ length: V }, (_, i) => i).sort((a, b) => probs[b] - probs[a] || a - b);
    if (p.topK > 0 && p.topK < V) ids = ids.slice(0, p.topK);
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
