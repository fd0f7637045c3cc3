import { describe, it, expect } from 'vitest';
import { Rng } from '../../src/engine/rng.ts';
import { fitPairTable, type PairTable } from '../../src/engine/ratings/index.ts';
import { sigmoid } from '../../src/engine/ratings/tie_models.ts';
import {
  ArenaWeightedSampler,
  BradleyTerryPosterior,
  CcbSampler,
  ClosenessUncertaintySampler,
  DoubleThompsonSampler,
  EnsembleDisagreementSampler,
  KnockoutSampler,
  PairsSampler,
  PreferenceTally,
  RucbSampler,
  UniformSampler,
  createPairSampler,
  ensembleDisagreement,
  feedbackScore,
  runWithJudge,
  type PairSampler,
  type PairSamplerSpec,
} from '../../src/engine/selection/index.ts';

/** Drive a sampler for `steps` votes drawn from the preference matrix P (P[i][j] = P(i ≻ j)). */
function drive(s: PairSampler, P: readonly (readonly number[])[], steps: number, seed: number): Array<[number, number]> {
  const rng = new Rng(seed);
  const shown: Array<[number, number]> = [];
  for (let t = 0; t < steps; t++) {
    const pair = s.next();
    if (!pair) break;
    const [a, b] = pair;
    expect(a).not.toBe(b);
    shown.push([a, b]);
    s.update(a, b, rng.next() < P[a]![b]! ? 'a' : 'b');
  }
  return shown;
}

function btMatrix(strengths: readonly number[]): number[][] {
  return strengths.map((si) => strengths.map((sj) => sigmoid(si - sj)));
}

function spearman(ranking: readonly number[], truthBestFirst: readonly number[]): number {
  const n = ranking.length;
  const pos = new Map(truthBestFirst.map((x, k) => [x, k]));
  let d2 = 0;
  ranking.forEach((x, k) => (d2 += (pos.get(x)! - k) ** 2));
  return 1 - (6 * d2) / (n * (n * n - 1));
}

describe('feedback and the tally', () => {
  it('maps verdicts to the first item\'s score', () => {
    expect(feedbackScore('a')).toBe(1);
    expect(feedbackScore('b')).toBe(0);
    expect(feedbackScore('tie')).toBe(0.5);
    expect(feedbackScore('bothbad')).toBe(0.5);
    expect(feedbackScore({ probability: 0.8 })).toBe(0.8);
    expect(() => feedbackScore({ probability: 1.2 })).toThrow(/probability/);
    const s = new UniformSampler({ size: 3 });
    expect(() => s.update(1, 1, 'a')).toThrow(/itself/);
    expect(() => s.update(0, 3, 'a')).toThrow(/outside/);
  });

  it('the Bayesian BT posterior is the L2-penalised Bradley–Terry fit, with the inverse Hessian as covariance', () => {
    const rng = new Rng(2);
    const n = 5;
    const tally = new PreferenceTally(n);
    const truth = [1, 0.5, 0, -0.5, -1];
    for (let t = 0; t < 300; t++) {
      const i = rng.int(n);
      let j = rng.int(n - 1);
      if (j >= i) j++;
      tally.add(i, j, rng.next() < sigmoid(truth[i]! - truth[j]!) ? 1 : rng.next() < 0.1 ? 0.5 : 0);
    }
    const sd = 1.5;
    const post = new BradleyTerryPosterior(n, sd).fit(tally);
    // Same objective through the ratings code: θ = β/ln10, so λ_θ = ln²10/σ².
    const pi: number[] = [];
    const pj: number[] = [];
    const w: number[] = [];
    const l: number[] = [];
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) {
      pi.push(i);
      pj.push(j);
      w.push(tally.wins[i * n + j]!);
      l.push(tally.wins[j * n + i]!);
    }
    const table: PairTable = { n, i: Int32Array.from(pi), j: Int32Array.from(pj), wins: Float64Array.from(w), losses: Float64Array.from(l), ties: new Float64Array(pi.length), bothBad: new Float64Array(pi.length) };
    const fit = fitPairTable(table, ['a', 'b', 'c', 'd', 'e'], { l2: (Math.LN10 * Math.LN10) / (sd * sd) });
    for (let k = 0; k < n; k++) expect(post.beta[k]).toBeCloseTo(Math.LN10 * fit.theta[k]!, 8);
    // Covariance · precision = I, with the precision written out independently here.
    const cov = post.covariance();
    const prec = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      prec[i * n + i] += 1 / (sd * sd);
      for (let j = 0; j < n; j++) {
        if (i === j) continue;
        const c = tally.count(i, j);
        const p = sigmoid(post.beta[i]! - post.beta[j]!);
        prec[i * n + i] += c * p * (1 - p);
        prec[i * n + j] -= c * p * (1 - p);
      }
    }
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += cov[i * n + k]! * prec[k * n + j]!;
      expect(s).toBeCloseTo(i === j ? 1 : 0, 9);
    }
    expect(post.ranking()).toEqual([0, 1, 2, 3, 4]);
  });
});

