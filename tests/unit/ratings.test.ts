import { describe, it, expect } from 'vitest';
import golden from '../golden/ratings.json';
import { Rng } from '../../src/engine/rng.ts';
import {
  aggregateBattles,
  aggregateIndexedBattles,
  arenaRanks,
  battleCountMatrix,
  battleTotals,
  binomial,
  bordaRanking,
  bradleyTerryCovariance,
  computeOnlineElo,
  copelandRanking,
  davidsonProbabilities,
  eloUpdate,
  enhancedBordaRanking,
  fitBradleyTerry,
  fitPlackettLuce,
  foldPairs,
  knockoutTournament,
  multinomial,
  newPairDerivatives,
  normalQuantile,
  outcomeProbabilities,
  pairDerivatives,
  parseArenaJsonl,
  plackettLuceLogLikelihood,
  plackettLuceProbability,
  predictOutcome,
  predictedWinRateMatrix,
  preferenceMatrix,
  raoKupperProbabilities,
  simulateBattles,
  toArenaJsonl,
  winRateMatrix,
  beta,
  gamma,
  type Battle,
  type BattleCounts,
  type TieModel,
} from '../../src/engine/ratings/index.ts';

/** Battles from "A beat B x times, B beat A y times" records. */
function battlesFromRecords(records: readonly { a: string; b: string; aWins: number; bWins: number }[]): Battle[] {
  const out: Battle[] = [];
  for (const r of records) {
    for (let k = 0; k < r.aWins; k++) out.push({ modelA: r.a, modelB: r.b, outcome: 'a' });
    for (let k = 0; k < r.bWins; k++) out.push({ modelA: r.a, modelB: r.b, outcome: 'b' });
  }
  return out;
}

function ratingOf(fit: { names: readonly string[]; ratings: Float64Array }, name: string): number {
  return fit.ratings[fit.names.indexOf(name)]!;
}

function simulatedCounts(theta: number[], battles: number, seed: number, tieModel: TieModel = 'half', tieParameter?: number, bothBadShare = 0): BattleCounts {
  const names = theta.map((_, k) => `m${k}`);
  const sim = simulateBattles(theta, { battles, seed, tieModel, tieParameter, bothBadShare });
  return aggregateIndexedBattles(names, sim.modelA, sim.modelB, sim.outcome);
}

