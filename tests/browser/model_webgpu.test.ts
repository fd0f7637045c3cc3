import { describe, it, expect, beforeAll } from 'vitest';
import { createWebGpuBackend } from '../../src/engine/backends/webgpu';
import { CpuBackend } from '../../src/engine/backends/cpu';
import type { Backend } from '../../src/engine/backend';
import { GPT2Model } from '../../src/engine/model/gpt2';
import { AdamW, sftStep } from '../../src/engine/optim';
import { generateAll, generateTokens } from '../../src/engine/generate';
import { forwardSummed, lengthGroups, scoreSequences, scoreSequencesUnder } from '../../src/engine/batch';
import type { WebGpuBackend } from '../../src/engine/backends/webgpu';
import { DEFAULT_TRAINER, PreferenceTrainer } from '../../src/engine/learning/trainer';
import type { StepMetrics, TrainerSettings } from '../../src/engine/api';
import { tinyGoldenParity, type TinyGolden } from '../support/golden_parity';
import { TINY_CONFIG, randomBatch, randomWeights } from '../support/tiny_model';
import golden from '../golden/tiny_gpt2/expected.json';
import goldenConfig from '../golden/tiny_gpt2/config.json';
import goldenWeightsUrl from '../golden/tiny_gpt2/model.safetensors?url';