describe('uniform sampler', () => {
  it('covers every pair about equally, both sides, never a self-pair', () => {
    const s = new UniformSampler({ size: 5, seed: 1 });
    const counts = new Map<string, number>();
    let leftFirst = 0;
    for (let t = 0; t < 5000; t++) {
      const [a, b] = s.next();
      expect(a).not.toBe(b);
      if (a < b) leftFirst++;
      const key = `${Math.min(a, b)}-${Math.max(a, b)}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(10);
    for (const c of counts.values()) expect(Math.abs(c - 500)).toBeLessThan(90);
    expect(Math.abs(leftFirst - 2500)).toBeLessThan(200);
  });
});

describe('Arena-style weighted sampler', () => {
  it('respects zero weights, boosts chosen models and their targets', () => {
    const s = new ArenaWeightedSampler({ size: 5, seed: 3, weights: [1, 1, 1, 1, 0], boosted: [0], targets: { 1: [2] }, balance: 0 });
    const appear = new Array<number>(5).fill(0);
    let oneVsTwo = 0;
    let oneVsThree = 0;
    for (let t = 0; t < 4000; t++) {
      const [a, b] = s.next()!;
      appear[a]!++;
      appear[b]!++;
      const key = `${Math.min(a, b)}-${Math.max(a, b)}`;
      if (key === '1-2') oneVsTwo++;
      if (key === '1-3') oneVsThree++;
    }
    expect(appear[4]).toBe(0);
    expect(appear[0]).toBeGreaterThan(2 * appear[1]!);
    expect(oneVsTwo).toBeGreaterThan(2 * oneVsThree);
  });

  it('balancing favours under-sampled pairs', () => {
    const s = new ArenaWeightedSampler({ size: 4, seed: 4 });
    for (let t = 0; t < 200; t++) s.update(0, 1, 'a');
    let zeroOne = 0;
    for (let t = 0; t < 2000; t++) {
      const [a, b] = s.next()!;
      if (Math.min(a, b) === 0 && Math.max(a, b) === 1) zeroOne++;
    }
    // Uniform would give 1/6 of 2000 ≈ 333.
    expect(zeroOne).toBeLessThan(60);
    expect(s.ranking()[0]).toBe(0);
  });
});

describe('closeness × uncertainty sampler', () => {
  it('asks about the close, uncertain pair rather than a settled or a lopsided one', () => {
    const s = new ClosenessUncertaintySampler({ size: 4, seed: 5 });
    // 0 ≫ 3 settled by many votes; 0 vs 1 settled as close; 1 vs 2 close but barely seen.
    for (let t = 0; t < 60; t++) s.update(0, 3, t < 57 ? 'a' : 'b');
    for (let t = 0; t < 60; t++) s.update(0, 1, t % 2 === 0 ? 'a' : 'b');
    for (let t = 0; t < 60; t++) s.update(2, 3, t < 45 ? 'a' : 'b');
    s.update(1, 2, 'a');
    s.update(1, 2, 'b');
    const [a, b] = s.next();
    expect([Math.min(a, b), Math.max(a, b)]).toEqual([1, 2]);
    const scores = s.pairScores();
    expect(scores[1 * 4 + 2]).toBeGreaterThan(scores[0 * 4 + 1]!);
    expect(scores[1 * 4 + 2]).toBeGreaterThan(scores[0 * 4 + 3]!);
  });
});

describe('ensemble-disagreement sampler', () => {
  it('picks the pair the reward-model ensemble disagrees on, then moves on', () => {
    // Four members agree on everything except the order of candidates 1 and 3.
    const ensemble = [
      [2, 1.5, 0, 1.4],
      [2, 1.0, 0, 1.9],
      [2.1, 1.6, 0.1, 1.2],
      [1.9, 0.9, -0.1, 2.0],
    ];
    for (const measure of ['bald', 'variance', 'vote'] as const) {
      const s = new EnsembleDisagreementSampler({ size: 4, seed: 6, scores: () => ensemble, measure });
      const [a, b] = s.next();
      expect([Math.min(a, b), Math.max(a, b)]).toEqual([1, 3]);
    }
    expect(ensembleDisagreement(ensemble, 1, 3, 'vote')).toBe(0.5);
    expect(ensembleDisagreement(ensemble, 0, 2, 'vote')).toBe(0);
    expect(ensembleDisagreement([[0, 0]], 0, 1, 'bald')).toBe(0);
    // With the repeat penalty, many votes on (1, 3) hand the turn to the next-most-disputed pair.
    const s = new EnsembleDisagreementSampler({ size: 4, seed: 6, scores: () => ensemble });
    for (let t = 0; t < 400; t++) s.update(1, 3, 'a');
    const [a, b] = s.next();
    expect([Math.min(a, b), Math.max(a, b)]).not.toEqual([1, 3]);
    expect(() => new EnsembleDisagreementSampler({ size: 5, scores: () => ensemble }).next()).toThrow(/expected 5/);
  });
});

describe('PairS (merge sort with an uncertainty beam)', () => {
  const strengths = [0.3, 2.0, -1.0, 1.1, 0.0, -0.4, 1.5, 0.8, -2.0];
  const truth = strengths.map((_, k) => k).sort((a, b) => strengths[b]! - strengths[a]!);

  it('sorts exactly with a clean judge in at most n⌈log₂n⌉ comparisons, never asking a pair twice', () => {
    for (const beamWidth of [1, 4]) {
      const s = new PairsSampler({ size: strengths.length, seed: 1, beamWidth });
      const asked = new Set<string>();
      const res = runWithJudge(s, (a, b) => {
        const key = `${Math.min(a, b)}-${Math.max(a, b)}`;
        expect(asked.has(key)).toBe(false);
        asked.add(key);
        return sigmoid(3 * (strengths[a]! - strengths[b]!));
      });
      expect(res.ranking).toEqual(truth);
      expect(res.comparisons).toBeLessThanOrEqual(strengths.length * Math.ceil(Math.log2(strengths.length)));
      expect(s.done).toBe(true);
      expect(s.next()).toBeNull();
    }
  });

  it('keeps proposing the pending pair until it is answered', () => {
    const s = new PairsSampler({ size: 4, seed: 2 });
    const p = s.next()!;
    expect(s.next()).toEqual(p);
    s.update(p[1], p[0], 'a');
    expect(s.next()).not.toEqual(p);
  });

  it('with a noisy judge, the beam orders better than greedy merging (mean Spearman over 60 seeds)', () => {
    let greedy = 0;
    let beam = 0;
    const seeds = 60;
    for (let seed = 1; seed <= seeds; seed++) {
      for (const width of [1, 4]) {
        const noise = new Rng(seed).fork('judge-noise');
        const s = new PairsSampler({ size: strengths.length, seed, beamWidth: width });
        const res = runWithJudge(s, (a, b) => sigmoid(strengths[a]! - strengths[b]! + noise.normal()));
        const rho = spearman(res.ranking, truth);
        if (width === 1) greedy += rho / seeds;
        else beam += rho / seeds;
      }
    }
    console.log(`[pairs] mean Spearman: greedy merge ${greedy.toFixed(3)}, beam 4 ${beam.toFixed(3)}`);
    expect(beam).toBeGreaterThan(greedy);
  });
});

describe('knockout sampler', () => {
  it('n − 1 comparisons, and the strongest wins with a clean judge', () => {
    const s = new KnockoutSampler({ size: 7, seed: 3 });
    const res = runWithJudge(s, (a, b) => (a > b ? 0.8 : 0.2));
    expect(res.comparisons).toBe(6);
    expect(res.ranking[0]).toBe(6);
    expect(s.next()).toBeNull();
  });
});

describe('dueling bandits', () => {
  const strengths = [0, 0.4, 1.5, -0.3, 0.2, 0.9];
  const P = btMatrix(strengths);

  for (const make of [
    (seed: number) => new RucbSampler({ size: 6, seed }),
    (seed: number) => new CcbSampler({ size: 6, seed }),
    (seed: number) => new DoubleThompsonSampler({ size: 6, seed }),
  ]) {
    it(`${make(0).kind}: concentrates duels on the best arm and finds it`, () => {
      const s = make(11);
      const shown = drive(s, P, 1500, 12);
      const late = new Array<number>(6).fill(0);
      for (const [a, b] of shown.slice(-500)) {
        late[a]!++;
        late[b]!++;
      }
      // The best arm (2) takes part in most late duels, far above the uniform 1/3.
      expect(late[2]! / 500).toBeGreaterThan(0.6);
      expect(s.ranking()[0]).toBe(2);
    });
  }

  it('RUCB and D-TS reject α ≤ ½', () => {
    expect(() => new RucbSampler({ size: 3, alpha: 0.5 })).toThrow(/α/);
    expect(() => new DoubleThompsonSampler({ size: 3, alpha: 0.4 })).toThrow(/α/);
  });

  it('CCB finds the Copeland winner when there is no Condorcet winner', () => {
    // 0 beats 1, 2, 3 but loses to 4; 4 loses to 1, 2, 3; 1 > 2 > 3 > 1 is a cycle.
    // Copeland scores: 0 → 3, 1/2/3 → 2, 4 → 1: arm 0 is the Copeland winner.
    const Q = [
      [0.5, 0.8, 0.8, 0.8, 0.3],
      [0.2, 0.5, 0.7, 0.3, 0.8],
      [0.2, 0.3, 0.5, 0.7, 0.8],
      [0.2, 0.7, 0.3, 0.5, 0.8],
      [0.7, 0.2, 0.2, 0.2, 0.5],
    ];
    const s = new CcbSampler({ size: 5, seed: 21 });
    const shown = drive(s, Q, 2500, 22);
    const late = new Array<number>(5).fill(0);
    for (const [a, b] of shown.slice(-800)) {
      late[a]!++;
      late[b]!++;
    }
    const most = late.indexOf(Math.max(...late));
    expect(most).toBe(0);
  });
});

describe('factory and replay', () => {
  const specs: PairSamplerSpec[] = [
    { kind: 'uniform', size: 5, seed: 9 },
    { kind: 'arena-weighted', size: 5, seed: 9 },
    { kind: 'closeness-uncertainty', size: 5, seed: 9 },
    { kind: 'ensemble-disagreement', size: 5, seed: 9 },
    { kind: 'pairs', size: 5, seed: 9 },
    { kind: 'knockout', size: 5, seed: 9 },
    { kind: 'rucb', size: 5, seed: 9 },
    { kind: 'ccb', size: 5, seed: 9 },
    { kind: 'double-thompson', size: 5, seed: 9 },
  ];
  const ensembleScores = () => [
    [0, 1, 2, 3, 4],
    [0, 2, 1, 4, 3],
  ];

  it('every kind builds from its spec and replays the same pairs from the same seed and votes', () => {
    const P = btMatrix([0, 0.5, 1, -0.5, 0.2]);
    for (const spec of specs) {
      const a = createPairSampler(spec, { ensembleScores });
      const b = createPairSampler(spec, { ensembleScores });
      expect(a.kind).toBe(spec.kind);
      const runA = drive(a, P, 40, 1);
      const runB = drive(b, P, 40, 1);
      expect(runA).toEqual(runB);
      expect(runA.length).toBeGreaterThan(0);
      expect([...a.ranking()].sort()).toEqual([0, 1, 2, 3, 4]);
    }
    expect(() => createPairSampler({ kind: 'ensemble-disagreement', size: 3 })).toThrow(/ensembleScores/);
  });
});
