import type { Rng } from '../../src/engine/rng';
import type { SamplingParams } from '../../src/engine/sampling';

/** The full-sort sampler this replaced (temperature, top-k, top-p, ties by lower id). */
export function sampleBySorting(logits: Float32Array, p: SamplingParams, rng: Rng): number {
  const V = logits.length;
  let max = -Infinity;
  for (const x of logits) max = Math.max(max, x);
  const probs = Float64Array.from(logits, (x) => Math.exp((x - max) / p.temperature));
  // Unrestricted, it walks the vocabulary in id order; restricted, most likely first.
  const restrict = (p.topK > 0 && p.topK < V) || p.topP < 1;
  let ids = Array.from({ length: V }, (_, i) => i);
  if (restrict) ids.sort((a, b) => probs[b]! - probs[a]! || a - b);
  if (p.topK > 0 && p.topK < V) ids = ids.slice(0, p.topK);
  if (p.topP < 1) {
    const total = ids.reduce((s, i) => s + probs[i]!, 0);
    let mass = 0;
    let keep = 0;
    while (keep < ids.length) {
      mass += probs[ids[keep]!]! / total;
      keep++;
      if (mass >= p.topP) break;
    }
    ids = ids.slice(0, keep);
  }
  let u = rng.next() * ids.reduce((s, i) => s + probs[i]!, 0);
  for (const i of ids) {
    u -= probs[i]!;
    if (u <= 0) return i;
  }
  return ids[ids.length - 1]!;
}
