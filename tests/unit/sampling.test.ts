/**
 * Token sampling: top-k picks its candidates with a heap (`topKIndices`) instead of sorting the
 * whole vocabulary per token. The draws must be exactly those of the full sort (the logged
 * candidates of a session are what a seed and the logits give), ties included; so must the
 * CPU backend's `sample`, which generation uses for plain (temperature-only) sampling.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sampleToken } from '../../src/engine/sampling';
import { topKIndices as topKIds } from '../../src/kernels/reference';
import { Rng } from '../../src/engine/rng';
import { CpuBackend } from '../../src/engine/backends/cpu';
import { sampleBySorting } from '../support/sample_by_sorting';


// Logits from a few distinct values, so ties between ids are common.
const logitsArb = fc.array(fc.integer({ min: -6, max: 6 }), { minLength: 2, maxLength: 300 }).map((xs) => Float32Array.from(xs, (x) => x / 2));

describe('topKIds', () => {
  it('holds the first k of the full sort, ties broken by the lower id', () => {
    fc.assert(
      fc.property(logitsArb, fc.integer({ min: 1, max: 400 }), (logits, k) => {
        const probs = Float64Array.from(logits, (x) => Math.exp(x));
        const kk = Math.min(k, probs.length);
        const sorted = Array.from({ length: probs.length }, (_, i) => i).sort((a, b) => probs[b]! - probs[a]! || a - b);
        expect(new Set(topKIds(probs, kk))).toEqual(new Set(sorted.slice(0, kk)));
        expect(topKIds(probs, kk)).toHaveLength(kk);
      }),
      { numRuns: 300 },
    );
  });
});

describe('sampleToken', () => {
  it('draws what the full sort drew, for top-k, top-p and both', () => {
    fc.assert(
      fc.property(
        logitsArb,
        fc.integer({ min: 0, max: 60 }),
        fc.constantFrom(1, 0.95, 0.5),
        fc.constantFrom(0.8, 1, 1.7),
        fc.integer({ min: 0, max: 1000 }),
        (logits, topK, topP, temperature, seed) => {
          const p = { temperature, topK, topP };
          for (let draw = 0; draw < 5; draw++) {
            const ours = sampleToken(logits, p, new Rng(seed).fork(`d${draw}`));
            expect(ours).toBe(sampleBySorting(logits, p, new Rng(seed).fork(`d${draw}`)));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('is greedy at temperature 0 and with top-k 1', () => {
    const logits = Float32Array.from([0.1, 2, -1, 2, 0.5]);
    expect(sampleToken(logits, { temperature: 0, topK: 0, topP: 1 }, new Rng(1))).toBe(1);
    expect(sampleToken(logits, { temperature: 1, topK: 1, topP: 1 }, new Rng(1))).toBe(1);
  });
});

describe('plain sampling on a backend (Backend.sample)', () => {
  it("the CPU backend's draw from one uniform per row is the full sort's draw with the same RNG", async () => {
    const be = new CpuBackend({ wasm: false });
    await fc.assert(
      fc.asyncProperty(fc.array(logitsArb, { minLength: 1, maxLength: 4 }), fc.constantFrom(0.5, 1, 1.7), fc.integer({ min: 0, max: 1e6 }), async (rows, temperature, seed) => {
        const V = Math.min(...rows.map((r) => r.length));
        const data = new Float32Array(rows.length * V);
        rows.forEach((r, i) => data.set(r.subarray(0, V), i * V));
        const p = { temperature, topK: 0, topP: 1 };
        const rowOf = (i: number) => data.subarray(i * V, (i + 1) * V);
        const want = rows.map((_, i) => sampleBySorting(rowOf(i), p, new Rng(seed).fork(`r${i}`)));
        expect(rows.map((_, i) => sampleToken(rowOf(i), p, new Rng(seed).fork(`r${i}`)))).toEqual(want);
        const uniforms = Float64Array.from(rows, (_, i) => new Rng(seed).fork(`r${i}`).next());
        const logits = be.upload(data, [rows.length, V]);
        const ids = be.sample(logits, temperature, uniforms);
        expect(Array.from(await be.readU32(ids))).toEqual(want);
        be.release(logits);
        be.release(ids);
      }),
      { numRuns: 300 },
    );
  });
});
