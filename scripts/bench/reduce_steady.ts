/**
 * One vote's reduce at the playground's defaults, vote after vote, in Node: what the page's
 * engine does per vote once the DPO minibatch has filled (2 steps on 8 pairs of up to 64 sampled
 * tokens), which `npm run bench`'s vote row (short fixed completions, a few repetitions) does
 * not reach. The pairs are drawn first, from the shipped policy at the Duel's default sampling
 * on the shipped prompts in turn (untimed), so every checkout and thread count reduces the same
 * candidates whatever the training does to the policy; then each vote times
 * `EngineService.reduce` of one pair intent.
 *
 *   npx tsx scripts/bench/reduce_steady.ts [--votes 14] [--threads 1] [--out FILE.json]
 *
 * --threads N runs the CPU backend's matmul on N threads (startMatmulThreads); the page's
 * engine uses every core up to 4. Written to run unchanged on older checkouts too (the thread
 * API is looked up, not imported), so a before/after pair is the same script.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { EngineService } from '../../src/engine/service';
import { createIdGenerator, createStarterSession, learningSettings } from '../../src/session/index';

const { values } = parseArgs({
  options: {
    votes: { type: 'string', default: '14' },
    threads: { type: 'string', default: '1' },
    out: { type: 'string' },
  },
});
const votes = Number(values.votes);
const threads = Number(values.threads);
if (!Number.isInteger(votes) || votes < 9 || votes > 100) throw new Error('--votes must be an integer in 9…100');
if (!Number.isInteger(threads) || threads < 1 || threads > 16) throw new Error('--threads must be an integer in 1…16');

const loadBefore = os.loadavg()[0];
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
let code = 'unknown';
try {
  code = execFileSync('git', ['describe', '--always', '--dirty', '--abbrev=12'], { cwd: root, encoding: 'utf8' }).trim();
} catch {
  // Not a git checkout: the JSON says so.
}

const matmul = (await import('../../src/kernels/wasm/matmul')) as { startMatmulThreads?: (n: number) => Promise<number> };
let threadsUsed = 1;
if (threads > 1) {
  if (!matmul.startMatmulThreads) throw new Error('this checkout has no threaded matmul: run with --threads 1');
  threadsUsed = await matmul.startMatmulThreads(threads);
}

const dir = resolve(root, 'models/default');
const file = (name: string) => readFileSync(resolve(dir, name));
const starter = createStarterSession(createIdGenerator({ seed: 1 }), { title: 'reduce_steady', now: 0 });
const trainCell = starter.cells.find((c) => c.kind === 'train');
const duelCell = starter.cells.find((c) => c.kind === 'duel');
if (trainCell?.kind !== 'train' || duelCell?.kind !== 'duel') throw new Error('the starter session lacks a Train or Duel cell');
const settings = learningSettings(trainCell.config, duelCell.config);
const sampling = duelCell.config.sampling;

const engine = new EngineService(undefined);
await engine.loadModel(
  {
    kind: 'files',
    name: 'default',
    config: file('config.json').toString('utf8'),
    tokenizer: file('tokenizer.json').toString('utf8'),
    weights: file('model.safetensors').buffer.slice(0) as ArrayBuffer,
  },
  'cpu',
);
await engine.reduce({ intents: [{ seq: 0, type: 'settings', settings }] });
const prompts = (JSON.parse(file('prompts.json').toString('utf8')) as { prompts?: string[] } | string[]);
const promptList = Array.isArray(prompts) ? prompts : (prompts.prompts ?? []);
if (promptList.length === 0) throw new Error('models/default/prompts.json has no prompts');
const pairs: { prompt: string; aIds: number[]; bIds: number[] }[] = [];
for (let v = 1; v <= votes; v++) {
  const prompt = promptList[(v - 1) % promptList.length]!;
  const gen = await engine.generate({
    prompt, numSequences: 2, maxNewTokens: sampling.maxTokens,
    temperature: sampling.temperature, topK: sampling.topK, topP: sampling.topP, seed: 1000 + v,
  });
  const [aIds, bIds] = gen.tokenIds as [number[], number[]];
  pairs.push({ prompt, aIds, bIds });
}
const ms: number[] = [];
for (const [i, p] of pairs.entries()) {
  const t0 = performance.now();
  await engine.reduce({ intents: [{ seq: i + 1, type: 'pair', prompt: p.prompt, aIds: p.aIds, bIds: p.bIds, outcome: i % 2 ? 'b' : 'a' }] });
  ms.push(performance.now() - t0);
  process.stderr.write(`vote ${i + 1}: ${ms[i]!.toFixed(0)} ms\n`);
}
await engine.dispose();

// Votes 9 onwards: the minibatch of 8 pairs is full from the 8th vote on.
const steady = ms.slice(8).sort((a, b) => a - b);
const result = {
  what: "EngineService.reduce of one pair intent at the playground's defaults, per vote, Node, CPU backend",
  command: `npx tsx scripts/bench/reduce_steady.ts --votes ${votes} --threads ${threads}`,
  code,
  date: new Date().toISOString(),
  machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model.trim() ?? 'unknown', node: process.version, loadAverage1mBefore: loadBefore },
  settings,
  sampling,
  threads: threadsUsed,
  steadyMedianMs: Math.round(steady[steady.length >> 1]!),
  steadyWindow: `votes 9–${votes}`,
  votes: ms.map((m, i) => ({ vote: i + 1, reduceMs: Math.round(m), pairTokens: pairs[i]!.aIds.length + pairs[i]!.bIds.length })),
};
const text = `${JSON.stringify(result, null, 2)}\n`;
if (values.out) writeFileSync(values.out, text);
else process.stdout.write(text);
process.exit(0);
