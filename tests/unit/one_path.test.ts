/**
 * One learning path (Node, CPU engine). A session is played the way the page plays it: the
 * Duel appends prompt, candidates and vote events and the state layer's LearningSync sends the
 * new intents to the engine in one `reduce` request, logging the derived records. The log holds
 * pairs, a ranking, thumbs, a tie, an undo, "Train now", reward-model relabelling and a
 * mid-session settings change. Then a freshly loaded engine opens the recorded log the way a
 * reload, an import or a share link does. Both must end with bit-identical weights, and the
 * opened session's recomputed records must match the logged ones exactly (same backend).
 */
import { describe, expect, it } from 'vitest';
import { EngineService } from '../../src/engine/service';
import {
  appendEvents,
  createCell,
  createIdGenerator,
  createSession,
  undoEvent,
  updateCell,
  withoutDerivedRecords,
  cancelledSeqs,
  type DuelConfig,
  type NewSessionEvent,
  type SessionDocument,
  type TrainConfig,
} from '../../src/session/index';
import type { EngineState } from '../../src/state/engine.svelte';
import { EngineLease } from '../../src/state/engine_lease';
import type { SessionState } from '../../src/state/session.svelte';
import { LearningSync } from '../../src/state/learning.svelte';
import { TrainState } from '../../src/state/train.svelte';
import { METRIC } from '../../src/state/metrics';
import type { ModelSource } from '../../src/engine/api';
import { tinyModelSource } from '../support/tiny_checkpoint';

const source = (): ModelSource => tinyModelSource();

/** The page's state objects around a real EngineService; `calls` counts every engine request. */
async function page(doc: SessionDocument) {
  const service = new EngineService(undefined);
  await service.loadModel(source(), 'cpu');
  const calls: string[] = [];
  const api = new Proxy(service, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      return typeof value === 'function' ? (...args: unknown[]) => (calls.push(String(key)), value.apply(target, args)) : value;
    },
  });
  const engine = { lease: new EngineLease(), api, epoch: 1, policyStep: 0, votesTrained: 0, status: 'ready', ready: true } as unknown as EngineState;
  const session: { doc: SessionDocument; generation: number; apply(edit: (d: SessionDocument) => SessionDocument, generation?: number): boolean } = {
    doc,
    generation: 0,
    apply(edit, generation) {
      if (generation !== undefined && generation !== this.generation) return false;
      this.doc = edit(this.doc);
      return true;
    },
  };
  const trainId = doc.cells.find((c) => c.kind === 'train')!.id;
  const train = new TrainState(trainId, engine, session as unknown as SessionState);
  train.healthEvery = 0; // KL checks are separate read-only requests; this test counts learning's
  const learning = new LearningSync(engine, session as unknown as SessionState, {
    onReduced: (result, settings, generation, live) => train.onReduced(result, settings, generation, live, null),
  });
  return { service, engine, session, learning, train, calls };
}

const sampling = { temperature: 1, topK: 0, topP: 1, maxTokens: 5 };
const trainConfig: TrainConfig = { objective: 'sigmoid', beta: 0.5, epsilon: 0, lr: 1e-3, stepsPerVote: 2, batchSize: 4, bufferSize: 100, updateAfterEveryVote: true };

function starterDoc(): SessionDocument {
  const nextId = createIdGenerator({ seed: 5 });
  const duelConfig: DuelConfig = { mode: 'pairwise', candidatesPerPrompt: 2, judge: { kind: 'human' }, sampling, seed: 1, relabel: { pairs: 1, minConfidence: 0.5, maxStd: 0.5 } };
  const duel = createCell('duel', nextId, { config: duelConfig });
  const train = createCell('train', nextId, { config: { ...trainConfig, duelCellId: duel.id } });
  return createSession({ title: 'One path', now: 0, cells: [duel, train] });
}

type Page = Awaited<ReturnType<typeof page>>;

