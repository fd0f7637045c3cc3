import { describe, it, expect } from 'vitest';
import { EngineService } from '../../src/engine/service';
import { DEFAULT_TRAINER } from '../../src/engine/learning/trainer';
import { DEFAULT_LEARNING, effectiveIntents } from '../../src/engine/learning/log_reducer';
import type { LearningSettings, LogIntent, ModelSource } from '../../src/engine/api';
import { engineErrorCode } from '../../src/state/engine_client';
import { tinyModelSource } from '../support/tiny_checkpoint';

const source = (): ModelSource => tinyModelSource();

async function engine(): Promise<EngineService> {
  const s = new EngineService(undefined);
  await s.loadModel(source(), 'cpu');
  return s;
}

const settings = (patch: Partial<LearningSettings['trainer']> = {}, relabelPairs = 0): LearningSettings => ({
  ...DEFAULT_LEARNING,
  trainer: { ...DEFAULT_TRAINER, lr: 1e-3, stepsPerVote: 1, batchSize: 4, ...patch },
  relabel: { ...DEFAULT_LEARNING.relabel, pairs: relabelPairs, minConfidence: 0.5, maxStd: 0.5, maxNewTokens: 4 },
});

async function weightsOf(s: EngineService): Promise<Map<string, Float32Array>> {
  return s.requirePolicy().model.readWeights();
}

function expectSameWeights(a: Map<string, Float32Array>, b: Map<string, Float32Array>): void {
  expect([...a.keys()]).toEqual([...b.keys()]);
  for (const [name, w] of a) expect(Buffer.from(b.get(name)!.buffer).equals(Buffer.from(w.buffer)), name).toBe(true);
}

/**
 * The recorded log with `patch` in its settings, reduced vote by vote in one engine and in one
 * call in another (a reopened session): both must hold the same bits; returns the live one and
 * the log. `plain` is the same log without the patch, reduced in a third engine.
 */
async function liveAndReopened(patch: Partial<LearningSettings['trainer']>): Promise<{ live: EngineService; log: LogIntent[]; plain: EngineService }> {
  const live = await engine();
  const log = (await recordedLog(live)).map((x) => (x.type === 'settings' ? { ...x, settings: { ...x.settings, trainer: { ...x.settings.trainer, ...patch } } } : x));
  for (const intent of log) await live.reduce({ intents: [intent] });
  const opened = await engine();
  await opened.reduce({ intents: log, reset: true });
  expectSameWeights(await weightsOf(live), await weightsOf(opened));
  const plain = await engine();
  await plain.reduce({ intents: await recordedLog(plain), reset: true });
  return { live, log, plain };
}

/** A small log over the tiny model's samples: every kind of intent, with an undo and a settings change. */
async function recordedLog(s: EngineService): Promise<LogIntent[]> {
  const gen = await s.generate({ prompt: 'The sea', numSequences: 3, maxNewTokens: 5, temperature: 1, topK: 0, topP: 1, seed: 4 });
  const [a, b, c] = gen.tokenIds as [number[], number[], number[]];
  return [
    { seq: 0, type: 'settings', settings: settings({}, 1) },
    { seq: 1, type: 'pair', prompt: 'The sea', aIds: a, bIds: b, outcome: 'a' },
    { seq: 2, type: 'pair', prompt: 'The sea', aIds: b, bIds: c, outcome: 'b' },
    { seq: 3, type: 'ranking', prompt: 'The sea', rankedIds: [c, a, b] },
    { seq: 4, type: 'undo', targetSeq: 2 },
    { seq: 5, type: 'settings', settings: settings({ objective: 'ipo', beta: 0.5 }) },
    { seq: 6, type: 'thumbs', prompt: 'The sea', completionIds: a, desirable: true },
    { seq: 7, type: 'thumbs', prompt: 'The sea', completionIds: b, desirable: false },
    { seq: 8, type: 'train', steps: 2 },
    { seq: 9, type: 'pair', prompt: 'The sea', aIds: c, bIds: b, outcome: 'tie' },
    { seq: 10, type: 'pair', prompt: 'The sea', aIds: b, bIds: a, outcome: 'b' },
  ];
}

