import { describe, it, expect } from 'vitest';
import { annotatePair, annotateScores, annotatorForVote } from '../../src/engine/learning/annotator_spec';
import { lengthScore, sentimentScore, keywordHits } from '../../src/engine/annotators';
import type { AnnotatorSpec } from '../../src/engine/api';

const spec = (over: Partial<AnnotatorSpec> = {}): AnnotatorSpec => ({
  id: 'ann',
  criterion: 'length',
  labelNoise: 0,
  positionBias: 0,
  seed: 11,
  params: { targetWords: 4 },
  ...over,
});

const SHORT = 'one two three four';
const LONG = 'one two three four five six seven eight nine ten';

describe('annotatePair / annotateScores (session AnnotatorSpec → SimulatedAnnotator)', () => {
  it('is deterministic in (seed, index) whatever order the votes are asked in', () => {
    const s = spec({ labelNoise: 0.5 }); // every label a coin flip: outcomes depend only on the stream
    const forward = Array.from({ length: 40 }, (_, i) => annotatePair(s, i, 'p', SHORT, LONG).outcome);
    const backward = Array.from({ length: 40 }, (_, k) => annotatePair(s, 39 - k, 'p', SHORT, LONG).outcome).reverse();
    expect(backward).toEqual(forward);
    // The coin really varies with the index, and with the seed.
    expect(new Set(forward).size).toBe(2);
    const otherSeed = Array.from({ length: 40 }, (_, i) => annotatePair({ ...s, seed: 12 }, i, 'p', SHORT, LONG).outcome);
    expect(otherSeed).not.toEqual(forward);
  });

  it('without noise prefers the better-scored answer, with scores and a critique from the annotator', () => {
    const v = annotatePair(spec(), 0, 'p', LONG, SHORT);
    expect(v.outcome).toBe('b');
    expect(v.pAB).toBe(0);
    expect(v.scores).toEqual({ a: lengthScore(LONG, 4), b: lengthScore(SHORT, 4) });
    expect(v.critique).toMatch(/Prefers B/);
    expect(v.critique).toMatch(/closeness to 4 words/);
  });

  it('labelNoise p is AlpacaFarm flip noise: pAB = (1 − 2p)·[Δ > 0] + p, and about p of the labels flip', () => {
    const s = spec({ labelNoise: 0.25 });
    expect(annotatePair(s, 0, 'p', SHORT, LONG).pAB).toBeCloseTo(0.75, 12);
    let flipped = 0;
    const n = 2000;
    for (let i = 0; i < n; i++) if (annotatePair(s, i, 'p', SHORT, LONG).outcome === 'b') flipped++;
    // Binomial(2000, 0.25): sd ≈ 0.0097, so ±0.04 is four standard deviations.
    expect(Math.abs(flipped / n - 0.25)).toBeLessThan(0.04);
  });

  it('positionBias leans the coin (and exact ties) towards the first (+1) or second (−1) answer', () => {
    const coin = { labelNoise: 0.5 };
    for (let i = 0; i < 30; i++) {
      expect(annotatePair(spec({ ...coin, positionBias: 1 }), i, 'p', LONG, SHORT).outcome).toBe('a');
      expect(annotatePair(spec({ ...coin, positionBias: -1 }), i, 'p', SHORT, LONG).outcome).toBe('b');
    }
    // Equal scores are a tie by default (the Simulate cell's threshold).
    expect(annotatePair(spec(), 0, 'p', SHORT, SHORT).outcome).toBe('tie');
  });

  it('maps criterion params: sentiment mode, keywords as a comma-separated list', () => {
    const texts = ['a good happy day', 'a sad terrible day', 'the sea and the ship'];
    expect(annotateScores(spec({ criterion: 'sentiment', params: {} }), texts)).toEqual(texts.map((t) => sentimentScore(t)));
    expect(annotateScores(spec({ criterion: 'sentiment', params: { mode: 'total' } }), texts)).toEqual(texts.map((t) => sentimentScore(t, 'total')));
    expect(annotateScores(spec({ criterion: 'keyword', params: { keywords: 'sea, ship' } }), texts)).toEqual(texts.map((t) => keywordHits(t, ['sea', 'ship'])));
    expect(annotatorForVote(spec({ criterion: 'readability', params: {} }), 3).config.scorer).toEqual({ kind: 'readability' });
  });

  it('rejects what it cannot honour', () => {
    expect(() => annotatePair(spec({ criterion: 'toxicity' }), 0, 'p', 'a', 'b')).toThrow(/unknown annotator criterion/);
    expect(() => annotatePair(spec({ labelNoise: 0.7 }), 0, 'p', 'a', 'b')).toThrow(/labelNoise/);
    expect(() => annotatePair(spec(), -1, 'p', 'a', 'b')).toThrow(/index/);
    expect(() => annotateScores(spec({ criterion: 'keyword', params: { keywords: ' , ' } }), ['x'])).toThrow(/no keyword/);
  });
});
