/**
 * The GPT-2 model (src/engine/model/gpt2.ts) run on the WebGPU backend against the same
 * program on the CPU reference backend: forward log-probs, every parameter gradient, one
 * AdamW step with clipping, and KV-cached decoding. Tiny random model (2 layers, C = 36,
 * 3 heads, V = 101) so SwiftShader finishes quickly.
 *
 * Metric, as in kernels.test.ts: per tensor, max|gpu − cpu| / max(max|cpu|, 1e-6) ≤ 1e-4,
 * for outputs and for gradients that pass back through the whole network.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/engine/backends/cpu';
import { createWebGpuBackend, type WebGpuBackend } from '../../src/engine/backends/webgpu';
import type { GPT2Config } from '../../src/engine/model/config';
import { GPT2Model } from '../../src/engine/model/gpt2';
import { AdamW } from '../../src/engine/optim';
import { relErr, Rng } from './support/random';

const config: GPT2Config = {
  nLayer: 2,
  nHead: 3,
  nEmbd: 36,
  vocabSize: 101,
  nPositions: 32,
  layerNormEpsilon: 1e-5,
  eosTokenId: null,
};

let gpu: WebGpuBackend;
const cpu = new CpuBackend({ wasm: false });

beforeAll(async () => {
  gpu = await createWebGpuBackend(navigator.gpu);
});
afterAll(() => gpu?.dispose());

function batch(seed: number, B: number, T: number) {
  const rng = new Rng(seed);
  return { ids: rng.ints(B * T, config.vocabSize), targets: rng.ints(B * T, config.vocabSize), dlp: rng.normal(B * T) };
}

describe('GPT-2 on WebGPU vs the CPU reference', () => {
  it('forward log-probs, all gradients, and one clipped AdamW step', async () => {
    const B = 2;
    const T = 13;
    const mg = GPT2Model.randomInit(gpu, config, 5, 0.2);
    const mc = GPT2Model.randomInit(cpu, config, 5, 0.2);
    const { ids, targets, dlp } = batch(6, B, T);

    const sg = mg.forward(ids, targets, B, T);
    const sc = mc.forward(ids, targets, B, T);
    const e = relErr(await gpu.read(sg.logprobs), await cpu.read(sc.logprobs));
    expect(e, `logprobs: ${e}`).toBeLessThanOrEqual(1e-4);

    mg.zeroGrads();
    mc.zeroGrads();
    mg.backward(sg, dlp);
    mc.backward(sc, dlp);
    for (const s of mg.specs) {
      const eg = relErr(await gpu.read(mg.g(s.name)), await cpu.read(mc.g(s.name)));
      expect(eg, `grad ${s.name}: ${eg}`).toBeLessThanOrEqual(1e-4);
    }
    mg.releaseForward(sg);
    mc.releaseForward(sc);

    // eps = 1e-3, not 1e-8: the key slice of c_attn.bias has a mathematically zero gradient
    // (softmax ignores a shift shared by all keys), so both backends hold ~1e-9 round-off
    // there, and with a tiny eps Adam's m̂/√v̂ would blow that noise up into lr-sized updates
    // of random sign. Real gradients here are ≥ 1e-3, so the step is still Adam-normalised.
    const cfg = { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-3, weightDecay: 0.1, maxGradNorm: 0.5 };
    const og = new AdamW(mg, cfg);
    const oc = new AdamW(mc, cfg);
    const ng = og.apply();
    const nc = oc.apply();
    const en = relErr(await gpu.read(ng), await cpu.read(nc));
    expect(en, `grad norm: ${en}`).toBeLessThanOrEqual(1e-4);
    gpu.release(ng);
    for (const s of mg.specs) {
      const ep = relErr(await gpu.read(mg.p(s.name)), await cpu.read(mc.p(s.name)));
      expect(ep, `param ${s.name} after AdamW: ${ep}`).toBeLessThanOrEqual(1e-4);
    }
    og.dispose();
    oc.dispose();
    mg.dispose();
    expect(gpu.liveBytes()).toBe(0);
    expect(gpu.errors).toEqual([]);
  });

  it('KV-cached decoding: prefill then single tokens, logits match', async () => {
    const B = 2;
    const mg = GPT2Model.randomInit(gpu, config, 8, 0.2);
    const mc = GPT2Model.randomInit(cpu, config, 8, 0.2);
    const cg = mg.createKVCache(B, 20);
    const cc = mc.createKVCache(B, 20);
    const rng = new Rng(9);
    let ids = rng.ints(B * 7, config.vocabSize);
    let T = 7;
    for (let step = 0; step < 5; step++) {
      const lg = mg.decode(cg, ids, T);
      const lc = mc.decode(cc, ids, T);
      const [g, c] = await Promise.all([gpu.read(lg), cpu.read(lc)]);
      const e = relErr(g, c);
      expect(e, `logits at step ${step}: ${e}`).toBeLessThanOrEqual(1e-4);
      gpu.release(lg);
      ids = rng.ints(B, config.vocabSize);
      T = 1;
    }
    mg.releaseKVCache(cg);
    mg.dispose();
    expect(gpu.liveBytes()).toBe(0);
    expect(gpu.errors).toEqual([]);
  });
});
