/**
 * The state layer without the full app: a duel against a scripted engine (what it logs, how
 * votes and undo work), metric series rebuilt from the log, prompt files, simulation requests,
 * and the arena worker's ratings through Comlink.
 */
import * as Comlink from 'comlink';
import { describe, expect, it } from 'vitest';
import {
  createIdGenerator,
  createStarterSession,
  effectiveEvents,
  type DuelConfig,
  type SessionDocument,
  type SessionEvent,
} from '../../src/session/index';
import { DuelState, type DuelHost } from '../../src/state/duel.svelte';
import { JudgeClient } from '../../src/state/judge_client';
import type { EngineState } from '../../src/state/engine.svelte';
import { EngineLease } from '../../src/state/engine_lease';
import { countVotes, pendingCandidates } from '../../src/state/links';
import { METRIC, MetricSeries } from '../../src/state/metrics';
import type { PromptsState } from '../../src/state/prompts.svelte';
import { parsePromptFile } from '../../src/state/prompts.svelte';
import type { SessionState } from '../../src/state/session.svelte';
import { simulationRequest } from '../../src/state/simulate.svelte';
import type { ArenaApi } from '../../src/engine/arena_api';
import type { GenerateChunk, GenerateRequest } from '../../src/engine/api';

/** A session holder with the real edit semantics (`apply`) and no storage. */
function fakeSession(doc: SessionDocument) {
  const session = {
    doc,
    generation: 0,
    nextId: createIdGenerator({ seed: 11 }),
    apply(edit: (d: SessionDocument) => SessionDocument, generation?: number) {
      if (generation !== undefined && generation !== session.generation) return false;
      session.doc = edit(session.doc);
      return true;
    },
  };
  return session;
}

/** An engine that "generates" `tokens` per sequence, one per pull, as the real worker streams. */
function fakeEngine(tokens = 3) {
  const runs = new Map<string, { req: GenerateRequest; step: number }>();
  let next = 1;
  const requests: GenerateRequest[] = [];
  const api = {
    async generateStart(req: GenerateRequest) {
      requests.push(req);
      const handle = `h${next++}`;
      runs.set(handle, { req, step: 0 });
      return handle;
    },
    async generateNext(handle: string): Promise<GenerateChunk> {
      const run = runs.get(handle)!;
      run.step++;
      const ids = Array.from({ length: run.req.numSequences }, (_, b) => Array.from({ length: run.step }, (_, t) => 10 * b + t));
      return {
        texts: ids.map((seq, b) => `${run.req.policy ?? 'policy'}${b}:${seq.join(',')}`),
        tokenIds: ids,
        promptIds: [1, 2, 3],
        done: run.step >= tokens,
      };
    },
    async generateCancel() {},
  };
  const engine = { lease: new EngineLease(), ready: true, policyStep: 4, votesTrained: 0, api, promptIds: async () => [1, 2, 3] };
  return { engine: engine as unknown as EngineState, requests };
}

function duelHarness() {
  const nextId = createIdGenerator({ seed: 5 });
  const session = fakeSession(createStarterSession(nextId, { title: 'Test', now: 0 }));
  const duelId = session.doc.cells.find((c) => c.kind === 'duel')!.id;
  const { engine, requests } = fakeEngine();
  /** What the engine would be sent after each intent: the log's last intent when `learn` was called. */
  const votes: SessionEvent[] = [];
  /** Pairs logged by then (a pairwise vote draws the next pair before it asks to learn). */
  const pairsAtLearn: number[] = [];
  const prompts = { status: 'ready', prompts: ['first prompt', 'second prompt', 'third prompt'], error: null } as unknown as PromptsState;
  const host: DuelHost = {
    engine,
    session: session as unknown as SessionState,
    duelConfig: (id) => session.doc.cells.find((c) => c.id === id && c.kind === 'duel')?.config as DuelConfig | undefined,
    updateDuelConfig: (id, patch) => {
      session.doc = { ...session.doc, cells: session.doc.cells.map((c) => (c.id === id && c.kind === 'duel' ? { ...c, config: { ...c.config, ...patch } } : c)) };
    },
    promptsForDuel: async () => prompts,
    learn: async () => {
      votes.push([...session.doc.events].reverse().find((e) => e.type === 'vote' || e.type === 'undo')!);
      pairsAtLearn.push(session.doc.events.filter((e) => e.type === 'candidates').length);
      return null;
    },
    settingsEvents: () => [],
    arenaPair: async () => 'no arena in this test',
    // Never asked in these tests (the judge is a person): the worker is spawned only on first use.
    judges: new JudgeClient(),
  };
  return { session, duelId, host, votes, pairsAtLearn, requests };
}

