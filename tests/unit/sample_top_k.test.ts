/**
 * Top-k sampling from the k values the device sends back (issue "Real time": sampling read the
 * whole [B, V] row of logits back per token and sorted the vocabulary on the host). The draw
 * from `sampleTopK` on a row's k largest logits must be the draw `sampleToken` makes from the
 * whole row (the full-sort sampler, `sampleBySorting`), for any temperature, top-p and seed, ties included.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sampleToken, sampleTopK } from '../../src/engine/sampling';
import { topKRef } from '../../src/kernels/reference';
import { Rng } from '../../src/engine/rng';
import { sampleBySorting } from '../support/sample_by_sorting';

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
          const whole = sampleBySorting(logits, p, new Rng(seed));
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
