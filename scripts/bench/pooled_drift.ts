/**
 * Does the same draw get slower from vote 5 to vote 30? The pooled fit of bench/pooled_drift.ts
 * (pairMs = a_run + b·steps + c·vote, R = vote 30 over vote 5 at the median steps, bootstrap
 * interval) over committed runs, the page and Node reported apart:
 *
 * - page: the `timings` of each scripts/bench/page_latency.ts run given;
 * - node: the `nodeLoop.timings` of those runs, and each of the `sessions` of a
 *   scripts/bench/node_loop.ts run; when both kinds are given, also "node after page" and
 *   "node alone", each kind on its own.
 *
 *   npx tsx scripts/bench/pooled_drift.ts RUN.json [RUN.json …] [--windows 1-30,5-30]
 *        [--block-lengths 1,5] [--seed 0] [--samples 2000] [--out FILE.json]
 *
 * Each window × block length is one fit per leg; the first of each is the headline. A block
 * length over 1 resamples consecutive votes together, for when a run's residuals are correlated
 * in vote order (the fit reports their lag-1 autocorrelation). Reads files only; nothing is timed.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { pooledSameDrawDrift, type DriftRecord, type PooledDriftResult } from '../../bench/pooled_drift.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    windows: { type: 'string', default: '1-30' },
    'block-lengths': { type: 'string', default: '1' },
    seed: { type: 'string', default: '0' },
    samples: { type: 'string', default: '2000' },
    out: { type: 'string' },
  },
});
if (positionals.length === 0) throw new Error('give one or more run files (scripts/bench/runs/*.json)');
const windows = values.windows.split(',').map((w) => {
  const m = /^(\d+)-(\d+)$/.exec(w.trim());
  if (!m || Number(m[1]) > Number(m[2])) throw new Error(`--windows: "${w}" is not FROM-TO with FROM ≤ TO`);
  return { fromVote: Number(m[1]), toVote: Number(m[2]) };
});
const blockLengths = values['block-lengths'].split(',').map((b) => {
  const n = Number(b);
  if (!Number.isInteger(n) || n < 1 || n > 30) throw new Error(`--block-lengths: "${b}" is not an integer in 1…30`);
  return n;
});
const seed = Number(values.seed);
const samples = Number(values.samples);
if (!Number.isInteger(seed)) throw new Error('--seed must be an integer');
if (!Number.isInteger(samples) || samples < 100 || samples > 100_000) throw new Error('--samples must be an integer in 100…100000');

interface Timing {
  vote: number;
  pairMs: number;
  pairTokens?: number;
}
interface Leg {
  leg: 'page' | 'node';
  /**
   * Node legs: after the page in page_latency.ts's own process (`nodeLoop` without `process`, the
   * older runs), after the page in a child process (`nodeLoop.process`), or node_loop.ts's sessions.
   */
  nodeSource?: 'afterPage' | 'childAfterPage' | 'alone';
  run: string;
  timings: Timing[];
}

/** The legs a run file holds: a page_latency.ts run has `timings` (page) and maybe `nodeLoop`; a node_loop.ts run has `sessions`. */
function legsOf(file: string): { legs: Leg[]; code: string | null; date: string | null } {
  const json = JSON.parse(readFileSync(file, 'utf8')) as {
    timings?: Timing[];
    nodeLoop?: { process?: string; timings: Timing[] };
    sessions?: { timings: Timing[] }[];
    code?: string;
    date?: string;
  };
  const name = basename(file, '.json');
  const legs: Leg[] = [];
  if (json.timings) legs.push({ leg: 'page', run: name, timings: json.timings });
  if (json.nodeLoop) legs.push({ leg: 'node', nodeSource: json.nodeLoop.process ? 'childAfterPage' : 'afterPage', run: `${name}:nodeLoop`, timings: json.nodeLoop.timings });
  json.sessions?.forEach((s, i) => legs.push({ leg: 'node', nodeSource: 'alone', run: `${name}:session${i + 1}`, timings: s.timings }));
  if (legs.length === 0) throw new Error(`${file}: neither timings, nodeLoop nor sessions`);
  return { legs, code: json.code ?? null, date: json.date ?? null };
}

