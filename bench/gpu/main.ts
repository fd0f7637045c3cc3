/**
 * The Node-only GPU benchmark (issue 15, item 6): one script, bundled with a Node binary, Dawn's
 * `dawn.node` and a Vulkan loader by scripts/gpu_bundle/build.mjs, for a GPU machine that has no
 * Node, no browser and no package registry. It runs our kernels and model only.
 *
 *   gpu_bench.mjs [--smoke] [--model DIR] [--out DIR] [--budget-s S]
 *
 * --model   the shipped policy's directory (config.json, tokenizer.json, model.safetensors);
 *           default: models/default under the working directory (the repository root: the
 *           model travels with the repository, not in the bundle)
 * --out     writes gpu-bench.json and gpu-bench.md there; the table is printed either way
 * --budget-s  stop starting new cases after this many seconds (default 420: the GPU run has 8
 *           minutes); a case skipped for time is listed as such, never dropped silently
 *
 * Exit status 1 when a case failed or the adapter is missing, so a run that measured nothing
 * cannot pass for one that did.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { create, globals } from 'webgpu';
import { createWebGpuBackend, type WebGpuBackend } from '../../src/engine/backends/webgpu';
import { checkCheckpoint, placePolicy } from '../../src/engine/model/load';
import { caseDecode, caseDpoVote, caseMatmul, GPT2_124M, gpuSizes, modelLabel, randomModel, SMOKE_MODEL, type BenchModel, type GpuMode, type GpuRow } from './gpu_cases';
import { gpuMarkdown, type GpuRunMeta } from './gpu_report';

const { values } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    model: { type: 'string' },
    out: { type: 'string' },
    'budget-s': { type: 'string', default: '420' },
  },
});
const mode: GpuMode = values.smoke ? 'smoke' : 'full';
const modelDir = resolve(values.model ?? 'models/default');
const budgetMs = Number(values['budget-s']) * 1000;
const started = performance.now();
const startedAt = new Date().toISOString();
const log = (msg: string) => console.error(`[gpu-bench ${((performance.now() - started) / 1000).toFixed(1)} s] ${msg}`);

Object.assign(globalThis, globals);
const gpu = create([]) as GPU;
let be: WebGpuBackend;
try {
  be = await createWebGpuBackend(gpu, { powerPreference: 'high-performance' });
} catch (e) {
  console.error(`no WebGPU adapter: ${(e as Error).message}`);
  console.error('Vulkan needs a driver: VK_ICD_FILENAMES / VK_DRIVER_FILES may point at its ICD json (run.sh looks in the usual places).');
  process.exit(1);
}
log(`adapter: ${be.deviceLabel}`);

const sizes = gpuSizes(mode);
const shippedFiles = {
  name: 'shipped policy',
  config: JSON.parse(readFileSync(join(modelDir, 'config.json'), 'utf8')) as unknown,
  tokenizer: JSON.parse(readFileSync(join(modelDir, 'tokenizer.json'), 'utf8')) as unknown,
  weights: new Uint8Array(readFileSync(join(modelDir, 'model.safetensors'))).buffer,
};
// Checked once on the host (config, tokenizer, weights): each case places its own copy on the
// device (the DPO case needs a policy and a reference), with no throwaway upload first.
const checked = checkCheckpoint(shippedFiles);
const shipped: BenchModel = {
  name: 'shipped',
  config: checked.config,
  prompt: checked.tokenizer.encode('The sea was calm and the ship moved slowly toward the harbour at dawn'),
  build: () => placePolicy(be, checked).model,
};
const big = randomModel(be, mode === 'smoke' ? 'tiny stand-in' : 'GPT-2-124M-shaped', mode === 'smoke' ? SMOKE_MODEL : GPT2_124M);

const rows: GpuRow[] = [];
const failures: string[] = [];
const skipped: string[] = [];
const cases: [string, () => Promise<GpuRow[]>][] = [
  ['matmul', () => caseMatmul(be, [shipped, big], sizes)],
  [`decode ${shipped.name}`, async () => [
    await caseDecode(be, shipped, sizes, 'greedy'),
    await caseDecode(be, shipped, sizes, 'plain'),
    await caseDecode(be, shipped, sizes, 'playground'),
  ]],
  [`dpo ${shipped.name}`, async () => [await caseDpoVote(be, shipped, sizes)]],
  [`decode ${big.name}`, async () => [await caseDecode(be, big, sizes, 'greedy'), await caseDecode(be, big, sizes, 'plain')]],
  [`dpo ${big.name}`, async () => [await caseDpoVote(be, big, sizes)]],
];
for (const [name, run] of cases) {
  if (performance.now() - started > budgetMs) {
    skipped.push(name);
    log(`${name}: skipped, over the ${values['budget-s']} s budget`);
    continue;
  }
  try {
    const got = await run();
    rows.push(...got);
    for (const r of got) log(`${r.case} — ${r.model}: ${r.value} ${r.unit}`);
  } catch (e) {
    failures.push(`${name}: ${(e as Error).stack ?? String(e)}`);
    log(`${name} FAILED: ${(e as Error).message}`);
  }
}
if (be.errors.length) failures.push(`device errors: ${be.errors.slice(0, 5).join(' | ')}`);

const meta: GpuRunMeta = {
  mode,
  startedAt,
  durationS: (performance.now() - started) / 1000,
  adapter: be.deviceLabel,
  software: be.isSoftware,
  node: process.version,
  cpu: `${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length}`,
  loadAverage: loadavg(),
  models: [modelLabel(shipped), modelLabel(big)],
  reps: sizes.reps,
  warmup: sizes.warmup,
  command: `gpu_bench.mjs ${process.argv.slice(2).join(' ')}`.trim(),
  failures,
  skipped,
};
const md = gpuMarkdown(rows, meta);
console.log(md);
if (values.out) {
  mkdirSync(values.out, { recursive: true });
  writeFileSync(join(values.out, 'gpu-bench.json'), JSON.stringify({ meta, rows }, null, 1) + '\n');
  writeFileSync(join(values.out, 'gpu-bench.md'), md + '\n');
}
be.dispose();
process.exit(failures.length ? 1 : 0);
