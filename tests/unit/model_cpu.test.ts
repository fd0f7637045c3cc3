import { describe, it, expect } from 'vitest';
import { CpuBackend } from '../../src/engine/backends/cpu';
import { GPT2Model } from '../../src/engine/model/gpt2';
import { Rng } from '../../src/engine/rng';
import { generateAll } from '../../src/engine/generate';
import { TINY_CONFIG, randomBatch, randomWeights } from '../support/tiny_model';

describe('GPT-2 on the CPU backend', () => {
  it('backward matches central finite differences (float64, sampled parameters)', async () => {
    const be = new CpuBackend({ precision: 'f64' });
    const model = new GPT2Model(be, TINY_CONFIG, randomWeights(TINY_CONFIG, 1));
    const batch = randomBatch(TINY_CONFIG, [7, 5], 7, 2);
    // L = Σ w_i·logp_i over counted positions, with random weights so every position matters.
    const rng = new Rng(3);
    const w = new Float64Array(batch.B * batch.T).map((_, i) => batch.mask[i] * rng.normal());
    const loss = () => {
      const s = model.forward(batch.ids, batch.targets, batch.B, batch.T);
      const lp = be.view(s.logprobs);
      let L = 0;
      for (let i = 0; i < lp.length; i++) L += w[i] * lp[i];
      model.releaseForward(s);
      return L;
    };
    model.zeroGrads();
    const s = model.forward(batch.ids, batch.targets, batch.B, batch.T);
    model.backward(s, Float32Array.from(w));
    model.releaseForward(s);

    const eps = 1e-5;
    let worst = 0;
    let checked = 0;
    for (const spec of model.specs) {
      const p = be.view(model.p(spec.name));
      const g = be.view(model.g(spec.name));
      for (let k = 0; k < 4; k++) {
        const i = rng.int(p.length);
        const orig = p[i];
        p[i] = orig + eps;
        const lPlus = loss();
        p[i] = orig - eps;
        const lMinus = loss();
        p[i] = orig;
        const fd = (lPlus - lMinus) / (2 * eps);
        const rel = Math.abs(fd - g[i]) / Math.max(Math.abs(fd), Math.abs(g[i]), 1e-6);
        worst = Math.max(worst, rel);
        checked++;
        expect(rel, `${spec.name}[${i}]: fd ${fd} vs analytic ${g[i]}`).toBeLessThanOrEqual(1e-3);
      }
    }
    expect(checked).toBe(model.specs.length * 4);
    console.log(`finite differences: ${checked} entries, worst relative error ${worst.toExponential(2)}`);
  });

  it('KV-cache decoding gives the same next-token logits as a full forward pass', async () => {
    const be = new CpuBackend();
    const model = new GPT2Model(be, TINY_CONFIG, randomWeights(TINY_CONFIG, 4));
    const ids = Uint32Array.from([3, 9, 1, 17, 4, 4, 20]);
    const T = ids.length;
    const cache = model.createKVCache(1, T);
    // Prefill 4 tokens, then 3 single steps: compare the logits after the last one.
    let logits = model.decode(cache, ids.subarray(0, 4), 4);
    for (let t = 4; t < T; t++) {
      be.release(logits);
      logits = model.decode(cache, ids.subarray(t, t + 1), 1);
    }
    const cached = await be.read(logits);
    const s = model.forward(ids, new Uint32Array(T), 1, T);
    const full = await be.read(s.logits);
    const V = TINY_CONFIG.vocabSize;
    const lastRow = full.subarray((T - 1) * V, T * V);
    for (let v = 0; v < V; v++) expect(cached[v]).toBeCloseTo(lastRow[v], 5);
    model.releaseForward(s);
    be.release(logits);
    model.releaseKVCache(cache);
  });

  it('sampling is seeded, and top-k 1 equals greedy', async () => {
    const be = new CpuBackend();
    const model = new GPT2Model(be, TINY_CONFIG, randomWeights(TINY_CONFIG, 5, 0.5));
    const base = { numSequences: 3, maxNewTokens: 8, eosTokenId: null };
    const a = await generateAll(model, [1, 2, 3], { ...base, temperature: 1, topK: 0, topP: 1, seed: 11 });
    const b = await generateAll(model, [1, 2, 3], { ...base, temperature: 1, topK: 0, topP: 1, seed: 11 });
    const c = await generateAll(model, [1, 2, 3], { ...base, temperature: 1, topK: 0, topP: 1, seed: 12 });
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(new Set(a.map((s) => s.join())).size).toBeGreaterThan(1); // sequences differ
    const greedy = await generateAll(model, [1, 2, 3], { ...base, temperature: 0, topK: 0, topP: 1, seed: 1 });
    const top1 = await generateAll(model, [1, 2, 3], { ...base, temperature: 0.7, topK: 1, topP: 1, seed: 99 });
    expect(top1).toEqual(greedy);
    expect(be.liveBytes()).toBeGreaterThan(0);
  });

  it('does not leak tensors across forward/backward/decode', async () => {
    const be = new CpuBackend();
    const model = new GPT2Model(be, TINY_CONFIG, randomWeights(TINY_CONFIG, 6));
    model.zeroGrads();
    const before = be.liveBytes();
    const batch = randomBatch(TINY_CONFIG, [6, 4], 6, 7);
    const s = model.forward(batch.ids, batch.targets, batch.B, batch.T);
    model.backward(s, batch.mask);
    model.releaseForward(s);
    await generateAll(model, [1, 2], { numSequences: 2, maxNewTokens: 5, eosTokenId: null, temperature: 1, topK: 5, topP: 0.9, seed: 1 });
    expect(be.liveBytes()).toBe(before);
  });
});
