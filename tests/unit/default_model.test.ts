import { describe, it, expect, beforeAll } from 'vitest';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-web';
import { main } from '../../src/cli/main';
import type { CliIO } from '../../src/cli/io';
import { DEFAULT_MODEL_DIR } from '../../src/cli/model_dir';
import { loadCliPolicy } from '../../src/cli/policy_cli';
import { buildBatch } from '../../src/engine/batch';
import { countParams } from '../../src/engine/model/config';
import type { LoadedPolicy } from '../../src/engine/model/load';

// Golden: tests/golden/default_model_logprobs.json, written by scripts/golden/make_fixtures.py
// --default (PyTorch, float64, from the shipped float32 weights). Bar: within 1e-3.
const golden = JSON.parse(readFileSync(new URL('../golden/default_model_logprobs.json', import.meta.url), 'utf8')) as {
  sequences: { ids: number[]; logprobs: number[] }[];
};

async function run(argv: string[]) {
  let out = '';
  let err = '';
  const io: CliIO = { stdout: (s) => (out += s), stderr: (s) => (err += s), readFile: async () => '', isTTY: false };
  return { code: await main(argv, io), out, err };
}

describe('the shipped default policy (models/default)', () => {
  let policy: LoadedPolicy;
  beforeAll(async () => {
    policy = await loadCliPolicy(undefined);
  });

  it('is a 2–10 M-parameter GPT-2 that fits the 25 MB budget with its ONNX export', () => {
    const n = countParams(policy.config);
    expect(n).toBeGreaterThanOrEqual(2e6);
    expect(n).toBeLessThanOrEqual(10e6);
    const bytes = readdirSync(DEFAULT_MODEL_DIR).reduce((s, f) => s + statSync(path.join(DEFAULT_MODEL_DIR, f)).size, 0);
    expect(bytes).toBeLessThanOrEqual(25 * 1024 * 1024);
  });

  it('npx duelbook logprobs --ids matches PyTorch within 1e-3', async () => {
    let worst = 0;
    for (const s of golden.sequences) {
      const r = await run(['logprobs', '--ids', s.ids.join(','), '--json']);
      expect(r.code, r.err).toBe(0);
      const ours = JSON.parse(r.out).logprobs as number[];
      expect(ours.length).toBe(s.logprobs.length);
      ours.forEach((lp, i) => (worst = Math.max(worst, Math.abs(lp - s.logprobs[i]))));
    }
    console.log(`shipped model vs PyTorch: max |Δ log-prob| = ${worst.toExponential(2)}`);
    expect(worst).toBeLessThanOrEqual(1e-3);
  });

  it('generate uses it by default and is seeded', async () => {
    const args = ['generate', '--prompt', 'The sea was', '--max-tokens', '12', '--seed', '5', '--json'];
    const a = await run(args);
    expect(a.code, a.err).toBe(0);
    const j = JSON.parse(a.out);
    expect(j.ids.length).toBeGreaterThan(0);
    expect(j.text.trim().length).toBeGreaterThan(0);
    expect(JSON.parse((await run(args)).out)).toEqual(j);
  });

  it('onnxruntime-web (wasm) gives the same logits as our engine within 1e-3 on the golden sequences', async () => {
    ort.env.wasm.numThreads = 1;
    const session = await ort.InferenceSession.create(readFileSync(path.join(DEFAULT_MODEL_DIR, 'model.onnx')), {
      executionProviders: ['wasm'],
      // The export keeps its weights as external data in model.safetensors (no second copy).
      externalData: [{ path: 'model.safetensors', data: readFileSync(path.join(DEFAULT_MODEL_DIR, 'model.safetensors')) }],
    });
    const seqs = golden.sequences.map((s) => s.ids);
    const batch = buildBatch(seqs, seqs.map(() => 1));
    const ids = BigInt64Array.from(batch.ids, (x) => BigInt(x));
    const out = await session.run({ input_ids: new ort.Tensor('int64', ids, [batch.B, batch.T]) });
    const theirs = out.logits.data as Float32Array;
    const s = policy.model.forward(batch.ids, batch.targets, batch.B, batch.T);
    const ours = await policy.model.backend.read(s.logits);
    policy.model.releaseForward(s);
    const V = policy.config.vocabSize;
    let worst = 0;
    seqs.forEach((seq, b) => {
      for (let t = 0; t < seq.length; t++) {
        for (let v = 0; v < V; v++) {
          const i = (b * batch.T + t) * V + v;
          worst = Math.max(worst, Math.abs(ours[i] - theirs[i]));
        }
      }
    });
    await session.release();
    console.log(`ORT wasm vs ours: max |Δ logit| = ${worst.toExponential(2)}`);
    expect(worst).toBeLessThanOrEqual(1e-3);
  });
});