describe('DuelState', () => {
  it('streams a pair, logs what was shown, and turns a vote into a vote event and a learning handoff', async () => {
    const { session, duelId, host, votes, pairsAtLearn, requests } = duelHarness();
    const duel = new DuelState(duelId, host);
    await duel.next();
    expect(duel.phase).toBe('ready');
    expect(duel.pair?.prompt).toBe('first prompt');
    expect(duel.pair?.left.text).toBe('policy0:0,1,2');
    expect(duel.pair?.right.text).toBe('policy1:10,11,12');
    expect(requests[0]).toMatchObject({ prompt: 'first prompt', numSequences: 2, maxNewTokens: 64 });
    const logged = session.doc.events.map((e) => e.type);
    expect(logged).toEqual(['prompt', 'candidates']);
    const candidates = session.doc.events[1]!;
    expect(candidates.type === 'candidates' && candidates.candidates.map((c) => [c.text, c.tokenIds, c.policySnapshot])).toEqual([
      ['policy0:0,1,2', [0, 1, 2], { step: 4 }],
      ['policy1:10,11,12', [10, 11, 12], { step: 4 }],
    ]);

    duel.critique = '  left is better  ';
    expect(await duel.vote('a')).toBe(true);
    // One learning request per vote, made after the vote and the next pair are in the log (the
    // person does not wait for learning to see the next pair).
    expect(votes).toHaveLength(1);
    expect(pairsAtLearn).toEqual([2]);
    expect(votes[0]).toMatchObject({ type: 'vote', kind: 'pair', outcome: 'a' });
    const vote = session.doc.events.find((e) => e.type === 'vote');
    expect(vote).toMatchObject({ kind: 'pair', outcome: 'a', critique: 'left is better', judge: 'human' });
    // The next pair is drawn from the next prompt with a different seed.
    expect(duel.pair?.prompt).toBe('second prompt');
    expect(requests[1]!.seed).not.toBe(requests[0]!.seed);
    expect(countVotes(session.doc.events, duelId)).toBe(1);
  });

  it('undo cancels the last vote in the log and puts its pair back; a reload restores an unvoted pair', async () => {
    const { session, duelId, host } = duelHarness();
    const duel = new DuelState(duelId, host);
    await duel.next();
    const first = duel.pair!;
    await duel.vote('tie');
    expect(countVotes(session.doc.events, duelId)).toBe(1);
    expect(duel.undo()).toBe(true);
    expect(countVotes(session.doc.events, duelId)).toBe(0);
    expect(session.doc.events.at(-1)?.type).toBe('undo');
    expect(duel.pair?.promptId).toBe(first.promptId);
    expect(duel.pair?.left.id).toBe(first.left.id);
    expect(duel.undo()).toBe(false); // nothing left to undo

    // A fresh DuelState (as after a reload) shows the unvoted pair instead of drawing a new one.
    expect(pendingCandidates(session.doc.events, duelId)?.candidates.promptId).toBe(first.promptId);
    const reloaded = new DuelState(duelId, host);
    expect(reloaded.phase).toBe('ready');
    expect(reloaded.pair?.left.text).toBe(first.left.text);
    expect(reloaded.pair?.right.id).toBe(first.right.id);
    expect(reloaded.pair?.promptIds).toBeNull(); // looked up from the engine when voting
    // After voting on it again, the last thing is a vote: nothing is pending.
    await reloaded.vote('a');
    const drawn = reloaded.pair!;
    expect(pendingCandidates(session.doc.events, duelId)?.candidates.promptId).toBe(drawn.promptId);
  });

  it('against the reference, one side is the reference snapshot and the sides are logged as shown', async () => {
    const { session, duelId, host, requests } = duelHarness();
    const duel = new DuelState(duelId, host);
    duel.opponent = 'reference';
    await duel.next();
    expect(requests.map((r) => r.policy)).toEqual(['policy', 'reference']);
    const snapshots = [duel.pair!.left.snapshot, duel.pair!.right.snapshot];
    expect(snapshots).toContainEqual({ step: 0, name: 'reference' });
    expect(snapshots).toContainEqual({ step: 4 });
    const shown = duel.pair!;
    await duel.vote('b');
    const vote = effectiveEvents(session.doc.events).find((e) => e.type === 'vote');
    expect(vote).toMatchObject({ a: shown.left.id, b: shown.right.id, outcome: 'b', shownOrder: [shown.left.id, shown.right.id] });
    const logged = session.doc.events.find((e) => e.type === 'candidates');
    expect(logged?.type === 'candidates' && logged.candidates.map((c) => c.id)).toEqual([shown.left.id, shown.right.id]);
  });

  it('work from a document that was replaced does not land in the new one', async () => {
    const { session, duelId, host } = duelHarness();
    const duel = new DuelState(duelId, host);
    const pending = duel.next();
    session.generation++; // another document was opened meanwhile
    await pending;
    expect(session.doc.events).toEqual([]);
  });
});

