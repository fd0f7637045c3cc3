import { describe, it, expect } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import {
  PRINCIPLES,
  PRINCIPLE_AXES,
  PRINCIPLE_FEATURE_COUNT,
  PRINCIPLE_FEATURE_IDS,
  isPrincipleId,
  leaningPrinciple,
  principleById,
  principleDirection,
  principleFeatures,
  syllablesOf,
  textStats,
  type PrincipleAxisId,
} from '../../src/engine/principles/index.ts';

function feature(text: string, id: PrincipleAxisId): number {
  return principleFeatures(text)[PRINCIPLE_FEATURE_IDS.indexOf(id)]!;
}

describe('the principle list', () => {
  it('has unique, stable ids and one feature per axis in list order', () => {
    const poleIds = PRINCIPLES.map((p) => p.id);
    expect(new Set(poleIds).size).toBe(poleIds.length);
    expect(PRINCIPLE_FEATURE_IDS).toEqual([
      'length', 'valence', 'readability', 'repetition', 'exclamation', 'questions', 'numbers', 'punctuation',
      'word_difficulty', 'sentence_length',
    ]);
    expect(poleIds).toEqual([
      'shorter', 'longer', 'positive', 'negative', 'simpler', 'more_complex', 'less_repetitive',
      'fewer_exclamations', 'more_exclamations', 'questions', 'numbers', 'more_punctuation',
      'plainer_words', 'longer_words', 'shorter_sentences', 'longer_sentences',
    ]);
    expect(principleFeatures('Hello there.').length).toBe(PRINCIPLE_FEATURE_COUNT);
    for (const p of PRINCIPLES) {
      expect(PRINCIPLE_AXES[p.featureIndex]!.id).toBe(p.axis);
      expect(p.label.length).toBeGreaterThan(5);
    }
  });

  it('pairs opposite poles on one feature, with opposite directions', () => {
    for (const p of PRINCIPLES) {
      if (p.opposite === null) continue;
      const q = principleById(p.opposite);
      expect(q.opposite).toBe(p.id);
      expect(q.featureIndex).toBe(p.featureIndex);
      expect(q.direction).toBe(-p.direction);
    }
    expect(principleById('shorter').opposite).toBe('longer');
    expect(principleById('positive').opposite).toBe('negative');
    expect(principleById('less_repetitive').opposite).toBeNull();
  });

  it('"yes: shorter" and "no: longer" speak for the same feature and sign', () => {
    const length = PRINCIPLE_FEATURE_IDS.indexOf('length');
    expect(principleDirection('shorter', 1)).toEqual({ featureIndex: length, sign: -1 });
    expect(principleDirection('longer', -1)).toEqual({ featureIndex: length, sign: -1 });
    expect(principleDirection('longer', 1)).toEqual({ featureIndex: length, sign: 1 });
    const valence = PRINCIPLE_FEATURE_IDS.indexOf('valence');
    expect(principleDirection('negative', -1)).toEqual({ featureIndex: valence, sign: 1 });
    const repetition = PRINCIPLE_FEATURE_IDS.indexOf('repetition');
    expect(principleDirection('less_repetitive', 1)).toEqual({ featureIndex: repetition, sign: -1 });
    expect(principleDirection('less_repetitive', -1)).toEqual({ featureIndex: repetition, sign: 1 });
  });

  it('names the pole a statement leans toward', () => {
    expect(leaningPrinciple('longer', -1)).toEqual({ principleId: 'shorter', polarity: 1 });
    expect(leaningPrinciple('longer', 1)).toEqual({ principleId: 'longer', polarity: 1 });
    expect(leaningPrinciple('questions', -1)).toEqual({ principleId: 'questions', polarity: -1 });
  });

  it('knows its ids and refuses others', () => {
    expect(isPrincipleId('shorter')).toBe(true);
    expect(isPrincipleId('sentiment')).toBe(false);
    expect(() => principleById('nope' as never)).toThrow(/unknown principle/);
  });

  it('writes each lexicon phrase once, lowercase, single-spaced (the ONE place)', () => {
    const seen = new Map<string, string>();
    for (const axis of PRINCIPLE_AXES) {
      for (const group of [axis.lexicon.up, axis.lexicon.down] as const) {
        for (const tag of ['neutral', 'virtue', 'fault'] as const) {
          for (const phrase of (group as Partial<Record<typeof tag, readonly string[]>>)[tag] ?? []) {
            expect(phrase).toMatch(/^[a-z]+( [a-z]+)*$/);
            expect(seen.get(phrase), `"${phrase}" in ${axis.id} and ${seen.get(phrase)}`).toBeUndefined();
            seen.set(phrase, axis.id);
          }
        }
      }
    }
    expect(seen.size).toBeGreaterThan(150);
  });
});

