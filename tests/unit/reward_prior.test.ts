/**
 * Weight priors and the Laplace posterior of the reward ensemble: what a person's "yes, I
 * prefer shorter" / "no" does to the model, and the interval the preference panel shows.
 */
import { describe, expect, it } from 'vitest';
import { RewardEnsemble, invertSpd } from '../../src/engine/reward';
import { sigmoid } from '../../src/engine/objectives/math';
import { Rng } from '../../src/engine/rng';

const refitModel = (dim: number, seed = 'prior') =>
  new RewardEnsemble({ dim, seed, heads: 3, fit: 'refit', tieMode: 'skip', bootstrap: 'none', standardize: false, priorScale: 0, refitIterations: 200 });

describe('invertSpd', () => {
  it('inverts a symmetric positive-definite matrix (A·A⁻¹ = I)', () => {
    const n = 5;
    const rng = new Rng(1);
    const B = Float64Array.from({ length: n * n }, () => rng.normal());
    const A = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      let s = i === j ? 0.5 : 0;
      for (let k = 0; k < n; k++) s += B[i * n + k]! * B[j * n + k]!;
      A[i * n + j] = s;
    }
    const inv = invertSpd(A, n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += A[i * n + k]! * inv[k * n + j]!;
      expect(s).toBeCloseTo(i === j ? 1 : 0, 9);
    }
  });

  it('refuses a matrix that is not positive definite', () => {
    expect(() => invertSpd(Float64Array.from([1, 2, 2, 1]), 2)).toThrow(/positive definite/);
  });
});

describe('weight priors', () => {
  it('with no votes, a prior moves the weight to its mean and a cleared prior back to 0', () => {
    const rm = refitModel(3);
    rm.setPrior(1, { mean: 2, precision: 5 });
    const r = (x: number[]) => rm.reward(x).mean;
    expect(r([0, 1, 0]) - r([0, 0, 0])).toBeCloseTo(2, 2);
    expect(rm.priorOf(1)).toEqual({ mean: 2, precision: 5 });
    rm.setPrior(1, null);
    expect(Math.abs(r([0, 1, 0]) - r([0, 0, 0]))).toBeLessThan(1e-3);
    expect(rm.priorOf(1)).toBeNull();
  });

  it('a strong prior at 0 ("no, not that") holds a weight the votes would otherwise move', () => {
    const vote = { a: [1, 0], b: [0, 0], outcome: 'a' as const };
    const free = refitModel(2);
    const pinned = refitModel(2);
    pinned.setPrior(0, { mean: 0, precision: 1000 });
    for (let i = 0; i < 5; i++) {
      free.observe(vote);
      pinned.observe(vote);
    }
    expect(free.posterior([0]).mean[0]!).toBeGreaterThan(1);
    expect(Math.abs(pinned.posterior([0]).mean[0]!)).toBeLessThan(0.2);
  });

  it('rejects bad priors and online-fit models', () => {
    const rm = refitModel(2);
    expect(() => rm.setPrior(2, { mean: 0, precision: 1 })).toThrow(RangeError);
    expect(() => rm.setPrior(0, { mean: NaN, precision: 1 })).toThrow(RangeError);
    expect(() => rm.setPrior(0, { mean: 0, precision: 0 })).toThrow(RangeError);
    const online = new RewardEnsemble({ dim: 2, seed: 1 });
    expect(() => online.setPrior(0, { mean: 1, precision: 1 })).toThrow(/refit/);
  });
});

describe('posterior (Laplace)', () => {
  it('is the prior before any vote: mean 0, std 1/√precision', () => {
    const rm = refitModel(3);
    rm.setPrior(2, { mean: 0, precision: 4 });
    const post = rm.posterior([0, 2]);
    expect(post.std[0]).toBeCloseTo(1, 9);
    expect(post.std[1]).toBeCloseTo(0.5, 9);
  });

  it('matches H = 1 + C·Σ p(1−p)z² for one weight, and narrows as votes come', () => {
    const rm = refitModel(1);
    const widths: number[] = [];
    for (let i = 0; i < 6; i++) {
      rm.observe({ a: [1], b: [0], outcome: i % 3 === 2 ? 'b' : 'a' });
      widths.push(rm.posterior([0]).std[0]!);
    }
    const w = rm.posterior([0]).mean[0]!;
    // Buffered pairs: chosen − rejected = +1 (four 'a' votes) and −1 (two 'b' votes).
    const p = sigmoid(w);
    const q = sigmoid(-w);
    const H = 1 + rm.config.refitC * (4 * p * (1 - p) + 2 * q * (1 - q));
    expect(rm.posterior([0]).std[0]).toBeCloseTo(1 / Math.sqrt(H), 9);
    for (let i = 1; i < widths.length; i++) expect(widths[i]!).toBeLessThan(widths[i - 1]!);
  });
});
