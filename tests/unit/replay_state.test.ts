/**
 * ReplayState against the real engine (Node, CPU backend): a session is played live the way the
 * app plays it (pairs generated and logged, votes, feedback with training, a tie, an undo, a
 * "Train now"), then a freshly loaded engine replays the log. Same backend, so the replayed
 * metrics equal the logged ones exactly and the weights score a text identically; a tampered
 * log is caught at the tampered step; a cancelled replay names the steps it did not redo.
 */
import { describe, expect, it } from 'vitest';
import { EngineService } from '../../src/engine/service';
import {
  appendEvents,
  createCell,
  createIdGenerator,
  createSession,
  undoEvent,
  type SessionDocument,
  type TrainConfig,
} from '../../src/session/index';
import type { EngineState } from '../../src/state/engine.svelte';
import { stepMetricsRecord } from '../../src/state/metrics';
import { ReplayState } from '../../src/state/replay.svelte';
import { trainerSettings } from '../../src/state/train.svelte';
import type { ModelSource, StepMetrics, RewardModelStatus } from '../../src/engine/api';
import { tinyCheckpoint } from '../support/tiny_checkpoint';

function source(): ModelSource {
  const ck = tinyCheckpoint(9);
  return { kind: 'files', name: 'tiny', config: JSON.stringify(ck.hfConfig), tokenizer: JSON.stringify(ck.tokenizer), weights: ck.safetensors.buffer.slice(0) as ArrayBuffer };
}

async function loadedEngine(): Promise<{ service: EngineService; engine: EngineState }> {
  const service = new EngineService(undefined);
  await service.loadModel(source(), 'cpu');
  const engine = {
    api: service,
    epoch: 1,
    policyStep: 0,
    async promptIds(prompt: string) {
      return (await service.generate({ prompt, numSequences: 1, maxNewTokens: 0, temperature: 0, topK: 0, topP: 1, seed: 0 })).promptIds;
    },
  };
  return { service, engine: engine as unknown as EngineState };
}

const sampling = { temperature: 1, topK: 0, topP: 1, maxTokens: 5 };
const trainConfig: TrainConfig = { objective: 'sigmoid', beta: 0.5, epsilon: 0, lr: 1e-3, stepsPerVote: 2, batchSize: 4, bufferSize: 100, updateAfterEveryVote: true };
const PROBE = { prompt: 'The sea', completions: [' is calm today.'] };

/** Plays a short session live, logging exactly what the Duel and Train cells log. */
async function liveSession(): Promise<{ doc: SessionDocument; service: EngineService }> {
  const { service } = await loadedEngine();
  const nextId = createIdGenerator({ seed: 5 });
  const duel = createCell('duel', nextId, { config: { mode: 'pairwise', candidatesPerPrompt: 2, judge: { kind: 'human' }, sampling, seed: 1 } });
  const train = createCell('train', nextId, { config: { ...trainConfig, duelCellId: duel.id } });
  let doc = createSession({ title: 'Live', now: 0, cells: [duel, train] });
  await service.configureTrainer(trainerSettings(trainConfig));
  let rm: RewardModelStatus | null = null;
  const log = (steps: StepMetrics[]) => {
    doc = appendEvents(
      doc,
      steps.map((step) => ({ type: 'train_step' as const, cellId: train.id, step: step.step, hyper: { objective: 'sigmoid' as const, beta: 0.5, epsilon: 0, lr: 1e-3, batchSize: 4, seed: 0 }, metrics: stepMetricsRecord(step, rm, null) })),
    );
  };
  const prompts = ['The sea', 'A good day', 'They said', 'In the morning', 'We hope'];
  const outcomes = ['a', 'tie', 'b', 'a', 'b'] as const;
  let lastVoteSeq = -1;
  for (const [i, prompt] of prompts.entries()) {
    const seed = 100 + i;
    const gen = await service.generate({ prompt, numSequences: 2, maxNewTokens: sampling.maxTokens, temperature: 1, topK: 0, topP: 1, seed });
    const [a, b] = [`a${i}`, `b${i}`];
    doc = appendEvents(doc, [
      { type: 'prompt', cellId: duel.id, promptId: `p${i}`, text: prompt },
      {
        type: 'candidates',
        cellId: duel.id,
        promptId: `p${i}`,
        seed,
        sampling,
        candidates: [
          { id: a, text: gen.texts[0]!, tokenIds: gen.tokenIds[0]!, policySnapshot: { step: service.step } },
          { id: b, text: gen.texts[1]!, tokenIds: gen.tokenIds[1]!, policySnapshot: { step: service.step } },
        ],
      },
      { type: 'vote', kind: 'pair', cellId: duel.id, promptId: `p${i}`, a, b, outcome: outcomes[i]!, shownOrder: [a, b], judge: 'human' },
    ]);
    lastVoteSeq = doc.events[doc.events.length - 1]!.seq;
    const result = await service.feedback({ prompt, promptIds: gen.promptIds, aIds: gen.tokenIds[0]!, bIds: gen.tokenIds[1]!, outcome: outcomes[i]!, train: true });
    rm = result.rewardModel;
    log(result.steps);
    if (i === 2) log(await service.train(3)); // "Train now"
  }
  doc = undoEvent(doc, lastVoteSeq, duel.id); // undone, but the weights learned from it
  return { doc, service };
}