describe('golden values', () => {
  const wiki = golden.bradleyTerryWikipedia;
  for (const solver of ['newton', 'mm'] as const) {
    // Source: Wikipedia "Bradley–Terry model" worked example (see tests/golden/ratings.json).
    it(`Wikipedia Bradley–Terry example (${solver}): A 0.6398, B 1.0433, C 0.6598, D 2.2704; Arena scale 922.43, 1007.37, 927.77, 1142.44`, () => {
      const fit = fitBradleyTerry(aggregateBattles(battlesFromRecords(wiki.records)), { solver });
      expect(fit.converged).toBe(true);
      for (const [name, strength] of Object.entries(wiki.strengths)) {
        // Geometric mean 1 ⇔ mean θ = 0, which is the default (no anchor) convention.
        expect(Math.pow(10, fit.theta[fit.names.indexOf(name)]!)).toBeCloseTo(strength, 4);
      }
      for (const [name, rating] of Object.entries(wiki.ratings)) expect(ratingOf(fit, name)).toBeCloseTo(rating, 2);
    });
  }

  it('Elo, K = 32, A 1500 vs B 1700: A wins → 1524.3119 / 1675.6881, tie → 1508.3119 / 1691.6881 (Elo 1978)', () => {
    const g = golden.elo;
    const win = eloUpdate(g.ratingA, g.ratingB, 'a', { k: g.k });
    expect(win.a).toBeCloseTo(g.aWins.a, 4);
    expect(win.b).toBeCloseTo(g.aWins.b, 4);
    const tie = eloUpdate(g.ratingA, g.ratingB, 'tie', { k: g.k });
    expect(tie.a).toBeCloseTo(g.tie.a, 4);
    expect(tie.b).toBeCloseTo(g.tie.b, 4);
    // Both-bad moves ratings as a tie does (Arena's online Elo).
    expect(eloUpdate(g.ratingA, g.ratingB, 'bothbad', { k: g.k })).toEqual(tie);
  });

  it('Davidson π = (2, 1), ν = 0.5 → 0.539504 / 0.269752 / 0.190744 (Davidson 1970)', () => {
    const g = golden.davidson;
    const direct = davidsonProbabilities(g.pi[0]!, g.pi[1]!, g.nu);
    // The same numbers through the fitting parametrisation d = ln(π_i/π_j), τ = ln ν.
    const viaFit = outcomeProbabilities('davidson', Math.log(g.pi[0]! / g.pi[1]!), Math.log(g.nu));
    for (const p of [direct, viaFit]) {
      expect(p[0]).toBeCloseTo(g.win, 6);
      expect(p[1]).toBeCloseTo(g.loss, 6);
      expect(p[2]).toBeCloseTo(g.tie, 6);
    }
  });

  it('Rao–Kupper π = (2, 1), θ = 1.5 → 0.571429 / 0.25 / 0.178571 (Rao & Kupper 1967)', () => {
    const g = golden.raoKupper;
    const direct = raoKupperProbabilities(g.pi[0]!, g.pi[1]!, g.theta);
    const viaFit = outcomeProbabilities('rao-kupper', Math.log(g.pi[0]! / g.pi[1]!), Math.log(g.theta));
    for (const p of [direct, viaFit]) {
      expect(p[0]).toBeCloseTo(g.win, 6);
      expect(p[1]).toBeCloseTo(g.loss, 6);
      expect(p[2]).toBeCloseTo(g.tie, 6);
    }
    expect(() => raoKupperProbabilities(1, 1, 0.9)).toThrow(/≥ 1/);
  });

  it('Plackett–Luce w = (3, 2, 1): P(0 ≻ 1 ≻ 2) = 1/3 (Plackett 1975)', () => {
    const g = golden.plackettLuce;
    expect(plackettLuceProbability(g.weights, g.ranking)).toBeCloseTo(g.probability, 12);
    // The six orders of three items are a distribution.
    const perms = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];
    expect(perms.reduce((s, r) => s + plackettLuceProbability(g.weights, r), 0)).toBeCloseTo(1, 12);
  });
});

describe('Arena JSONL parser', () => {
  it('reads all four winners, skips blank lines, handles CRLF and ignores extra fields', () => {
    const text = [
      '{"model_a": "x", "model_b": "y", "winner": "model_a", "anony": true}',
      '',
      '{"model_a": "y", "model_b": "x", "winner": "model_b"}\r',
      '{"model_a": "x", "model_b": "z", "winner": "tie"}',
      '{"model_a": "z", "model_b": "y", "winner": "tie (bothbad)", "language": "English"}',
    ].join('\n');
    const parsed = parseArenaJsonl(text);
    expect(parsed.errors).toEqual([]);
    expect(parsed.battles.map((b) => b.outcome)).toEqual(['a', 'b', 'tie', 'bothbad']);
    expect(parsed.lines).toEqual([1, 3, 4, 5]);
    expect(parseArenaJsonl(toArenaJsonl(parsed.battles)).battles).toEqual(parsed.battles);
  });

  it('reports every malformed line with its 1-based number and keeps the good ones', () => {
    const text = [
      '{"model_a": "x", "model_b": "y", "winner": "model_a"}',
      '{"model_a": "x", "model_b": "y", "winner": "draw"}',
      'not json',
      '{"model_a": "x", "winner": "model_a"}',
      '[1, 2]',
      '{"model_a": "x", "model_b": "x", "winner": "tie"}',
      '{"model_a": "x", "model_b": "y", "winner": "tie"}',
    ].join('\n');
    const parsed = parseArenaJsonl(text);
    expect(parsed.battles).toHaveLength(2);
    expect(parsed.errors.map((e) => e.line)).toEqual([2, 3, 4, 5, 6]);
    expect(parsed.errors[0]!.message).toMatch(/winner/);
    expect(parsed.errors[1]!.message).toMatch(/invalid JSON/);
    expect(parsed.errors[2]!.message).toMatch(/model_b/);
    expect(parsed.errors[3]!.message).toMatch(/object/);
    expect(parsed.errors[4]!.message).toMatch(/same competitor/);
  });
});

