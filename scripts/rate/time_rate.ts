/**
 * Times `node bin/duelbook.mjs rate --input FILE --json` end to end (a fresh process, as a user
 * runs it) and writes the record as JSON:
 *   npx tsx scripts/rate/make_battles.ts .work/b10k.jsonl 10000 1000000 12
 *   npx tsx scripts/rate/time_rate.ts .work/b10k.jsonl scripts/rate/runs/rate_10k.json
 * The record holds the command, the input's SHA-256 (so a rerun can check it timed the same
 * file), wall seconds, the progress lines rate printed on stderr, and the output's summary.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';

const [input, record, ...extra] = process.argv.slice(2);
if (!input || !record) throw new Error('usage: time_rate.ts INPUT.jsonl RECORD.json [extra rate flags]');
const sha256 = createHash('sha256').update(readFileSync(input)).digest('hex');
const args = ['bin/duelbook.mjs', 'rate', '--input', input, '--json', ...extra];
const loadAverage1mBefore = +os.loadavg()[0]!.toFixed(2);
const t0 = performance.now();
// GNU time's last stderr line gives the child's CPU seconds, which the shared machine's load
// inflates far less than wall time.
const run = spawnSync('/usr/bin/time', ['-f', 'cpu %U %S', process.execPath, ...args], { encoding: 'utf8', maxBuffer: 1 << 30 });
const seconds = (performance.now() - t0) / 1000;
if (run.status !== 0) throw new Error(`rate exited ${run.status}: ${run.stderr.slice(-500)}`);
const stderrLines = run.stderr.trim().split('\n');
const [, user, sys] = stderrLines.pop()!.split(' ').map(Number);
const out = JSON.parse(run.stdout) as { ratings: unknown[]; battles: number; ciMethod: string; skipped: number };
const result = {
  command: `node ${args.join(' ')}`,
  input: { path: input, sha256 },
  wallSeconds: +seconds.toFixed(2),
  cpuSeconds: { user: user!, system: sys! },
  competitors: out.ratings.length,
  battles: out.battles,
  ciMethod: out.ciMethod,
  progress: stderrLines,
  machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? 'unknown', loadAverage1mBefore, loadAverage1mAfter: +os.loadavg()[0]!.toFixed(2), node: process.version },
  measuredAt: new Date().toISOString(),
};
writeFileSync(record, JSON.stringify(result, null, 2) + '\n');
console.log(JSON.stringify(result, null, 2));
