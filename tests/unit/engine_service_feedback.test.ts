import { describe, it, expect } from 'vitest';
import { EngineService } from '../../src/engine/service';
import { DEFAULT_TRAINER } from '../../src/engine/learning/trainer';
import { distinctN, repetitionRate } from '../../src/engine/stats';
import { type LearnerMetricsEvent, type ModelSource } from '../../src/engine/api';
import { engineErrorCode } from '../../src/state/engine_client';
import { tinyCheckpoint } from '../support/tiny_checkpoint';

function source(): ModelSource {
  const ck = tinyCheckpoint(9);
  return { kind: 'files', name: 'tiny', config: JSON.stringify(ck.hfConfig), tokenizer: JSON.stringify(ck.tokenizer), weights: ck.safetensors.buffer.slice(0) as ArrayBuffer };
}

const code = (e: unknown) => engineErrorCode(e);

async function loaded(objective = 'sigmoid') {
  const s = new EngineService(undefined);
  await s.loadModel(source(), 'cpu');
  await s.configureTrainer({ ...DEFAULT_TRAINER, objective, lr: 1e-3, stepsPerVote: 1, batchSize: 4 });
  const gen = await s.generate({ prompt: 'The sea', numSequences: 3, maxNewTokens: 5, temperature: 1, topK: 0, topP: 1, seed: 4 });
  return { s, gen };
}

describe('EngineService: thumbs, rankings, annotators, metric stream', () => {
  it('a ranking trains the listwise objective and reports collapse metrics over the decoded texts', async () => {
    const { s, gen } = await loaded('plackett_luce');
    const tok = s.requirePolicy().tokenizer;
    // Known texts (the tiny model's own samples have too few words to have bigrams).
    const texts = [' the sea is calm and the sea is blue', ' the sea the sea the sea the sea', ' a ship sails far away'];
    const ids = texts.map((t) => tok.encode(t));
    const decoded = ids.map((c) => tok.decode(c));
    const r = await s.feedbackRanking({ prompt: 'The sea', promptIds: gen.promptIds, rankedIds: ids, train: true });
    expect(r.steps.length).toBe(1);
    expect(r.steps[0].loss).toBeCloseTo(Math.log(6), 5);
    expect(r.rewardModel.votesSeen).toBe(2);
    expect(r.collapse.window).toBe(3);
    expect(r.collapse.recentDistinct2).toBeCloseTo(distinctN(decoded, 2), 12);
    expect(r.collapse.recentRepetition).toBeCloseTo(repetitionRate(decoded), 12);
    expect(r.collapse.recentRepetition).toBeGreaterThan(0);
  });

  it('under sigmoid a lone thumbs trains nothing and train() refuses with BAD_REQUEST; kto trains it', async () => {
    const { s, gen } = await loaded('sigmoid');
    const t = await s.feedbackThumbs({ prompt: 'The sea', promptIds: gen.promptIds, completionIds: gen.tokenIds[0], desirable: true, train: true });
    expect(t.steps).toEqual([]);
    expect(t.untrainedReason).toMatch(/sigmoid/);
    await expect(s.train(1)).rejects.toSatisfy((e: unknown) => code(e) === 'BAD_REQUEST');
    await s.configureTrainer({ ...DEFAULT_TRAINER, objective: 'kto', lr: 1e-3, stepsPerVote: 1, batchSize: 4 });
    const steps = await s.train(1);
    expect(steps[0].loss).toBeCloseTo(0.5, 5);
    expect(s.step).toBe(1);
  });

  it('answers bad requests with BAD_REQUEST', async () => {
    const { s, gen } = await loaded();
    const bad = (p: Promise<unknown>) => expect(p).rejects.toSatisfy((e: unknown) => code(e) === 'BAD_REQUEST');
    await bad(s.feedbackRanking({ prompt: 'x', promptIds: gen.promptIds, rankedIds: [gen.tokenIds[0]], train: true }));
    await bad(s.feedbackThumbs({ prompt: 'x', promptIds: gen.promptIds, completionIds: [1e9], desirable: true, train: true }));
    // The tiny model's context is 48 tokens.
    await bad(s.feedbackThumbs({ prompt: 'x', promptIds: gen.promptIds, completionIds: Array(60).fill(1), desirable: false, train: true }));
    await bad(s.configureTrainer({ ...DEFAULT_TRAINER, objective: 'listnet' }));
    await bad(s.annotatePair({ id: 'x', criterion: 'toxicity', labelNoise: 0, positionBias: 0, seed: 1 }, 0, 'p', 'a', 'b'));
    await bad(s.subscribeMetrics(42 as unknown as () => void));
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

  it('streams every feedback and train result to listeners, batched, until unsubscribed', async () => {
    const { s, gen } = await loaded('sigmoid');
    const batches: LearnerMetricsEvent[][] = [];
    const id = await s.subscribeMetrics((e) => void batches.push(e));
    await s.feedback({ prompt: 'The sea', promptIds: gen.promptIds, aIds: gen.tokenIds[0], bIds: gen.tokenIds[1], outcome: 'a', train: true });
    await s.feedbackThumbs({ prompt: 'The sea', promptIds: gen.promptIds, completionIds: gen.tokenIds[2], desirable: false, train: true });
    await s.feedbackRanking({ prompt: 'The sea', promptIds: gen.promptIds, rankedIds: gen.tokenIds, train: false });
    await s.train(2);
    await new Promise((r) => setTimeout(r, 80));
    const events = batches.flat();
    expect(events.map((e) => e.kind)).toEqual(['feedback', 'feedback', 'feedback', 'train']);
    expect(events[0].steps.length).toBe(1);
    expect(events[0].collapse?.window).toBe(2);
    expect(events[1].steps).toEqual([]);
    expect(events[3].steps.length).toBe(2);
    expect(events[3].rewardModel).toBeNull();
    await s.unsubscribeMetrics(id);
    await s.train(1);
    await new Promise((r) => setTimeout(r, 80));
    expect(batches.flat().length).toBe(4);
  });
});
