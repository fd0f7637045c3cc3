import { describe, it, expect } from 'vitest';
import { EngineService } from '../../src/engine/service';
import { DEFAULT_TRAINER } from '../../src/engine/learning/trainer';
import { distinctN, repetitionRate } from '../../src/engine/stats';
import { DEFAULT_LEARNING } from '../../src/engine/learning/log_reducer';
import { type LearningSettings, type LogIntent, type ModelSource } from '../../src/engine/api';
import { engineErrorCode } from '../../src/state/engine_client';
import { tinyModelSource } from '../support/tiny_checkpoint';

const source = (): ModelSource => tinyModelSource();

const code = (e: unknown) => engineErrorCode(e);

const settings = (objective: string, updateAfterVote = true): LearningSettings => ({
  ...DEFAULT_LEARNING,
  trainer: { ...DEFAULT_TRAINER, objective, lr: 1e-3, stepsPerVote: 1, batchSize: 4 },
  updateAfterVote,
});

/** A loaded engine whose log starts with the trainer settings (seq 0); the next seq is 1. */
async function loaded(objective = 'sigmoid') {
  const s = new EngineService(undefined);
  await s.loadModel(source(), 'cpu');
  await s.reduce({ intents: [{ seq: 0, type: 'settings', settings: settings(objective) }] });
  const gen = await s.generate({ prompt: 'The sea', numSequences: 3, maxNewTokens: 5, temperature: 1, topK: 0, topP: 1, seed: 4 });
  return { s, gen };
}

describe('EngineService: thumbs, rankings, annotators, metric stream', () => {
  it('a ranking trains the listwise objective and reports collapse metrics over the decoded texts', async () => {
    const { s } = await loaded('plackett_luce');
    const tok = s.requirePolicy().tokenizer;
    // Known texts (the tiny model's own samples have too few words to have bigrams).
    const texts = [' the sea is calm and the sea is blue', ' the sea the sea the sea the sea', ' a ship sails far away'];
    const ids = texts.map((t) => tok.encode(t));
    const decoded = ids.map((c) => tok.decode(c));
    const r = await s.reduce({ intents: [{ seq: 1, type: 'ranking', prompt: 'The sea', rankedIds: ids }] });
    const ranking = r.reduced[0]!;
    expect(ranking.type).toBe('ranking');
    expect(ranking.steps.length).toBe(1);
    expect(ranking.steps[0].loss).toBeCloseTo(Math.log(6), 5);
    expect(ranking.rewardModel!.votesSeen).toBe(2);
    expect(r.rewardModel!.votesSeen).toBe(2);
    expect(r.collapse.window).toBe(3);
    expect(r.collapse.recentDistinct2).toBeCloseTo(distinctN(decoded, 2), 12);
    expect(r.collapse.recentRepetition).toBeCloseTo(repetitionRate(decoded), 12);
    expect(r.collapse.recentRepetition).toBeGreaterThan(0);
  });

  it('under sigmoid a lone thumbs trains nothing and "Train now" is skipped with a reason; kto trains it', async () => {
    const { s, gen } = await loaded('sigmoid');
    const t = (await s.reduce({ intents: [{ seq: 1, type: 'thumbs', prompt: 'The sea', completionIds: gen.tokenIds[0], desirable: true }] })).reduced[0]!;
    expect(t.steps).toEqual([]);
    expect(t.untrainedReason).toMatch(/sigmoid/);
    // train() used to throw BAD_REQUEST here; a train intent with nothing trainable now comes back with skippedReason.
    const skipped = (await s.reduce({ intents: [{ seq: 2, type: 'train', steps: 1 }] })).reduced[0]!;
    expect(skipped.steps).toEqual([]);
    expect(skipped.skippedReason).toMatch(/sigmoid/);
    expect(s.step).toBe(0);
    const r = await s.reduce({
      intents: [
        { seq: 3, type: 'settings', settings: settings('kto') },
        { seq: 4, type: 'train', steps: 1 },
      ],
    });
    const trained = r.reduced.find((x) => x.type === 'train')!;
    expect(trained.skippedReason).toBeUndefined();
    expect(trained.steps.length).toBe(1);
    expect(trained.steps[0].loss).toBeCloseTo(0.5, 5);
    expect(s.step).toBe(1);
  });

  it('answers bad requests with BAD_REQUEST', async () => {
    const { s, gen } = await loaded();
    const bad = (p: Promise<unknown>) => expect(p).rejects.toSatisfy((e: unknown) => code(e) === 'BAD_REQUEST');
    await bad(s.reduce({ intents: [{ seq: 1, type: 'ranking', prompt: 'x', rankedIds: [gen.tokenIds[0]] }] }));
    await bad(s.reduce({ intents: [{ seq: 1, type: 'thumbs', prompt: 'x', completionIds: [1.5], desirable: true }] }));
    await bad(s.reduce({ intents: [{ seq: 1, type: 'settings', settings: { ...settings('sigmoid'), trainer: { ...DEFAULT_TRAINER, objective: 'listnet' } } }] }));
    await bad(s.reduce({ intents: [{ seq: 1, type: 'settings', settings: { ...settings('sigmoid'), updateAfterVote: 'yes' as unknown as boolean } }] }));
    await bad(s.reduce({ intents: [{ seq: 1, type: 'frobnicate' } as unknown as LogIntent] }));
    // A completion past the context (the tiny model's is 48 tokens) used to be a BAD_REQUEST; the vote is now skipped with a reason.
    const long = await s.reduce({ intents: [{ seq: 1, type: 'thumbs', prompt: 'x', completionIds: Array(60).fill(1), desirable: false }] });
    expect(long.reduced[0]!.skippedReason).toMatch(/more than the context of 48/);
    expect(long.reduced[0]!.steps).toEqual([]);
    expect(long.votesTrained).toBe(0);
    await bad(s.annotatePair({ id: 'x', criterion: 'toxicity', labelNoise: 0, positionBias: 0, seed: 1 }, 0, 'p', 'a', 'b'));
  });

  it('annotatePair replays: the same (seed, index) gives the same verdict', async () => {
    const s = new EngineService(undefined);
    const spec = { id: 'len', criterion: 'length', labelNoise: 0.5, positionBias: 0, seed: 'abc', params: { targetWords: 2 } };
    const a = await Promise.all(Array.from({ length: 20 }, (_, i) => s.annotatePair(spec, i, 'p', 'one two', 'one two three')));
    const b = await Promise.all(Array.from({ length: 20 }, (_, i) => s.annotatePair(spec, i, 'p', 'one two', 'one two three')));
    expect(b).toEqual(a);
    const scores = await s.annotateScores(spec, 'p', ['one two', 'one two three']);
    expect(scores.map((x) => x + 0)).toEqual([0, -1]); // −|words − 2|
  });
});
