/**
 * Top-k sampling from the k values the device sends back (issue "Real time": sampling read the
 * whole [B, V] row of logits back per token and sorted the vocabulary on the host). The draw
 * from `sampleTopK` on a row's k largest logits must be the draw `sampleToken` makes from the
 * whole row, for any temperature, top-p and seed, ties included.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sampleToken, sampleTopK } from '../../src/engine/sampling';
import { topKRef } from '../../src/kernels/reference';
import { Rng } from '../../src/engine/rng';

describe('topKRef', () => {
  it('keeps the k largest of each row, largest first, ties to the lower index', () => {
    const logits = Float32Array.from([1, 3, 3, -2, 5, 3, 0, /* row 2 */ 2, 2, 2, 2, 2, 2, 2]);
    const values = new Float32Array(2 * 4);
    const ids = new Uint32Array(2 * 4);
    topKRef(logits, values, ids, 2, 7, 4);
    expect(Array.from(ids)).toEqual([4, 1, 2, 5, 0, 1, 2, 3]);
    expect(Array.from(values)).toEqual([5, 3, 3, 3, 2, 2, 2, 2]);
  });
});

/**
 * The draw as sampleToken made it before the top-k path: weights for the whole vocabulary,
 * every id sorted by weight (ties to the lower id), the first k kept, then top-p, renormalised.
 */
function wholeRowSample(logits: Float32Array, p: { temperature: number; topK: number; topP: number }, rng: Rng): number {
  const V = logits.length;
  const max = Math.max(...logits);
  const probs = Array.from(logits, (x) => Math.exp((x - max) / p.temperature));
  let ids = Array.from({ length: V }, (_, i) => i).sort((a, b) => probs[b]! - probs[a]! || a - b);
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

describe('sampleTopK', () => {
  it('draws what the whole row gives, and sampleToken with it', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -40, max: 40 }), { minLength: 2, maxLength: 300 }),
        fc.integer({ min: 1, max: 80 }),
        fc.constantFrom(0.3, 0.8, 1, 1.7),
        fc.constantFrom(1, 0.95, 0.5, 0.1),
        fc.integer({ min: 0, max: 1e6 }),
        (raw, kRaw, temperature, topP, seed) => {
          // Quarter steps: many exact ties among the logits.
          const logits = Float32Array.from(raw, (x) => x / 4);
          const V = logits.length;
          const k = Math.min(kRaw, V - 1);
          const p = { temperature, topK: k, topP };
          const values = new Float32Array(k);
          const ids = new Uint32Array(k);
          topKRef(logits, values, ids, 1, V, k);
          const whole = wholeRowSample(logits, p, new Rng(seed));
          const top = sampleTopK(values, ids, p, new Rng(seed));
          expect(top).toBe(whole);
          expect(sampleToken(logits, p, new Rng(seed))).toBe(whole);
          expect(Array.from(ids)).toContain(top);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('refuses values and ids of different lengths', () => {
    expect(() => sampleTopK([1, 2], [0], { temperature: 1, topK: 2, topP: 1 }, new Rng(1))).toThrow(/same/);
  });
});