describe('ReplayState (Node, CPU engine)', () => {
  it('rebuilds the same weights from the log, step for step', async () => {
    const { doc, service } = await liveSession();
    const { service: fresh, engine } = await loadedEngine();
    const replay = new ReplayState(engine);
    await replay.run(doc);
    expect(replay.status).toBe('done');
    expect(replay.error).toBeNull();
    expect(replay.firstDivergence).toBeNull();
    expect(replay.votesDone).toBe(5);
    expect(replay.stepsDone).toBe(4 * 2 + 3);
    expect(replay.maxLossDelta).toBe(0);
    expect(replay.candidatesChecked).toBe(10);
    expect(replay.candidatesDiffering).toBe(0);
    expect(engine.policyStep).toBe(11);
    expect(engine.epoch).toBe(2); // the Train cells must reconfigure
    expect(replay.unseenStepSeqs.size).toBe(0);
    expect((await fresh.score(PROBE)).sums).toEqual((await service.score(PROBE)).sums);
    const untrained = await loadedEngine();
    expect((await untrained.service.score(PROBE)).sums).not.toEqual((await service.score(PROBE)).sums);
  });

  it('says where a tampered log first diverges', async () => {
    const { doc } = await liveSession();
    const steps = doc.events.filter((e) => e.type === 'train_step');
    const target = steps[4]!;
    const tampered: SessionDocument = {
      ...doc,
      events: doc.events.map((e) => (e.seq === target.seq && e.type === 'train_step' ? { ...e, metrics: { ...e.metrics, loss: (e.metrics['loss'] ?? 0) + 0.01 } } : e)),
    };
    const { engine } = await loadedEngine();
    const replay = new ReplayState(engine);
    await replay.run(tampered);
    expect(replay.status).toBe('done');
    expect(replay.firstDivergence).toMatchObject({ seq: target.seq, what: `loss at step ${target.step}` });
    expect(replay.maxLossDelta).toBeCloseTo(0.01, 6);
  });

  it('stops when cancelled and names the logged steps the weights have not seen', async () => {
    const { doc } = await liveSession();
    const { engine } = await loadedEngine();
    const replay = new ReplayState(engine);
    let settled = false;
    void replay.settled().then(() => (settled = true));
    await replay.run(doc, { onFeedback: () => replay.cancel() });
    expect(replay.status).toBe('cancelled');
    expect(replay.votesDone).toBe(1);
    expect(engine.policyStep).toBe(2);
    const logged = doc.events.filter((e) => e.type === 'train_step').map((e) => e.seq);
    expect([...replay.unseenStepSeqs].sort((x, y) => x - y)).toEqual(logged.slice(2));
    await Promise.resolve();
    expect(settled).toBe(true);
  });
});

