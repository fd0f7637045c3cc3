import { describe, it, expect } from 'vitest';
import {
  AdamW,
  BradleyTerryHead,
  OnlineStandardizer,
  PrequentialTracker,
  RewardEnsemble,
  Sgd,
  bestOfN,
  mostUncertainPair,
  prequentialAccuracy,
  type RewardEnsembleConfig,
  type TrainingPair,
} from '../../src/engine/reward/index.ts';
import { sigmoid } from '../../src/engine/objectives/math.ts';
import { Rng } from '../../src/engine/rng.ts';

/**
 * Synthetic preference world: features φ = offset + scale ⊙ z with z ~ N(0, I) and wildly
 * different per-dimension offsets/scales (so standardisation matters); the hidden utility is
 * κ·uᵀz for a unit direction u, and votes follow Bradley–Terry noise P(a≻b) = σ(s_a − s_b).
 * With κ = 4 the Bayes accuracy is ≈ 0.906 (E[σ(4·√2·|g|)], g ~ N(0,1)).
 */
class SyntheticWorld {
  readonly dim: number;
  readonly u: Float64Array;
  readonly offset: Float64Array;
  readonly scale: Float64Array;
  constructor(dim: number, readonly rng: Rng, readonly kappa = 4) {
    this.dim = dim;
    this.u = Float64Array.from({ length: dim }, () => rng.normal());
    const norm = Math.hypot(...this.u);
    for (let i = 0; i < dim; i++) this.u[i]! /= norm;
    this.offset = Float64Array.from({ length: dim }, () => 20 * rng.normal());
    this.scale = Float64Array.from({ length: dim }, () => 0.2 + 10 * rng.next());
  }
  sample(): { phi: Float32Array; utility: number } {
    const phi = new Float32Array(this.dim);
    let s = 0;
    for (let i = 0; i < this.dim; i++) {
      const z = this.rng.normal();
      phi[i] = this.offset[i]! + this.scale[i]! * z;
      s += this.kappa * this.u[i]! * z;
    }
    return { phi, utility: s };
  }
  vote() {
    const a = this.sample();
    const b = this.sample();
    const outcome: 'a' | 'b' = this.rng.next() < sigmoid(a.utility - b.utility) ? 'a' : 'b';
    return { a: a.phi, b: b.phi, outcome, utilityA: a.utility, utilityB: b.utility };
  }
}

function runOnline(config: Partial<RewardEnsembleConfig>, votes: number, seed: string) {
  const world = new SyntheticWorld(16, new Rng(seed));
  const model = new RewardEnsemble({ dim: 16, seed: `${seed}/model`, ...config });
  for (let t = 0; t < votes; t++) {
    const v = world.vote();
    model.observe({ a: v.a, b: v.b, outcome: v.outcome });
  }
  return { model, world };
}

describe('reward head gradients', () => {
  it('pair loss gradient (BT + margin + soft label + centring) matches central differences', () => {
    const rng = new Rng('fd-head');
    const d = 7;
    const head = new BradleyTerryHead(d, Float64Array.from({ length: d + 1 }, () => rng.normal()));
    const pairs: TrainingPair[] = [
      { chosen: Float64Array.from({ length: d }, () => rng.normal()), rejected: Float64Array.from({ length: d }, () => rng.normal()), label: 1, margin: 0.3 },
      { chosen: Float64Array.from({ length: d }, () => rng.normal()), rejected: Float64Array.from({ length: d }, () => rng.normal()), label: 0.5, margin: 0 },
    ];
    const c = 0.05;
    for (const pair of pairs) {
      const grad = new Float64Array(d + 1);
      head.accumulatePairGrad(pair, c, 0.7, grad);
      for (let i = 0; i <= d; i++) {
        const h = 1e-5;
        const p0 = head.params[i]!;
        head.params[i] = p0 + h;
        const up = head.accumulatePairGrad(pair, c, 0.7, new Float64Array(d + 1));
        head.params[i] = p0 - h;
        const down = head.accumulatePairGrad(pair, c, 0.7, new Float64Array(d + 1));
        head.params[i] = p0;
        const fd = (up - down) / (2 * h);
        expect(Math.abs(grad[i]! - fd) / Math.max(Math.abs(fd), Math.abs(grad[i]!), 1e-8)).toBeLessThanOrEqual(1e-5);
      }
    }
  });

  it('the centring term pulls the bias towards zero rewards; BT alone ignores it', () => {
    const d = 2;
    const head = new BradleyTerryHead(d, Float64Array.from([0, 0, 5]));
    const pair: TrainingPair = { chosen: Float64Array.from([1, 0]), rejected: Float64Array.from([0, 1]), label: 1, margin: 0 };
    const g0 = new Float64Array(d + 1);
    head.accumulatePairGrad(pair, 0, 1, g0);
    expect(g0[d]).toBe(0);
    const g1 = new Float64Array(d + 1);
    head.accumulatePairGrad(pair, 0.01, 1, g1);
    expect(g1[d]).toBeCloseTo(2 * 0.01 * 10 * 2, 12); // dRc + dRr = 2·(2c·(r_c + r_r))
  });
});

