/**
 * How far the O(pairs) diagonal sandwich (src/engine/ratings/diagonal_sandwich.ts) is from the
 * exact dense sandwich, and what the exact one costs, on seeded synthetic arenas:
 *   npx tsx scripts/rate/compare_intervals.ts > scripts/rate/runs/compare_intervals.json
 * Strengths 0.35·N(0,1) base-10 units, uniform pairs, Davidson ties (ν = 0.3) fitted as `half`.
 */
import { Rng } from '../../src/engine/rng';
import {
  aggregateIndexedBattles,
  bradleyTerryCovariance,
  diagonalSandwichRatingSE,
  fitBradleyTerry,
  simulateBattles,
} from '../../src/engine/ratings/index';

const cases = [
  { competitors: 100, battles: 20_000 },
  { competitors: 300, battles: 30_000 },
  { competitors: 1000, battles: 10_000 },
  { competitors: 300, battles: 300_000 },
  { competitors: 1000, battles: 100_000 },
  { competitors: 1000, battles: 1_000_000 },
  { competitors: 1500, battles: 1_000_000 },
];
const rows = [];
for (const c of cases) {
  const rng = new Rng(5).fork(`strengths-${c.competitors}`);
  const theta = Array.from({ length: c.competitors }, () => 0.35 * rng.normal());
  const names = theta.map((_, k) => `m${k}`);
  const sim = simulateBattles(theta, { battles: c.battles, seed: 6, tieModel: 'davidson', tieParameter: 0.3 });
  const counts = aggregateIndexedBattles(names, sim.modelA, sim.modelB, sim.outcome);
  const fit = fitBradleyTerry(counts, { ties: 'half' });
  const t0 = performance.now();
  const exact = bradleyTerryCovariance(counts, fit).ratingSE.sandwich;
  const t1 = performance.now();
  const approx = diagonalSandwichRatingSE(counts, fit);
  const t2 = performance.now();
  const ratio = Array.from(approx, (x, k) => x / exact[k]!).sort((x, y) => x - y);
  const q = (p: number) => ratio[Math.min(ratio.length - 1, Math.floor(p * ratio.length))]!;
  rows.push({
    ...c,
    solver: fit.solver,
    exactSeconds: +((t1 - t0) / 1000).toFixed(3),
    diagonalSeconds: +((t2 - t1) / 1000).toFixed(3),
    seRatioDiagonalOverExact: { min: +ratio[0]!.toFixed(4), p05: +q(0.05).toFixed(4), median: +q(0.5).toFixed(4), p95: +q(0.95).toFixed(4), max: +ratio[ratio.length - 1]!.toFixed(4) },
  });
  console.error(JSON.stringify(rows[rows.length - 1]));
}
console.log(JSON.stringify({ command: 'npx tsx scripts/rate/compare_intervals.ts', node: process.version, cases: rows }, null, 2));