describe('aggregation into per-pair counts', () => {
  const battles: Battle[] = [
    { modelA: 'x', modelB: 'y', outcome: 'a' },
    { modelA: 'x', modelB: 'y', outcome: 'a' },
    { modelA: 'y', modelB: 'x', outcome: 'a' },
    { modelA: 'x', modelB: 'y', outcome: 'tie' },
    { modelA: 'y', modelB: 'x', outcome: 'bothbad' },
    { modelA: 'x', modelB: 'z', outcome: 'b' },
  ];

  it('keeps ordered cells, counts both-bad apart from ties, and folds them for fitting', () => {
    const counts = aggregateBattles(battles);
    expect(counts.names).toEqual(['x', 'y', 'z']);
    expect(counts.cellA.length).toBe(3);
    expect(battleTotals(counts)).toEqual({ battles: 6, winsA: 3, winsB: 1, ties: 1, bothBad: 1 });
    const folded = foldPairs(counts, 'tie');
    const xy = [...folded.i].findIndex((i, p) => i === 0 && folded.j[p] === 1);
    expect([folded.wins[xy], folded.losses[xy], folded.ties[xy], folded.bothBad[xy]]).toEqual([2, 1, 2, 1]);
    const excluded = foldPairs(counts, 'exclude');
    expect([excluded.wins[xy], excluded.losses[xy], excluded.ties[xy], excluded.bothBad[xy]]).toEqual([2, 1, 1, 1]);
  });

  it('the indexed path gives the same counts as battle objects', () => {
    const a = aggregateBattles(battles);
    const b = aggregateIndexedBattles(['x', 'y', 'z'], [0, 0, 1, 0, 1, 0], [1, 1, 0, 1, 0, 2], [0, 0, 0, 2, 3, 1]);
    expect(b).toEqual(a);
  });

  it('battle-count, win-rate and predicted win-rate matrices', () => {
    const counts = aggregateBattles(battles);
    const bc = battleCountMatrix(counts);
    expect(bc[0]![1]).toBe(5);
    expect(bc[1]![0]).toBe(5);
    expect(bc[1]![2]).toBe(0);
    expect(bc[0]![0]).toBeNaN();
    const wr = winRateMatrix(counts);
    // x vs y: x won 2 of the 3 decisive battles.
    expect(wr[0]![1]).toBeCloseTo(2 / 3, 12);
    expect(wr[1]![0]).toBeCloseTo(1 / 3, 12);
    expect(wr[1]![2]).toBeNaN();
    const half = winRateMatrix(counts, { ties: 'half' });
    expect(half[0]![1]).toBeCloseTo((2 + 1) / 5, 12);
    const pred = predictedWinRateMatrix([1100, 1000]);
    expect(pred[0]![1]).toBeCloseTo(1 / (1 + Math.pow(10, -100 / 400)), 12);
    expect(pred[0]![1]! + pred[1]![0]!).toBeCloseTo(1, 12);
  });
});