describe('optimisers and standardisation', () => {
  it('AdamW and SGD minimise a quadratic', () => {
    for (const opt of [new AdamW(3, { lr: 0.05 }), new Sgd(3, { lr: 0.1, momentum: 0.5 })]) {
      const x = Float64Array.from([3, -2, 1]);
      for (let t = 0; t < 500; t++) opt.step(x, Float64Array.from(x, (v) => 2 * v));
      expect(Math.hypot(...x)).toBeLessThan(1e-3);
    }
  });

  it('online standardiser matches batch mean and population std', () => {
    const rng = new Rng('std');
    const s = new OnlineStandardizer(2);
    const xs = Array.from({ length: 200 }, () => [5 + 3 * rng.normal(), -100 + 0.01 * rng.normal()]);
    xs.forEach((x) => s.update(x));
    for (let j = 0; j < 2; j++) {
      const col = xs.map((x) => x[j]!);
      const m = col.reduce((a, b) => a + b, 0) / col.length;
      const v = col.reduce((a, b) => a + (b - m) ** 2, 0) / col.length;
      expect(s.mean[j]).toBeCloseTo(m, 9);
      expect(s.variance(j)).toBeCloseTo(v, 9);
    }
    const z = s.transform([s.mean[0]! + Math.sqrt(s.variance(0)), s.mean[1]!]);
    expect(z[0]).toBeCloseTo(1, 6);
    expect(z[1]).toBeCloseTo(0, 6);
  });
});

describe('prequential accuracy', () => {
  it('scores 1 / 0 / ½ and tracks a sliding window', () => {
    const p = new PrequentialTracker(2);
    p.record(0.9, 'a');
    p.record(0.9, 'b');
    p.record(0.5, 'a');
    p.recordUnscored();
    const s = p.summary();
    expect(s.count).toBe(3);
    expect(s.accuracy).toBeCloseTo(1.5 / 3, 12);
    expect(s.windowAccuracy).toBeCloseTo(0.5 / 2, 12);
    expect(s.unscored).toBe(1);
    expect(s.logLoss).toBeCloseTo((-Math.log(0.9) - Math.log(0.1) - Math.log(0.5)) / 3, 12);
    expect(prequentialAccuracy([1, 0, 1, 1], -2)).toBe(1);
  });
});

