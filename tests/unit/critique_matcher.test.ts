import { describe, it, expect } from 'vitest';
import englishWords from 'an-array-of-english-words';
import {
  CONFIDENCE,
  PRINCIPLE_FEATURE_IDS,
  allowedEdits,
  boundedOsaDistance,
  describeMatch,
  matchCritique,
  nearestLexiconWord,
  principleDirection,
  respellGuardFrom,
  type CritiqueMatch,
  type CritiqueSide,
  type PrincipleId,
} from '../../src/engine/principles/index.ts';
import { RESPELL_GUARD } from '../../src/engine/principles/respell_guard.ts';

type Expected = [principleId: PrincipleId, polarity: 1 | -1, side: CritiqueSide | null];

function readings(critique: string): Expected[] {
  const r = matchCritique(critique);
  return r.matches.map((m) => [m.principleId, m.polarity, m.side]);
}

function only(critique: string): CritiqueMatch {
  const r = matchCritique(critique);
  expect(r.unmatched, critique).toBe(false);
  expect(r.matches, critique).toHaveLength(1);
  return r.matches[0]!;
}

describe('critiques a person types', () => {
  const cases: [string, Expected[]][] = [
    ['too long', [['longer', -1, null]]],
    ['A is too wordy', [['longer', -1, 'a']]],
    ['I prefer the happier one', [['positive', 1, null]]],
    ['not so negative please', [['negative', -1, null]]],
    ['more concise', [['shorter', 1, null]]],
    ['shorter!!', [['shorter', 1, null]]],
    ['less repetitve', [['less_repetitive', 1, null]]],
    ['B repeats itself', [['less_repetitive', 1, 'b']]],
    ["i don't want it shorter", [['shorter', -1, null]]],
    ['neither is too long', [['longer', 1, null]]],
    ['too many exclamation marks', [['more_exclamations', -1, null]]],
    ['no more exclamation marks', [['more_exclamations', -1, null]]],
    ['needs more numbers', [['numbers', 1, null]]],
    ['less jargon', [['more_complex', -1, null]]],
    ['A uses long sentences', [['more_complex', -1, 'a']]],
    ['too complicated for me', [['more_complex', -1, null]]],
    ['simpler words please', [['simpler', 1, null]]],
    ['stop shouting', [['more_exclamations', -1, null]]],
    ['could ask more questions', [['questions', 1, null]]],
    ['way too verbose and too negative', [['longer', -1, null], ['negative', -1, null]]],
    [
      'the first one is too negative, the second rambles',
      [['negative', -1, 'a'], ['longer', -1, 'b']],
    ],
    ['A is too long but B is too negative', [['longer', -1, 'a'], ['negative', -1, 'b']]],
    ['as long as it is positive', [['positive', 1, null]]],
    ['kind of long', [['longer', -1, null]]],
    ['A uses no punctuation at all, a run-on mess', [['more_punctuation', 1, 'a']]],
  ];
  for (const [critique, expected] of cases) {
    it(JSON.stringify(critique), () => {
      expect(readings(critique)).toEqual(expected);
    });
  }
});

describe('negation and modifiers', () => {
  const cases: [string, Expected][] = [
    // neutral terms: a negation flips them
    ['shorter', ['shorter', 1, null]],
    ['not shorter', ['shorter', -1, null]],
    ["I don't want it longer", ['longer', -1, null]],
    ['I do not want more numbers', ['numbers', -1, null]],
    ['no numbers please', ['numbers', -1, null]],
    ['A has no numbers', ['numbers', 1, 'a']],
    ['never shorten it', ['shorter', -1, null]],
    // virtues and faults keep their reading when denied
    ["A isn't concise", ['shorter', 1, 'a']],
    ["B isn't repetitive", ['less_repetitive', 1, 'b']],
    ['not wordy at all', ['longer', -1, null]],
    // too / not too / not so / enough / lack
    ['too short', ['shorter', -1, null]],
    ['not too short', ['shorter', 1, null]],
    ["isn't too long", ['longer', 1, null]],
    ['not so long please', ['longer', -1, null]],
    ['not long enough', ['longer', 1, null]],
    ['not enough detail', ['longer', 1, null]],
    ['too little detail', ['longer', 1, null]],
    ['too few numbers', ['numbers', 1, null]],
    ['its to long', ['longer', -1, null]],
    // more / less / desire verbs
    ['less negative', ['negative', -1, null]],
    ['more negative', ['negative', 1, null]],
    ['I want it less wordy', ['longer', -1, null]],
    ['I like wordy answers', ['longer', 1, null]],
    ["I don't like wordy answers", ['longer', -1, null]],
    ['avoid repetition', ['less_repetitive', 1, null]],
    ['I hate the sad tone', ['negative', -1, null]],
    ['I like the sad one', ['negative', 1, null]],
    ['it sounds like a sad story', ['negative', -1, null]],
    ['A is rather long', ['longer', -1, 'a']],
  ];
  for (const [critique, expected] of cases) {
    it(JSON.stringify(critique), () => {
      expect(readings(critique)).toEqual([expected]);
    });
  }

  it('a hedged "not too X" is weaker than a plain "too X"', () => {
    expect(only('not too long').confidence).toBe(CONFIDENCE.notToo);
    expect(only('too long').confidence).toBe(CONFIDENCE.excess);
    expect(describeMatch(only('neither is too long'))).toMatch(/^perhaps /);
  });
});