describe('principle features are computed from the text alone', () => {
  it('never import a simulated annotator (its scorers or configuration)', () => {
    const dir = new URL('../../src/engine/principles/', import.meta.url);
    const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));
    expect(files).toContain('principles.ts');
    for (const f of files) {
      const src = readFileSync(new URL(f, dir), 'utf8');
      expect(src, f).not.toMatch(/from '[^']*annotators/);
      expect(src, f).not.toMatch(/from '[^']*(judges|learning|selection)/);
    }
  });

  it('are deterministic and finite, also for empty and odd texts', () => {
    for (const t of ['', '   ', '!!!', '...', '😀😀', 'ÆØÅ ñandú', '3.14159', 'a'.repeat(5000), 'x. '.repeat(2000)]) {
      const f = principleFeatures(t);
      for (const v of f) expect(Number.isFinite(v), `${JSON.stringify(t.slice(0, 10))}`).toBe(true);
      expect([...principleFeatures(t)]).toEqual([...f]);
    }
    expect([...principleFeatures('')]).toEqual(new Array(PRINCIPLE_FEATURE_COUNT).fill(0));
  });

  it('match their definitions on hand-computed texts', () => {
    expect(feature('one two three', 'length')).toBeCloseTo(Math.log(4), 12);
    // The sentiment package: 'love' 3 + 'wonderful' 4 over its 6 tokens.
    expect(feature('I love this, it is wonderful!', 'valence')).toBeCloseTo(7 / 6, 12);
    // 6 words, 17 letters, 1 sentence: ARI = 4.71·17/6 + 0.5·6 − 21.43.
    expect(feature('The cat sat on the mat.', 'readability')).toBeCloseTo(-(4.71 * (17 / 6) + 3 - 21.43) / 10, 12);
    // Bigrams ab, ba, ab: 1 − 2/3.
    expect(feature('a b a b', 'repetition')).toBeCloseTo(1 / 3, 12);
    expect(feature('A, b. A b', 'repetition')).toBeCloseTo(1 / 3, 12);
    expect(feature('Hi! Ok. Go!', 'exclamation')).toBeCloseTo(2 / 3, 12);
    expect(feature('Why? Ok.', 'questions')).toBeCloseTo(1 / 2, 12);
    expect(feature('Really?! Fine.', 'questions')).toBeCloseTo(1 / 2, 12);
    expect(feature('3 apples and two pears', 'numbers')).toBeCloseTo(2 / 5, 12);
    expect(feature('Yes, no.', 'punctuation')).toBe(1);
    expect(feature('a, b c d', 'punctuation')).toBeCloseTo(1 / 4, 12);
    // the (1) cat (1) sat (1) beautifully (4): 7 syllables over 4 words, centred at 1.45.
    expect(feature('The cat sat beautifully.', 'word_difficulty')).toBeCloseTo(7 / 4 - 1.45, 12);
    // 6 words in 2 sentences, centred at 13.
    expect(feature('Go now. We will be late.', 'sentence_length')).toBeCloseTo(3 - 13, 12);
    expect(feature('word '.repeat(500), 'sentence_length')).toBe(100 - 13);
  });

  it('count syllables by vowel groups, a silent final e dropped', () => {
    const cases: [string, number][] = [
      ['the', 1], ['cat', 1], ['make', 1], ['cake', 1], ['simple', 2], ['table', 2], ['beautiful', 3],
      ['readability', 5], ['idea', 2], ['1990', 1], ["don't", 1], ['queue', 1],
    ];
    for (const [word, n] of cases) expect(syllablesOf(word), word).toBe(n);
    expect(textStats('The table is simple.').syllables).toBe(1 + 2 + 1 + 2);
  });

  it('do not split numbers or count decimal points as sentence ends', () => {
    const s = textStats('It is 3.5 m long');
    expect(s.words).toEqual(['it', 'is', '3.5', 'm', 'long']);
    expect(s.markedEnds).toBe(0);
    expect(s.sentences).toBe(1);
    expect(textStats("Don't stop. \u201cReally?\u201d Yes").words).toEqual(["don't", 'stop', 'really', 'yes']);
    expect(textStats("Don't stop. \u201cReally?\u201d Yes")).toMatchObject({ markedEnds: 2, questionEnds: 1, sentences: 3 });
  });
});

