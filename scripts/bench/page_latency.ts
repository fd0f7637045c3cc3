/**
 * Page-level latency of the voting loop (issue "Real time"): the playground in headless Chromium
 * on the shipped model with its defaults, a person who reads each pair for `--read-ms` and then
 * votes A; with `--node`, the same loop in Node beside it. What is timed and how: bench/page_latency.ts.
 * `npm run bench` runs the same measurement as its page rows (group 8).
 *
 *   npx tsx scripts/bench/page_latency.ts [--votes 30] [--read-ms 1000] [--node] [--steps-per-vote N]
 *        [--batch-size N] [--out FILE.json]
 *
 * --steps-per-vote / --batch-size set the Train cell's fields before the first vote (and the
 * Node loop's settings); without them the starter session's defaults run.
 *
 * --node runs the Node leg after the page, in a process of its own (scripts/bench/node_loop.ts,
 * one session). Why: run in this process, after Vite and Playwright, the same seeded draws got
 * slower late in the session (votes 23–30 of page_latency_30_same_draw_2.json: 6–7 ms per decode
 * step against about 4 early), while two sessions in a fresh process stayed flat
 * (runs/node_loop_30x2.json; scripts/bench/runs/pooled_drift.json fits both). The cause is not
 * known; the engine's own draw does not show it, so the leg is measured where the harness
 * cannot touch it.
 *
 * It starts its own Vite server on 127.0.0.1 and stops by itself. Timings are for this machine
 * (the JSON records its CPUs and load); the backend is whatever "auto" picks in this Chromium.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { measurePageLatency, type LatencySummary, type VoteTiming } from '../../bench/page_latency.ts';

const { values } = parseArgs({
  options: {
    votes: { type: 'string', default: '30' },
    'read-ms': { type: 'string', default: '1000' },
    node: { type: 'boolean', default: false },
    'steps-per-vote': { type: 'string' },
    'batch-size': { type: 'string' },
    out: { type: 'string' },
  },
});
const votes = Number(values.votes);
const readMs = Number(values['read-ms']);
if (!Number.isInteger(votes) || votes < 1 || votes > 200) throw new Error('--votes must be an integer in 1…200');
// The Node leg (scripts/bench/node_loop.ts) needs 20 votes for its late/early fits: refuse now, not after the page ran.
if (values.node && votes < 20) throw new Error('--node needs --votes ≥ 20');
if (!Number.isFinite(readMs) || readMs < 0) throw new Error('--read-ms must be ≥ 0');

/** The commit measured (with "-dirty" when the checkout had uncommitted changes). */
function codeVersion(): string {
  try {
    return execFileSync('git', ['describe', '--always', '--dirty', '--abbrev=12'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

const train = {
  ...(values['steps-per-vote'] !== undefined ? { stepsPerVote: Number(values['steps-per-vote']) } : {}),
  ...(values['batch-size'] !== undefined ? { batchSize: Number(values['batch-size']) } : {}),
};
const flags = `${train.stepsPerVote !== undefined ? ` --steps-per-vote ${train.stepsPerVote}` : ''}${train.batchSize !== undefined ? ` --batch-size ${train.batchSize}` : ''}`;
const log = (s: string) => process.stderr.write(`${s}\n`);
const loadBefore = os.loadavg()[0]!;
const page = await measurePageLatency({ votes, readMs, train, log });
/** The Node leg in its own process: scripts/bench/node_loop.ts, one session of the same votes and settings. */
function nodeLegInItsOwnProcess(): { summary: LatencySummary; policySteps: number; timings: VoteTiming[]; loadAverage1mBefore: number } {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
  const args = ['tsx', 'scripts/bench/node_loop.ts', '--votes', String(votes), '--repeats', '1', ...flags.trim().split(' ').filter(Boolean)];
  log(`node leg: npx ${args.join(' ')}`);
  const out = execFileSync('npx', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20 });
  const child = JSON.parse(out) as { machine: { loadAverage1mBefore: number }; sessions: { summary: LatencySummary; policySteps: number; timings: VoteTiming[] }[] };
  const session = child.sessions[0]!;
  return { summary: session.summary, policySteps: session.policySteps, timings: session.timings, loadAverage1mBefore: child.machine.loadAverage1mBefore };
}
const node = values.node ? nodeLegInItsOwnProcess() : null;
const result = {
  what: 'key press → next votable pair and → updated weights, in the page (headless Chromium), shipped model, playground defaults' + (node ? '; and the same loop in Node' : ''),
  command: `npx tsx scripts/bench/page_latency.ts --votes ${votes} --read-ms ${readMs}${node ? ' --node' : ''}${flags}`,
  train: Object.keys(train).length ? train : "the starter session's",
  date: new Date().toISOString(),
  code: codeVersion(),
  machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? 'unknown', loadAverage1mBefore: Math.round(loadBefore * 10) / 10, node: process.version },
  backend: page.backend,
  readMs,
  votes,
  summary: page.summary,
  policySteps: page.policySteps,
  timings: page.timings,
  pageErrors: page.pageErrors,
  ...(node ? { nodeLoop: { process: 'its own: scripts/bench/node_loop.ts --repeats 1, after the page', loadAverage1mBefore: node.loadAverage1mBefore, summary: node.summary, policySteps: node.policySteps, timings: node.timings } } : {}),
};
const json = JSON.stringify(result, null, 2) + '\n';
if (values.out) writeFileSync(values.out, json);
process.stdout.write(json);