describe('misspellings', () => {
  const cases: [string, Expected][] = [
    ['less repetitve', ['less_repetitive', 1, null]],
    ['too verbos', ['longer', -1, null]],
    ['shrter please', ['shorter', 1, null]],
    ['more happpier', ['positive', 1, null]],
    ['consise', ['shorter', 1, null]],
    ['B is negitive', ['negative', -1, 'b']],
    ['too complicatd', ['more_complex', -1, null]],
    ['repetetive', ['less_repetitive', 1, null]],
    ['reptitve', ['less_repetitive', 1, null]], // two edits from "repetitive": allowed at ≥ 8 letters
    ['simpelr', ['simpler', 1, null]], // a transposition is one edit
  ];
  for (const [critique, expected] of cases) {
    it(JSON.stringify(critique), () => {
      expect(readings(critique)).toEqual([expected]);
    });
  }

  it('costs confidence per edit', () => {
    expect(only('less repetitive').confidence).toBe(CONFIDENCE.comparison);
    expect(only('less repetitve').confidence).toBe(Math.round(CONFIDENCE.comparison * (1 - CONFIDENCE.perEdit) * 100) / 100);
    expect(only('reptitve').confidence).toBeLessThan(only('repetitve').confidence);
  });

  it('keeps short words exact and bounds the edits by length', () => {
    expect(allowedEdits(4)).toBe(0);
    expect(allowedEdits(5)).toBe(1);
    expect(allowedEdits(7)).toBe(1);
    expect(allowedEdits(8)).toBe(2);
    expect(matchCritique('too lnog').unmatched).toBe(true); // 4 letters: exact only
    expect(matchCritique('sda').unmatched).toBe(true);
    expect(matchCritique('shrtr').unmatched).toBe(true); // two edits from a 7-letter word
    expect(matchCritique('cnosice').unmatched).toBe(true); // two edits (not adjacent) from "concise"
    expect(nearestLexiconWord('repetitve')).toEqual({ word: 'repetitive', edits: 1 });
    expect(nearestLexiconWord('verbos')).toEqual({ word: 'verbose', edits: 1 });
    expect(nearestLexiconWord('zzzzzz')).toBeNull();
    expect(nearestLexiconWord('longer')).toBeNull(); // a lexicon word is not a misspelling
  });

  it('never reads a correctly spelt English word as a misspelling', () => {
    for (const c of ['B is better', 'it went through the motions', 'the period was fine', 'these are fine', 'makes no sense', 'I like the position']) {
      expect(matchCritique(c).unmatched, c).toBe(true);
    }
  });

  it('has a current guard list: exactly the English words the distance rule would respell', () => {
    expect(respellGuardFrom(englishWords)).toEqual([...RESPELL_GUARD]);
  }, 60_000);

  it('computes optimal string alignment distance with a bound', () => {
    expect(boundedOsaDistance('abc', 'acb', 2)).toBe(1);
    expect(boundedOsaDistance('kitten', 'sitting', 3)).toBe(3);
    expect(boundedOsaDistance('kitten', 'sitting', 2)).toBe(3); // bound + 1: "more than 2"
    expect(boundedOsaDistance('ca', 'abc', 3)).toBe(3); // OSA edits no substring twice (true DL: 2)
    expect(boundedOsaDistance('same', 'same', 0)).toBe(0);
    expect(boundedOsaDistance('', 'abc', 5)).toBe(3);
    expect(boundedOsaDistance('a'.repeat(100), 'b'.repeat(100), 2)).toBe(3);
  });
});

