import { describe, it, expect } from 'vitest';
import {
  aggregateIndexedBattles,
  bootstrapBradleyTerry,
  bradleyTerryCovariance,
  buildLeaderboard,
  fitBradleyTerry,
  normalIntervals,
  simulateBattles,
} from '../../src/engine/ratings/index.ts';

// Truth in base-10 log-strength, mean 0, so the true ratings in the default (mean-centred)
// convention are 400θ + 1000.
const truth = [0.45, 0.2, 0.05, -0.1, -0.25, -0.35];
const names = truth.map((_, k) => `c${k}`);

describe('interval coverage over 20 seeded repetitions', () => {
  it('95% bootstrap and sandwich intervals cover the true ratings in most repetitions', () => {
    const reps = 20;
    let bootCovered = 0;
    let sandCovered = 0;
    const perCompetitor = new Array<number>(truth.length).fill(0);
    for (let rep = 0; rep < reps; rep++) {
      const sim = simulateBattles(truth, { battles: 1500, seed: 1000 + rep, tieModel: 'davidson', tieParameter: 0.4 });
      const counts = aggregateIndexedBattles(names, sim.modelA, sim.modelB, sim.outcome);
      const fit = fitBradleyTerry(counts, { ties: 'davidson' });
      const boot = bootstrapBradleyTerry(counts, { ties: 'davidson', rounds: 100, seed: rep, fit });
      const cov = bradleyTerryCovariance(counts, fit);
      const sand = normalIntervals(fit.ratings, cov.ratingSE.sandwich, 0.95);
      truth.forEach((th, k) => {
        const r = 400 * th + 1000;
        if (boot.lower[k]! <= r && r <= boot.upper[k]!) {
          bootCovered++;
          perCompetitor[k]!++;
        }
        if (sand.lower[k]! <= r && r <= sand.upper[k]!) sandCovered++;
      });
    }
    const total = reps * truth.length;
    console.log(`[bt-coverage] bootstrap ${bootCovered}/${total}, sandwich ${sandCovered}/${total}, per competitor ${perCompetitor.join(' ')} of ${reps}`);
    expect(bootCovered / total).toBeGreaterThan(0.85);
    expect(sandCovered / total).toBeGreaterThan(0.85);
    for (const c of perCompetitor) expect(c).toBeGreaterThanOrEqual(15);
  });

  it('the leaderboard ranks with the bootstrap intervals and counts both-bad separately', () => {
    const sim = simulateBattles(truth, { battles: 3000, seed: 5, tieModel: 'davidson', tieParameter: 0.4, bothBadShare: 0.5 });
    const counts = aggregateIndexedBattles(names, sim.modelA, sim.modelB, sim.outcome);
    const board = buildLeaderboard(counts, { bootstrapRounds: 100, seed: 3 });
    expect(board.ciMethod).toBe('bootstrap');
    expect(board.rows.map((r) => r.name)[0]).toBe('c0');
    expect(board.rows[0]!.rank).toBe(1);
    for (const r of board.rows) {
      expect(r.ci[0]).toBeLessThanOrEqual(r.rating + 1e-9);
      expect(r.ci[1]).toBeGreaterThanOrEqual(r.rating - 1e-9);
      const above = board.rows.filter((o) => o !== r && o.ci[0] > r.ci[1]).length;
      expect(r.rank).toBe(1 + above);
    }
    expect(board.totals.bothBad).toBeGreaterThan(0);
    expect(board.totals.ties).toBeGreaterThan(0);
    expect(board.totals.battles).toBe(3000);
    expect(board.rows.reduce((s, r) => s + r.battles, 0)).toBe(6000);
  });
});