describe('tie models', () => {
  it('analytic derivatives match central finite differences', () => {
    const rng = new Rng(3);
    const h = 1e-5;
    const at = newPairDerivatives();
    const plus = newPairDerivatives();
    const minus = newPairDerivatives();
    for (const model of ['half', 'davidson', 'rao-kupper'] as const) {
      for (let trial = 0; trial < 20; trial++) {
        const d = rng.normal() * 2;
        const tau = model === 'rao-kupper' ? 0.05 + rng.next() * 1.5 : rng.normal();
        const w = rng.int(20);
        const l = rng.int(20);
        const t = 1 + rng.int(10);
        pairDerivatives(model, d, tau, w, l, t, at);
        pairDerivatives(model, d + h, tau, w, l, t, plus);
        pairDerivatives(model, d - h, tau, w, l, t, minus);
        const tol = (x: number) => 1e-5 * Math.max(1, Math.abs(x));
        expect(Math.abs((plus.ll - minus.ll) / (2 * h) - at.gd)).toBeLessThan(tol(at.gd));
        expect(Math.abs((plus.gd - minus.gd) / (2 * h) - at.hdd)).toBeLessThan(tol(at.hdd));
        if (model === 'half') continue;
        pairDerivatives(model, d, tau + h, w, l, t, plus);
        pairDerivatives(model, d, tau - h, w, l, t, minus);
        expect(Math.abs((plus.ll - minus.ll) / (2 * h) - at.gt)).toBeLessThan(tol(at.gt));
        expect(Math.abs((plus.gt - minus.gt) / (2 * h) - at.htt)).toBeLessThan(tol(at.htt));
        expect(Math.abs((plus.gd - minus.gd) / (2 * h) - at.hdt)).toBeLessThan(tol(at.hdt));
      }
    }
  });

  it('probabilities of the three outcomes sum to one', () => {
    for (const model of ['davidson', 'rao-kupper'] as const) {
      for (const d of [-3, -0.2, 0, 1.7]) {
        const [w, l, t] = outcomeProbabilities(model, d, 0.4);
        expect(w + l + t).toBeCloseTo(1, 12);
        expect(Math.min(w, l, t)).toBeGreaterThan(0);
      }
    }
  });
});