describe('sides', () => {
  const cases: [string, CritiqueSide | null][] = [
    ['A is too wordy', 'a'],
    ['B repeats itself', 'b'],
    ['b: too long', 'b'],
    ['too long, A', 'a'],
    ['the first one is too negative', 'a'],
    ['the second answer rambles', 'b'],
    ['the first is too long', 'a'],
    ['the left one is too long', 'a'],
    ['the right one is clearer', 'b'],
    ['option 2 is depressing', 'b'],
    ['#1 is too long', 'a'],
    ['the former is verbose', 'a'],
    ['the latter is verbose', 'b'],
    ['I prefer B. It is shorter.', 'b'],
    ['I like A because it is shorter', 'a'],
    ['A is longer than B', 'a'],
    // the article "a" is not candidate A
    ['A bit long', null],
    ["it's a really long answer", null],
    ['a long answer', null],
    // no single side
    ['both are too long', null],
    ['neither is too long', null],
    ['A and B are too long', null],
    ['neither A nor B is short', null],
    ['the right length would be shorter', null],
    ['first of all, too long', null],
  ];
  for (const [critique, side] of cases) {
    it(JSON.stringify(critique), () => {
      const r = matchCritique(critique);
      expect(r.unmatched, critique).toBe(false);
      expect(r.matches.map((m) => m.side)).toEqual(r.matches.map(() => side));
    });
  }
});

describe('the text of a critique does not matter beyond its words', () => {
  it('is case- and punctuation-insensitive', () => {
    const base = readings('too long');
    for (const c of ['TOO LONG!!!', '  Too   long. ', '"too long"', 'too-long', 'Too long?!']) {
      expect(readings(c), c).toEqual(base);
    }
    expect(readings('Don\u2019t make it SHORTER')).toEqual(readings("don't make it shorter"));
  });

  it('quotes the words it used, as typed', () => {
    expect(only('Way TOO Long, honestly').matchedText).toBe('TOO Long');
    expect(only("I don't want it shorter").matchedText).toBe("don't want it shorter");
    expect(only('Less Repetitve please').matchedText).toBe('Less Repetitve');
  });

  it('is deterministic and keeps no state between calls', () => {
    const a = matchCritique('A is too wordy, B is too negative');
    matchCritique('shorter please');
    matchCritique('x'.repeat(3000));
    expect(matchCritique('A is too wordy, B is too negative')).toEqual(a);
  });

  it('de-duplicates a principle said twice, keeping the surest reading', () => {
    const r = matchCritique('too long, way too long, long');
    expect(r.matches).toHaveLength(1);
    expect(r.matches[0]!.confidence).toBe(CONFIDENCE.excess);
  });
});

describe('unmatched critiques', () => {
  for (const c of ['looks fine', '', '   ', '!!!', 'B is better', 'meh', 'it doesnt answer the question', 'x'.repeat(10_000)]) {
    it(JSON.stringify(c.slice(0, 30)), () => {
      const r = matchCritique(c);
      expect(r.unmatched).toBe(true);
      expect(r.matches).toEqual([]);
      expect(r.reason).toMatch(/\w{4}/);
    });
  }

  it('says why', () => {
    expect(matchCritique('').reason).toMatch(/empty/);
    expect(matchCritique('looks fine').reason).toMatch(/no word/);
    expect(matchCritique('too long').reason).toBeNull();
  });
});

describe('what a match means for the model and for the person', () => {
  const length = PRINCIPLE_FEATURE_IDS.indexOf('length');
  it('maps a match to a feature and sign', () => {
    for (const [c, sign] of [['too long', -1], ['more concise', -1], ["i don't want it shorter", 1], ['needs more detail', 1]] as const) {
      const m = only(c);
      expect(principleDirection(m.principleId, m.polarity), c).toEqual({ featureIndex: length, sign });
    }
  });

  it('describes it in words', () => {
    expect(describeMatch(only('A is too wordy'))).toBe('shorter answers (about A)');
    expect(describeMatch(only('no questions please'))).toBe('not: asking questions');
    expect(describeMatch(only('B repeats itself'))).toBe('less repetition (about B)');
  });
});

describe('cost', () => {
  function randomText(chars: number, seed: number): string {
    let s = seed;
    const rnd = (): number => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
    let out = '';
    while (out.length < chars) {
      const len = 1 + Math.floor(rnd() * 12);
      for (let i = 0; i < len; i++) out += String.fromCharCode(97 + Math.floor(rnd() * 26));
      out += rnd() < 0.1 ? '. ' : ' ';
    }
    return out.slice(0, chars);
  }

  it('returns within 50 ms for a 10,000-character critique', () => {
    matchCritique('warm up: too long'); // builds the lexicon once
    const inputs = [
      randomText(10_000, 7),
      'A is too long but B is not so negative. '.repeat(250).slice(0, 10_000),
      'repetitve consice shrter negitive '.repeat(300).slice(0, 10_000),
      'not '.repeat(2_499) + 'long',
      'too '.repeat(2_500),
      'a'.repeat(10_000),
      '!?.,'.repeat(2_500),
      'x '.repeat(5_000),
    ];
    for (const text of inputs) {
      expect(text.length).toBeGreaterThanOrEqual(9_999);
      const t0 = performance.now();
      matchCritique(text);
      const ms = performance.now() - t0;
      expect(ms, text.slice(0, 20)).toBeLessThan(50);
    }
  });
});