describe('each principle feature moves the right way on hand-written pairs', () => {
  const pairs: { axis: PrincipleAxisId; low: string; high: string }[] = [
    { axis: 'length', low: 'Yes.', high: 'Yes, and here is a much longer answer with many more words in it.' },
    { axis: 'length', low: 'The whale swam away.', high: 'The whale swam away into the cold grey sea and was never seen again.' },
    { axis: 'valence', low: 'What a terrible awful day.', high: 'What a wonderful happy day.' },
    { axis: 'valence', low: 'The ship sank and the crew died.', high: 'The ship sailed and the crew laughed.' },
    {
      axis: 'readability',
      low: 'Institutional considerations necessitate comprehensive organisational restructuring notwithstanding objections.',
      high: 'The cat sat on the mat. It was fun.',
    },
    {
      axis: 'readability',
      low: 'The harpooneer, perceiving the leviathan approaching, immediately commenced preparations whereupon everybody assembled.',
      high: 'The man saw the whale. He got his spear. We all ran.',
    },
    { axis: 'repetition', low: 'The quick brown fox jumps over the lazy dog.', high: 'the cat the cat the cat the cat' },
    { axis: 'repetition', low: 'We sailed north and found ice.', high: 'progress. progress. progress. progress.' },
    { axis: 'exclamation', low: 'Great. Amazing.', high: 'Great! Amazing!' },
    { axis: 'questions', low: 'It is late. We go home.', high: 'Is it late? Should we go home?' },
    { axis: 'numbers', low: 'It costs some dollars and weighs a lot.', high: 'It costs 35 dollars and weighs 12 kilos.' },
    { axis: 'numbers', low: 'Many ships sailed.', high: 'Three hundred ships sailed.' },
    { axis: 'punctuation', low: 'yes well no maybe we will see', high: 'Yes, well, no; maybe. We will see.' },
  ];
  for (const { axis, low, high } of pairs) {
    it(`${axis}: "${low.slice(0, 24)}…" < "${high.slice(0, 24)}…"`, () => {
      expect(feature(low, axis)).toBeLessThan(feature(high, axis));
    });
  }

  it('so each pole prefers the text it names (shorter prefers the short one, …)', () => {
    const named: Record<string, [preferred: string, other: string]> = {
      shorter: ['Yes.', 'Yes, and a lot more words follow here.'],
      longer: ['Yes, and a lot more words follow here.', 'Yes.'],
      positive: ['A lovely, joyful day.', 'A horrible, sad day.'],
      negative: ['A horrible, sad day.', 'A lovely, joyful day.'],
      simpler: ['We ran home.', 'Extraordinarily complicated considerations.'],
      more_complex: ['Extraordinarily complicated considerations.', 'We ran home.'],
      less_repetitive: ['One fish swam by the boat.', 'fish fish fish fish fish fish'],
      fewer_exclamations: ['Calm sea.', 'Wild sea!'],
      more_exclamations: ['Wild sea!', 'Calm sea.'],
      questions: ['Where is the whale?', 'Here is the whale.'],
      numbers: ['We saw 40 whales.', 'We saw many whales.'],
      more_punctuation: ['Well, yes; we saw it.', 'well yes we saw it'],
      plainer_words: ['We saw the big fish.', 'We observed the enormous creature.'],
      longer_words: ['We observed the enormous creature.', 'We saw the big fish.'],
      shorter_sentences: ['We sat. The sea was calm.', 'We sat and the sea was calm.'],
      longer_sentences: ['We sat and the sea was calm.', 'We sat. The sea was calm.'],
    };
    expect(Object.keys(named).sort()).toEqual(PRINCIPLES.map((p) => p.id).sort());
    for (const p of PRINCIPLES) {
      const [preferred, other] = named[p.id]!;
      const margin = p.direction * (principleFeatures(preferred)[p.featureIndex]! - principleFeatures(other)[p.featureIndex]!);
      expect(margin, p.id).toBeGreaterThan(0);
    }
  });

  it('are cheap: 2,000 sixty-word candidates in well under a second', () => {
    const base = 'The whale rose beside the boat, and we counted 3 spouts! Was it the white one? Nobody knew. ';
    const texts = Array.from({ length: 2000 }, (_, i) => `${base}${base} ${i}`);
    principleFeatures(texts[0]!);
    const t0 = performance.now();
    let sum = 0;
    for (const t of texts) sum += principleFeatures(t)[0]!;
    const ms = performance.now() - t0;
    expect(sum).toBeGreaterThan(0);
    expect(ms).toBeLessThan(1000);
  });
});