/** max|a − b| / max(max|b|, 1e-6): the error relative to the reference's scale. */
function relErr(a: Float32Array, b: Float32Array): number {
  let num = 0;
  let den = 1e-6;
  for (let i = 0; i < b.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / den;
}

/** A DPO trainer on two copies of one random tiny model, with four pairs buffered. */
function pairTrainer(be: Backend, weightSeed: number, settings: Partial<TrainerSettings> = {}) {
  const policy = new GPT2Model(be, TINY_CONFIG, randomWeights(TINY_CONFIG, weightSeed, 0.1));
  const reference = new GPT2Model(be, TINY_CONFIG, randomWeights(TINY_CONFIG, weightSeed, 0.1));
  const trainer = new PreferenceTrainer(policy, reference, { ...DEFAULT_TRAINER, lr: 1e-2, batchSize: 3, seed: 5, ...settings });
  const seq = (n: number, salt: number) => Array.from({ length: n }, (_, k) => (salt * 7 + k * 3 + 1) % (TINY_CONFIG.vocabSize - 1));
  for (let i = 0; i < 4; i++) {
    trainer.add({ kind: 'pair', promptIds: seq(2, i), chosen: { ids: seq(2 + (i % 3), i + 10), ref: -1 }, rejected: { ids: seq(5 - (i % 3), i + 20), ref: -2 } });
  }
  return { policy, reference, trainer };
}

describe('whole GPT-2 on WebGPU (headless Chromium)', () => {
  let gpu: Backend;
  beforeAll(async () => {
    gpu = await createWebGpuBackend(navigator.gpu);
  });

  it('matches the PyTorch fixture within 1e-4 (log-probs, loss, gradients)', async () => {
    const weights = await (await fetch(goldenWeightsUrl)).arrayBuffer();
    const r = await tinyGoldenParity(gpu, goldenConfig, weights, golden as unknown as TinyGolden);
    expect(r.maxLogprobError).toBeLessThanOrEqual(1e-4);
    expect(r.lossError).toBeLessThanOrEqual(1e-4);
    expect(r.maxGradError, r.worstTensor).toBeLessThanOrEqual(1e-4);
  });

  it('log-probs and every parameter gradient match the CPU backend within 1e-4 on a random 2-layer model', async () => {
    const cpu = new CpuBackend({ wasm: false });
    const w = randomWeights(TINY_CONFIG, 21);
    const batch = randomBatch(TINY_CONFIG, [9, 6, 10], 10, 22);
    const dlp = batch.mask.map((m, i) => m * Math.sin(i + 1));
    const results = [];
    for (const be of [cpu, gpu]) {
      const model = new GPT2Model(be, TINY_CONFIG, w);
      model.zeroGrads();
      const s = model.forward(batch.ids, batch.targets, batch.B, batch.T);
      const lp = await be.read(s.logprobs);
      model.backward(s, dlp);
      model.releaseForward(s);
      const grads = new Map<string, Float32Array>();
      for (const spec of model.specs) grads.set(spec.name, await be.read(model.g(spec.name)));
      results.push({ lp, grads });
      model.dispose();
    }
    expect(relErr(results[1].lp, results[0].lp)).toBeLessThanOrEqual(1e-4);
    for (const [name, g] of results[0].grads) expect(relErr(results[1].grads.get(name)!, g), name).toBeLessThanOrEqual(1e-4);
  });

  it('training follows the CPU trajectory for the first AdamW steps, and greedy decoding agrees', async () => {
    const cpu = new CpuBackend({ wasm: false });
    const batch = randomBatch(TINY_CONFIG, [10, 8], 10, 31);
    const losses: number[][] = [];
    const greedy: number[][][] = [];
    for (const be of [cpu, gpu]) {
      const model = new GPT2Model(be, TINY_CONFIG, randomWeights(TINY_CONFIG, 30, 0.1));
      const opt = new AdamW(model, { lr: 3e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, maxGradNorm: 1 });
      const l: number[] = [];
      for (let i = 0; i < 5; i++) l.push((await sftStep(model, opt, batch)).loss);
      losses.push(l);
      greedy.push(await generateAll(model, [1, 2, 3], { numSequences: 2, maxNewTokens: 6, temperature: 0, topK: 0, topP: 1, seed: 0, eosTokenId: null }));
      opt.dispose();
      model.dispose();
    }
    losses[0].forEach((l, i) => expect(Math.abs(losses[1][i] - l) / l, `step ${i}`).toBeLessThanOrEqual(1e-3));
    expect(losses[0][4]).toBeLessThan(losses[0][0]);
    expect(greedy[1]).toEqual(greedy[0]);
  });

  it('runs a batch in length groups with one submit for every group, as the CPU backend does', async () => {
    const cpu = new CpuBackend({ wasm: false });
    const w = randomWeights(TINY_CONFIG, 41);
    const lengths = [10, 3, 9, 4, 10, 2, 5];
    const sequences = lengths.map((n, b) => Array.from({ length: n }, (_, t) => (b * 5 + t * 7 + 1) % TINY_CONFIG.vocabSize));
    const starts = lengths.map((n) => Math.min(2, n - 1));
    expect(lengthGroups(lengths).length).toBeGreaterThan(1);
    const dSeq = lengths.map((_, i) => (i % 2 ? -1 : 0.5));
    const results = [];
    for (const be of [cpu, gpu]) {
      const model = new GPT2Model(be, TINY_CONFIG, w);
      model.zeroGrads();
      const before = be.name === 'webgpu' ? (be as WebGpuBackend).submits : 0;
      const pass = await forwardSummed(model, sequences, starts);
      if (be.name === 'webgpu') expect((be as WebGpuBackend).submits - before).toBe(1);
      pass.backward(dSeq);
      const grads = new Map<string, Float32Array>();
      for (const spec of model.specs) grads.set(spec.name, await be.read(model.g(spec.name)));
      const scoreBefore = be.name === 'webgpu' ? (be as WebGpuBackend).submits : 0;
      const scored = await scoreSequences(model, sequences, starts);
      if (be.name === 'webgpu') expect((be as WebGpuBackend).submits - scoreBefore).toBe(1);
      results.push({ sums: Float32Array.from(pass.sums), scored: Float32Array.from(scored.sums), grads });
      model.dispose();
    }
    expect(relErr(results[1].sums, results[0].sums)).toBeLessThanOrEqual(1e-4);
    expect(relErr(results[1].scored, results[0].sums)).toBeLessThanOrEqual(1e-4);
    for (const [name, g] of results[0].grads) expect(relErr(results[1].grads.get(name)!, g), name).toBeLessThanOrEqual(1e-4);
  });

  it('scores under the policy and the reference in one submit', async () => {
    const webgpu = gpu as WebGpuBackend;
    const [policy, reference] = [61, 62].map((seed) => new GPT2Model(gpu, TINY_CONFIG, randomWeights(TINY_CONFIG, seed)));
    const seqs = [8, 3, 10].map((n, b) => Array.from({ length: n }, (_, t) => (b * 3 + t * 5 + 1) % TINY_CONFIG.vocabSize));
    const starts = [2, 1, 3];
    const before = webgpu.submits;
    const [p, r] = await scoreSequencesUnder([policy!, reference!], seqs, starts);
    expect(webgpu.submits - before).toBe(1);
    expect(p!.sums).toEqual((await scoreSequences(policy!, seqs, starts)).sums);
    expect(r!.sums).toEqual((await scoreSequences(reference!, seqs, starts)).sums);
    policy!.dispose();
    reference!.dispose();
  });

  it('takes n DPO steps in n + 1 submits (no step waits on the previous grad norm) and follows the CPU', async () => {
    const cpu = new CpuBackend({ wasm: false });
    const runs: StepMetrics[][] = [];
    for (const be of [cpu, gpu]) {
      const { policy, reference, trainer: t } = pairTrainer(be, 81);
      const before = be.name === 'webgpu' ? (be as WebGpuBackend).submits : 0;
      const metrics = await t.takeSteps(3);
      if (be.name === 'webgpu') expect((be as WebGpuBackend).submits - before).toBe(4);
      runs.push(metrics);
      policy.dispose();
      reference.dispose();
    }
    runs[0]!.forEach((m, k) => {
      expect(Math.abs(runs[1]![k]!.loss - m.loss) / Math.abs(m.loss), `loss of step ${k + 1}`).toBeLessThanOrEqual(1e-3);
      expect(Math.abs(runs[1]![k]!.gradNorm - m.gradNorm) / m.gradNorm, `grad norm of step ${k + 1}`).toBeLessThanOrEqual(1e-3);
    });
  });

  it('an interpolated policy (η 0.4) adds no submit to the steps, follows the CPU losses, and is θ_ref + η (θ_trained − θ_ref) on the device', async () => {
    const cpu = new CpuBackend({ wasm: false });
    const runs: StepMetrics[][] = [];
    for (const be of [cpu, gpu]) {
      const { policy, reference, trainer: t } = pairTrainer(be, 82, { interpolation: 0.4 });
      const before = be.name === 'webgpu' ? (be as WebGpuBackend).submits : 0;
      runs.push(await t.takeSteps(3));
      if (be.name === 'webgpu') {
        expect((be as WebGpuBackend).submits - before).toBe(4);
        const trained = (await t.capture()).trained!;
        const [served, ref] = [await policy.readWeights(), await reference.readWeights()];
        for (const [name, w] of served) {
          const want = w.map((_, i) => ref.get(name)![i]! + 0.4 * (trained.get(name)![i]! - ref.get(name)![i]!));
          expect(relErr(w, want), name).toBeLessThanOrEqual(1e-5);
        }
      }
      t.dispose();
      policy.dispose();
      reference.dispose();
    }
    runs[0]!.forEach((m, k) => expect(Math.abs(runs[1]![k]!.loss - m.loss) / Math.abs(m.loss), `loss of step ${k + 1}`).toBeLessThanOrEqual(1e-3));
  });

  it('greedy decoding feeds each argmax back on the device: nothing is uploaded per token', async () => {
    const webgpu = gpu as WebGpuBackend;
    const w = randomWeights(TINY_CONFIG, 91, 0.3);
    const opts = { numSequences: 3, maxNewTokens: 7, temperature: 0, topK: 0, topP: 1, seed: 0, eosTokenId: null };
    const cpuModel = new GPT2Model(new CpuBackend({ wasm: false }), TINY_CONFIG, w);
    const want = await generateAll(cpuModel, [1, 2], opts);
    const model = new GPT2Model(gpu, TINY_CONFIG, w);
    const written: number[] = [];
    const got = Array.from({ length: 3 }, () => [] as number[]);
    let last = webgpu.bytesWritten;
    for await (const step of generateTokens(model, [1, 2], opts)) {
      written.push(webgpu.bytesWritten - last);
      last = webgpu.bytesWritten;
      step.tokens.forEach((t, b) => t >= 0 && got[b]!.push(t));
    }
    expect(got).toEqual(want);
    // The first step uploads the prompt; every later token was fed from the device.
    expect(written[0]).toBeGreaterThanOrEqual(3 * 2 * 4);
    expect(written.slice(1)).toEqual(new Array(written.length - 1).fill(0));
    expect(written.length).toBe(7);
    model.dispose();
  });

  it('top-k sampling reads back k values and ids per row, not the whole row, and draws the CPU tokens', async () => {
    const webgpu = gpu as WebGpuBackend;
    const w = randomWeights(TINY_CONFIG, 93, 0.3);
    const opts = { numSequences: 2, maxNewTokens: 6, temperature: 0.8, topK: 5, topP: 0.95, seed: 4, eosTokenId: null };
    const want = await generateAll(new GPT2Model(new CpuBackend({ wasm: false }), TINY_CONFIG, w), [1, 2], opts);
    const model = new GPT2Model(gpu, TINY_CONFIG, w);
    const read: number[] = [];
    const got = Array.from({ length: 2 }, () => [] as number[]);
    let last = webgpu.bytesRead;
    for await (const step of generateTokens(model, [1, 2], opts)) {
      read.push(webgpu.bytesRead - last);
      last = webgpu.bytesRead;
      step.tokens.forEach((t, b) => t >= 0 && got[b]!.push(t));
    }
    expect(got).toEqual(want);
    // 2 rows × 5 × (a float value + a u32 id), against 2 × 23 floats for the whole rows.
    expect(read).toEqual(new Array(6).fill(2 * 5 * 8));
    model.dispose();
  });

  it('plain sampling draws on the device: one uniform up and one id back per row and token, the CPU tokens', async () => {
    const webgpu = gpu as WebGpuBackend;
    const w = randomWeights(TINY_CONFIG, 95, 0.3);
    const opts = { numSequences: 3, maxNewTokens: 7, temperature: 1, topK: 0, topP: 1, seed: 6, eosTokenId: null };
    const want = await generateAll(new GPT2Model(new CpuBackend({ wasm: false }), TINY_CONFIG, w), [1, 2], opts);
    const model = new GPT2Model(gpu, TINY_CONFIG, w);
    const read: number[] = [];
    const written: number[] = [];
    const got = Array.from({ length: 3 }, () => [] as number[]);
    let [lastRead, lastWritten] = [webgpu.bytesRead, webgpu.bytesWritten];
    for await (const step of generateTokens(model, [1, 2], opts)) {
      read.push(webgpu.bytesRead - lastRead);
      written.push(webgpu.bytesWritten - lastWritten);
      [lastRead, lastWritten] = [webgpu.bytesRead, webgpu.bytesWritten];
      step.tokens.forEach((t, b) => t >= 0 && got[b]!.push(t));
    }
    expect(got).toEqual(want);
    // 3 ids (u32) back per token, against 3 × 23 floats for the whole rows; after the prompt,
    // only the 3 uniforms go up (the drawn ids are fed from the device).
    expect(read).toEqual(new Array(7).fill(3 * 4));
    expect(written.slice(1)).toEqual(new Array(6).fill(3 * 4));
    model.dispose();
  });
});
