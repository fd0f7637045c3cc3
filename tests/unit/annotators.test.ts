import { describe, it, expect } from 'vitest';
import {
  AnnotatorPool,
  SimulatedAnnotator,
  countSyllables,
  countWords,
  createDefaultAnnotatorPool,
  keywordHits,
  lengthScore,
  readability,
  sentimentScore,
  type JudgeOutcome,
} from '../../src/engine/annotators/index.ts';
import { sigmoid } from '../../src/engine/objectives/math.ts';

const HAPPY = 'I love this, it is a wonderful and delightful day.';
const SAD = 'I hate this, it is a terrible and awful day.';

function tally(outcomes: JudgeOutcome[]): Record<JudgeOutcome, number> {
  const t: Record<JudgeOutcome, number> = { a: 0, b: 0, tie: 0, bothbad: 0 };
  for (const o of outcomes) t[o]++;
  return t;
}

describe('scorers', () => {
  it('sentiment (AFINN, comparative = score per token)', () => {
    expect(sentimentScore(HAPPY)).toBeGreaterThan(0);
    expect(sentimentScore(SAD)).toBeLessThan(0);
    // 'love' 3 + 'wonderful' 4 over 6 tokens (the package's own tokenisation).
    expect(sentimentScore('I love this, it is wonderful!')).toBeCloseTo(7 / 6, 12);
    expect(sentimentScore('I love this, it is wonderful!', 'total')).toBe(7);
    expect(sentimentScore('')).toBe(0);
  });

  it('length: distance to the target in words', () => {
    expect(countWords('  one two\nthree  ')).toBe(3);
    expect(countWords('   ')).toBe(0);
    expect(lengthScore('a b c', 5)).toBe(-2);
    expect(lengthScore('a b c d e f g', 5)).toBe(-2);
  });

  it('keyword hits are whole-word and case-insensitive', () => {
    expect(keywordHits('Because of this, because… not becauses', ['because'])).toBe(2);
    expect(keywordHits('for example: an EXAMPLE', ['example', 'for'])).toBe(3);
    expect(keywordHits('c++ and c++', ['c++'])).toBe(2);
  });

  it('Flesch reading ease with a syllable heuristic', () => {
    expect(countSyllables('cat')).toBe(1);
    expect(countSyllables('table')).toBe(2);
    expect(countSyllables('make')).toBe(1);
    expect(countSyllables('beautiful')).toBe(3);
    expect(countSyllables('readability')).toBe(5);
    // 6 one-syllable words, 1 sentence: 206.835 − 1.015·6 − 84.6·1.
    const r = readability('The cat sat on the mat.');
    expect(r).toMatchObject({ words: 6, sentences: 1, syllables: 6 });
    expect(r.fleschReadingEase).toBeCloseTo(206.835 - 1.015 * 6 - 84.6, 10);
    const hard = readability('Institutional considerations necessitate comprehensive organisational restructuring.');
    expect(hard.fleschReadingEase).toBeLessThan(r.fleschReadingEase - 100);
    expect(readability('Two sentences. Here they are').sentences).toBe(2);
    expect(readability('').fleschReadingEase).toBe(0);
  });
});

