/**
 * The learning frontier of the shipped default model: `duelbook sim` over a grid of β ×
 * learning rate (plus other objectives), summarised into models/default/frontier.json, which
 * the README table and the Simulate cell's frontier chart read. Every point is a measured run;
 * its verdict is recomputed here with the engine's `runVerdict` (not taken from the file), with
 * the set-level diversity numbers taken from its evaluation samples where it predates them.
 *
 *   npx tsx scripts/frontier/frontier.ts run [--dir scripts/frontier/runs]   # runs missing grid cells (~4–8 min each on 2 cores)
 *   npx tsx scripts/frontier/frontier.ts summarize [--dir DIR] [--out models/default/frontier.json]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fluencyFailures, runVerdict } from '../../src/engine/learning/frontier';
import type { SimulationFluency } from '../../src/engine/api';
import { runFluency, type CommittedRun } from './committed_run';

/** The grid: β ∈ {0.1, 0.5} × lr ∈ {3e-5, 1e-4, 3e-4} for DPO (sigmoid), plus IPO. */
export const GRID: { objective: string; beta: number; lr: number }[] = [
  ...[0.1, 0.5].flatMap((beta) => [3e-5, 1e-4, 3e-4].map((lr) => ({ objective: 'sigmoid', beta, lr }))),
  { objective: 'ipo', beta: 0.5, lr: 1e-4 },
];
const VOTES = 200;
const SEED = 1;

function cellName(c: { objective: string; beta: number; lr: number }): string {
  return `${c.objective}_b${c.beta}_lr${c.lr}`;
}

function command(c: { objective: string; beta: number; lr: number }): string {
  return `npx duelbook sim --annotator sentiment --objective ${c.objective} --beta ${c.beta} --lr ${c.lr} --votes ${VOTES} --seed ${SEED} --json`;
}

function run(dir: string): void {
  mkdirSync(dir, { recursive: true });
  for (const c of GRID) {
    const out = path.join(dir, `${cellName(c)}.json`);
    if (existsSync(out)) continue;
    console.error(`running ${command(c)}`);
    const args = ['bin/duelbook.mjs', 'sim', '--annotator', 'sentiment', '--objective', c.objective, '--beta', String(c.beta), '--lr', String(c.lr), '--votes', String(VOTES), '--seed', String(SEED), '--json'];
    const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'inherit'] });
    if (r.status !== 0) throw new Error(`${cellName(c)} failed with exit ${r.status}`);
    writeFileSync(out, r.stdout);
  }
}

/**
 * The measured numbers of a run, its settings, and the bar's verdict on it. The fluency is the
 * full SimulationFluency: runs recorded before the set-level numbers get them from their
 * evaluation samples (committed_run.ts).
 */
export type FrontierPoint = Pick<CommittedRun, 'win_rate' | 'win_rate_ci' | 'wins' | 'losses' | 'ties' | 'kl' | 'seconds'> & {
  fluency: SimulationFluency;
  objective: string;
  beta: number;
  lr: number;
  votes: number;
  seed: number;
  stepsPerVote: number;
  batchSize: number;
  verdict: string;
  /** Why the run is not fluent (empty when it is). */
  fluency_failures: string[];
  command: string;
};

function summarize(dir: string, out: string): void {
  const points: FrontierPoint[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const r = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as CommittedRun;
    const t = r.config.trainer;
    if (r.config.votes !== VOTES) continue; // the frontier compares runs of one length
    const c = { objective: t.objective, beta: t.beta, lr: t.lr };
    const { fluency } = runFluency(r);
    const judged = { win_rate_ci: r.win_rate_ci, kl: r.kl, fluency };
    points.push({
      ...c,
      votes: r.config.votes,
      seed: r.config.seed,
      stepsPerVote: t.stepsPerVote,
      batchSize: t.batchSize,
      win_rate: r.win_rate,
      win_rate_ci: r.win_rate_ci,
      wins: r.wins,
      losses: r.losses,
      ties: r.ties,
      kl: r.kl,
      fluency,
      verdict: runVerdict(judged),
      fluency_failures: fluencyFailures(judged),
      seconds: r.seconds,
      command: command(c),
    });
  }
  points.sort((a, b) => a.objective.localeCompare(b.objective) || a.beta - b.beta || a.lr - b.lr);
  const doc = {
    format: 'duelbook.frontier',
    version: 1,
    model: 'default',
    annotator: 'sentiment (AFINN comparative, noiseless)',
    note: 'Measured with `duelbook sim` on the CPU backend; see scripts/frontier/frontier.ts.',
    points,
  };
  writeFileSync(out, JSON.stringify(doc, null, 1) + '\n');
  for (const p of points) {
    console.log(`${p.objective.padEnd(8)} β ${String(p.beta).padEnd(4)} lr ${p.lr.toExponential(0).padEnd(5)} win ${p.win_rate.toFixed(3)} [${p.win_rate_ci.map((x) => x.toFixed(2)).join(', ')}] KL ${p.kl.toFixed(1).padStart(6)} d2 ${p.fluency.policy_distinct2.toFixed(2)}/${p.fluency.reference_distinct2.toFixed(2)} distinct ${p.fluency.policy_distinct_completions.toFixed(2)} words ${p.fluency.policy_mean_words.toFixed(1)}/${p.fluency.reference_mean_words.toFixed(1)} → ${p.verdict}`);
  }
}

const [mode, ...rest] = process.argv.slice(2);
const { values } = parseArgs({ args: rest, options: { dir: { type: 'string', default: 'scripts/frontier/runs' }, out: { type: 'string', default: 'models/default/frontier.json' } } });
if (mode === 'run') {
  run(values.dir!);
  summarize(values.dir!, values.out!);
} else if (mode === 'summarize') summarize(values.dir!, values.out!);
else {
  console.error('usage: frontier.ts run|summarize [--dir DIR] [--out FILE]');
  process.exit(2);
}
