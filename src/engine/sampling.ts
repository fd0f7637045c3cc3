import { sampleRowRef, temperedWeights, topKRef } from '../kernels/reference';
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
 * the lower id, so the draw depends only on the logits and the RNG. With top-k the draw reads
 * only the k largest logits (`sampleTopK`), which is what the engine reads back from the device;
 * without top-k or top-p it is `sampleRowRef` of one uniform, which `Backend.sample` runs where
 * the logits are.
 */
export function sampleToken(logits: Float32Array, p: SamplingParams, rng: Rng): number {
  const V = logits.length;
  if (isGreedy(p)) {
    let best = 0;
    for (let v = 1; v < V; v++) if (logits[v] > logits[best]) best = v;
    return best;
  }
  if (p.topK > 0 && p.topK < V) {
    // The same k values and order `Backend.topK` gives the engine.
    const values = new Float32Array(p.topK);
    const ids = new Uint32Array(p.topK);
    topKRef(logits, values, ids, 1, V, p.topK);
    return sampleTopK(values, ids, p, rng);
  }
  if (p.topP >= 1) return sampleRowRef(logits, p.temperature, rng.next());
  const probs = temperedWeights(logits, p.temperature);
  const ids = Array.from({ length: V }, (_, i) => i).sort((a, b) => probs[b] - probs[a] || a - b);
  return drawNucleus(ids.map((i) => probs[i]!), ids, p.topP, rng);
}

/**
 * Whether `sampleToken` under `p` is a plain draw from the whole tempered row (no greedy, no
 * top-k, no top-p): what `Backend.sample` does on the device from one uniform per row.
 */
export function isPlainSampling(p: SamplingParams, V: number): boolean {
  return !isGreedy(p) && (p.topK <= 0 || p.topK >= V) && p.topP >= 1;
}

/**
 * `sampleToken` from a row's k largest logits (`values`, largest first, ties to the lower id,
 * as `Backend.topK` returns them) and their `ids`: the same draw, bit for bit, as from the
 * whole row with top-k = k, since every weight it uses is exp((logit − max)/T) of one of them.
 */
export function sampleTopK(values: ArrayLike<number>, ids: ArrayLike<number>, p: SamplingParams, rng: Rng): number {
  const k = values.length;
  if (k === 0 || ids.length !== k) throw new Error('sampleTopK: values and ids must be the same, non-empty length');
  // values[0] is the row's largest logit, so these are the whole row's weights of the k ids.
  const probs = Array.from(temperedWeights(values, p.temperature));
  return drawNucleus(probs, ids, p.topP, rng);
}

/** Top-p over weights sorted largest first (then renormalised), and one draw among them. */
function drawNucleus(probs: readonly number[], ids: ArrayLike<number>, topP: number, rng: Rng): number {
  let keep = probs.length;
  if (topP < 1) {
    const total = probs.reduce((s, x) => s + x, 0);
    let mass = 0;
    keep = 0;
    while (keep < probs.length) {
      mass += probs[keep]! / total;
      keep++;
      if (mass >= topP) break;
    }
  }
  let sum = 0;
  for (let i = 0; i < keep; i++) sum += probs[i]!;
  let u = rng.next() * sum;
  for (let i = 0; i < keep; i++) {
    u -= probs[i]!;
    if (u <= 0) return ids[i]!;
  }
  return ids[keep - 1]!;
}
