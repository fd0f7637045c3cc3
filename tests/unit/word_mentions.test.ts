/**
 * The group test over words (src/engine/reward/word_mentions.ts): Bayes' rule on small cases
 * worked by hand, the symmetry of its calls, and a hidden set of liked words found from votes
 * that are mostly ties.
 */
import { describe, expect, it } from 'vitest';
import { WordMentions } from '../../src/engine/reward/word_mentions';
import { Rng } from '../../src/engine/rng';

/** An answer as a bag over `size` buckets holding the given words. */
function bag(size: number, words: readonly number[]): Float32Array {
  const f = new Float32Array(size);
  for (const w of words) f[w] = 1 / words.length;
  return f;
}

describe('WordMentions', () => {
  const PI = 0.02;
  const FLIP = 0.1;

  it('a win by an answer with two words the other lacks: each is in the set with probability 1/(2 − π)', () => {
    const m = new WordMentions({ size: 8, prior: PI, flip: FLIP });
    // P(a | w1 in S) = 1 − f; P(a | w1 not in S) = (1 − f)·π (then w2 must be): the flip cancels.
    m.observe(bag(8, [1, 2]), bag(8, []), 'a');
    expect(m.probability(1)).toBeCloseTo(1 / (2 - PI), 12);
    expect(m.probability(2)).toBeCloseTo(1 / (2 - PI), 12);
    expect(m.probability(3)).toBe(PI);
  });

  it('a tie clears the words only one answer has and leaves the shared ones', () => {
    const m = new WordMentions({ size: 8, prior: PI, flip: FLIP });
    m.observe(bag(8, [1, 5]), bag(8, [2, 5]), 'tie');
    // Word 1 in S: a tie needs word 2 in S too, then half the time: ½π; not in S: (1 − π).
    const cleared = (PI * 0.5 * PI) / (PI * 0.5 * PI + (1 - PI) * (1 - PI));
    expect(m.probability(1)).toBeCloseTo(cleared, 12);
    expect(m.probability(2)).toBeCloseTo(cleared, 12);
    expect(m.probability(5)).toBe(PI);
  });

  it('gives a win to the winner\'s words a tie has not cleared, far less to a cleared one or to the loser\'s', () => {
    const m = new WordMentions({ size: 8, prior: PI, flip: FLIP });
    m.observe(bag(8, [1]), bag(8, [6]), 'tie');
    m.observe(bag(8, [1, 2]), bag(8, [3]), 'a');
    expect(m.probability(2)).toBeGreaterThan(0.5);
    expect(m.probability(1)).toBeLessThan(0.05);
    // The loser's word gains a little: a decisive vote says some word of the pair is liked, and
    // with the flip noise the loser's could be it (the vote flipped).
    expect(m.probability(3)).toBeGreaterThan(PI);
    expect(m.probability(3)).toBeLessThan(m.probability(2) / 5);
  });

  it('calls a pair the same from either side, and a fresh pair even', () => {
    const m = new WordMentions({ size: 16, prior: PI, flip: FLIP });
    const [a, b] = [bag(16, [1, 2, 3]), bag(16, [3, 4, 5])];
    expect(m.predict(a, b)).toBeCloseTo(0.5, 12);
    m.observe(bag(16, [1]), bag(16, [9]), 'a');
    expect(m.predict(a, b)).toBeGreaterThan(0.8);
    expect(m.predict(b, a)).toBeCloseTo(1 - m.predict(a, b), 12);
    expect(m.tie(a, b)).toBeCloseTo(m.tie(b, a), 12);
    // No word apart: nothing can decide the pair, so it expects a tie (within its bounds).
    expect(m.tie(a, a)).toBe(0.99);
    // Reading a bag at an offset in a longer feature vector gives the same call.
    const pad = (f: Float32Array) => Float32Array.from([7, 7, ...f]);
    expect(m.predict(pad(a), pad(b), 2)).toBeCloseTo(m.predict(a, b), 12);
  });

  it('finds a hidden set of liked words from votes that are mostly ties, and calls the decisive ones', () => {
    const SIZE = 200;
    const LIKED = new Set([11, 57, 140]);
    const rng = new Rng('word-mentions');
    const answer = () => bag(SIZE, Array.from({ length: 8 }, () => rng.int(SIZE)));
    const liked = (f: Float32Array) => [...LIKED].some((k) => f[k]! > 0);
    const m = new WordMentions({ size: SIZE, prior: PI, flip: FLIP });
    let ties = 0;
    let right = 0;
    let scored = 0;
    for (let v = 0; v < 150; v++) {
      const [a, b] = [answer(), answer()];
      const outcome = liked(a) === liked(b) ? 'tie' : liked(a) ? 'a' : 'b';
      if (outcome === 'tie') ties++;
      else if (v >= 75) {
        scored++;
        if (m.predict(a, b) > 0.5 === (outcome === 'a')) right++;
      }
      m.observe(a, b, outcome);
    }
    expect(ties).toBeGreaterThan(100);
    expect(scored).toBeGreaterThan(5);
    expect(right / scored).toBeGreaterThan(0.85);
    const found = Array.from({ length: SIZE }, (_, k) => k).filter((k) => m.probability(k) > 0.5);
    expect(found.every((k) => LIKED.has(k))).toBe(true);
    expect(found.length).toBeGreaterThanOrEqual(2);
  });

  it('rejects a prior outside (0, 1) and a flip rate outside [0, ½]', () => {
    expect(() => new WordMentions({ size: 4, prior: 0 })).toThrow(RangeError);
    expect(() => new WordMentions({ size: 4, prior: 1 })).toThrow(RangeError);
    expect(() => new WordMentions({ size: 4, flip: 0.6 })).toThrow(RangeError);
  });
});
