/**
 * What the taste panel's bar asks for, in context: the accuracy on decisive votes 11–30 of a
 * model that is told each taste's own scorer (the simulated annotator's hidden score, one
 * weight fitted on the votes by the same Bayesian logistic the panel's other models use:
 * N(0, 1) prior, MAP by Newton's method). It is the best any model of these features can do on
 * these votes; the flip noise alone caps it near 0.9. Same pool, orders, tastes, seeds and
 * scoring as `taste_panel.ts`.
 *
 *   npx tsx scripts/rm/oracle_bound.ts [--seeds 20] [--votes 30] [--flip-rate 0.1] [--json OUT]
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { annotatePair, annotateScores } from '../../src/engine/learning/annotator_spec';
import { sigmoid } from '../../src/engine/objectives/math';
import { Rng } from '../../src/engine/rng';
import { bootstrapMean, loadPool, mean, panelTastes, shuffled, PANEL_OPTIONS } from './panel_common';

const { values } = parseArgs({
  options: {
    ...PANEL_OPTIONS,
    votes: { type: 'string', default: '30' },
    json: { type: 'string' },
  },
});
const seeds = Number(values.seeds);
const nVotes = Number(values.votes);
const flipRate = Number(values['flip-rate']);
const pool = loadPool(values.pool!);

/** MAP of w in P(a ≻ b) = σ(w·x), w ~ N(0, 1), from (x, a won) pairs. */
function fitOne(xs: readonly number[], ys: readonly boolean[]): number {
  let w = 0;
  for (let it = 0; it < 50; it++) {
    let g = -w;
    let h = 1;
    xs.forEach((x, i) => {
      const p = sigmoid(w * x);
      g += ((ys[i] ? 1 : 0) - p) * x;
      h += p * (1 - p) * x * x;
    });
    const step = g / h;
    w += step;
    if (Math.abs(step) < 1e-12) break;
  }
  return w;
}

const rng = new Rng('oracle-bound-bootstrap');
const rows: Record<string, unknown>[] = [];
const pooled: number[][] = [];
for (const taste of panelTastes(pool, flipRate)) {
  const perRun: number[][] = [];
  for (let s = 0; s < seeds; s++) {
    const spec = taste.spec(s);
    const scores = pool.map((p) => annotateScores(spec, [p.a, p.b]));
    // The score difference in units of the score's spread over the pool, so the N(0, 1) prior
    // means the same for every taste.
    const all = scores.flat();
    const sd = Math.sqrt(mean(all.map((v) => v * v)) - mean(all) ** 2) || 1;
    const order = shuffled(pool.length, new Rng(`panel-order-${s}`)).slice(0, nVotes);
    const xs: number[] = [];
    const ys: boolean[] = [];
    const run: number[] = [];
    order.forEach((idx, v) => {
      const p = pool[idx]!;
      const verdict = annotatePair(spec, v, p.prompt, p.a, p.b);
      if (verdict.outcome !== 'a' && verdict.outcome !== 'b') return;
      const x = (scores[idx]![0]! - scores[idx]![1]!) / sd;
      if (v >= 10) {
        const z = fitOne(xs, ys) * x;
        run.push(z === 0 ? 0.5 : (z > 0) === (verdict.outcome === 'a') ? 1 : 0);
      }
      xs.push(x);
      ys.push(verdict.outcome === 'a');
    });
    perRun.push(run);
  }
  pooled.push(...perRun);
  const row = { taste: taste.name, accuracy: mean(perRun.flat()), accuracy_ci: bootstrapMean(perRun, rng), decisive_per_run: perRun.flat().length / seeds };
  rows.push(row);
  console.error(`${taste.name.padEnd(34)} ${row.accuracy.toFixed(3)} [${row.accuracy_ci[0]!.toFixed(2)}, ${row.accuracy_ci[1]!.toFixed(2)}]`);
}
const summary = { pooled: mean(pooled.flat()), pooled_ci: bootstrapMean(pooled, rng) };
console.error(`pooled ${summary.pooled.toFixed(3)} [${summary.pooled_ci[0]!.toFixed(2)}, ${summary.pooled_ci[1]!.toFixed(2)}]`);
const report = {
  what: "accuracy on decisive votes 11–30 of a model told each taste's own hidden score (one weight, N(0, 1) prior, MAP), against the votes as given",
  pool: values.pool,
  seeds,
  votes: nVotes,
  flipRate,
  tastes: rows,
  ...summary,
};
if (values.json) writeFileSync(values.json, JSON.stringify(report, null, 1) + '\n');
