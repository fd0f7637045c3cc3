/**
 * The draw worker's copy of the weights: an engine that installs the trainer's `policyWeights`
 * draws exactly what the trainer would draw (same tokens for the same seed), and a copy of the
 * wrong shape is refused with the weights left as they were.
 */
import { describe, expect, it } from 'vitest';
import { EngineService } from '../../src/engine/service';
import { DEFAULT_TRAINER } from '../../src/engine/learning/trainer';
import { DEFAULT_LEARNING } from '../../src/engine/learning/log_reducer';
import type { GenerateRequest, LogIntent } from '../../src/engine/api';
import { engineErrorCode } from '../../src/state/engine_client';
import { tinyModelSource } from '../support/tiny_checkpoint';

async function engine(): Promise<EngineService> {
  const s = new EngineService(undefined);
  await s.loadModel(tinyModelSource(), 'cpu');
  return s;
}

const request: GenerateRequest = { prompt: 'The sea', numSequences: 2, maxNewTokens: 6, temperature: 1, topK: 0, topP: 1, seed: 21 };

describe('a draw engine following the trainer', () => {
  it('draws what the trainer would draw once it installs the trainer’s weights', async () => {
    const trainer = await engine();
    const drawer = await engine();
    const [a, b] = (await trainer.generate(request)).tokenIds as [number[], number[]];
    const log: LogIntent[] = [
      { seq: 0, type: 'settings', settings: { ...DEFAULT_LEARNING, trainer: { ...DEFAULT_TRAINER, lr: 5e-3, stepsPerVote: 2, batchSize: 2 } } },
      { seq: 1, type: 'pair', prompt: 'The sea', aIds: a, bIds: b, outcome: 'a' },
      { seq: 2, type: 'pair', prompt: 'The sea', aIds: b, bIds: a, outcome: 'a' },
    ];
    const r = await trainer.reduce({ intents: log });
    expect(r.policyStep).toBe(4);
    const trained = await trainer.generate(request);
    const stale = await drawer.generate(request);
    // The test is only meaningful if training changed what is drawn.
    expect(stale.tokenIds).not.toEqual(trained.tokenIds);
    const w = await trainer.policyWeights();
    expect(w.step).toBe(4);
    expect(w.votesTrained).toBe(2);
    await drawer.installPolicyWeights(w);
    expect(drawer.step).toBe(4);
    expect((await drawer.generate(request)).tokenIds).toEqual(trained.tokenIds);
    // A copy, not the trainer's own arrays: training on does not change what was handed over.
    const copied = new Map([...w.weights].map(([k, x]) => [k, x.slice()]));
    await trainer.reduce({ intents: [{ seq: 3, type: 'train', steps: 1 }] });
    for (const [k, x] of w.weights) expect(x).toEqual(copied.get(k));
  });

  it('refuses weights of another shape and keeps its own', async () => {
    const drawer = await engine();
    const before = await drawer.generate(request);
    const w = await drawer.policyWeights();
    const [name, x] = [...w.weights][0]!;
    const short = new Map(w.weights);
    short.set(name, x.subarray(1));
    const missing = new Map(w.weights);
    missing.delete(name);
    for (const weights of [short, missing]) {
      const e = await drawer.installPolicyWeights({ step: 3, votesTrained: 0, weights }).catch((err: unknown) => err);
      expect(engineErrorCode(e)).toBe('BAD_REQUEST');
    }
    expect(drawer.step).toBe(0);
    expect((await drawer.generate(request)).tokenIds).toEqual(before.tokenIds);
  });

  it('takes a thread limit before its load, and refuses one that is not a count', async () => {
    const drawer = new EngineService(undefined);
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      await expect(drawer.limitCpuThreads(bad)).rejects.toSatisfy((e: unknown) => engineErrorCode(e) === 'BAD_REQUEST');
    }
    await drawer.limitCpuThreads(1);
    const info = await drawer.loadModel(tinyModelSource(), 'cpu');
    expect(info.backend.label).not.toMatch(/threads/);
  });
});
