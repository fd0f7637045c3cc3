import { describe, expect, it } from 'vitest';
import { fitTaste, personalTaste, tasteDesign, tasteDifferences, TASTE_PRIOR_STD, type TastePair } from '../../src/engine/learning/personal_taste';
import { PRINCIPLE_AXES } from '../../src/engine/principles/index';
import { PLAIN_SENTENCES } from '../support/plain_sentences';

// The pairs differ (almost) only in tone: the same sentence ending "nice" or "bad".
const prefersUpbeat: TastePair[] = PLAIN_SENTENCES.map((b) => ({ chosen: `${b} and it was nice`, rejected: `${b} and it was bad` }));
const prefersGloomy: TastePair[] = prefersUpbeat.map(({ chosen, rejected }) => ({ chosen: rejected, rejected: chosen }));

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

describe('personal taste (principle-only Bayesian logistic model, Laplace interval)', () => {
  it('with no votes it is the prior: weight 0 and std σ₀ on every axis', () => {
    const taste = personalTaste([]);
    expect(taste).toHaveLength(PRINCIPLE_AXES.length);
    for (const t of taste) {
      expect(t.weight).toBe(0);
      expect(t.std).toBeCloseTo(TASTE_PRIOR_STD, 12);
      expect(t.high - t.low).toBeCloseTo(2 * 1.96 * TASTE_PRIOR_STD, 12);
    }
  });

  it('votes for the more positive answer give valence the largest weight, with an interval above 0', () => {
    const taste = personalTaste([...prefersUpbeat, ...prefersUpbeat]);
    expect(taste[0]!.axis).toBe('valence');
    expect(taste[0]!.weight).toBeGreaterThan(0);
    expect(taste[0]!.low).toBeGreaterThan(0);
    const opposite = personalTaste([...prefersGloomy, ...prefersGloomy]);
    expect(opposite[0]!.axis).toBe('valence');
    expect(opposite[0]!.high).toBeLessThan(0);
    // More votes, narrower interval.
    const fewer = personalTaste(prefersUpbeat.slice(0, 2)).find((t) => t.axis === 'valence')!;
    expect(fewer.std).toBeGreaterThan(taste[0]!.std);
  });

  it('the weights are the posterior mode: the gradient of the log posterior is 0 there', () => {
    // Mixed votes, so the mode is interior and the likelihood is not separable.
    const pairs = [...prefersUpbeat, ...prefersUpbeat, ...prefersGloomy.slice(0, 3)];
    const x = tasteDesign(pairs);
    const { mean, std } = fitTaste(x);
    const d = PRINCIPLE_AXES.length;
    for (let k = 0; k < d; k++) {
      let g = -mean[k]! / TASTE_PRIOR_STD ** 2;
      for (const row of x) {
        let z = 0;
        for (let i = 0; i < d; i++) z += mean[i]! * row[i]!;
        g += (1 - sigmoid(z)) * row[k]!;
      }
      expect(Math.abs(g)).toBeLessThan(1e-8);
      // The likelihood only adds curvature: the posterior is narrower than the prior.
      expect(std[k]!).toBeLessThanOrEqual(TASTE_PRIOR_STD + 1e-12);
    }
  });

  it('two people who vote opposite ways differ on valence; two alike do not differ', () => {
    const up = personalTaste([...prefersUpbeat, ...prefersUpbeat]);
    const down = personalTaste([...prefersGloomy, ...prefersGloomy]);
    const differ = tasteDifferences(up, down);
    expect(differ[0]!.axis).toBe('valence');
    expect(differ[0]!.z).toBeGreaterThan(1.96);
    expect(tasteDifferences(up, personalTaste([...prefersUpbeat, ...prefersUpbeat]))).toEqual([]);
  });
});
