/**
 * Writes a deterministic synthetic Arena battle log for timing `duelbook rate`:
 *   npx tsx scripts/rate/make_battles.ts OUT.jsonl [competitors=10000] [battles=1000000] [seed=12]
 * Strengths are 0.35·N(0,1) base-10 units, pairs uniform, outcomes from Davidson (ν = 0.3) with
 * a quarter of ties recorded as "both bad". The file is large (≈70 MB for 10⁶ battles) and is
 * not committed: this script and its seed are the record.
 */
import { writeFileSync } from 'node:fs';
import { Rng } from '../../src/engine/rng';
import { simulateBattles } from '../../src/engine/ratings/simulate';

const [out, competitorsText = '10000', battlesText = '1000000', seedText = '12'] = process.argv.slice(2);
if (!out) throw new Error('usage: make_battles.ts OUT.jsonl [competitors] [battles] [seed]');
const competitors = Number(competitorsText);
const battles = Number(battlesText);
const seed = Number(seedText);
if (!Number.isInteger(competitors) || competitors < 2) throw new Error(`competitors must be an integer ≥ 2, got "${competitorsText}"`);
if (!Number.isInteger(battles) || battles < 1) throw new Error(`battles must be a positive integer, got "${battlesText}"`);
if (!Number.isSafeInteger(seed)) throw new Error(`seed must be an integer, got "${seedText}"`);

const rng = new Rng(seed).fork('make-battles-strengths');
const theta = Array.from({ length: competitors }, () => 0.35 * rng.normal());
const names = theta.map((_, k) => `model-${String(k).padStart(5, '0')}`);
const sim = simulateBattles(theta, { battles, seed, tieModel: 'davidson', tieParameter: 0.3, bothBadShare: 0.25 });
const WINNER = ['model_a', 'model_b', 'tie', 'tie (bothbad)'];
const lines: string[] = new Array(battles);
for (let t = 0; t < battles; t++) {
  lines[t] = JSON.stringify({ model_a: names[sim.modelA[t]!], model_b: names[sim.modelB[t]!], winner: WINNER[sim.outcome[t]!] });
}
writeFileSync(out, lines.join('\n') + '\n');
console.log(`${out}: ${battles} battles between ${competitors} competitors (seed ${seed})`);
