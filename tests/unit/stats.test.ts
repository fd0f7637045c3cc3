import { describe, it, expect } from 'vitest';
import englishWords from 'an-array-of-english-words';
import {
  bootstrapInterval,
  distinctCompletions,
  distinctN,
  doubledWordRate,
  duplicateRate,
  hasDoubledWord,
  jaccard,
  meanWords,
  normalizedText,
  paddedBigrams,
  selfSimilarity,
  englishWordRate,
  fitLengthModel,
  lengthControlledWinRate,
  letterTokens,
  quantile,
  repetitionRate,
  resultForPolicy,
  sequenceRepetition,
  wilsonInterval,
  winRate,
  type LengthAwareResult,
  type PairwiseResult,
} from '../../src/engine/stats/index.ts';
import { sigmoid } from '../../src/engine/objectives/math.ts';
import { Rng } from '../../src/engine/rng.ts';

describe('win rate with a Wilson interval', () => {
  it('reproduces the textbook Wilson interval for 5/10: (0.2366, 0.7634)', () => {
    const [lo, hi] = wilsonInterval(0.5, 10);
    expect(lo).toBeCloseTo(0.236593, 6);
    expect(hi).toBeCloseTo(0.763407, 6);
  });

  it('counts ties as one half', () => {
    const r: PairwiseResult[] = [...Array(6).fill('win'), ...Array(2).fill('loss'), ...Array(2).fill('tie')];
    const s = winRate(r);
    expect(s).toMatchObject({ wins: 6, losses: 2, ties: 2, n: 10, method: 'wilson' });
    expect(s.winRate).toBeCloseTo(0.7, 15);
    const [lo, hi] = wilsonInterval(0.7, 10);
    expect(s.ci95[0]).toBe(lo);
    expect(s.ci95[1]).toBe(hi);
    expect(lo).toBeLessThan(0.7);
    expect(hi).toBeGreaterThan(0.7);
  });

  it('behaves at the edges: all wins, and no data', () => {
    const all = winRate(Array(5).fill('win'));
    expect(all.winRate).toBe(1);
    expect(all.ci95[1]).toBe(1);
    expect(all.ci95[0]).toBeCloseTo(0.565518, 6);
    const none = winRate([]);
    expect(Number.isNaN(none.winRate)).toBe(true);
    expect(none.ci95).toEqual([0, 1]);
  });

  it('covers the true rate about 95 % of the time, with ties (seeded simulation)', () => {
    const rng = new Rng('coverage');
    const pw = 0.45;
    const pt = 0.2; // true half-counted rate: 0.45 + 0.1 = 0.55
    let covered = 0;
    const reps = 400;
    for (let r = 0; r < reps; r++) {
      const res: PairwiseResult[] = Array.from({ length: 60 }, () => {
        const u = rng.next();
        return u < pw ? 'win' : u < pw + pt ? 'tie' : 'loss';
      });
      const [lo, hi] = winRate(res).ci95;
      if (lo <= 0.55 && 0.55 <= hi) covered++;
    }
    // Wilson is conservative with ties; binomial noise on 400 reps is ≈ ±1.1 %.
    expect(covered / reps).toBeGreaterThan(0.92);
  });

  it('maps judge outcomes to the policy’s result by display position', () => {
    expect(resultForPolicy('a', 'a')).toBe('win');
    expect(resultForPolicy('a', 'b')).toBe('loss');
    expect(resultForPolicy('tie', 'b')).toBe('tie');
    expect(resultForPolicy('bothbad', 'a')).toBe('tie');
  });
});

describe('bootstrap', () => {
  it('is seeded and brackets the statistic', () => {
    const xs = Array.from({ length: 50 }, (_, i) => i % 7);
    const mean = (s: readonly number[]) => s.reduce((a, b) => a + b, 0) / s.length;
    const a = bootstrapInterval(xs, mean, { seed: 3, samples: 300 });
    const b = bootstrapInterval(xs, mean, { seed: 3, samples: 300 });
    expect(a).toEqual(b);
    expect(a[0]).toBeLessThan(mean(xs));
    expect(a[1]).toBeGreaterThan(mean(xs));
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
  });
});

