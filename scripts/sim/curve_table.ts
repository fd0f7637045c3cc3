/**
 * The learning-curve table from scripts/sim/runs/curve/*.json (see learning_curve.mjs): per
 * annotator and vote count, the mean over seeds of each measure, and how many seeds the
 * frontier's bar calls learning.
 *
 *   npx tsx scripts/sim/curve_table.ts [DIR]   (default scripts/sim/runs/curve)
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const dir = process.argv[2] ?? path.join('scripts', 'sim', 'runs', 'curve');
interface Run {
  config: { annotator: { id: string }; votes: number; seed: number };
  win_rate: number;
  kl: number;
  rm_prequential_accuracy: number;
  rm_fixed_pairs_accuracy: number | null;
  decisive_votes: number;
  verdict: string;
  fluency: Record<string, number>;
}
const runs = readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as Run);
const groups = new Map<string, Run[]>();
for (const r of runs) {
  const key = `${r.config.annotator.id}|${r.config.votes}`;
  groups.set(key, [...(groups.get(key) ?? []), r]);
}
// A measure with nothing to measure (no decisive fixed pair) is stored as null: it is missing, not 0.
const mean = (xs: (number | null)[]) => (xs.some((x) => x === null) ? NaN : (xs as number[]).reduce((a, b) => a + b, 0) / xs.length);
const f = (x: number, d = 3) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
console.log('| annotator | votes | seeds | decisive votes | RM prequential | RM fixed pairs | win rate | KL | English × | distinct-2 × | distinct of 100 | length × | learning |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const [key, rs] of [...groups].sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }))) {
  const [annotator, votes] = key.split('|');
  const fl = (k: string) => mean(rs.map((r) => r.fluency[`policy_${k}`]! / r.fluency[`reference_${k}`]!));
  console.log(
    `| ${annotator} | ${votes} | ${rs.map((r) => r.config.seed).sort().join(', ')} | ${f(mean(rs.map((r) => r.decisive_votes)), 1)} | ${f(mean(rs.map((r) => r.rm_prequential_accuracy)))} | ${f(mean(rs.map((r) => r.rm_fixed_pairs_accuracy)))} | ${f(mean(rs.map((r) => r.win_rate)))} | ${f(mean(rs.map((r) => r.kl)), 1)} | ${f(fl('english_rate'), 2)} | ${f(fl('distinct2'), 2)} | ${f(mean(rs.map((r) => r.fluency.policy_distinct_completions! * 100)), 0)} | ${f(fl('mean_words'), 2)} | ${rs.filter((r) => r.verdict === 'learning').length} of ${rs.length} |`,
  );
}