describe('ReplayState with rankings and thumbs', () => {
  /** A ranking of three and an up/down pair of thumbs on one prompt, trained live under DPO. */
  async function rankAndThumbsSession(): Promise<{ doc: SessionDocument; service: EngineService }> {
    const { service } = await loadedEngine();
    const nextId = createIdGenerator({ seed: 7 });
    const duel = createCell('duel', nextId, { config: { mode: 'rank', candidatesPerPrompt: 3, judge: { kind: 'human' }, sampling, seed: 1 } });
    const train = createCell('train', nextId, { config: { ...trainConfig, duelCellId: duel.id } });
    let doc = createSession({ title: 'Rank and thumbs', now: 0, cells: [duel, train] });
    await service.configureTrainer(trainerSettings(trainConfig));
    const log = (steps: StepMetrics[]) => {
      doc = appendEvents(
        doc,
        steps.map((step) => ({ type: 'train_step' as const, cellId: train.id, step: step.step, hyper: { objective: 'sigmoid' as const, beta: 0.5, epsilon: 0, lr: 1e-3, batchSize: 4, seed: 0 }, metrics: stepMetricsRecord(step, null, null) })),
      );
    };
    const prompt = 'The sea';
    const gen = await service.generate({ prompt, numSequences: 3, maxNewTokens: sampling.maxTokens, temperature: 1, topK: 0, topP: 1, seed: 42 });
    doc = appendEvents(doc, [
      { type: 'prompt', cellId: duel.id, promptId: 'p0', text: prompt },
      {
        type: 'candidates',
        cellId: duel.id,
        promptId: 'p0',
        seed: 42,
        sampling,
        candidates: gen.texts.map((text, i) => ({ id: `c${i}`, text, tokenIds: gen.tokenIds[i]!, policySnapshot: { step: service.step } })),
      },
      { type: 'vote', kind: 'rank', cellId: duel.id, promptId: 'p0', order: ['c2', 'c0', 'c1'], judge: 'human' },
    ]);
    const ranked = await service.feedbackRanking({ prompt, promptIds: gen.promptIds, rankedIds: [gen.tokenIds[2]!, gen.tokenIds[0]!, gen.tokenIds[1]!], train: true });
    expect(ranked.steps.length).toBe(2);
    log(ranked.steps);
    for (const [candidate, up] of [['c0', true], ['c1', false]] as const) {
      doc = appendEvents(doc, [{ type: 'vote', kind: 'thumbs', cellId: duel.id, promptId: 'p0', candidate, up, judge: 'human' }]);
      const i = Number(candidate.slice(1));
      const r = await service.feedbackThumbs({ prompt, promptIds: gen.promptIds, completionIds: gen.tokenIds[i]!, desirable: up, train: true });
      log(r.steps);
    }
    return { doc, service };
  }

  it('replays rankings and thumbs through the engine to the same weights', async () => {
    const { doc, service } = await rankAndThumbsSession();
    const logged = doc.events.filter((e) => e.type === 'train_step').length;
    // The lone 👍 trains nothing under DPO; the 👎 after it makes an up/down pair that does.
    expect(logged).toBe(4);
    const { service: fresh, engine } = await loadedEngine();
    const replay = new ReplayState(engine);
    await replay.run(doc);
    expect(replay.status).toBe('done');
    expect(replay.firstDivergence).toBeNull();
    expect(replay.votesDone).toBe(3);
    expect(replay.stepsDone).toBe(logged);
    expect(replay.maxLossDelta).toBe(0);
    expect(replay.unseenStepSeqs.size).toBe(0);
    expect((await fresh.score(PROBE)).sums).toEqual((await service.score(PROBE)).sums);
  });
});