describe('RewardEnsemble on a hidden linear preference', () => {
  it('prequential accuracy on the last 100 of 300 votes ≥ 0.8 (seeded)', () => {
    const { model } = runOnline({}, 300, 'headline');
    const acc = prequentialAccuracy(model.prequential.scores, 200, 300);
    console.log(`prequential accuracy, votes 201–300: ${acc.toFixed(3)}; overall ${model.summary.accuracy.toFixed(3)}`);
    expect(model.prequential.scores.length).toBe(300);
    expect(acc).toBeGreaterThanOrEqual(0.8);
    // …and it really learned: the first 30 votes were near chance.
    expect(prequentialAccuracy(model.prequential.scores, 0, 30)).toBeLessThan(acc);
  });

  it('SGD also learns (lower bar: it is the simpler optimiser)', () => {
    const { model } = runOnline({ optimizer: 'sgd' }, 300, 'headline-sgd');
    const acc = prequentialAccuracy(model.prequential.scores, 200, 300);
    console.log(`SGD prequential accuracy, votes 201–300: ${acc.toFixed(3)}`);
    expect(acc).toBeGreaterThanOrEqual(0.75);
  });

  it('ensemble disagreement shrinks with data', () => {
    const world = new SyntheticWorld(16, new Rng('shrink'));
    const model = new RewardEnsemble({ dim: 16, seed: 'shrink/model' });
    const probe = Array.from({ length: 50 }, () => [world.sample().phi, world.sample().phi] as const);
    const meanStd = () => probe.reduce((s, [a, b]) => s + model.preference(a, b).std, 0) / probe.length;
    const stds: number[] = [];
    for (let t = 1; t <= 300; t++) {
      const v = world.vote();
      model.observe({ a: v.a, b: v.b, outcome: v.outcome });
      if (t === 5 || t === 50 || t === 300) stds.push(meanStd());
    }
    console.log(`mean std of P(a≻b) over heads after 5/50/300 votes: ${stds.map((s) => s.toFixed(4)).join(' / ')}`);
    expect(stds[1]!).toBeLessThan(stds[0]!);
    expect(stds[2]!).toBeLessThan(stds[1]!);
    expect(stds[2]!).toBeLessThan(0.5 * stds[0]!);
  });

  it('is deterministic given the seed', () => {
    const a = runOnline({ heads: 3 }, 40, 'det').model;
    const b = runOnline({ heads: 3 }, 40, 'det').model;
    expect(a.prequential.scores).toEqual(b.prequential.scores);
    const x = new Float32Array(16).fill(1);
    expect(a.reward(x).mean).toBe(b.reward(x).mean);
  });

  it('ties: soft mode trains on them, skip mode ignores them; both-bad skipped by default', () => {
    const zero = new Float32Array(16);
    const one = new Float32Array(16).fill(1);
    const soft = new RewardEnsemble({ dim: 16, seed: 1 });
    expect(soft.observe({ a: zero, b: one, outcome: 'tie' }).trained).toBe(true);
    expect(soft.observe({ a: zero, b: one, outcome: 'bothbad' }).trained).toBe(false);
    const skip = new RewardEnsemble({ dim: 16, seed: 1, tieMode: 'skip' });
    const r = skip.observe({ a: zero, b: one, outcome: 'tie' });
    expect(r.trained).toBe(false);
    expect(r.score).toBeNull();
    expect(skip.summary.unscored).toBe(1);
    expect(skip.bufferSize).toBe(0);
  });

  it('soft tie labels pull a pair’s rewards together', () => {
    const rng = new Rng('tie-pull');
    const a = Float32Array.from({ length: 4 }, () => rng.normal());
    const b = Float32Array.from({ length: 4 }, () => rng.normal());
    const model = new RewardEnsemble({ dim: 4, seed: 'tie', standardize: false, bootstrap: 'none', priorScale: 3 });
    const before = Math.abs(model.preference(a, b).meanMargin);
    for (let t = 0; t < 50; t++) model.observe({ a, b, outcome: 'tie' });
    const after = Math.abs(model.preference(a, b).meanMargin);
    expect(after).toBeLessThan(0.2 * before);
  });
});

describe('selection helpers', () => {
  const { model, world } = runOnline({}, 200, 'helpers');
  const cands = Array.from({ length: 8 }, () => world.sample());

  it('best-of-n picks the candidate with the highest mean reward', () => {
    const r = bestOfN(model, cands.map((c) => c.phi));
    expect(r.rewards[r.index]).toBe(Math.max(...r.rewards));
    // The model learned the hidden utility: its pick is among the top 2 true utilities.
    const trueRank = [...cands].sort((x, y) => y.utility - x.utility).indexOf(cands[r.index]!);
    expect(trueRank).toBeLessThan(2);
  });

  it('most-uncertain pair maximises head disagreement', () => {
    const phis = cands.slice(0, 5).map((c) => c.phi);
    const u = mostUncertainPair(model, phis);
    for (let i = 0; i < 5; i++) {
      for (let j = i + 1; j < 5; j++) expect(model.preference(phis[i]!, phis[j]!).std).toBeLessThanOrEqual(u.std);
    }
  });
});

