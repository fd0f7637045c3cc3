/**
 * The reward-model uses through EngineService (what the worker exposes): bad requests fail as
 * "BAD_REQUEST: …" before touching the learner, and a relabelled pair's training steps advance
 * the service's step count and reach metric listeners.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_TRAINER } from '../../src/engine/learning/trainer';
import { EngineService } from '../../src/engine/service';
import { type LearnerMetricsEvent, type ModelSource } from '../../src/engine/api';
import { engineErrorCode } from '../../src/state/engine_client';
import { tinyCheckpoint } from '../support/tiny_checkpoint';

function source(): ModelSource {
  const ck = tinyCheckpoint(9);
  return { kind: 'files', name: 'tiny', config: JSON.stringify(ck.hfConfig), tokenizer: JSON.stringify(ck.tokenizer), weights: ck.safetensors.buffer.slice(0) as ArrayBuffer };
}

/** The error message a call fails with, checked to lead with an EngineErrorCode. */
async function failure(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    expect(engineErrorCode(e)).not.toBe('INTERNAL');
    return (e as Error).message;
  }
  return 'resolved';
}

describe('EngineService: selectPair, bestOfN, relabel', () => {
  it('rejects malformed requests with BAD_REQUEST and NO_MODEL before a load', async () => {
    const s = new EngineService(undefined);
    expect(await failure(s.selectPair([1], [[2], [3]]))).toMatch(/^NO_MODEL: /);
    await s.loadModel(source(), 'cpu');
    const gen = await s.generate({ prompt: 'The sea', numSequences: 4, maxNewTokens: 3, temperature: 1, topK: 0, topP: 1, seed: 2 });
    const p = gen.promptIds;
    const [a, b] = gen.tokenIds;
    expect(await failure(s.selectPair(p, [a!]))).toMatch(/^BAD_REQUEST: need at least 2 candidates/);
    expect(await failure(s.selectPair(p, [a!, [1e9]]))).toMatch(/^BAD_REQUEST: feedback token ids/);
    expect(await failure(s.bestOfN(p, [a!, b!], -1))).toMatch(/^BAD_REQUEST: pessimism/);
    expect(await failure(s.bestOfN(p, [], 0))).toMatch(/^BAD_REQUEST: need at least 1 candidate$/);
    expect(await failure(s.relabel({ promptIds: p, aIds: a!, bIds: b!, minConfidence: 0.4, maxStd: 0.1, train: true }))).toMatch(/^BAD_REQUEST: minConfidence/);
    expect(await failure(s.relabel({ promptIds: p, aIds: a!, bIds: b!, minConfidence: 0.9, maxStd: 0.6, train: true }))).toMatch(/^BAD_REQUEST: maxStd/);
    const pick = await s.selectPair(p, gen.tokenIds);
    expect(pick.i).toBeLessThan(pick.j);
    expect(pick.j).toBeLessThan(4);
    await s.dispose();
  });

  it('an accepted synthetic pair trains, advances the step count and is streamed as train steps', async () => {
    const s = new EngineService(undefined);
    await s.loadModel(source(), 'cpu');
    await s.configureTrainer({ ...DEFAULT_TRAINER, lr: 1e-3, stepsPerVote: 2, batchSize: 4 });
    const gen = await s.generate({ prompt: 'The sea', numSequences: 4, maxNewTokens: 3, temperature: 1, topK: 0, topP: 1, seed: 2 });
    const [a, b, c, d] = gen.tokenIds;
    await s.feedback({ prompt: 'The sea', promptIds: gen.promptIds, aIds: a!, bIds: b!, outcome: 'a', train: true });
    expect(s.step).toBe(2);
    const events: LearnerMetricsEvent[] = [];
    await s.subscribeMetrics((batch) => events.push(...batch));
    const r = await s.relabel({ promptIds: gen.promptIds, aIds: c!, bIds: d!, minConfidence: 0.5, maxStd: 0.5, train: true });
    expect(r.accepted).toBe(true);
    expect(r.steps.map((m) => m.step)).toEqual([3, 4]);
    expect(s.step).toBe(4);
    expect({ synthetic: r.syntheticPairs, judged: r.judgedItems, buffer: r.bufferSize }).toEqual({ synthetic: 1, judged: 1, buffer: 2 });
    await expect.poll(() => events.filter((e) => e.kind === 'train').flatMap((e) => e.steps.map((m) => m.step))).toEqual([3, 4]);
    await s.dispose();
  });
});
