/**
 * What one forward + backward pass of the shipped policy costs at a few batch shapes (CPU
 * backend, Node, one thread), fitted as ms = a·(B·T) + b: b/a is the number of padded rows one
 * extra pass is worth, which `GROUP_OVERHEAD_ROWS` (src/engine/batch.ts) stands for.
 *
 *   npx tsx scripts/bench/pass_cost.ts [--reps 3] [--out FILE.json]
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CpuBackend } from '../../src/engine/backends/cpu';
import { buildBatch } from '../../src/engine/batch';
import { buildPolicy } from '../../src/engine/model/load';

const { values } = parseArgs({ options: { reps: { type: 'string', default: '3' }, out: { type: 'string' } } });
const reps = Number(values.reps);
if (!Number.isInteger(reps) || reps < 1 || reps > 20) throw new Error('--reps must be an integer in 1…20');

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const dir = resolve(root, 'models/default');
const file = (name: string) => readFileSync(resolve(dir, name));
const policy = buildPolicy(new CpuBackend(), {
  name: 'default',
  config: JSON.parse(file('config.json').toString('utf8')),
  tokenizer: JSON.parse(file('tokenizer.json').toString('utf8')),
  weights: file('model.safetensors').buffer.slice(0) as ArrayBuffer,
});
const model = policy.model;

/** One forward + backward on B sequences of T tokens (the completion is all but the first token). */
async function pass(B: number, T: number): Promise<number> {
  const seqs = Array.from({ length: B }, (_, b) => Array.from({ length: T }, (_, t) => (b * 131 + t * 17) % 4000));
  const batch = buildBatch(seqs, seqs.map(() => 1));
  const t0 = performance.now();
  model.zeroGrads();
  const s = model.forward(batch.ids, batch.targets, batch.B, batch.T);
  await model.backend.read(s.logprobs);
  model.backward(s, batch.mask);
  model.releaseForward(s);
  await model.backend.read(model.g('ln_f.bias'));
  return performance.now() - t0;
}

const shapes: [number, number][] = [[1, 16], [2, 24], [4, 24], [4, 48], [8, 32], [8, 48], [16, 32], [16, 48], [16, 73]];
await pass(2, 16); // warm-up
const rows: { B: number; T: number; rows: number; ms: number }[] = [];
for (const [B, T] of shapes) {
  const times: number[] = [];
  for (let r = 0; r < reps; r++) times.push(await pass(B, T));
  times.sort((a, b) => a - b);
  rows.push({ B, T, rows: B * T, ms: Math.round(times[Math.floor(times.length / 2)]! * 10) / 10 });
  console.log(`B ${B} T ${T}: ${rows.at(-1)!.ms} ms`);
}
// Least squares ms = a·rows + b.
const n = rows.length;
const mx = rows.reduce((s, r) => s + r.rows, 0) / n;
const my = rows.reduce((s, r) => s + r.ms, 0) / n;
const a = rows.reduce((s, r) => s + (r.rows - mx) * (r.ms - my), 0) / rows.reduce((s, r) => s + (r.rows - mx) ** 2, 0);
const b = my - a * mx;
const fit = { msPerRow: Math.round(a * 1000) / 1000, msPerPass: Math.round(b * 10) / 10, rowsPerPass: Math.round(b / a) };
console.log(`fit: ${fit.msPerRow} ms per row + ${fit.msPerPass} ms per pass = ${fit.rowsPerPass} rows per pass`);
let code = 'unknown';
try {
  code = execFileSync('git', ['describe', '--always', '--dirty', '--abbrev=12'], { cwd: root, encoding: 'utf8' }).trim();
} catch {
  // Not a git checkout: the JSON says so.
}
if (values.out) {
  const report = {
    what: 'one forward + backward pass of the shipped policy, CPU backend, Node, one thread; median of reps',
    command: `npx tsx scripts/bench/pass_cost.ts --reps ${reps}`,
    code,
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? 'unknown', node: process.version, loadAverage1m: os.loadavg()[0] },
    rows,
    fit,
  };
  writeFileSync(values.out, JSON.stringify(report, null, 2) + '\n');
}