describe('LogReducer through EngineService.reduce', () => {
  it('one intent at a time and the whole log at once give bit-identical weights', async () => {
    const live = await engine();
    const log = await recordedLog(live);
    let steps = 0;
    for (const intent of log) {
      const r = await live.reduce({ intents: [intent] });
      steps += r.reduced.reduce((n, x) => n + x.steps.length, 0);
    }
    const opened = await engine();
    const r = await opened.reduce({ intents: log, reset: true });
    expectSameWeights(await weightsOf(live), await weightsOf(opened));
    expect(r.policyStep).toBe(live.step);
    expect(r.votesTrained).toBe(6);
    expect(steps).toBeGreaterThan(r.policyStep); // the undone vote's steps were taken, then undone
  });

  it('an undo puts the weights where a log without the undone vote leads', async () => {
    const s = await engine();
    const log = await recordedLog(s);
    await s.reduce({ intents: log.slice(0, 4) });
    const before = await weightsOf(s);
    const undo = await s.reduce({ intents: [{ seq: 4, type: 'undo', targetSeq: 3 }] });
    expect(undo.restoredAfterSeq).toBe(2);
    expect(undo.votesTrained).toBe(2);
    const without = await engine();
    await without.reduce({ intents: log.slice(0, 3) });
    expectSameWeights(await weightsOf(s), await weightsOf(without));
    // Undoing the undo (redo) brings the ranking back.
    await s.reduce({ intents: [{ seq: 5, type: 'undo', targetSeq: 4 }] });
    expectSameWeights(await weightsOf(s), before);
    // And undoing it again restores the same checkpoint a second time: it must be intact.
    await s.reduce({ intents: [{ seq: 6, type: 'undo', targetSeq: 3 }] });
    expectSameWeights(await weightsOf(s), await weightsOf(without));
    const again = await s.reduce({ intents: [{ seq: 7, type: 'pair', prompt: 'The sea', aIds: (log[1] as { aIds: number[] }).aIds, bIds: (log[1] as { bIds: number[] }).bIds, outcome: 'b' }] });
    await without.reduce({ intents: [{ seq: 7, type: 'pair', prompt: 'The sea', aIds: (log[1] as { aIds: number[] }).aIds, bIds: (log[1] as { bIds: number[] }).bIds, outcome: 'b' }] });
    expect(again.votesTrained).toBe(3);
    expectSameWeights(await weightsOf(s), await weightsOf(without));
  });

  it('with an interpolated policy (η 0.5), replay and undo stay bit-identical and the policy sits between the reference and the trained weights', async () => {
    const { live, log, plain } = await liveAndReopened({ interpolation: 0.5 });
    // The same log without interpolation trains the weights the interpolated policy is half of.
    const [p, t, r] = [await weightsOf(live), await weightsOf(plain), await weightsOf(await engine())];
    let worst = 0;
    for (const [name, w] of p) {
      const tw = t.get(name)!;
      const rw = r.get(name)!;
      for (let i = 0; i < w.length; i++) worst = Math.max(worst, Math.abs(w[i]! - (rw[i]! + 0.5 * (tw[i]! - rw[i]!))));
    }
    expect(worst).toBeLessThan(1e-6);
    // Undo of the last vote, then a new one, lands where the log without it leads.
    const undo = await live.reduce({ intents: [{ seq: 11, type: 'undo', targetSeq: 10 }] });
    expect(undo.restoredAfterSeq).toBe(9);
    const without = await engine();
    await without.reduce({ intents: log.slice(0, 10), reset: true });
    expectSameWeights(await weightsOf(live), await weightsOf(without));
    const next: LogIntent = { seq: 12, type: 'pair', prompt: 'The sea', aIds: (log[1] as { aIds: number[] }).aIds, bIds: (log[1] as { bIds: number[] }).bIds, outcome: 'b' };
    await live.reduce({ intents: [next] });
    await without.reduce({ intents: [{ ...next, seq: 11 }] });
    expectSameWeights(await weightsOf(live), await weightsOf(without));
  });

  it('with RPO’s α, replay stays bit-identical and the chosen NLL changes the weights', async () => {
    const { live, plain } = await liveAndReopened({ rpoAlpha: 1 });
    const [a, b] = [await weightsOf(live), await weightsOf(plain)];
    let moved = 0;
    for (const [name, w] of a) {
      const pw = b.get(name)!;
      for (let i = 0; i < w.length; i++) moved = Math.max(moved, Math.abs(w[i]! - pw[i]!));
    }
    expect(moved).toBeGreaterThan(1e-6);
  });

  it('checkpoints read into dropped ones’ arrays and still restore exactly, vote after vote', async () => {
    // Each vote takes a checkpoint and drops the oldest recent one, whose arrays the next
    // checkpoint reads into: undoing the last three votes restores checkpoints written that way.
    const s = await engine();
    const gen = await s.generate({ prompt: 'The sea', numSequences: 4, maxNewTokens: 5, temperature: 1, topK: 0, topP: 1, seed: 9 });
    const ids = gen.tokenIds;
    const votes: LogIntent[] = Array.from({ length: 9 }, (_, k) => ({ seq: k + 1, type: 'pair', prompt: 'The sea', aIds: ids[k % 4]!, bIds: ids[(k + 1) % 4]!, outcome: k % 3 === 0 ? 'b' : 'a' }));
    const log: LogIntent[] = [{ seq: 0, type: 'settings', settings: settings() }, ...votes];
    for (const intent of log) await s.reduce({ intents: [intent] });
    for (const [k, target] of [9, 8, 7].entries()) {
      const undo = await s.reduce({ intents: [{ seq: 10 + k, type: 'undo', targetSeq: target }] });
      expect(undo.restoredAfterSeq).toBe(target - 1);
      const without = await engine();
      await without.reduce({ intents: log.slice(0, target) });
      expectSameWeights(await weightsOf(s), await weightsOf(without));
    }
  });

  it('deferred votes take no steps until a catch-up train, which counts them learned; replay and undo stay exact', async () => {
    const s = await engine();
    const gen = await s.generate({ prompt: 'The sea', numSequences: 3, maxNewTokens: 5, temperature: 1, topK: 0, topP: 1, seed: 4 });
    const [a, b, c] = gen.tokenIds as [number[], number[], number[]];
    const log: LogIntent[] = [
      { seq: 0, type: 'settings', settings: settings({ stepsPerVote: 2 }) },
      { seq: 1, type: 'pair', prompt: 'The sea', aIds: a, bIds: b, outcome: 'a' },
      { seq: 2, type: 'pair', prompt: 'The sea', aIds: b, bIds: c, outcome: 'b', deferSteps: true },
      { seq: 3, type: 'pair', prompt: 'The sea', aIds: c, bIds: a, outcome: 'a', deferSteps: true },
      { seq: 4, type: 'train', steps: 2, catchUp: true },
      { seq: 5, type: 'pair', prompt: 'The sea', aIds: a, bIds: c, outcome: 'b', deferSteps: true },
      { seq: 6, type: 'pair', prompt: 'The sea', aIds: b, bIds: a, outcome: 'b' },
    ];
    const counts: [number, number, number][] = [];
    for (const intent of log) {
      const r = await s.reduce({ intents: [intent] });
      counts.push([r.reduced[0]!.steps.length, r.votesTrained, r.votesDeferred]);
    }
    expect(counts).toEqual([
      [0, 0, 0],
      [2, 1, 0],
      [0, 1, 1], // deferred: in the buffer and the reward model, no policy step
      [0, 1, 2],
      [2, 3, 0], // one step group over both deferred votes
      [0, 3, 1],
      [2, 5, 0], // a vote with steps also learns the deferred one before it
    ]);
    expect(s.step).toBe(6);
    // The reward model saw every vote, deferred or not.
    expect((await s.reduce({ intents: [] })).rewardModel?.votesSeen).toBe(5);
    // Replayed from the file: the same weights.
    const opened = await engine();
    const replay = await opened.reduce({ intents: log, reset: true });
    expect(replay.votesTrained).toBe(5);
    expectSameWeights(await weightsOf(s), await weightsOf(opened));
    // Undoing the last vote restores the state with one vote deferred.
    const undo = await s.reduce({ intents: [{ seq: 7, type: 'undo', targetSeq: 6 }] });
    expect([undo.votesTrained, undo.votesDeferred, undo.policyStep]).toEqual([3, 1, 4]);
    // Deferring changes the steps taken, so it is part of the log: the same votes without it differ.
    const undeferred = await engine();
    await undeferred.reduce({ intents: log.filter((x) => x.type !== 'train').map((x) => ({ ...x, deferSteps: undefined }) as LogIntent), reset: true });
    expect(undeferred.step).toBe(10);
  });

  it('refuses a deferSteps or catchUp that is not true', async () => {
    const s = await engine();
    await expect(s.reduce({ intents: [{ seq: 0, type: 'train', steps: 1, catchUp: false as unknown as true }] })).rejects.toThrow(/catchUp/);
    await expect(s.reduce({ intents: [{ seq: 0, type: 'pair', prompt: 'x', aIds: [1], bIds: [2], outcome: 'a', deferSteps: 1 as unknown as true }] })).rejects.toThrow(/deferSteps/);
  });

  it('an intent that lands before others (a peer vote) restores a checkpoint and reduces forward', async () => {
    const s = await engine();
    const log = await recordedLog(s);
    const late = log[1]!;
    await s.reduce({ intents: [log[0]!, ...log.slice(2, 4)] });
    const r = await s.reduce({ intents: [late] });
    expect(r.restoredAfterSeq).not.toBeNull();
    const inOrder = await engine();
    await inOrder.reduce({ intents: log.slice(0, 4) });
    expectSameWeights(await weightsOf(s), await weightsOf(inOrder));
  });

  it('a renumbered shared log (dropAfterSeq) rolls back to where it still agrees and matches the converged order', async () => {
    // A shared session: this replica reduced seqs 0–3, then the room's converged order put a
    // peer's vote after seq 1, so its own later intents move to seqs 3 and 4.
    const s = await engine();
    const log = await recordedLog(s);
    await s.reduce({ intents: log.slice(0, 4) });
    const peer: LogIntent = { seq: 2, type: 'pair', prompt: 'The sea', aIds: (log[1] as { bIds: number[] }).bIds, bIds: (log[1] as { aIds: number[] }).aIds, outcome: 'tie' };
    const renumbered: LogIntent[] = [log[0]!, log[1]!, peer, { ...log[2]!, seq: 3 }, { ...log[3]!, seq: 4 }];
    const r = await s.reduce({ intents: renumbered.slice(2), dropAfterSeq: 1 });
    expect(r.restoredAfterSeq).toBe(1);
    expect(r.reduced.map((x) => x.seq)).toEqual([2, 3, 4]);
    const converged = await engine();
    const c = await converged.reduce({ intents: renumbered, reset: true });
    expectSameWeights(await weightsOf(s), await weightsOf(converged));
    expect(r.votesTrained).toBe(c.votesTrained);
    // Without the drop, seq 2 would contradict the intent already reduced there.
    await expect(s.reduce({ intents: [{ ...peer, outcome: 'a' }] })).rejects.toSatisfy((e: unknown) => engineErrorCode(e) === 'BAD_REQUEST');
    await expect(s.reduce({ intents: [], dropAfterSeq: -2 })).rejects.toSatisfy((e: unknown) => engineErrorCode(e) === 'BAD_REQUEST');
  });

  it('relabelling happens in the engine, seeded by the vote, and is recorded', async () => {
    const s = await engine();
    const log = await recordedLog(s);
    const r = await s.reduce({ intents: log.slice(0, 3) });
    const second = r.reduced.find((x) => x.seq === 2)!;
    expect(second.relabels).toHaveLength(1);
    // The reward model had seen a vote: the pair was judged (accepted at these loose bounds).
    expect(second.relabels![0]!.accepted).toBe(true);
    expect(second.steps.length).toBe(2); // the vote's step and the relabelled pair's
  });

  it('with 4 candidates, relabels the DivPO pick among them, the same on a replay, and refuses bad counts', async () => {
    const withCandidates = (log: LogIntent[], relabel: Partial<LearningSettings['relabel']>): LogIntent[] =>
      log.map((x) => (x.type === 'settings' && x.seq === 0 ? { ...x, settings: { ...x.settings, relabel: { ...x.settings.relabel, ...relabel } } } : x));
    const s = await engine();
    const log = withCandidates((await recordedLog(s)).slice(0, 3), { candidates: 4, matchLength: true });
    const live = await s.reduce({ intents: log });
    const picked = live.reduced.find((x) => x.seq === 2)!.relabels![0]!;
    expect(picked.aIds).not.toEqual(picked.bIds);
    // The plain relabelling of the same vote draws 2 samples from the same stream instead.
    const plain = await (await engine()).reduce({ intents: (await recordedLog(s)).slice(0, 3) });
    const pair = plain.reduced.find((x) => x.seq === 2)!.relabels![0]!;
    expect([picked.aIds, picked.bIds]).not.toEqual([pair.aIds, pair.bIds]);
    const reopened = await engine();
    const again = await reopened.reduce({ intents: log, reset: true });
    expect(again.reduced.find((x) => x.seq === 2)!.relabels).toEqual(live.reduced.find((x) => x.seq === 2)!.relabels);
    expectSameWeights(await weightsOf(s), await weightsOf(reopened));
    const bad = (relabel: object) => expect(reopened.reduce({ intents: withCandidates(log, relabel as Partial<LearningSettings['relabel']>), reset: true })).rejects.toSatisfy((e: unknown) => engineErrorCode(e) === 'BAD_REQUEST');
    await bad({ candidates: 9 });
    await bad({ candidates: 2.5 });
    await bad({ matchLength: 'yes' });
  });

  it('refuses malformed intents and a changed intent under a known seq, keeping its state', async () => {
    const s = await engine();
    const log = await recordedLog(s);
    await s.reduce({ intents: log.slice(0, 2) });
    const before = await weightsOf(s);
    const bad = (p: Promise<unknown>) => expect(p).rejects.toSatisfy((e: unknown) => engineErrorCode(e) === 'BAD_REQUEST');
    await bad(s.reduce({ intents: [{ ...(log[1] as Extract<LogIntent, { type: 'pair' }>), outcome: 'b' }] }));
    await bad(s.reduce({ intents: [{ seq: 20, type: 'pair', prompt: 'x', aIds: [-3], bIds: [1], outcome: 'a' }] }));
    await bad(s.reduce({ intents: [{ seq: 21, type: 'train', steps: 0 }] }));
    await bad(s.reduce({ intents: [{ seq: 22, type: 'undo', targetSeq: 30 }] }));
    expectSameWeights(await weightsOf(s), before);
    // A log written with another checkpoint (ids past this vocabulary) opens: those votes are skipped, with the reason.
    const foreign = await s.reduce({ intents: [{ seq: 23, type: 'pair', prompt: 'The sea', aIds: [1e6], bIds: [1], outcome: 'a' }] });
    expect(foreign.reduced[0]!.skippedReason).toMatch(/vocabulary/);
    expectSameWeights(await weightsOf(s), before);
  });

  it('effectiveIntents: undo cancels, undoing an undo restores', () => {
    const log: LogIntent[] = [
      { seq: 0, type: 'train', steps: 1 },
      { seq: 1, type: 'undo', targetSeq: 0 },
      { seq: 2, type: 'undo', targetSeq: 1 },
    ];
    expect(effectiveIntents(log).map((x) => x.seq)).toEqual([0]);
    expect(effectiveIntents(log.slice(0, 2)).map((x) => x.seq)).toEqual([]);
  });
});