describe('SimulatedAnnotator', () => {
  it('Bradley–Terry noise: pAB = σ(Δ/T), symmetric without position bias', () => {
    const ann = new SimulatedAnnotator({ scorer: { kind: 'length', targetWords: 10 }, noise: { type: 'bt', temperature: 2 }, seed: 1 });
    const a = 'one two three four five six seven eight nine'; // 9 words → −1
    const b = 'one two three four five'; // 5 words → −5
    const j = ann.judge('p', a, b);
    expect(j.pAB).toBeCloseTo(sigmoid(4 / 2), 12);
    expect(ann.judge('p', b, a).pAB).toBeCloseTo(1 - j.pAB, 12);
    expect(j.scores).toEqual({ a: -1, b: -5 });
  });

  it('BT outcome frequencies match pAB', () => {
    const ann = new SimulatedAnnotator({ scorer: { kind: 'sentiment' }, noise: { type: 'bt', temperature: 1 }, seed: 'freq' });
    const n = 2000;
    const outs = Array.from({ length: n }, () => ann.judge('', HAPPY, SAD).outcome);
    const p = ann.judge('', HAPPY, SAD).pAB;
    // Binomial std at n = 2000 is ≤ 0.012; allow 4σ.
    expect(Math.abs(tally(outs).a / n - p)).toBeLessThan(0.045);
  });

  it('AlpacaFarm flip noise: p is the effective flip rate', () => {
    const ann = new SimulatedAnnotator({ scorer: { kind: 'sentiment' }, noise: { type: 'flip', flipRate: 0.2 }, seed: 'flip' });
    expect(ann.judge('', HAPPY, SAD).pAB).toBeCloseTo(0.8, 12);
    const n = 4000;
    const t = tally(Array.from({ length: n }, () => ann.judge('', HAPPY, SAD).outcome));
    expect(Math.abs(t.b / n - 0.2)).toBeLessThan(0.03);
  });

  it('position bias: additive logit (BT) and first-when-unsure (flip)', () => {
    const bt = new SimulatedAnnotator({ scorer: { kind: 'sentiment' }, positionBias: 0.8, seed: 2 });
    expect(bt.judge('', HAPPY, HAPPY).pAB).toBeCloseTo(sigmoid(0.8), 12);
    const flip = new SimulatedAnnotator({ scorer: { kind: 'sentiment' }, noise: { type: 'flip', flipRate: 0.25 }, firstWhenUnsure: 0.7, seed: 3 });
    expect(flip.judge('', HAPPY, HAPPY).pAB).toBeCloseTo(0.7, 12);
    // When sure: (1 − 2p)·1 + 2p·q = 0.5 + 0.5·0.7; for the worse answer shown first: 2p·q.
    expect(flip.judge('', HAPPY, SAD).pAB).toBeCloseTo(0.5 + 0.35, 12);
    expect(flip.judge('', SAD, HAPPY).pAB).toBeCloseTo(0.35, 12);
  });

  it('ties: within the threshold always, elsewhere at the tie probability', () => {
    const ann = new SimulatedAnnotator({ scorer: { kind: 'keyword', keywords: ['so'] }, tieThreshold: 0.5, tieProbability: 0.1, seed: 4 });
    const close = ann.judge('', 'so it goes', 'and so on');
    expect(close.pTie).toBe(1);
    expect(close.outcome).toBe('tie');
    const n = 3000;
    const t = tally(Array.from({ length: n }, () => ann.judge('', 'so so so', 'nothing').outcome));
    expect(Math.abs(t.tie / n - 0.1)).toBeLessThan(0.025);
    expect(t.a).toBeGreaterThan(t.b);
  });

  it('both bad when both scores fall below the threshold', () => {
    const ann = new SimulatedAnnotator({ scorer: { kind: 'sentiment' }, bothBadThreshold: 0, seed: 5 });
    const j = ann.judge('', SAD, 'This is awful.');
    expect(j.outcome).toBe('bothbad');
    expect(j.critique).toMatch(/Neither/);
    expect(ann.judge('', HAPPY, SAD).outcome).not.toBe('bothbad');
  });

  it('is reproducible from its seed', () => {
    const mk = () => new SimulatedAnnotator({ scorer: { kind: 'sentiment' }, noise: { type: 'bt', temperature: 1 }, seed: 'same' });
    const x = mk();
    const y = mk();
    const ox = Array.from({ length: 50 }, () => x.judge('', HAPPY, SAD).outcome);
    const oy = Array.from({ length: 50 }, () => y.judge('', HAPPY, SAD).outcome);
    expect(ox).toEqual(oy);
    expect(new Set(ox).size).toBe(2); // noisy: both outcomes occur
  });

  it('rejects impossible noise settings', () => {
    expect(() => new SimulatedAnnotator({ scorer: { kind: 'sentiment' }, noise: { type: 'flip', flipRate: 0.6 }, seed: 0 })).toThrow();
    expect(() => new SimulatedAnnotator({ scorer: { kind: 'sentiment' }, noise: { type: 'bt', temperature: 0 }, seed: 0 })).toThrow();
  });
});

describe('AnnotatorPool', () => {
  it('each vote comes from one member, picked by weight, reproducibly', () => {
    const mk = (id: string, target: number) =>
      new SimulatedAnnotator({ id, scorer: { kind: 'length', targetWords: target }, seed: id });
    const pool = new AnnotatorPool([{ annotator: mk('short', 2), weight: 3 }, { annotator: mk('long', 20), weight: 1 }], 'pool');
    const n = 2000;
    const ids = Array.from({ length: n }, () => pool.judge('', 'a b', 'a b c d e f g h i j k l m n o p q r s t').annotatorId);
    const share = ids.filter((i) => i === 'short').length / n;
    expect(Math.abs(share - 0.75)).toBeLessThan(0.04);
    const pool2 = new AnnotatorPool([{ annotator: mk('short', 2), weight: 3 }, { annotator: mk('long', 20), weight: 1 }], 'pool');
    const ids2 = Array.from({ length: n }, () => pool2.judge('', 'a b', 'a b c d e f g h i j k l m n o p q r s t').annotatorId);
    expect(ids2).toEqual(ids);
  });

  it('the default pool has varied members and produces every kind of outcome', () => {
    const pool = createDefaultAnnotatorPool(11);
    expect(new Set(pool.members.map((m) => m.annotator.id)).size).toBe(4);
    const texts = [HAPPY, SAD, 'ok', 'First, mix it, because then it sets. For example, so it works.', ''];
    const outs: JudgeOutcome[] = [];
    for (let t = 0; t < 400; t++) {
      const j = pool.judge('prompt', texts[t % 5]!, texts[(t * 3 + 1) % 5]!);
      expect(j.pAB).toBeGreaterThanOrEqual(0);
      expect(j.pAB).toBeLessThanOrEqual(1);
      outs.push(j.outcome);
    }
    const t = tally(outs);
    for (const k of ['a', 'b', 'tie', 'bothbad'] as const) expect(t[k], k).toBeGreaterThan(0);
  });
});