describe('Bradley–Terry fitting', () => {
  const truth = [0.5, 0.3, 0.1, 0, -0.15, -0.35, -0.4]; // base-10 log-strengths, mean 0

  it('"half" ties equal Arena\'s duplication: a win counts twice, a tie once each way', () => {
    const counts = simulatedCounts(truth, 4000, 11, 'davidson', 0.6);
    const half = fitBradleyTerry(counts, { ties: 'half' });
    // Rebuild Arena's design: every decisive battle twice, every tie as one win each way.
    const arena: Battle[] = [];
    for (let c = 0; c < counts.cellA.length; c++) {
      const a = counts.names[counts.cellA[c]!]!;
      const b = counts.names[counts.cellB[c]!]!;
      for (let k = 0; k < 2 * counts.winsA[c]!; k++) arena.push({ modelA: a, modelB: b, outcome: 'a' });
      for (let k = 0; k < 2 * counts.winsB[c]!; k++) arena.push({ modelA: a, modelB: b, outcome: 'b' });
      for (let k = 0; k < counts.ties[c]! + counts.bothBad[c]!; k++) {
        arena.push({ modelA: a, modelB: b, outcome: 'a' }, { modelA: a, modelB: b, outcome: 'b' });
      }
    }
    const dup = fitBradleyTerry(aggregateBattles(arena, { names: counts.names }), { ties: 'half', l2: 0 });
    const undup = fitBradleyTerry(counts, { ties: 'half', l2: 0 });
    for (let k = 0; k < truth.length; k++) {
      expect(dup.ratings[k]).toBeCloseTo(undup.ratings[k]!, 6);
      expect(half.ratings[k]).toBeCloseTo(undup.ratings[k]!, 3);
    }
  });

  for (const model of ['half', 'davidson', 'rao-kupper'] as const) {
    it(`${model}: Newton and MM reach the same maximum`, () => {
      const counts = simulatedCounts(truth, 3000, 5, model === 'half' ? 'davidson' : model, model === 'rao-kupper' ? 1.4 : 0.5, 0.3);
      const newton = fitBradleyTerry(counts, { ties: model, solver: 'newton', l2: 0 });
      const mm = fitBradleyTerry(counts, { ties: model, solver: 'mm', tolerance: 1e-12 });
      expect(newton.converged && mm.converged).toBe(true);
      for (let k = 0; k < truth.length; k++) expect(newton.ratings[k]).toBeCloseTo(mm.ratings[k]!, 4);
      expect(newton.logLikelihood).toBeCloseTo(mm.logLikelihood, 6);
      if (model !== 'half') expect(newton.tieParameter).toBeCloseTo(mm.tieParameter!, 6);
    });
  }

  it('recovers known ratings and the Davidson ν from simulated battles (seeded)', () => {
    const counts = simulatedCounts(truth, 60000, 21, 'davidson', 0.7);
    const fit = fitBradleyTerry(counts, { ties: 'davidson' });
    const cov = bradleyTerryCovariance(counts, fit);
    for (let k = 0; k < truth.length; k++) {
      const trueRating = 400 * truth[k]! + 1000;
      // Within 4 standard errors (the SEs here are ≈ 3 rating points).
      expect(Math.abs(fit.ratings[k]! - trueRating)).toBeLessThan(4 * cov.ratingSE.sandwich[k]!);
      expect(cov.ratingSE.sandwich[k]).toBeLessThan(6);
    }
    expect(fit.tieParameter).toBeGreaterThan(0.65);
    expect(fit.tieParameter).toBeLessThan(0.75);
    const [w, l, t] = predictOutcome(fit, 0, 6);
    expect(w + l + t).toBeCloseTo(1, 12);
    const exact = davidsonProbabilities(Math.pow(10, truth[0]!), Math.pow(10, truth[6]!), 0.7);
    expect(Math.abs(w - exact[0])).toBeLessThan(0.01);
    expect(Math.abs(t - exact[2])).toBeLessThan(0.01);
  });

  it('recovers Rao–Kupper θ', () => {
    const counts = simulatedCounts(truth, 60000, 22, 'rao-kupper', 1.5);
    const fit = fitBradleyTerry(counts, { ties: 'rao-kupper' });
    expect(fit.tieParameter).toBeGreaterThan(1.45);
    expect(fit.tieParameter).toBeLessThan(1.55);
    for (let k = 0; k < truth.length; k++) expect(Math.abs(fit.theta[k]! - truth[k]!)).toBeLessThan(0.03);
  });

  it('an anchor pins one rating and leaves every difference unchanged', () => {
    const counts = simulatedCounts(truth, 2000, 8);
    const free = fitBradleyTerry(counts);
    const pinned = fitBradleyTerry(counts, { anchor: { name: 'm3', rating: 1114 } });
    expect(ratingOf(pinned, 'm3')).toBeCloseTo(1114, 9);
    for (let k = 1; k < truth.length; k++) expect(pinned.ratings[k]! - pinned.ratings[0]!).toBeCloseTo(free.ratings[k]! - free.ratings[0]!, 9);
    const mean = free.ratings.reduce((s, r) => s + r, 0) / truth.length;
    expect(mean).toBeCloseTo(1000, 9);
    expect(() => fitBradleyTerry(counts, { anchor: { name: 'nobody', rating: 1 } })).toThrow(/nobody/);
  });

  it('warns and stays finite when a competitor never lost', () => {
    const battles: Battle[] = [
      { modelA: 'champ', modelB: 'x', outcome: 'a' },
      { modelA: 'champ', modelB: 'y', outcome: 'a' },
      { modelA: 'x', modelB: 'y', outcome: 'a' },
      { modelA: 'y', modelB: 'x', outcome: 'a' },
    ];
    for (const solver of ['newton', 'mm'] as const) {
      const fit = fitBradleyTerry(aggregateBattles(battles), { solver });
      expect(fit.warnings.join(' ')).toMatch(/not strongly connected/);
      expect(fit.ratings.every(Number.isFinite)).toBe(true);
      expect(ratingOf(fit, 'champ')).toBeGreaterThan(ratingOf(fit, 'x') + 200);
    }
  });

  it('sandwich, model-based and bootstrap standard errors agree on well-specified data', async () => {
    const { bootstrapBradleyTerry } = await import('../../src/engine/ratings/index.ts');
    const counts = simulatedCounts(truth, 5000, 31);
    const fit = fitBradleyTerry(counts);
    const cov = bradleyTerryCovariance(counts, fit);
    const boot = bootstrapBradleyTerry(counts, { rounds: 200, seed: 4, fit });
    for (let k = 0; k < truth.length; k++) {
      const s = cov.ratingSE.sandwich[k]!;
      const f = cov.ratingSE.fisher[k]!;
      let mean = 0;
      for (let r = 0; r < boot.rounds; r++) mean += boot.samples[r * truth.length + k]!;
      mean /= boot.rounds;
      let v = 0;
      for (let r = 0; r < boot.rounds; r++) v += (boot.samples[r * truth.length + k]! - mean) ** 2;
      const b = Math.sqrt(v / (boot.rounds - 1));
      expect(s / f).toBeGreaterThan(0.85);
      expect(s / f).toBeLessThan(1.15);
      expect(b / s).toBeGreaterThan(0.75);
      expect(b / s).toBeLessThan(1.25);
    }
    // Same seed, same intervals.
    const again = bootstrapBradleyTerry(counts, { rounds: 200, seed: 4, fit });
    expect(Array.from(again.lower)).toEqual(Array.from(boot.lower));
  });

  it('anchored covariance gives the anchor zero variance', () => {
    const counts = simulatedCounts(truth, 3000, 12);
    const fit = fitBradleyTerry(counts, { anchor: { name: 'm2', rating: 1200 } });
    const cov = bradleyTerryCovariance(counts, fit);
    expect(cov.ratingSE.sandwich[2]).toBeCloseTo(0, 9);
    expect(cov.ratingSE.sandwich[0]).toBeGreaterThan(1);
  });
});

