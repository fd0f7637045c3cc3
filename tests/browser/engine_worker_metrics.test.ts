/**
 * The learner metric stream across the real worker boundary: listeners are Comlink proxies, a
 * listener that throws on the page side is dropped by the worker (the call rejects there),
 * and reduce requests (settings, thumbs, ranking, "Train now" intents) cross as plain data.
 */
import { describe, it, expect, afterAll } from 'vitest';
import * as Comlink from 'comlink';
import type { EngineApi, LearnerMetricsEvent, LearningSettings, ModelSource } from '../../src/engine/api';
import { tinyCheckpoint } from '../support/tiny_checkpoint';

function tinySource(): ModelSource {
  const ck = tinyCheckpoint(5);
  const weights = ck.safetensors.buffer.slice(0) as ArrayBuffer;
  return { kind: 'files', name: 'tiny', config: JSON.stringify(ck.hfConfig), tokenizer: JSON.stringify(ck.tokenizer), weights };
}

const kto: LearningSettings = {
  trainer: { objective: 'kto', beta: 0.5, epsilon: 0, lr: 1e-3, stepsPerVote: 1, batchSize: 4, bufferSize: 64, maxGradNorm: 1, seed: 0 },
  updateAfterVote: true,
  relabel: { pairs: 0, minConfidence: 0.8, maxStd: 0.15, maxNewTokens: 24, temperature: 1, topK: 0, topP: 1 },
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('engine worker: learner metrics over Comlink', () => {
  const workers: Worker[] = [];
  afterAll(() => workers.forEach((w) => w.terminate()));

  it('delivers batched events to a proxied listener and drops one that throws', async () => {
    const worker = new Worker(new URL('../../src/worker_api/engine.worker.ts', import.meta.url), { type: 'module' });
    workers.push(worker);
    const api = Comlink.wrap<EngineApi>(worker);
    await api.loadModel(tinySource(), 'cpu');
    await api.reduce({ intents: [{ seq: 0, type: 'settings', settings: kto }] });
    const batches: LearnerMetricsEvent[][] = [];
    let throwingCalls = 0;
    await api.subscribeMetrics(Comlink.proxy((e: LearnerMetricsEvent[]) => void batches.push(e)));
    await api.subscribeMetrics(
      Comlink.proxy(() => {
        throwingCalls++;
        throw new Error('this chart is gone');
      }),
    );
    const gen = await api.generateStart({ prompt: 'the cat', numSequences: 3, maxNewTokens: 6, temperature: 1, topK: 0, topP: 1, seed: 3 });
    let chunk = await api.generateNext(gen);
    while (!chunk.done) chunk = await api.generateNext(gen);
    const thumbs = (await api.reduce({ intents: [{ seq: 1, type: 'thumbs', prompt: 'the cat', completionIds: chunk.tokenIds[0], desirable: true }] })).reduced[0]!;
    expect(thumbs.type).toBe('thumbs');
    expect(thumbs.steps.length).toBe(1);
    expect(thumbs.steps[0].loss).toBeCloseTo(0.5, 5);
    await sleep(150);
    const ranking = await api.reduce({ intents: [{ seq: 2, type: 'ranking', prompt: 'the cat', rankedIds: chunk.tokenIds }] });
    expect(ranking.collapse.window).toBe(4);
    const train = await api.reduce({ intents: [{ seq: 3, type: 'train', steps: 1 }] });
    expect(train.reduced[0]!.steps.length).toBe(1);
    await sleep(150);
    const events = batches.flat();
    expect(events.map((e) => e.kind)).toEqual(['feedback', 'feedback', 'train']);
    expect(batches.length).toBeLessThanOrEqual(3);
    // Called for the first batch, threw, and was unsubscribed by the worker.
    expect(throwingCalls).toBe(1);
  });
});