/** Plays the session live: every intent is appended as the page appends it, then one sync. */
async function playLive(p: Page): Promise<{ requestsPerVote: number[] }> {
  const duelId = p.session.doc.cells.find((c) => c.kind === 'duel')!.id;
  const trainId = p.session.doc.cells.find((c) => c.kind === 'train')!.id;
  const requestsPerVote: number[] = [];
  let n = 0;
  const show = async (prompt: string, count: number): Promise<{ promptId: string; ids: string[] }> => {
    const i = n++;
    const gen = await p.service.generate({ prompt, numSequences: count, maxNewTokens: sampling.maxTokens, temperature: 1, topK: 0, topP: 1, seed: 100 + i });
    const ids = gen.tokenIds.map((_, k) => `c${i}_${k}`);
    p.session.apply((d) =>
      appendEvents(d, [
        { type: 'prompt', cellId: duelId, promptId: `p${i}`, text: prompt },
        { type: 'candidates', cellId: duelId, promptId: `p${i}`, seed: 100 + i, sampling, candidates: ids.map((id, k) => ({ id, text: gen.texts[k]!, tokenIds: gen.tokenIds[k]!, policySnapshot: { step: p.engine.policyStep } })) },
      ]),
    );
    return { promptId: `p${i}`, ids };
  };
  const vote = async (event: NewSessionEvent) => {
    p.session.apply((d) => appendEvents(d, [...p.learning.settingsEvents(d), event]));
    const before = p.calls.length;
    await p.learning.sync();
    requestsPerVote.push(p.calls.length - before);
  };
  const pair = async (prompt: string, outcome: 'a' | 'b' | 'tie') => {
    const { promptId, ids } = await show(prompt, 2);
    await vote({ type: 'vote', kind: 'pair', cellId: duelId, promptId, a: ids[0]!, b: ids[1]!, outcome, shownOrder: [ids[0]!, ids[1]!], judge: 'human' });
  };
  await pair('The sea', 'a');
  await pair('A good day', 'b');
  await pair('They said', 'tie');
  {
    const { promptId, ids } = await show('In the morning', 3);
    await vote({ type: 'vote', kind: 'rank', cellId: duelId, promptId, order: [ids[2]!, ids[0]!, ids[1]!], judge: 'human' });
  }
  // Undo the ranking: the weights must be those of the log without it.
  const rankSeq = p.session.doc.events.filter((e) => e.type === 'vote').at(-1)!.seq;
  p.session.apply((d) => undoEvent(d, rankSeq, duelId));
  await p.learning.sync();
  // A mid-session settings change (IPO, β 0.2, no relabelling), then thumbs under it.
  p.session.apply((d) => updateCell(d, trainId, { config: { ...trainConfig, objective: 'ipo', beta: 0.2, duelCellId: duelId } }));
  p.session.apply((d) => {
    const duel = d.cells.find((c) => c.id === duelId)!;
    return updateCell(d, duelId, { config: { ...(duel.config as DuelConfig), relabel: { pairs: 0, minConfidence: 0.5, maxStd: 0.5 } } });
  });
  {
    const { promptId, ids } = await show('We hope', 2);
    await vote({ type: 'vote', kind: 'thumbs', cellId: duelId, promptId, candidate: ids[0]!, up: true, judge: 'human' });
    await vote({ type: 'vote', kind: 'thumbs', cellId: duelId, promptId, candidate: ids[1]!, up: false, judge: 'human' });
  }
  // "Train now".
  p.session.apply((d) => appendEvents(d, [...p.learning.settingsEvents(d), { type: 'train', cellId: trainId, steps: 3 }]));
  await p.learning.sync();
  await pair('The sea', 'b');
  return { requestsPerVote };
}

/** Whether a relabel event belongs to an undone vote (the reducer does not redo those). */
function unseen(doc: SessionDocument, seq: number): boolean {
  const e = doc.events.find((x) => x.seq === seq);
  return e?.type === 'relabel' && e.intentSeq !== undefined && cancelledSeqs(doc.events).has(e.intentSeq);
}

