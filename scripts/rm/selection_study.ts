/**
 * Active pair selection, measured honestly (issue 11, item 7): uniform pairs against "the pair
 * the reward model's heads disagree on most", replaying the loop's reward model alone on the
 * recorded pool of the shipped policy's candidate pairs.
 *
 * The pool is split once: the last `--held-out` pairs are a fixed evaluation set, the rest the
 * stream votes are drawn from. Per taste and seed, each rule votes `--votes` times:
 * - random: the next pair of a seeded order;
 * - uncertain-k: k unused pairs of that order, the one whose P(a ≻ b) the heads' std is largest
 *   (the others stay unused). The playground's rule picks among the k(k−1)/2 pairs of k samples
 *   of one prompt; here the k are pairs of different prompts, which gives selection at least as
 *   much to choose from.
 * After 5, 10, …, `--votes` votes the reward model's accuracy against the noiseless taste is
 * taken on the held-out pairs the taste decides; selection cannot flatter it, since the
 * held-out set is the same for every rule.
 *
 *   npx tsx scripts/rm/selection_study.ts [--seeds 20] [--votes 50] [--k 4,8] [--json OUT]
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadCliPolicy } from '../../src/cli/policy_cli';
import { annotatePair, annotateScores } from '../../src/engine/learning/annotator_spec';
import { createRewardModel } from '../../src/engine/learning/reward_model';
import { Rng } from '../../src/engine/rng';
import { bootstrapMean, loadPool, mean, panelTastes, poolFeatures, shuffled, PANEL_OPTIONS } from './panel_common';

const { values } = parseArgs({
  options: {
    ...PANEL_OPTIONS,
    votes: { type: 'string', default: '50' },
    'held-out': { type: 'string', default: '100' },
    k: { type: 'string', default: '4' },
    target: { type: 'string', default: '0.75' },
    json: { type: 'string' },
  },
});
const seeds = Number(values.seeds);
const nVotes = Number(values.votes);
const heldOut = Number(values['held-out']);
const flipRate = Number(values['flip-rate']);
const target = Number(values.target);
const ks = values.k!.split(',').map(Number);

const pool = loadPool(values.pool!);
const policy = await loadCliPolicy(undefined);
const features = await poolFeatures(policy, pool);
const streamSize = pool.length - heldOut;
const evalIdx = Array.from({ length: heldOut }, (_, i) => streamSize + i);
const checkpoints = Array.from({ length: Math.floor(nVotes / 5) }, (_, i) => 5 * (i + 1));
const rules = ['random', ...ks.map((k) => `uncertain-${k}`)];

interface RuleResult {
  /** Per checkpoint, per seed: held-out accuracy against the taste. */
  curve: number[][];
  /** Per seed: the first checkpoint at which accuracy ≥ target, or null. */
  votesToTarget: (number | null)[];
}

const report: Record<string, unknown> = { pool: values.pool, heldOut, seeds, votes: nVotes, flipRate, target, checkpoints, tastes: {} };
const started = performance.now();
for (const taste of panelTastes(pool, flipRate)) {
  const byRule: Record<string, RuleResult> = {};
  for (const rule of rules) {
    const result: RuleResult = { curve: checkpoints.map(() => []), votesToTarget: [] };
    for (let s = 0; s < seeds; s++) {
      const spec = taste.spec(s);
      // The held-out pairs this taste decides, with the side it prefers.
      const evalSet = evalIdx
        .map((i) => ({ i, scores: annotateScores(spec, [pool[i]!.a, pool[i]!.b]) }))
        .filter((e) => e.scores[0] !== e.scores[1]);
      const order = shuffled(streamSize, new Rng(`selection-order-${s}`));
      const rm = createRewardModel(policy.config, `selection-rm-${s}`);
      let next = 0;
      let reached: number | null = null;
      for (let v = 0; v < nVotes; v++) {
        let idx: number;
        if (rule === 'random') idx = order[next++]!;
        else {
          const k = Number(rule.split('-')[1]);
          const offered = order.slice(next, next + k);
          const flat = offered.flatMap((i) => features[i]!);
          // Candidates laid out a0 b0 a1 b1 …: only the (a_m, b_m) pairs are real pairs.
          let best = 0;
          let bestStd = -1;
          offered.forEach((i, m) => {
            const p = rm.preference(flat[2 * m]!, flat[2 * m + 1]!);
            if (p.std > bestStd) {
              bestStd = p.std;
              best = m;
            }
          });
          idx = offered[best]!;
          // The offered pairs not chosen go back to the front of the stream.
          order.splice(next, k, ...offered.filter((_, m) => m !== best));
        }
        const p = pool[idx]!;
        const verdict = annotatePair(spec, v, p.prompt, p.a, p.b);
        rm.observe({ a: features[idx]![0], b: features[idx]![1], outcome: verdict.outcome });
        const c = checkpoints.indexOf(v + 1);
        if (c >= 0) {
          const acc = mean(evalSet.map((e) => {
            const pab = rm.preference(features[e.i]![0], features[e.i]![1]).pAB;
            return pab === 0.5 ? 0.5 : (pab > 0.5) === (e.scores[0]! > e.scores[1]!) ? 1 : 0;
          }));
          result.curve[c]!.push(acc);
          if (reached === null && acc >= target) reached = v + 1;
        }
      }
      result.votesToTarget.push(reached);
    }
    byRule[rule] = result;
    const rng = new Rng(`selection-bootstrap-${taste.name}-${rule}`);
    const at = (n: number) => {
      const c = checkpoints.indexOf(n);
      const xs = result.curve[c]!;
      const [lo, hi] = bootstrapMean(xs.map((x) => [x]), rng);
      return `${n}: ${mean(xs).toFixed(3)} [${lo.toFixed(2)}, ${hi.toFixed(2)}]`;
    };
    const reachedSeeds = result.votesToTarget.filter((x) => x !== null) as number[];
    console.error(
      `${taste.name.padEnd(34)} ${rule.padEnd(12)} ${[10, 20, 30, nVotes].filter((n) => checkpoints.includes(n)).map(at).join('  ')}  reach ${target}: ${reachedSeeds.length}/${seeds} seeds, median ${reachedSeeds.length ? [...reachedSeeds].sort((a, b) => a - b)[Math.floor(reachedSeeds.length / 2)] : '—'} votes`,
    );
  }
  (report.tastes as Record<string, unknown>)[taste.name] = Object.fromEntries(
    Object.entries(byRule).map(([rule, r]) => [
      rule,
      { accuracy: r.curve.map((xs, c) => ({ votes: checkpoints[c], mean: mean(xs), ci: bootstrapMean(xs.map((x) => [x]), new Rng(`ci-${taste.name}-${rule}-${c}`)) })), votesToTarget: r.votesToTarget },
    ]),
  );
}
report.seconds = (performance.now() - started) / 1000;
if (values.json) writeFileSync(values.json, JSON.stringify(report, null, 1) + '\n');
