/**
 * Principle statements and critiques as log intents: they enter the reward model, train the
 * policy through synthetic pairs, replay exactly, and undo like any other intent.
 */
import { describe, it, expect } from 'vitest';
import { EngineService } from '../../src/engine/service';
import { DEFAULT_TRAINER } from '../../src/engine/learning/trainer';
import { DEFAULT_LEARNING } from '../../src/engine/learning/log_reducer';
import { PRINCIPLE_STATEMENT, type LearningSettings, type LogIntent, type ModelSource, type ReduceResult } from '../../src/engine/api';
import { tinyModelSource } from '../support/tiny_checkpoint';

const source = (): ModelSource => tinyModelSource();

async function engine(): Promise<EngineService> {
  const s = new EngineService(undefined);
  await s.loadModel(source(), 'cpu');
  return s;
}

const settings: LearningSettings = {
  ...DEFAULT_LEARNING,
  trainer: { ...DEFAULT_TRAINER, lr: 1e-3, stepsPerVote: 1, batchSize: 4 },
  relabel: { ...DEFAULT_LEARNING.relabel, pairs: 0, maxNewTokens: 6, temperature: 1, topK: 0, topP: 1 },
};

const estimate = (r: ReduceResult, axis: string) => r.preferences!.find((p) => p.axis === axis)!;

describe('principle statements', () => {
  it('"yes: shorter" moves the length weight negative with a narrower interval; clear puts it back; "no" pins it near 0', async () => {
    const s = await engine();
    const before = await s.reduce({ intents: [{ seq: 0, type: 'settings', settings }] });
    const len0 = estimate(before, 'length');
    expect(len0.stated).toBeNull();
    expect(Math.abs(len0.weight)).toBeLessThan(0.1);
    // Before any vote the posterior is the prior: weight ~0, interval ±1.96 (in reward per spread).
    expect(len0.high - len0.low).toBeCloseTo(2 * 1.96, 1);

    const yes = await s.reduce({ intents: [{ seq: 1, type: 'principle', principleId: 'shorter', verdict: 'confirm' }] });
    const len1 = estimate(yes, 'length');
    expect(len1.stated).toEqual({ principleId: 'shorter', verdict: 'confirm' });
    // Three votes' worth of "shorter wins" along one spread: the weight leans negative and its
    // interval no longer holds 0 (a direction; how much is for the real votes to say).
    expect(PRINCIPLE_STATEMENT.confirmVotes).toBe(3);
    expect(len1.weight).toBeLessThan(-1);
    expect(len1.high).toBeLessThan(0);
    expect(len1.high - len1.low).toBeLessThan(len0.high - len0.low);
    // The strongest principle comes first.
    expect(yes.preferences![0]!.axis).toBe('length');

    const cleared = await s.reduce({ intents: [{ seq: 2, type: 'principle', principleId: 'shorter', verdict: 'clear' }] });
    expect(estimate(cleared, 'length').stated).toBeNull();
    // Back near 0 from about −3.5: the warm-started Adam refit (lr 0.5, 50 steps per refit)
    // comes within a few tenths of the optimum, not to it.
    expect(Math.abs(estimate(cleared, 'length').weight)).toBeLessThan(0.5);

    const no = await s.reduce({ intents: [{ seq: 3, type: 'principle', principleId: 'positive', verdict: 'reject' }] });
    expect(estimate(no, 'valence').stated).toEqual({ principleId: 'positive', verdict: 'reject' });
    expect(Math.abs(estimate(no, 'valence').weight)).toBeLessThan(0.15);
  });

  it('an unknown principle is skipped with its reason; a bad verdict is refused', async () => {
    const s = await engine();
    const r = await s.reduce({ intents: [{ seq: 0, type: 'settings', settings }, { seq: 1, type: 'principle', principleId: 'wittier', verdict: 'confirm' }] });
    expect(r.reduced[1]!.skippedReason).toMatch(/unknown principle "wittier"/);
    await expect(s.reduce({ intents: [{ seq: 2, type: 'principle', principleId: 'shorter', verdict: 'maybe' } as unknown as LogIntent] })).rejects.toThrow(/verdict/);
  });

  it('undo of a statement forgets it', async () => {
    const s = await engine();
    await s.reduce({ intents: [{ seq: 0, type: 'settings', settings }, { seq: 1, type: 'principle', principleId: 'simpler', verdict: 'confirm' }] });
    const r = await s.reduce({ intents: [{ seq: 2, type: 'undo', targetSeq: 1 }] });
    expect(estimate(r, 'readability').stated).toBeNull();
    expect(Math.abs(estimate(r, 'readability').weight)).toBeLessThan(0.15);
  });
});

describe('critiques', () => {
  it('a matched critique says what it was understood as, moves its principle, and adds synthetic pairs that train; replay is identical', async () => {
    const live = await engine();
    const gen = await live.generate({ prompt: 'The sea', numSequences: 2, maxNewTokens: 6, temperature: 1, topK: 0, topP: 1, seed: 3 });
    const [a, b] = gen.tokenIds as [number[], number[]];
    const log: LogIntent[] = [
      { seq: 0, type: 'settings', settings },
      { seq: 1, type: 'pair', prompt: 'The sea', aIds: a, bIds: b, outcome: 'a', critique: 'B is way too long' },
      { seq: 2, type: 'pair', prompt: 'The sea', aIds: b, bIds: a, outcome: 'b', critique: 'zxqv blorp' },
    ];
    const results: ReduceResult[] = [];
    for (const intent of log) results.push(await live.reduce({ intents: [intent] }));
    const matched = results[1]!.reduced[0]!;
    expect(matched.critique!.understood).toMatch(/shorter/);
    // "too long" is less of "longer" (the matcher's reading), i.e. shorter, about B.
    expect(matched.critique!.matches[0]).toMatchObject({ principleId: 'longer', polarity: -1, about: 'b' });
    expect(estimate(results[1]!, 'length').weight).toBeLessThan(estimate(results[0]!, 'length').weight);
    // Synthetic pairs: each took the vote's steps (1 per pair here), after the vote's own step.
    expect(matched.critique!.syntheticPairs).toBeGreaterThan(0);
    expect(matched.steps.length).toBe(1 + matched.critique!.syntheticPairs);
    expect(results[1]!.syntheticPairs).toBe(matched.critique!.syntheticPairs);
    const unmatched = results[2]!.reduced[0]!;
    expect(unmatched.critique!.understood).toMatch(/^not understood/);
    expect(unmatched.critique!.syntheticPairs).toBe(0);

    // Replayed in one call from scratch: the same readings, the same weights.
    const replay = await engine();
    const all = await replay.reduce({ intents: log, reset: true });
    expect(all.reduced.map((x) => x.critique)).toEqual(results.map((r) => r.reduced[0]!.critique));
    expect(all.preferences).toEqual(results[2]!.preferences);
    const wa = await live.requirePolicy().model.readWeights();
    const wb = await replay.requirePolicy().model.readWeights();
    for (const [name, w] of wa) expect(Buffer.from(wb.get(name)!.buffer).equals(Buffer.from(w.buffer)), name).toBe(true);
  });
});