const inputs = positionals.map((file) => ({ file, ...legsOf(file) }));
// A run whose pairs do not all say their tokens cannot be read at the same steps: left out by name.
const withoutTokens = inputs.flatMap((i) => i.legs.filter((l) => l.timings.some((t) => t.pairTokens === undefined)).map((l) => l.run));
const recordsOf = (keep: (l: Leg) => boolean): DriftRecord[] =>
  inputs.flatMap((i) =>
    i.legs
      .filter((l) => keep(l) && !withoutTokens.includes(l.run))
      .flatMap((l) => l.timings.map((t) => ({ run: l.run, vote: t.vote, pairMs: t.pairMs, pairTokens: t.pairTokens! }))),
  );

const r2 = (x: number) => Math.round(x * 100) / 100;
const r3 = (x: number) => Math.round(x * 1000) / 1000;
/** Where R's interval sits against the issue's ±20 %: inside, clear of it, or across its edge. */
function againstTwentyPercent([lo, hi]: [number, number]): 'within' | 'outside' | 'undecided' {
  if (lo >= 0.8 && hi <= 1.2) return 'within';
  if (hi < 0.8 || lo > 1.2) return 'outside';
  return 'undecided';
}
/** The fit as recorded: rounded for reading, the interval's verdict beside it. */
function report(fit: PooledDriftResult) {
  if (!fit.ok) return fit;
  const b = fit.bootstrap;
  return {
    window: `votes ${fit.window.fromVote}–${fit.window.toVote}`,
    blockLength: b.blockLength,
    runs: fit.runs.map((r) => ({ ...r, interceptMs: r2(r.interceptMs) })),
    excludedRuns: fit.excludedRuns,
    votes: fit.votes,
    medianSteps: fit.medianSteps,
    perStepMs: r3(fit.perStepMs),
    perStepMs95: b.perStepMs95.map(r3),
    perStepSeMs: r3(fit.perStepSeMs),
    perVoteMs: r3(fit.perVoteMs),
    perVoteMs95: b.perVoteMs95.map(r3),
    perVoteSeMs: r3(fit.perVoteSeMs),
    stepsVary: fit.stepsVary,
    residualSdMs: r2(fit.residualSdMs),
    residualLag1: r2(fit.residualLag1),
    sameDrawMs: r2(fit.sameDrawMs),
    [`atVote${fit.earlyVote}Ms`]: r2(fit.atEarlyVoteMs),
    [`atVote${fit.lateVote}Ms`]: r2(fit.atLateVoteMs),
    ratio: r3(fit.ratio),
    ratio95: b.ratio95.map(r3),
    ratio95AgainstTwentyPercent: againstTwentyPercent(b.ratio95),
    bootstrap: { seed: b.seed, samples: b.samples, used: b.used },
  };
}

// The fit shares one drift c across the runs pooled. The Node leg in the bench's own process
// after a page run, the Node leg in a child process after the page, and node_loop.ts alone are
// different conditions (README: the first slowed late; the second starts as Chromium exits), so
// each kind present is also fitted on its own, beside the pooled "node", and every run alone.
const allLegs = inputs.flatMap((i) => i.legs);
const kinds: [string, Leg['nodeSource']][] = [
  ['node after page, same process', 'afterPage'],
  ['node after page, child process', 'childAfterPage'],
  ['node alone', 'alone'],
];
const present = kinds.filter(([, k]) => allLegs.some((l) => l.nodeSource === k));
const legSelections: [string, (l: Leg) => boolean][] = [
  ['page', (l) => l.leg === 'page'],
  ['node', (l) => l.leg === 'node'],
  ...(present.length > 1 ? present.map(([name, k]): [string, (l: Leg) => boolean] => [name, (l) => l.nodeSource === k]) : []),
  ...allLegs.map((l): [string, (l: Leg) => boolean] => [`run ${l.run}${l.leg === 'page' ? ' (page)' : ''}`, (m) => m === l]),
];
const results = Object.fromEntries(
  legSelections.map(([leg, keep]) => {
    const records = recordsOf(keep);
    const fits = records.length === 0 ? [] : windows.flatMap((w) => blockLengths.map((blockLength) => report(pooledSameDrawDrift(records, { ...w, seed, samples, blockLength }))));
    return [leg, { runs: [...new Set(records.map((r) => r.run))], fits }];
  }),
);