describe("RewardEnsemble fit: 'refit'", () => {
  /** Sparse bag-like features: each completion uses 3 of 24 "words"; the hidden taste is linear. */
  function sparseVotes(n: number, seed: number) {
    const rng = new Rng(seed);
    const taste = Array.from({ length: 24 }, () => rng.normal());
    const completion = () => {
      const x = new Float64Array(24);
      for (let k = 0; k < 3; k++) x[rng.int(24)] += 1 / 3;
      return x;
    };
    return Array.from({ length: n }, () => {
      const a = completion();
      const b = completion();
      const d = a.reduce((s, v, i) => s + (v - b[i]!) * taste[i]!, 0);
      return { a, b, outcome: (d === 0 ? 'tie' : d > 0 ? 'a' : 'b') as 'a' | 'b' | 'tie' };
    });
  }

  it('reaches the stationary point of C·Σ loss + ½‖w‖² on its (bootstrap-weighted) buffer', () => {
    const C = 30;
    const model = new RewardEnsemble({ dim: 24, seed: 'refit', standardize: false, fit: 'refit', refitC: C, refitIterations: 3000, refitLr: 0.05, tieMode: 'skip', bootstrap: 'none', heads: 1, centerCoef: 0 });
    const votes = sparseVotes(40, 3).filter((v) => v.outcome !== 'tie');
    for (const v of votes.slice(0, -1)) model.observe({ ...v, margin: 0 });
    model.observe({ ...votes.at(-1)!, margin: 0 });
    // Gradient of the objective at the fitted w, from the definition (no code shared with the fit).
    const w = Array.from({ length: 24 }, (_, i) => model.reward(Float64Array.from({ length: 24 }, (_, j) => (j === i ? 1 : 0))).mean);
    const gradient = (w: number[]) => {
      const grad = w.slice();
      for (const v of votes) {
        const [c, r] = v.outcome === 'a' ? [v.a, v.b] : [v.b, v.a];
        const u = c.reduce((s, x, i) => s + (x - r[i]!) * w[i]!, 0);
        for (let i = 0; i < 24; i++) grad[i] += C * (sigmoid(u) - 1) * (c[i]! - r[i]!);
      }
      return Math.max(...grad.map(Math.abs));
    };
    // Adam settles within its step size of the optimum: 1000× below the gradient at w = 0.
    expect(gradient(w)).toBeLessThan(1e-3 * gradient(w.map(() => 0)));
    // And the fit predicts the training votes it was given.
    const right = votes.filter((v) => (model.preference(v.a, v.b).pAB > 0.5) === (v.outcome === 'a')).length;
    expect(right / votes.length).toBeGreaterThan(0.9);
  });

  it('predicts held-out sparse votes', () => {
    const votes = sparseVotes(160, 9);
    const accuracy = (config: object) => {
      const model = new RewardEnsemble({ dim: 24, seed: 'cmp', standardize: false, tieMode: 'skip', ...config });
      for (const v of votes.slice(0, 120)) model.observe(v);
      const test = votes.slice(120).filter((v) => v.outcome !== 'tie');
      return test.filter((v) => (model.preference(v.a, v.b).pAB > 0.5) === (v.outcome === 'a')).length / test.length;
    };
    expect(accuracy({ fit: 'refit' })).toBeGreaterThan(0.85);
  });

  it('is deterministic: the same votes give the same heads', () => {
    const votes = sparseVotes(30, 4);
    const fit = () => {
      const model = new RewardEnsemble({ dim: 24, seed: 'det', standardize: false, fit: 'refit' });
      for (const v of votes) model.observe(v);
      return Array.from(model.reward(votes[0]!.a).perHead);
    };
    expect(fit()).toEqual(fit());
  });
});