describe('ranks, quantiles and the Elo replay', () => {
  it("Arena's rank = 1 + the number of competitors whose lower bound is above my upper bound", () => {
    // A [1100,1200], B [1150,1180] overlaps A, C [900,1000] is below both, D [1090,1140].
    const ranks = arenaRanks([1100, 1150, 900, 1090], [1200, 1180, 1000, 1140]);
    expect(Array.from(ranks)).toEqual([1, 1, 4, 2]);
  });

  it('normal quantiles', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963985, 7);
    expect(normalQuantile(0.5)).toBeCloseTo(0, 12);
    expect(normalQuantile(0.001)).toBeCloseTo(-3.090232306, 6);
  });

  it('online Elo is zero-sum and order-dependent', () => {
    const battles: Battle[] = [
      { modelA: 'x', modelB: 'y', outcome: 'a' },
      { modelA: 'y', modelB: 'z', outcome: 'tie' },
      { modelA: 'z', modelB: 'x', outcome: 'a' },
    ];
    const e = computeOnlineElo(battles, { k: 32, initialRating: 1000 });
    expect(e.names).toEqual(['x', 'y', 'z']);
    expect(e.ratings.reduce((s, r) => s + r, 0)).toBeCloseTo(3000, 9);
    // Replayed by hand: x beats y from 1000/1000; y ties z; z beats x.
    const expected = (ra: number, rb: number) => 1 / (1 + Math.pow(10, (rb - ra) / 400));
    let x = 1000 + 32 * (1 - 0.5);
    let y = 1000 - 32 * (1 - 0.5);
    const dy = 32 * (0.5 - expected(y, 1000));
    y += dy;
    let z = 1000 - dy;
    const dz = 32 * (1 - expected(z, x));
    z += dz;
    x -= dz;
    expect(e.ratings[0]).toBeCloseTo(x, 9);
    expect(e.ratings[1]).toBeCloseTo(y, 9);
    expect(e.ratings[2]).toBeCloseTo(z, 9);
    const reversed = computeOnlineElo([...battles].reverse(), { k: 32 });
    expect(Array.from(reversed.ratings)).not.toEqual(Array.from(e.ratings));
  });
});