describe('ReplayState with reward-model relabelling', () => {
  /** Per vote, R fresh pairs the reward model labels (as the Duel cell's relabelling does). */
  const RELABEL_PAIRS = 2;

  /**
   * Three judged pairs, each followed by the reward model labelling two fresh pairs with bounds
   * that accept any label (confidence ≥ ½, std ≤ ½), logged as the Duel and Train cells log
   * them: the `relabel` event, then the `train_step`s its call took. The last call asks for
   * confidence 1, which the reward model never reaches: a rejected call.
   */
  async function relabelSession(): Promise<{ doc: SessionDocument; service: EngineService; accepted: number; syntheticSteps: number }> {
    const { service } = await loadedEngine();
    const nextId = createIdGenerator({ seed: 11 });
    const duel = createCell('duel', nextId, { config: { mode: 'pairwise', candidatesPerPrompt: 2, judge: { kind: 'human' }, sampling, seed: 1, relabel: { pairs: RELABEL_PAIRS, minConfidence: 0.5, maxStd: 0.5 } } });
    const train = createCell('train', nextId, { config: { ...trainConfig, duelCellId: duel.id } });
    let doc = createSession({ title: 'Relabel', now: 0, cells: [duel, train] });
    await service.configureTrainer(trainerSettings(trainConfig));
    const log = (steps: StepMetrics[]) => {
      doc = appendEvents(
        doc,
        steps.map((step) => ({ type: 'train_step' as const, cellId: train.id, step: step.step, hyper: { objective: 'sigmoid' as const, beta: 0.5, epsilon: 0, lr: 1e-3, batchSize: 4, seed: 0 }, metrics: stepMetricsRecord(step, null, null) })),
      );
    };
    let accepted = 0;
    let syntheticSteps = 0;
    const prompts = ['The sea', 'A good day', 'They said'];
    const outcomes = ['a', 'b', 'a'] as const;
    for (const [i, prompt] of prompts.entries()) {
      // The second pair is drawn as "most uncertain of 4" draws it: two of a 4-sample request.
      const pool = await service.generate({ prompt, numSequences: i === 1 ? 4 : 2, maxNewTokens: sampling.maxTokens, temperature: 1, topK: 0, topP: 1, seed: 200 + i });
      const gen = i === 1 ? { ...pool, texts: [pool.texts[3]!, pool.texts[1]!], tokenIds: [pool.tokenIds[3]!, pool.tokenIds[1]!] } : pool;
      doc = appendEvents(doc, [
        { type: 'prompt', cellId: duel.id, promptId: `p${i}`, text: prompt },
        {
          type: 'candidates',
          cellId: duel.id,
          promptId: `p${i}`,
          seed: 200 + i,
          sampling,
          candidates: [
            { id: `a${i}`, text: gen.texts[0]!, tokenIds: gen.tokenIds[0]!, policySnapshot: { step: service.step } },
            { id: `b${i}`, text: gen.texts[1]!, tokenIds: gen.tokenIds[1]!, policySnapshot: { step: service.step } },
          ],
        },
        { type: 'vote', kind: 'pair', cellId: duel.id, promptId: `p${i}`, a: `a${i}`, b: `b${i}`, outcome: outcomes[i]!, shownOrder: [`a${i}`, `b${i}`], judge: 'human' },
      ]);
      log((await service.feedback({ prompt, promptIds: gen.promptIds, aIds: gen.tokenIds[0]!, bIds: gen.tokenIds[1]!, outcome: outcomes[i]!, train: true })).steps);
      const fresh = await service.generate({ prompt, numSequences: 2 * RELABEL_PAIRS, maxNewTokens: sampling.maxTokens, temperature: 1, topK: 0, topP: 1, seed: 300 + i });
      const calls = Array.from({ length: RELABEL_PAIRS }, (_, r) => ({ aIds: fresh.tokenIds[2 * r]!, bIds: fresh.tokenIds[2 * r + 1]!, minConfidence: 0.5, maxStd: 0.5 }));
      if (i === prompts.length - 1) calls.push({ aIds: fresh.tokenIds[0]!, bIds: fresh.tokenIds[3]!, minConfidence: 1, maxStd: 0.5 });
      for (const call of calls) {
        const result = await service.relabel({ promptIds: gen.promptIds, ...call, train: true });
        if (result.accepted) accepted++;
        syntheticSteps += result.steps.length;
        doc = appendEvents(doc, [{ type: 'relabel', cellId: duel.id, promptId: `p${i}`, ...call, accepted: result.accepted, preferred: result.preferred, pAB: result.pAB, std: result.std }]);
        log(result.steps);
      }
    }
    return { doc, service, accepted, syntheticSteps };
  }

  it('redoes the relabelling calls and reaches the same weights, with no divergence', async () => {
    const { doc, service, accepted, syntheticSteps } = await relabelSession();
    // Every call but the last (confidence 1) was accepted and took stepsPerVote = 2 steps.
    expect(accepted).toBe(3 * RELABEL_PAIRS);
    expect(syntheticSteps).toBe(3 * RELABEL_PAIRS * 2);
    const relabels = doc.events.filter((e) => e.type === 'relabel');
    expect(relabels.map((e) => e.accepted)).toEqual([true, true, true, true, true, true, false]);
    expect(doc.events.filter((e) => e.type === 'vote')).toHaveLength(3);

    const { service: fresh, engine } = await loadedEngine();
    const replay = new ReplayState(engine);
    await replay.run(doc);
    expect(replay.status).toBe('done');
    expect(replay.error).toBeNull();
    expect(replay.plan?.gaps).toEqual([]);
    expect(replay.firstDivergence).toBeNull();
    expect(replay.votesDone).toBe(3);
    expect(replay.relabelsDone).toBe(7);
    expect(replay.stepsDone).toBe(3 * 2 + syntheticSteps);
    expect(replay.maxLossDelta).toBe(0);
    // Including the pair drawn from a pool of 4, found among the regenerated pool.
    expect(replay.candidatesChecked).toBe(6);
    expect(replay.candidatesDiffering).toBe(0);
    expect(engine.policyStep).toBe(3 * 2 + syntheticSteps);
    expect(replay.unseenStepSeqs.size).toBe(0);
    expect((await fresh.score(PROBE)).sums).toEqual((await service.score(PROBE)).sums);

    // The same log without its relabel events replays the synthetic steps as "Train now" on a
    // buffer that never held the synthetic pairs: other weights. The events are what it takes.
    const withoutRelabels: SessionDocument = { ...doc, events: doc.events.filter((e) => e.type !== 'relabel') };
    const { service: other, engine: otherEngine } = await loadedEngine();
    const blind = new ReplayState(otherEngine);
    await blind.run(withoutRelabels);
    expect(blind.relabelsDone).toBe(0);
    expect((await other.score(PROBE)).sums).not.toEqual((await service.score(PROBE)).sums);
  });

  it('says where the log contradicts the reward model’s relabelling decision', async () => {
    const { doc } = await relabelSession();
    const rejected = doc.events.find((e) => e.type === 'relabel' && !e.accepted)!;
    const tampered: SessionDocument = { ...doc, events: doc.events.map((e) => (e.seq === rejected.seq && e.type === 'relabel' ? { ...e, accepted: true } : e)) };
    const { engine } = await loadedEngine();
    const replay = new ReplayState(engine);
    await replay.run(tampered);
    expect(replay.status).toBe('done');
    expect(replay.firstDivergence).toMatchObject({ seq: rejected.seq, what: 'the reward model’s relabelling decision' });
    expect(replay.firstDivergence?.expected).toMatch(/^accepted, [AB] preferred$/);
    expect(replay.firstDivergence?.actual).toMatch(/^rejected, [AB] preferred$/);
  });
});