async function weights(s: EngineService): Promise<Map<string, Float32Array>> {
  return s.requirePolicy().model.readWeights();
}

describe('one learning path: live voting and opening a session reduce the same log', () => {
  it('gives bit-identical weights and matching records, with undo, relabelling, rankings, thumbs and a settings change', async () => {
    const live = await page(starterDoc());
    const { requestsPerVote } = await playLive(live);
    const doc = live.session.doc;
    const types = doc.events.map((e) => e.type);
    expect(types.filter((t) => t === 'settings').length).toBe(2);
    expect(types).toContain('relabel');
    expect(types).toContain('undo');
    expect(types).toContain('train');
    expect(live.learning.syncError).toBeNull();

    // Learning from one vote costs one request to the engine worker.
    expect(requestsPerVote).toEqual(requestsPerVote.map(() => 1));
    expect(requestsPerVote.length).toBe(7);

    const opened = await page(structuredClone(doc));
    await opened.learning.open(opened.session.doc);
    expect(opened.learning.error).toBeNull();
    expect(opened.learning.status).toBe('done');
    expect(opened.learning.firstDivergence).toBeNull();
    expect(opened.learning.maxLossDelta).toBe(0);
    expect(opened.calls.filter((c) => c === 'reduce').length).toBe(1);

    const a = await weights(live.service);
    const b = await weights(opened.service);
    for (const [name, w] of a) expect(Buffer.from(b.get(name)!.buffer).equals(Buffer.from(w.buffer)), name).toBe(true);
    expect(opened.engine.policyStep).toBe(live.engine.policyStep);
    // The ranking was undone: 6 votes learned (3 pairs, 2 thumbs, the last pair).
    expect(opened.engine.votesTrained).toBe(6);
    expect(live.engine.votesTrained).toBe(6);
    // Every step the weights hold was compared with the log.
    expect(opened.learning.stepsDone).toBe(opened.engine.policyStep);
  });

  it('an intents-only log (as peers exchange) opens to the same weights and gets its records logged', async () => {
    const live = await page(starterDoc());
    await playLive(live);
    const intentsOnly = withoutDerivedRecords(live.session.doc);
    expect(intentsOnly.events.some((e) => e.type === 'train_step' || e.type === 'relabel')).toBe(false);
    const opened = await page(structuredClone(intentsOnly));
    await opened.learning.open(opened.session.doc);
    expect(opened.learning.status).toBe('done');
    const a = await weights(live.service);
    const b = await weights(opened.service);
    for (const [name, w] of a) expect(Buffer.from(b.get(name)!.buffer).equals(Buffer.from(w.buffer)), name).toBe(true);
    // The recomputed records are logged, so opening that document again checks them all.
    expect(opened.learning.recordsAdded).toBe(opened.engine.policyStep);
    expect(opened.session.doc.events.filter((e) => e.type === 'relabel').length).toBe(live.session.doc.events.filter((e) => e.type === 'relabel' && !unseen(live.session.doc, e.seq)).length);
    const again = await page(structuredClone(opened.session.doc));
    await again.learning.open(again.session.doc);
    expect(again.learning.firstDivergence).toBeNull();
    expect(again.learning.stepsDone).toBe(again.engine.policyStep);
    expect(again.learning.recordsAdded).toBe(0);
  });

  it('a tampered logged step is reported where it differs', async () => {
    const live = await page(starterDoc());
    await playLive(live);
    const doc = structuredClone(live.session.doc);
    const step = doc.events.find((e) => e.type === 'train_step')!;
    if (step.type !== 'train_step') throw new Error('unreachable');
    step.metrics[METRIC.loss] = (step.metrics[METRIC.loss] ?? 0) + 0.5;
    const opened = await page(doc);
    await opened.learning.open(doc);
    expect(opened.learning.firstDivergence?.seq).toBe(step.seq);
  });
});