let code = 'unknown';
try {
  code = execFileSync('git', ['describe', '--always', '--dirty'], { encoding: 'utf8' }).trim();
} catch {
  // Not a checkout: the code stays unknown.
}
const result = {
  what: 'next pair at vote 30 over vote 5 for the same draw: pairMs = a_run + b·steps + c·vote by least squares over the runs pooled (steps = pairTokens + 1), R = (m + 30c)/(m + 5c) with m the mean over runs of a_run + b·median steps; 95 % percentile bootstrap resampling votes (or blocks of consecutive votes) within each run',
  command: `npx tsx scripts/bench/pooled_drift.ts ${positionals.join(' ')} --windows ${values.windows} --block-lengths ${values['block-lengths']} --seed ${seed} --samples ${samples}`,
  date: new Date().toISOString(),
  code,
  inputs: inputs.map((i) => ({ file: i.file, code: i.code, date: i.date, legs: i.legs.map((l) => `${l.leg}: ${l.run} (${l.timings.length} votes)`) })),
  ...(withoutTokens.length ? { leftOutWithoutTokens: withoutTokens } : {}),
  caveats: [
    'the interval covers the scatter of votes within the runs given, not how a run on another day, load or machine would differ: each run keeps its own intercept, and two to four runs say little about how c itself varies between runs',
    'block length 1 treats a run\'s residuals as independent; where residualLag1 is well above 0 the block-5 interval is the fairer one',
    'the fit draws a straight line through the votes: a warm-up at vote 1 (the first draw of a fresh engine) pulls c down over votes 1–30, hence the windows from vote 2 and from vote 5 (the item compares votes 5 and 30)',
    'runs started from the same seed draw the same pairs (the Node legs all do), so whatever is particular to the prompts at given votes is common to them and does not average out',
  ],
  results,
};

const rows = [['leg', 'window', 'block', 'runs', 'votes', 'b ms/step', 'c ms/vote [95 %]', 'R 30/5 [95 %]', 'vs ±20 %', 'resid lag1']];
for (const [leg, { fits }] of Object.entries(results)) {
  for (const f of fits) {
    if ('ok' in f) {
      rows.push([leg, '', '', '', '', '', `no fit: ${f.reason}`, '', '', '']);
      continue;
    }
    const [clo, chi] = f.perVoteMs95;
    const [rlo, rhi] = f.ratio95;
    rows.push([leg, f.window, String(f.blockLength), String(f.runs.length), String(f.votes), f.perStepMs.toFixed(2), `${f.perVoteMs.toFixed(2)} [${clo!.toFixed(2)}, ${chi!.toFixed(2)}]`, `${f.ratio.toFixed(3)} [${rlo!.toFixed(3)}, ${rhi!.toFixed(3)}]`, f.ratio95AgainstTwentyPercent, f.residualLag1.toFixed(2)]);
  }
}
const widths = rows[0]!.map((_, j) => Math.max(...rows.map((r) => r[j]!.length)));
for (const r of rows) process.stdout.write(r.map((cell, j) => cell.padEnd(widths[j]!)).join('  ').trimEnd() + '\n');
if (withoutTokens.length) process.stdout.write(`left out (pairs without tokens): ${withoutTokens.join(', ')}\n`);
if (values.out) writeFileSync(values.out, JSON.stringify(result, null, 2) + '\n');