describe('length-controlled win rate', () => {
  function simulate(n: number, theta0: number, theta1: number, meanDiff: number, seed: string): LengthAwareResult[] {
    const rng = new Rng(seed);
    const diffs = Array.from({ length: n }, () => meanDiff + 20 * rng.normal());
    const m = diffs.reduce((a, b) => a + b, 0) / n;
    const sd = Math.sqrt(diffs.reduce((a, b) => a + (b - m) ** 2, 0) / n);
    return diffs.map((d) => {
      const p = sigmoid(theta0 + theta1 * Math.tanh(d / sd));
      const result: PairwiseResult = rng.next() < p ? 'win' : 'loss';
      return { result, policyLength: 100 + d, referenceLength: 100 };
    });
  }

  it('recovers the generating parameters (Newton fit)', () => {
    const data = simulate(3000, 0.3, 2, 0, 'fit');
    const { theta } = fitLengthModel(data, { ridge: 0 });
    expect(theta[0]).toBeCloseTo(0.3, 1);
    expect(theta[1]).toBeGreaterThan(1.7);
    expect(theta[1]).toBeLessThan(2.3);
  });

  it('removes a pure length preference: verbose policy, judge that only likes length', () => {
    // The policy is on average longer; the judge's only taste is length (θ₀ = 0).
    const data = simulate(400, 0, 2.5, 15, 'verbose');
    const lc = lengthControlledWinRate(data, { seed: 'lc', samples: 200 });
    console.log(`raw win rate ${lc.winRate.toFixed(3)}, LC win rate ${lc.lcWinRate.toFixed(3)} [${lc.ci95.map((x) => x.toFixed(3)).join(', ')}]`);
    expect(lc.winRate).toBeGreaterThan(0.65);
    expect(Math.abs(lc.lcWinRate - 0.5)).toBeLessThan(0.08);
    expect(lc.ci95[0]).toBeLessThan(lc.lcWinRate);
    expect(lc.ci95[1]).toBeGreaterThan(lc.lcWinRate);
  });

  it('equals the plain win rate when lengths never differ; handles all-win and ties', () => {
    const same: LengthAwareResult[] = (['win', 'win', 'loss', 'tie'] as const).map((result) => ({ result, policyLength: 10, referenceLength: 10 }));
    const lc = lengthControlledWinRate(same, { seed: 1, samples: 50 });
    expect(lc.lcWinRate).toBeCloseTo(0.625, 9);
    const allWin = lengthControlledWinRate([{ result: 'win', policyLength: 3, referenceLength: 9 }], { seed: 1, samples: 10 });
    expect(allWin.lcWinRate).toBe(1);
  });
});

