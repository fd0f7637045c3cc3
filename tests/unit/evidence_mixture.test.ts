/**
 * src/engine/reward/evidence_mixture.ts: the Laplace fit of a several-column explanation is the MAP of
 * its regularised logistic loss, and the evidence moves the mixture's weight onto the
 * explanation that generated the votes (here an ideal point), away from the outside model.
 */
import { describe, expect, it } from 'vitest';
import { EvidenceMixture } from '../../src/engine/reward/evidence_mixture';
import { Rng } from '../../src/engine/rng';

describe('EvidenceMixture', () => {
  it('the mixture weight goes to the explanation that made the votes, and its predictions follow it', () => {
    const rng = new Rng('mixture-test');
    const mus = [-1, 0, 1];
    const mix = new EvidenceMixture({
      externalPriors: [0.5],
      lapse: 0.1,
      candidates: [
        { name: 'linear', columns: [0], prior: 0.25 },
        ...mus.map((mu, i) => ({ name: `near ${mu}`, columns: [1 + i], prior: 0.25 / mus.length })),
      ],
    });
    // Votes for "nearer 0" (column 2); the outside model knows nothing (always ½).
    const pair = () => {
      const [la, lb] = [rng.normal() * 1.5, rng.normal() * 1.5];
      return { x: Float64Array.of(la - lb, ...mus.map((mu) => Math.abs(lb - mu) - Math.abs(la - mu))), aWon: Math.abs(la) < Math.abs(lb) };
    };
    for (let v = 0; v < 40; v++) {
      const { x, aWon } = pair();
      mix.observe([0.5], x, aWon);
    }
    const w = mix.weights();
    expect(w[3]!).toBeGreaterThan(0.9); // externals first, then linear, near −1, near 0, near 1
    let right = 0;
    for (let v = 0; v < 200; v++) {
      const { x, aWon } = pair();
      if (mix.predict([0.5], x) > 0.5 === aWon) right++;
    }
    expect(right / 200).toBeGreaterThan(0.85);
  });

  it("a two-column explanation's posterior mean is the MAP: the gradient of its loss vanishes there", () => {
    const rng = new Rng('mixture-map');
    const mix = new EvidenceMixture({ externalPriors: [0.5], lapse: 0, priorVariance: 2, candidates: [{ name: 'both', columns: [0, 1], prior: 0.5 }] });
    const data: { x: Float64Array; y: number }[] = [];
    for (let v = 0; v < 25; v++) {
      const x = Float64Array.of(rng.normal(), rng.normal());
      const y = rng.next() < 1 / (1 + Math.exp(-(1.5 * x[0]! - 0.7 * x[1]!))) ? 1 : 0;
      data.push({ x, y });
      mix.observe([0.5], x, y === 1);
    }
    const w = mix.posterior(0).mean;
    const grad = [0, 1].map((k) => w[k]! / 2 + data.reduce((g, o) => g + (1 / (1 + Math.exp(-(w[0]! * o.x[0]! + w[1]! * o.x[1]!))) - o.y) * o.x[k]!, 0));
    expect(Math.abs(grad[0]!)).toBeLessThan(1e-3);
    expect(Math.abs(grad[1]!)).toBeLessThan(1e-3);
    expect(w[0]!).toBeGreaterThan(0);
    expect(w[1]!).toBeLessThan(0);
  });

  it("a candidate's own prior variance sets its prior covariance and the MAP's penalty; others keep the mixture's", () => {
    const rng = new Rng('mixture-own-variance');
    const mix = new EvidenceMixture({
      externalPriors: [0.5],
      lapse: 0,
      priorVariance: 1,
      candidates: [
        { name: 'default', columns: [0], prior: 0.25 },
        { name: 'own', columns: [0], prior: 0.25, priorVariance: 5 },
      ],
    });
    expect(mix.posterior(0).cov[0]).toBe(1);
    expect(mix.posterior(1).cov[0]).toBe(5);
    const data: { x: number; y: number }[] = [];
    for (let v = 0; v < 12; v++) {
      const x = rng.normal();
      const y = rng.next() < 1 / (1 + Math.exp(-2.5 * x)) ? 1 : 0;
      data.push({ x, y });
      mix.observe([0.5], Float64Array.of(x), y === 1);
    }
    const gradAt = (w: number, variance: number) => w / variance + data.reduce((g, o) => g + (1 / (1 + Math.exp(-w * o.x)) - o.y) * o.x, 0);
    const [tight, wide] = [mix.posterior(0).mean[0]!, mix.posterior(1).mean[0]!];
    expect(Math.abs(gradAt(tight, 1))).toBeLessThan(1e-6);
    expect(Math.abs(gradAt(wide, 5))).toBeLessThan(1e-6);
    // Same votes, weaker shrinkage: the wider prior's MAP is further from 0.
    expect(Math.abs(wide)).toBeGreaterThan(Math.abs(tight));
  });

  it('judge: the taste call without the lapse, the vote call with it, and the std between and within models', () => {
    const mix = new EvidenceMixture({ externalPriors: [0.5, 0.5], lapse: 0.1, candidates: [] });
    const j = mix.judge([0.9, 0.5], []);
    // Equal weights: mean 0.7; between-model spread 0.2; no within-model std given.
    expect(j.tastePAB).toBeCloseTo(0.7, 12);
    expect(j.pAB).toBeCloseTo(0.05 + 0.9 * 0.7, 12);
    expect(mix.predict([0.9, 0.5], [])).toBeCloseTo(j.pAB, 12);
    expect(j.std).toBeCloseTo(0.2, 12);
    // Law of total variance: the heads' std of each outside model adds its square.
    expect(mix.judge([0.9, 0.5], [], [0.1, 0.3]).std).toBeCloseTo(Math.sqrt(0.04 + 0.5 * 0.01 + 0.5 * 0.09), 12);
    expect(mix.judge([0.7, 0.7], []).std).toBeLessThan(1e-12);
    // A taste at 0.99 passes a 0.95 confidence bar; the lapse-shrunk vote probability cannot.
    const sure = mix.judge([0.99, 0.99], []);
    expect(sure.tastePAB).toBeCloseTo(0.99, 12);
    expect(sure.pAB).toBeLessThan(0.95);
    // Evidence moves the weights: after votes only the first model got right, it dominates.
    for (let v = 0; v < 12; v++) mix.observe([0.9, 0.5], [], true);
    const later = mix.judge([0.9, 0.5], []);
    expect(later.tastePAB).toBeGreaterThan(0.85);
    expect(later.std).toBeLessThan(0.1);
  });

  it("judge: an explanation's own uncertainty counts even when it holds all the weight", () => {
    const rng = new Rng('judge-within');
    const fresh = new EvidenceMixture({ externalPriors: [1e-9], lapse: 0, priorVariance: 4, candidates: [{ name: 'one', columns: [0], prior: 1 }] });
    const trained = new EvidenceMixture({ externalPriors: [1e-9], lapse: 0, priorVariance: 4, candidates: [{ name: 'one', columns: [0], prior: 1 }] });
    for (let v = 0; v < 200; v++) {
      const x = rng.normal();
      trained.observe([0.5], Float64Array.of(x), rng.next() < 1 / (1 + Math.exp(-2 * x)));
    }
    // One model, so no spread between models: the std is the posterior's, large before any vote.
    const x = Float64Array.of(1);
    expect(fresh.judge([0.5], x).std).toBeGreaterThan(0.3);
    expect(trained.judge([0.5], x).std).toBeLessThan(0.05);
    expect(trained.judge([0.5], x).tastePAB).toBeGreaterThan(0.8);
  });

  it('rejects a prior variance that is not positive', () => {
    expect(() => new EvidenceMixture({ externalPriors: [0.5], candidates: [{ name: 'bad', columns: [0], prior: 0.5, priorVariance: 0 }] })).toThrow(RangeError);
    expect(() => new EvidenceMixture({ externalPriors: [0.5], priorVariance: -1, candidates: [] })).toThrow(RangeError);
  });

  it('fits each explanation on the most recent maxObservations votes only', () => {
    const rng = new Rng('mixture-cap');
    const make = () => new EvidenceMixture({ externalPriors: [0.5], maxObservations: 5, candidates: [{ name: 'one', columns: [0], prior: 0.5 }] });
    const capped = make();
    const recent = make();
    const votes = Array.from({ length: 12 }, () => ({ x: Float64Array.of(rng.normal()), aWon: rng.next() < 0.7 }));
    votes.forEach((v) => capped.observe([0.5], v.x, v.aWon));
    votes.slice(-5).forEach((v) => recent.observe([0.5], v.x, v.aWon));
    expect(capped.posterior(0).mean[0]).toBeCloseTo(recent.posterior(0).mean[0]!, 9);
  });

  it("ties: Davidson's P(tie) = ν/(2·cosh(d/2) + ν) moves weight to the model that called the tied pairs close", () => {
    const make = (ties: boolean) => new EvidenceMixture({ externalPriors: [0.5, 0.5], lapse: 0.1, candidates: [], ties });
    const withTies = make(true);
    const without = make(false);
    for (const mix of [withTies, without]) {
      // Both models call every decisive vote right with 0.9; on the tied pairs the first says ½, the second 0.9.
      for (let v = 0; v < 10; v++) {
        mix.observe([0.9, 0.9], [], true);
        mix.observeTie([0.5, 0.9], []);
      }
    }
    expect(without.weights()[0]).toBeCloseTo(0.5, 12);
    expect(withTies.weights()[0]).toBeGreaterThan(0.7);
  });

  it("ties: a model's tie rate is its maximum-likelihood ν; at d = 0 that is Laplace's rule of succession", () => {
    const mix = new EvidenceMixture({ externalPriors: [0.5], lapse: 0, candidates: [], ties: true });
    // A model that always says ½ (d = 0, 2·cosh 0 = 2): 4 ties in 10 votes.
    for (let v = 0; v < 6; v++) mix.observe([0.5], [], v % 2 === 0);
    for (let v = 0; v < 4; v++) mix.observeTie([0.5], []);
    const nu = mix.tieRate(0);
    // (T + 1)/ν = (N + 1)/(2 + ν) ⇒ P(tie) = ν/(2 + ν) = (T + 1)/(N + 2) = 5/12.
    expect(nu / (2 + nu)).toBeCloseTo(5 / 12, 9);
    // A model that has seen no votes: one pseudo-tie in two, P(tie) = ½ at d = 0.
    const fresh = new EvidenceMixture({ externalPriors: [0.5], candidates: [], ties: true });
    expect(fresh.tieRate(0)).toBeCloseTo(2, 9);
  });

  it("ties: an outside model's own P(tie) replaces Davidson's for it, on ties and on decisive votes", () => {
    const mix = new EvidenceMixture({ externalPriors: [0.5, 0.5], lapse: 0, candidates: [], ties: true });
    // Both call ½. Model 0 is weighed by Davidson (fresh: ν = 2, P(tie) = ½ at d = 0); model 1 says P(tie) = 0.8.
    mix.observeTie([0.5, 0.5], [], [undefined, 0.8]);
    expect(mix.weights()[1]).toBeCloseTo(0.8 / 1.3, 12);
    // After one tie model 0's ν is 4 (Laplace: P(tie) = 2/3); model 1 gives P(decisive) = 0.2.
    mix.observe([0.5, 0.5], [], true, [undefined, 0.8]);
    const [w0, w1] = mix.weights();
    expect(w1! / w0!).toBeCloseTo((0.8 * 0.2 * 0.5) / (0.5 * (1 / 3) * 0.5), 9);
    expect(() => mix.observeTie([0.5, 0.5], [], [undefined, 1])).toThrow(RangeError);
    expect(() => mix.observeTie([0.5, 0.5], [], [0.5, 0.5, 0.5])).toThrow(RangeError);
  });
});
