/**
 * Simulated critiques phrased as a person would: they explain a vote in words, never carry the
 * taste's scores, target or word list, and the critique matcher reads them as the taste intends.
 */
import { describe, expect, it } from 'vitest';
import { personCritique, type ScorerConfig } from '../../src/engine/annotators';
import { matchCritique, principleDirection, PRINCIPLE_FEATURE_IDS } from '../../src/engine/principles';
import { Rng } from '../../src/engine/rng';

const LONG = 'the nation and the people of the country shall work together for many years to come in peace and in war';
const SHORT = 'we will work.';

/** Every phrasing the writer can produce for this vote (many seeds). */
function phrasings(scorer: ScorerConfig, outcome: string, a: string, b: string): Set<string> {
  const out = new Set<string>();
  for (let s = 0; s < 200; s++) {
    const c = personCritique(scorer, outcome, a, b, 1, new Rng(s));
    if (c !== null) out.add(c);
  }
  return out;
}

/** The axis and sign (of the feature) each critique asks for. */
function readings(c: string): string[] {
  return matchCritique(c).matches.map((m) => {
    const d = principleDirection(m.principleId, m.polarity);
    return `${PRINCIPLE_FEATURE_IDS[d.featureIndex]}${d.sign > 0 ? '+' : '-'}`;
  });
}

describe('personCritique', () => {
  it('writes only for a decisive vote that agrees with the taste, at the given rate', () => {
    const scorer = { kind: 'length' as const, targetWords: 5 };
    expect(personCritique(scorer, 'tie', LONG, SHORT, 1, new Rng(1))).toBeNull();
    // SHORT (3 words) is closer to 5 than LONG: a vote for LONG disagrees with the taste.
    expect(personCritique(scorer, 'a', LONG, SHORT, 1, new Rng(1))).toBeNull();
    expect(personCritique(scorer, 'b', LONG, SHORT, 1, new Rng(1))).not.toBeNull();
    let written = 0;
    for (let s = 0; s < 1000; s++) if (personCritique(scorer, 'b', LONG, SHORT, 0.3, new Rng(s)) !== null) written++;
    expect(written).toBeGreaterThan(240);
    expect(written).toBeLessThan(360);
  });

  it('never states a score, the target or a keyword', () => {
    for (const c of phrasings({ kind: 'length', targetWords: 17 }, 'b', LONG, SHORT)) expect(c).not.toMatch(/\d/);
    for (const c of phrasings({ kind: 'keyword', keywords: ['nation', 'people'] }, 'a', LONG, SHORT)) {
      expect(c).not.toMatch(/nation|people/);
      expect(matchCritique(c).unmatched).toBe(true);
    }
  });

  it('is read by the matcher as the taste means it', () => {
    for (const c of phrasings({ kind: 'length', targetWords: 5 }, 'b', LONG, SHORT)) expect(readings(c), c).toContain('length-');
    for (const c of phrasings({ kind: 'length', targetWords: 40 }, 'a', LONG, SHORT)) expect(readings(c), c).toContain('length+');
    for (const c of phrasings({ kind: 'sentiment' }, 'a', 'what a wonderful happy day', 'a terrible awful day')) expect(readings(c), c).toContain('valence+');
    for (const c of phrasings({ kind: 'readability' }, 'b', 'the incomprehensibility of institutional considerations', 'we go now. it is fun.')) {
      expect(readings(c), c).toContain('readability+');
    }
  });
});
