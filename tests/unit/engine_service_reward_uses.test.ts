/**
 * The reward-model uses through EngineService (what the worker exposes): bad requests fail as
 * "BAD_REQUEST: …" before touching the learner, and a relabelled pair (sampled by the engine
 * after a vote) trains, advancing the service's step count, and its steps reach metric listeners.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_TRAINER } from '../../src/engine/learning/trainer';
import { DEFAULT_LEARNING } from '../../src/engine/learning/log_reducer';
import { EngineService } from '../../src/engine/service';
import { type LearningSettings, type LogIntent, type ModelSource } from '../../src/engine/api';
import { engineErrorCode } from '../../src/state/engine_client';
import { tinyModelSource } from '../support/tiny_checkpoint';

const source = (): ModelSource => tinyModelSource();

/** Relabelling of one fresh pair after each pairwise vote, with the given acceptance bounds. */
const relabelling = (minConfidence: number, maxStd: number, stepsPerVote = 2): LearningSettings => ({
  ...DEFAULT_LEARNING,
  trainer: { ...DEFAULT_TRAINER, lr: 1e-3, stepsPerVote, batchSize: 4 },
  relabel: { ...DEFAULT_LEARNING.relabel, pairs: 1, minConfidence, maxStd, maxNewTokens: 3 },
});

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
    expect(await failure(s.selectPair(p, [a!, [1e9]]))).toMatch(/^BAD_REQUEST: token ids must be integers inside the vocabulary/);
    expect(await failure(s.bestOfN(p, [a!, b!], -1))).toMatch(/^BAD_REQUEST: pessimism/);
    expect(await failure(s.bestOfN(p, [], 0))).toMatch(/^BAD_REQUEST: need at least 1 candidate$/);
    // relabel() is gone: its bounds are now relabel settings in the log, checked when the settings intent is reduced.
    expect(await failure(s.reduce({ intents: [{ seq: 0, type: 'settings', settings: relabelling(0.4, 0.1) }] }))).toMatch(/^BAD_REQUEST: intent 0: relabel\.minConfidence/);
    expect(await failure(s.reduce({ intents: [{ seq: 0, type: 'settings', settings: relabelling(0.9, 0.6) }] }))).toMatch(/^BAD_REQUEST: intent 0: relabel\.maxStd/);
    const tooMany: LearningSettings = { ...relabelling(0.9, 0.1), relabel: { ...relabelling(0.9, 0.1).relabel, pairs: 9 } };
    expect(await failure(s.reduce({ intents: [{ seq: 0, type: 'settings', settings: tooMany }] }))).toMatch(/^BAD_REQUEST: intent 0: relabel\.pairs/);
    const pick = await s.selectPair(p, gen.tokenIds);
    expect(pick.i).toBeLessThan(pick.j);
    expect(pick.j).toBeLessThan(4);
    await s.dispose();
  });

  // relabel() with page-supplied ids is gone: the engine samples the pair after a vote and reports it in reduced[].relabels.
  it('an accepted synthetic pair trains after the vote and advances the step count', async () => {
    const s = new EngineService(undefined);
    await s.loadModel(source(), 'cpu');
    const gen = await s.generate({ prompt: 'The sea', numSequences: 2, maxNewTokens: 3, temperature: 1, topK: 0, topP: 1, seed: 2 });
    const [a, b] = gen.tokenIds;
    const log: LogIntent[] = [
      { seq: 0, type: 'settings', settings: relabelling(0.5, 0.5) },
      { seq: 1, type: 'pair', prompt: 'The sea', aIds: a!, bIds: b!, outcome: 'a' },
    ];
    const r = await s.reduce({ intents: log });
    const vote = r.reduced.find((x) => x.seq === 1)!;
    expect(vote.relabels).toHaveLength(1);
    const relabel = vote.relabels![0]!;
    // At these bounds any label passes once the reward model has seen the vote.
    expect(relabel.accepted).toBe(true);
    expect(relabel.rejectedReason).toBeUndefined();
    expect(relabel.steps).toBe(2);
    expect(relabel.preferred).toBe(relabel.pAB >= 0.5 ? 'a' : 'b');
    // The vote's own 2 steps, then the synthetic pair's.
    expect(vote.steps.map((m) => m.step)).toEqual([1, 2, 3, 4]);
    expect(s.step).toBe(4);
    expect({ synthetic: r.syntheticPairs, votes: r.votesTrained, buffer: r.bufferSize }).toEqual({ synthetic: 1, votes: 1, buffer: 2 });
    // The pair was sampled by the engine from the policy (≤ maxNewTokens), seeded by the vote's seq: a replay samples it again.
    expect(relabel.aIds.length).toBeLessThanOrEqual(3);
    expect(relabel.bIds.length).toBeLessThanOrEqual(3);
    const replay = new EngineService(undefined);
    await replay.loadModel(source(), 'cpu');
    const again = await replay.reduce({ intents: log, reset: true });
    expect(again.reduced.find((x) => x.seq === 1)!.relabels).toEqual(vote.relabels);
    await replay.dispose();
    await s.dispose();
  });

  it('a synthetic pair below the confidence bound is rejected with a reason and takes no steps', async () => {
    const s = new EngineService(undefined);
    await s.loadModel(source(), 'cpu');
    const gen = await s.generate({ prompt: 'The sea', numSequences: 2, maxNewTokens: 3, temperature: 1, topK: 0, topP: 1, seed: 2 });
    const [a, b] = gen.tokenIds;
    const r = await s.reduce({
      intents: [
        { seq: 0, type: 'settings', settings: relabelling(1, 0.5) },
        { seq: 1, type: 'pair', prompt: 'The sea', aIds: a!, bIds: b!, outcome: 'a' },
      ],
    });
    const vote = r.reduced.find((x) => x.seq === 1)!;
    expect(vote.relabels).toHaveLength(1);
    const relabel = vote.relabels![0]!;
    expect(relabel.accepted).toBe(false);
    expect(relabel.rejectedReason).toMatch(/confidence .* is below 1/);
    expect(relabel.steps).toBe(0);
    expect(vote.steps.map((m) => m.step)).toEqual([1, 2]);
    expect({ step: s.step, synthetic: r.syntheticPairs, buffer: r.bufferSize }).toEqual({ step: 2, synthetic: 0, buffer: 1 });
    await s.dispose();
  });
});