describe('text metrics', () => {
  it('distinct-n over samples', () => {
    expect(distinctN(['a b c', 'a b d'], 1)).toBeCloseTo(4 / 6, 15);
    expect(distinctN(['a b c', 'a b d'], 2)).toBeCloseTo(3 / 4, 15);
    expect(distinctN(['A b', 'a B'], 1)).toBe(0.5); // lowercased
    expect(Number.isNaN(distinctN(['one'], 2))).toBe(true);
  });

  it('doubled words: a word directly after itself, which seq-rep-4 and distinct-2 miss', () => {
    // From a 30-vote run that passes the bar (scripts/sim/runs/word_doubling_passes.json).
    expect(hasDoubledWord('a great great great increase')).toBe(true);
    expect(hasDoubledWord('Great, great news.')).toBe(true); // case and punctuation between
    expect(hasDoubledWord('great news, and great times')).toBe(false); // not adjacent
    expect(hasDoubledWord("don't don't")).toBe(true);
    expect(hasDoubledWord('')).toBe(false);
    const doubled = ['the good good prosperity', 'a great great year', 'many many thanks', 'a fine day'];
    expect(doubledWordRate(doubled)).toBe(0.75);
    // The same set passes the other repetition numbers.
    expect(repetitionRate(doubled)).toBe(0);
    expect(distinctN(doubled, 2)).toBe(1);
    expect(Number.isNaN(doubledWordRate([]))).toBe(true);
  });

  it('repetition and duplicates flag collapse', () => {
    expect(sequenceRepetition('the the the the the', 1)).toBeCloseTo(0.8, 15);
    expect(sequenceRepetition('a b c d e', 2)).toBe(0);
    const collapsed = Array(5).fill('i am a bot i am a bot i am a bot');
    const healthy = ['the cat sat on a mat today', 'dogs run fast in the park', 'rain fell all night long here'];
    expect(repetitionRate(collapsed, 2)).toBeGreaterThan(0.5);
    expect(repetitionRate(healthy, 2)).toBe(0);
    expect(duplicateRate(collapsed)).toBeCloseTo(0.8, 15);
    expect(duplicateRate(['Hi  there', 'hi there', 'bye'])).toBeCloseTo(1 / 3, 15);
  });

  // Set-level diversity: golden values computed by hand in the comments.
  it('distinct completions: unique non-empty normalised texts over all texts, empties never distinct', () => {
    expect(normalizedText('  A  b\tC. ')).toBe('a b c.');
    // normalised: "progress.", "progress.", "", "a b", "a b", "c" → 3 distinct non-empty of 6.
    expect(distinctCompletions([' progress.', 'Progress.', '', 'a b', 'A  B ', 'c'])).toBe(0.5);
    // Punctuation is kept: exact-match collapse ("progress.." is another text).
    expect(distinctCompletions([' progress.', ' progress..'])).toBe(1);
    // Empty completions count against diversity: 1 distinct of 4, then 0 of 3.
    expect(distinctCompletions(['x', '', ' ', '\n'])).toBe(0.25);
    expect(distinctCompletions(['', '', ''])).toBe(0);
    expect(distinctCompletions(['one'])).toBe(1);
    expect(Number.isNaN(distinctCompletions([]))).toBe(true);
  });

  it('mean length in words counts empty completions as 0', () => {
    // (0 + 1 + 3 + 2) / 4
    expect(meanWords(['', 'a', 'a b c', ' d  e '])).toBe(1.5);
    expect(meanWords(['   '])).toBe(0);
    expect(Number.isNaN(meanWords([]))).toBe(true);
  });

  it('self-similarity: mean pairwise Jaccard of padded word-bigram sets', () => {
    const S = '\u0002s';
    const E = '\u0002/s';
    const j = (t: string) => [...paddedBigrams(t)].map((g) => g.replace('\u0001', ' '));
    expect(j('a b')).toEqual([`${S} a`, 'a b', `b ${E}`]);
    expect(j('Progress.')).toEqual([`${S} progress.`, `progress. ${E}`]);
    expect(j('')).toEqual([`${S} ${E}`]);
    // {⟨s⟩ a, a b, b ⟨/s⟩} vs {⟨s⟩ a, a c, c ⟨/s⟩}: 1 shared of 5.
    expect(jaccard(paddedBigrams('a b'), paddedBigrams('a c'))).toBeCloseTo(0.2, 15);
    expect(selfSimilarity(['a b', 'a c'])).toBeCloseTo(0.2, 15);
    // Pairs (1,2) = 1, (1,3) = (2,3) = 0.2: (1 + 0.2 + 0.2) / 3.
    expect(selfSimilarity(['a b', 'a b', 'a c'])).toBeCloseTo(1.4 / 3, 15);
    // One-word and empty completions are compared, not skipped: the same short text is similar.
    expect(selfSimilarity(['X', 'x'])).toBe(1);
    expect(selfSimilarity(['x', 'y'])).toBe(0);
    expect(selfSimilarity(['', ''])).toBe(1);
    expect(selfSimilarity(['', 'x'])).toBe(0);
    expect(Number.isNaN(selfSimilarity(['only one']))).toBe(true);
  });

  it('sees mode collapse onto a short phrase that distinct-2 misses', () => {
    // Four " progress." and one longer sentence: pooled distinct-2 sees only the sentence's
    // 5 bigrams (all unique) and scores 1; the set-level numbers see the collapse.
    const collapsed = [' progress.', ' progress.', ' progress.', ' progress.', 'the cat sat on the mat'];
    expect(distinctN(collapsed, 2)).toBe(1);
    expect(distinctCompletions(collapsed)).toBeCloseTo(2 / 5, 15);
    expect(meanWords(collapsed)).toBe(2); // (4 × 1 + 6) / 5
    // 6 identical pairs (1 each) and 4 pairs with the sentence (no shared bigram): 6 / 10.
    expect(selfSimilarity(collapsed)).toBeCloseTo(0.6, 15);
  });

  it('English-word rate with the installed word list (caller-supplied Set)', () => {
    const words = new Set(englishWords);
    expect(letterTokens('Hello, world! x1 ### "quoted"')).toEqual(['hello', 'world', 'quoted']);
    expect(englishWordRate('The cat sat on the mat.', words)).toBe(1);
    expect(englishWordRate('the qzxv blorptang cat', words)).toBe(0.5);
    expect(englishWordRate(['the cat', 'zzqx'], words)).toBeCloseTo(2 / 3, 15);
    expect(Number.isNaN(englishWordRate('123 ###', words))).toBe(true);
  });
});