describe('Plackett–Luce', () => {
  it('on two-item rankings the MM fit equals the Bradley–Terry fit', () => {
    const counts = simulatedCounts([0.3, 0.1, -0.1, -0.3], 800, 17);
    const rankings: number[][] = [];
    for (let c = 0; c < counts.cellA.length; c++) {
      const a = counts.cellA[c]!;
      const b = counts.cellB[c]!;
      for (let k = 0; k < counts.winsA[c]!; k++) rankings.push([a, b]);
      for (let k = 0; k < counts.winsB[c]!; k++) rankings.push([b, a]);
    }
    const pl = fitPlackettLuce(4, rankings, { tolerance: 1e-12 });
    const bt = fitBradleyTerry(counts, { l2: 0 });
    expect(pl.converged).toBe(true);
    for (let k = 0; k < 4; k++) expect(pl.ratings[k]).toBeCloseTo(bt.ratings[k]!, 5);
  });

  it('recovers weights from simulated full rankings and the MM never lowers the likelihood', () => {
    const w = [4, 2, 1, 0.5, 0.25];
    const rng = new Rng(9);
    const rankings: number[][] = [];
    for (let r = 0; r < 3000; r++) {
      const left = [0, 1, 2, 3, 4];
      const order: number[] = [];
      while (left.length > 0) {
        const total = left.reduce((s, k) => s + w[k]!, 0);
        let u = rng.next() * total;
        let pick = 0;
        while (u >= w[left[pick]!]! && pick < left.length - 1) u -= w[left[pick++]!]!;
        order.push(left.splice(pick, 1)[0]!);
      }
      rankings.push(order);
    }
    const fit = fitPlackettLuce(5, rankings);
    const gm = Math.exp(w.reduce((s, x) => s + Math.log(x), 0) / 5);
    for (let k = 0; k < 5; k++) expect(Math.abs(Math.log(fit.weights[k]!) - Math.log(w[k]! / gm))).toBeLessThan(0.1);
    const short = fitPlackettLuce(5, rankings, { maxIterations: 3 });
    expect(fit.logLikelihood).toBeGreaterThanOrEqual(short.logLikelihood);
    expect(plackettLuceLogLikelihood(fit.weights, rankings)).toBeCloseTo(fit.logLikelihood, 9);
  });

  it('rejects malformed rankings', () => {
    expect(() => fitPlackettLuce(3, [[0, 0, 1]])).toThrow(/twice/);
    expect(() => fitPlackettLuce(3, [[0, 3]])).toThrow(/not in/);
  });
});