describe('MetricSeries', () => {
  it('pads metrics that start late and rebuilds from train_step events', () => {
    const series = new MetricSeries();
    series.push({ loss: 0.69 });
    series.push({ loss: 0.6, kl: 0.01 });
    expect(series.x).toEqual([1, 2]);
    expect(series.column('loss')).toEqual([0.69, 0.6]);
    expect(series.column('kl')).toEqual([null, 0.01]);
    expect(series.column('missing')).toEqual([null, null]);
    expect(series.last('kl')).toBe(0.01);

    const hyper = { objective: 'sigmoid' as const, beta: 0.1, epsilon: 0, lr: 1e-5, batchSize: 8 };
    const events: SessionEvent[] = [
      { seq: 0, t: 0, cellId: 'train1', type: 'train_step' as const, step: 1, hyper, metrics: { [METRIC.loss]: 0.69 } },
      { seq: 1, t: 0, cellId: 'other', type: 'train_step' as const, step: 1, hyper, metrics: { [METRIC.loss]: 9 } },
      { seq: 2, t: 0, cellId: 'train1', type: 'train_step' as const, step: 2, hyper, metrics: { [METRIC.loss]: 0.5, [METRIC.rmAccuracy]: 0.75 } },
    ];
    const rebuilt = MetricSeries.fromEvents(events, 'train1');
    expect(rebuilt.column(METRIC.loss)).toEqual([0.69, 0.5]);
    expect(rebuilt.last(METRIC.rmAccuracy)).toBe(0.75);
  });
});

describe('prompt files and simulation requests', () => {
  it('reads prompts from text, JSON and JSONL, and names the bad line', () => {
    expect(parsePromptFile('p.txt', 'one\ntwo\n\n')).toEqual({ ok: true, prompts: ['one', 'two'] });
    expect(parsePromptFile('p.txt', 'a long\nprompt\n\nsecond')).toEqual({ ok: true, prompts: ['a long\nprompt', 'second'] });
    expect(parsePromptFile('p.json', '{"prompts": ["x", {"prompt": "y"}]}')).toEqual({ ok: true, prompts: ['x', 'y'] });
    expect(parsePromptFile('p.jsonl', '"x"\n{"prompt": "y"}\n')).toEqual({ ok: true, prompts: ['x', 'y'] });
    expect(parsePromptFile('p.jsonl', '"x"\n{oops\n')).toEqual({ ok: false, error: 'line 2: not valid JSON' });
    expect(parsePromptFile('p.json', '{"nope": 1}').ok).toBe(false);
    expect(parsePromptFile('p.txt', '   \n').ok).toBe(false);
  });

  it('builds a simulation request with held-out prompts, and refuses what the engine cannot run', () => {
    const config = {
      annotator: { id: 'sim', criterion: 'length', labelNoise: 0.25, positionBias: 0, seed: 7, params: { targetWords: 12 } },
      objective: 'ipo' as const,
      beta: 0.2,
      lr: 1e-4,
      votes: 50,
      seed: 3,
    };
    const prompts = Array.from({ length: 10 }, (_, i) => `p${i}`);
    const request = simulationRequest(config, prompts);
    if (typeof request === 'string') throw new Error(request);
    expect(request).toMatchObject({ annotator: 'length', flipRate: 0.25, targetWords: 12, votes: 50, seed: 3 });
    expect(request.trainer).toMatchObject({ objective: 'ipo', beta: 0.2, lr: 1e-4 });
    expect(request.evalPrompts).toEqual(['p4', 'p9']);
    expect(request.trainPrompts).not.toContain('p4');
    expect(simulationRequest({ ...config, annotator: { ...config.annotator, criterion: 'humour' } }, prompts)).toMatch(/no “humour” annotator/);
    expect(simulationRequest({ ...config, annotator: { ...config.annotator, labelNoise: 0.7 } }, prompts)).toMatch(/at most 0.5/);
  });
});

