/**
 * The DivPO pair pick (Lanchantin et al. 2025, arXiv 2501.18101, §3: chosen = the most diverse
 * response above the quality threshold, rejected = the least diverse below it; here the
 * threshold is the median by the loop's taste and "diverse" is low likelihood per token under
 * the policy, the paper's model-probability criterion).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bordaScores, diversePick } from '../../src/engine/learning/diverse_pick';

describe('diversePick', () => {
  it('takes the least likely of the better half against the most likely of the worse half', () => {
    // Ranked by quality: 0, 2 (upper) then 1, 3 (lower).
    const pick = diversePick({ quality: [3, 1, 2, 0], logpPerToken: [-1, -2, -3, -0.5], lengths: [5, 5, 5, 5], matchLength: false });
    expect(pick).toEqual({ chosen: 2, rejected: 3 });
  });

  it('with matchLength, takes the worse half’s answer closest in length to the chosen one', () => {
    // Chosen: 2 (30 tokens). Lower half: 1 (12 tokens, the likeliest) and 3 (29 tokens).
    const input = { quality: [3, 1, 2, 0], logpPerToken: [-1, -0.1, -3, -0.5], lengths: [10, 12, 30, 29] };
    expect(diversePick({ ...input, matchLength: false })).toEqual({ chosen: 2, rejected: 1 });
    expect(diversePick({ ...input, matchLength: true })).toEqual({ chosen: 2, rejected: 3 });
    // Equally close: the likelier one.
    expect(diversePick({ ...input, lengths: [10, 31, 30, 29], matchLength: true })).toEqual({ chosen: 2, rejected: 1 });
  });

  it('puts the middle of an odd count in the upper half, and breaks quality ties by sample order', () => {
    // Five samples, all of one quality: upper = 0, 1, 2; lower = 3, 4.
    const pick = diversePick({ quality: [1, 1, 1, 1, 1], logpPerToken: [-1, -4, -2, -3, -0.2], lengths: [1, 1, 1, 1, 1], matchLength: false });
    expect(pick).toEqual({ chosen: 1, rejected: 4 });
  });

  it('with two samples is the better against the worse', () => {
    expect(diversePick({ quality: [0.2, 0.8], logpPerToken: [-1, -2], lengths: [3, 4], matchLength: true })).toEqual({ chosen: 1, rejected: 0 });
  });

  it('refuses fewer than two samples, mismatched lists and non-finite scores', () => {
    expect(() => diversePick({ quality: [1], logpPerToken: [-1], lengths: [1], matchLength: false })).toThrow(/at least 2/);
    expect(() => diversePick({ quality: [1, 2], logpPerToken: [-1], lengths: [1, 1], matchLength: false })).toThrow(/differ in length/);
    expect(() => diversePick({ quality: [1, NaN], logpPerToken: [-1, -1], lengths: [1, 1], matchLength: false })).toThrow(/sample 1/);
  });

  it('always picks two different samples, the chosen one from the better half', () => {
    const sample = fc.integer({ min: 2, max: 8 }).chain((n) =>
      fc.record({
        quality: fc.array(fc.integer({ min: -5, max: 5 }), { minLength: n, maxLength: n }),
        logpPerToken: fc.array(fc.double({ min: -20, max: 0, noNaN: true }), { minLength: n, maxLength: n }),
        lengths: fc.array(fc.integer({ min: 1, max: 64 }), { minLength: n, maxLength: n }),
        matchLength: fc.boolean(),
      }),
    );
    fc.assert(
      fc.property(sample, (input) => {
        const { chosen, rejected } = diversePick(input);
        expect(chosen).not.toBe(rejected);
        // No sample outside the chosen one's half is better than a sample inside the rejected one's.
        expect(input.quality[chosen]!).toBeGreaterThanOrEqual(input.quality[rejected]!);
        const better = input.quality.filter((q) => q > input.quality[chosen]!).length;
        expect(better).toBeLessThan(Math.ceil(input.quality.length / 2));
      }),
      { seed: 7, numRuns: 300 },
    );
  });
});

describe('bordaScores', () => {
  it('sums each sample’s P(it ≻ other), asking each unordered pair once', () => {
    const asked: string[] = [];
    const p = [
      [0.5, 0.9, 0.6],
      [0.1, 0.5, 0.3],
      [0.4, 0.7, 0.5],
    ];
    const scores = bordaScores(3, (i, j) => {
      asked.push(`${i}${j}`);
      return p[i]![j]!;
    });
    expect(asked).toEqual(['01', '02', '12']);
    expect(scores[0]).toBeCloseTo(1.5, 12);
    expect(scores[1]).toBeCloseTo(0.1 + 0.3, 12);
    expect(scores[2]).toBeCloseTo(0.4 + 0.7, 12);
    // n(n − 1)/2 comparisons, each worth 1 in all.
    expect(scores.reduce((a, b) => a + b, 0)).toBeCloseTo(3, 12);
  });
});