describe('aggregating a judge over N candidates', () => {
  // A transitive judge over strengths 0 < 1 < 2 < 3 < 4 (4 is best).
  const strength = [0, 1, 2, 3, 4];
  const judge = (a: number, b: number) => 1 / (1 + Math.exp(strength[b]! - strength[a]!));

  it('Borda, Enhanced Borda and Copeland agree with a transitive judge', () => {
    const P = preferenceMatrix(5, judge);
    expect(bordaRanking(P).ranking).toEqual([4, 3, 2, 1, 0]);
    expect(enhancedBordaRanking(P).ranking).toEqual([4, 3, 2, 1, 0]);
    expect(enhancedBordaRanking(P).scores).toEqual([0, 1, 2, 3, 4]);
    expect(copelandRanking(P).scores).toEqual([-4, -2, 0, 2, 4]);
  });

  it('Enhanced Borda credits transitive wins and levels a cycle; Copeland and Borda differ from it', () => {
    // 0 beats 1 beats 2 beats 0 (a cycle), everyone beats 3, 3 beats 4; 0 is never compared
    // decisively with 4 (P = ½) but reaches it through 3.
    const P = [
      [0.5, 0.9, 0.2, 0.8, 0.5],
      [0.1, 0.5, 0.9, 0.8, 0.9],
      [0.8, 0.1, 0.5, 0.8, 0.9],
      [0.2, 0.2, 0.2, 0.5, 0.7],
      [0.5, 0.1, 0.1, 0.3, 0.5],
    ];
    const ebc = enhancedBordaRanking(P);
    expect(ebc.scores).toEqual([4, 4, 4, 1, 0]);
    const cop = copelandRanking(P);
    expect(cop.scores).toEqual([1, 2, 2, -2, -3]);
    // Ties broken by soft Borda: 1 (2.7) ahead of 2 (2.6) ahead of 0 (2.4).
    expect(ebc.ranking).toEqual([1, 2, 0, 3, 4]);
    expect(bordaRanking(P).scores[1]).toBeCloseTo(2.7, 12);
  });

  it('position-debiased preference matrix averages both presentation orders', () => {
    const biased = (a: number, b: number) => Math.min(1, judge(a, b) + 0.1); // favours the first slot
    const P = preferenceMatrix(5, biased, { bothOrders: true });
    expect(P[1]![0]).toBeCloseTo(judge(1, 0), 1);
    expect(P[0]![1]! + P[1]![0]!).toBeCloseTo(1, 12);
  });

  it('knockout: n − 1 comparisons, byes when n is not a power of two, the best wins with a clean judge', () => {
    for (const n of [1, 2, 5, 6, 8, 11]) {
      const calls: Array<[number, number]> = [];
      const res = knockoutTournament(n, (a, b) => {
        calls.push([a, b]);
        return a > b ? 0.9 : 0.1;
      }, { seed: n });
      expect(calls.length).toBe(n - 1);
      expect(res.winner).toBe(n - 1);
      expect(res.ranking[0]).toBe(n - 1);
      expect(new Set(res.ranking).size).toBe(n);
      // Every candidate except the winner loses exactly once.
      expect(new Set(res.matches.map((m) => (m.winner === m.a ? m.b : m.a))).size).toBe(n - 1);
    }
  });
});

describe('random variates used by the bootstrap and Thompson sampling', () => {
  it('binomial has the right mean and variance in both the inversion and BTRS regimes', () => {
    const rng = new Rng(77);
    for (const [n, p] of [[20, 0.1], [1000, 0.3], [50000, 0.02], [200, 0.9]] as const) {
      const m = 4000;
      let s = 0;
      let s2 = 0;
      for (let k = 0; k < m; k++) {
        const x = binomial(rng, n, p);
        expect(Number.isInteger(x) && x >= 0 && x <= n).toBe(true);
        s += x;
        s2 += x * x;
      }
      const mean = s / m;
      const variance = s2 / m - mean * mean;
      const sd = Math.sqrt(n * p * (1 - p));
      expect(Math.abs(mean - n * p)).toBeLessThan((4 * sd) / Math.sqrt(m));
      expect(variance / (sd * sd)).toBeGreaterThan(0.9);
      expect(variance / (sd * sd)).toBeLessThan(1.1);
    }
  });

  it('multinomial preserves the total and the cell means', () => {
    const rng = new Rng(5);
    const probs = [5, 0, 3, 2];
    const sums = [0, 0, 0, 0];
    for (let r = 0; r < 2000; r++) {
      const x = multinomial(rng, 100, probs);
      expect(x.reduce((a, b) => a + b, 0)).toBe(100);
      expect(x[1]).toBe(0);
      x.forEach((v, k) => (sums[k]! += v));
    }
    expect(sums[0]! / 2000).toBeCloseTo(50, 0);
    expect(sums[2]! / 2000).toBeCloseTo(30, 0);
  });

  it('gamma and beta means', () => {
    const rng = new Rng(8);
    let g = 0;
    let b = 0;
    let g0 = 0;
    for (let k = 0; k < 20000; k++) {
      g += gamma(rng, 3.5);
      g0 += gamma(rng, 0.5);
      b += beta(rng, 2, 6);
    }
    expect(g / 20000).toBeCloseTo(3.5, 1);
    expect(g0 / 20000).toBeCloseTo(0.5, 1);
    expect(b / 20000).toBeCloseTo(0.25, 2);
  });
});