describe('arena worker', () => {
  it('rates snapshots from battles through Comlink, best first, with intervals and matrices', async () => {
    const worker = new Worker(new URL('../../src/worker_api/arena.worker.ts', import.meta.url), { type: 'module' });
    const api = Comlink.wrap<ArenaApi>(worker);
    try {
      const battles = [
        ...Array.from({ length: 8 }, () => ({ modelA: 'step-9', modelB: 'reference', outcome: 'a' as const })),
        ...Array.from({ length: 2 }, () => ({ modelA: 'reference', modelB: 'step-9', outcome: 'a' as const })),
        { modelA: 'reference', modelB: 'step-9', outcome: 'tie' as const },
        { modelA: 'step-9', modelB: 'reference', outcome: 'bothbad' as const },
      ];
      const result = await api.leaderboard({ battles, tieModel: 'half', bootstrapRounds: 200, seed: 1 });
      expect(result.names).toEqual(['step-9', 'reference']);
      expect(result.rows[0]).toMatchObject({ name: 'step-9', wins: 8, losses: 2, ties: 1, bothBad: 1, battles: 12 });
      expect(result.rows[0]!.rating).toBeGreaterThan(result.rows[1]!.rating);
      expect(result.rows[0]!.lower).toBeLessThan(result.rows[0]!.rating);
      expect(result.rows[0]!.upper).toBeGreaterThan(result.rows[0]!.rating);
      expect(result.winRate[0]![1]).toBeCloseTo(0.8, 10);
      expect(result.counts[0]![1]).toBe(12);
      expect(result.ciMethod).toBe('bootstrap');
      // The same request gives the same numbers (seeded bootstrap): share links reproduce ratings.
      expect(await api.leaderboard({ battles, tieModel: 'half', bootstrapRounds: 200, seed: 1 })).toEqual({ ...result, fitMs: expect.any(Number) });
      const empty = await api.leaderboard({ battles: [], tieModel: 'davidson', bootstrapRounds: 0, seed: 1 });
      expect(empty.rows).toEqual([]);

      // Pair selection: a seeded rule replayed over the battles proposes two distinct competitors.
      const names = ['reference', 'early', 'step-9'];
      for (const selection of ['uniform', 'arena-weighted', 'closeness-uncertainty', 'rucb', 'ccb', 'double-thompson', 'pairs', 'knockout'] as const) {
        const pair = await api.nextPair({ selection, names, battles, seed: 4 });
        expect(pair, selection).not.toBeNull();
        expect(names).toContain(pair![0]);
        expect(names).toContain(pair![1]);
        expect(pair![0]).not.toBe(pair![1]);
        expect(await api.nextPair({ selection, names, battles, seed: 4 }), `${selection} is deterministic`).toEqual(pair);
      }
      // Arena-weighted balancing favours the competitor with no battles yet.
      const draws = await Promise.all(Array.from({ length: 30 }, (_, seed) => api.nextPair({ selection: 'arena-weighted', names, battles, seed })));
      expect(draws.filter((p) => p!.includes('early')).length).toBeGreaterThan(15);
      expect(await api.nextPair({ selection: 'uniform', names: ['only'], battles: [], seed: 1 })).toBeNull();
    } finally {
      worker.terminate();
    }
  });
});
