/**
 * The one learning entry point across the real worker boundary: reduce requests (settings,
 * thumbs, ranking, "Train now", undo intents) cross as plain data, progress comes back through
 * a Comlink-proxied callback, and errors cross as "CODE: message".
 */
import { describe, it, expect, afterAll } from 'vitest';
import * as Comlink from 'comlink';
import type { EngineApi, LearningSettings, LogIntent, ModelSource, ReduceProgress } from '../../src/engine/api';
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

describe('engine worker: the log reducer over Comlink', () => {
  const workers: Worker[] = [];
  afterAll(() => workers.forEach((w) => w.terminate()));

  it('reduces intents sent as plain data, reports progress to a proxied callback, and undoes', async () => {
    const worker = new Worker(new URL('../../src/worker_api/engine.worker.ts', import.meta.url), { type: 'module' });
    workers.push(worker);
    const api = Comlink.wrap<EngineApi>(worker);
    await api.loadModel(tinySource(), 'cpu');
    const gen = await api.generateStart({ prompt: 'the cat', numSequences: 3, maxNewTokens: 6, temperature: 1, topK: 0, topP: 1, seed: 3 });
    let chunk = await api.generateNext(gen);
    while (!chunk.done) chunk = await api.generateNext(gen);
    const log: LogIntent[] = [
      { seq: 0, type: 'settings', settings: kto },
      { seq: 1, type: 'thumbs', prompt: 'the cat', completionIds: chunk.tokenIds[0]!, desirable: true },
      { seq: 2, type: 'ranking', prompt: 'the cat', rankedIds: chunk.tokenIds },
      { seq: 3, type: 'train', steps: 1 },
    ];
    const progress: ReduceProgress[] = [];
    const r = await api.reduce({ intents: log, reset: true }, Comlink.proxy((p: ReduceProgress) => void progress.push(p)));
    expect(r.reduced.map((x) => x.type)).toEqual(['settings', 'thumbs', 'ranking', 'train']);
    const thumbs = r.reduced[1]!;
    expect(thumbs.steps.length).toBe(1);
    expect(thumbs.steps[0]!.loss).toBeCloseTo(0.5, 5);
    expect(r.collapse.window).toBe(4);
    expect(r.reduced[3]!.steps.length).toBe(1);
    expect(r.policyStep).toBe(3);
    expect(r.votesTrained).toBe(2);
    // Progress is throttled, but the last report always arrives.
    expect(progress.at(-1)).toEqual({ done: 4, total: 4 });
    // Undo the ranking: its step and the Train-now step after it are reduced again without it.
    const undo = await api.reduce({ intents: [{ seq: 4, type: 'undo', targetSeq: 2 }] });
    expect(undo.restoredAfterSeq).toBe(1);
    expect(undo.votesTrained).toBe(1);
    expect(undo.policyStep).toBe(2);
    // A malformed intent crosses back as a coded error and changes nothing.
    await expect(api.reduce({ intents: [{ seq: 5, type: 'train', steps: 0 }] })).rejects.toThrow(/^BAD_REQUEST: /);
    expect((await api.reduce({ intents: [] })).policyStep).toBe(2);
  });
});
