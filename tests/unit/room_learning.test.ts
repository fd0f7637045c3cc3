/**
 * A shared session, learning on every replica (Node, CPU engine). Three replicas of the page's
 * state (LearningSync + TrainState around a real EngineService, a RoomMirror on a Y.Doc) vote
 * into one room; the Y.Docs exchange updates as the sync server relays them. Carol is offline
 * for several rounds and votes meanwhile; Alice and Bob vote concurrently, so one of them must
 * roll back each round. At the end every replica holds every vote exactly once and bit-identical
 * weights, equal to a fresh engine reducing the room's log from the start.
 */
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { EngineService } from '../../src/engine/service';
import {
  appendEvents,
  createCell,
  createIdGenerator,
  createSession,
  logIntents,
  RoomMirror,
  readRoom,
  type DuelConfig,
  type SessionDocument,
  type TrainConfig,
} from '../../src/session/index';
import type { EngineState } from '../../src/state/engine.svelte';
import { EngineLease } from '../../src/state/engine_lease';
import type { SessionState } from '../../src/state/session.svelte';
import { LearningSync } from '../../src/state/learning.svelte';
import { pullRoom } from '../../src/state/room_sync';
import { TrainState } from '../../src/state/train.svelte';
import { tinyModelSource } from '../support/tiny_checkpoint';

const sampling = { temperature: 1, topK: 0, topP: 1, maxTokens: 4 };
const trainConfig: TrainConfig = { objective: 'sigmoid', beta: 0.5, epsilon: 0, lr: 1e-3, stepsPerVote: 1, batchSize: 4, bufferSize: 100, updateAfterEveryVote: true };

function starterDoc(): SessionDocument {
  const nextId = createIdGenerator({ seed: 9 });
  const duelConfig: DuelConfig = { mode: 'pairwise', candidatesPerPrompt: 2, judge: { kind: 'human' }, sampling, seed: 1, relabel: { pairs: 0, minConfidence: 0.5, maxStd: 0.5 } };
  const duel = createCell('duel', nextId, { config: duelConfig });
  const train = createCell('train', nextId, { config: { ...trainConfig, duelCellId: duel.id } });
  return createSession({ title: 'Room', now: 0, cells: [duel, train] });
}

async function replica(name: string, clientID: number) {
  const service = new EngineService(undefined);
  await service.loadModel(tinyModelSource(), 'cpu');
  const engine = { lease: new EngineLease(), api: service, epoch: 1, policyStep: 0, votesTrained: 0, status: 'ready', ready: true } as unknown as EngineState;
  const ydoc = new Y.Doc();
  ydoc.clientID = clientID;
  const mirror = new RoomMirror(ydoc, name);
  const session = {
    doc: starterDoc(),
    generation: 0,
    apply(edit: (d: SessionDocument) => SessionDocument, generation?: number): boolean {
      if (generation !== undefined && generation !== this.generation) return false;
      this.doc = edit(this.doc);
      mirror.push(this.doc); // the page's onEdit hook
      return true;
    },
  };
  const trainId = session.doc.cells.find((c) => c.kind === 'train')!.id;
  const train = new TrainState(trainId, engine, session as unknown as SessionState);
  train.healthEvery = 0;
  const learning = new LearningSync(engine, session as unknown as SessionState, {
    onReduced: (result, settings, generation, live) => train.onReduced(result, settings, generation, live, null),
  });
  let n = 0;
  /** Draws a pair (as the Duel does) and votes on it (as a person does), then learns. */
  const vote = async (outcome: 'a' | 'b') => {
    const duelId = session.doc.cells.find((c) => c.kind === 'duel')!.id;
    const i = n++;
    const promptId = `${name}${i}`;
    const gen = await service.generate({ prompt: 'The sea', numSequences: 2, maxNewTokens: sampling.maxTokens, temperature: 1, topK: 0, topP: 1, seed: clientID * 100 + i });
    const ids = [`${promptId}a`, `${promptId}b`];
    session.apply((d) =>
      appendEvents(d, [
        { type: 'prompt', cellId: duelId, promptId, text: 'The sea' },
        { type: 'candidates', cellId: duelId, promptId, seed: i, sampling, candidates: ids.map((id, k) => ({ id, text: gen.texts[k]!, tokenIds: gen.tokenIds[k]!, policySnapshot: { step: engine.policyStep } })) },
      ]),
    );
    session.apply((d) => appendEvents(d, [...learning.settingsEvents(d), { type: 'vote', kind: 'pair', cellId: duelId, promptId, a: ids[0]!, b: ids[1]!, outcome, shownOrder: [ids[0]!, ids[1]!], judge: 'human' }]));
    await learning.sync();
  };
  const pull = async () => {
    const { outcome, learned } = pullRoom(mirror, { session, learning });
    await learned;
    return outcome.kind;
  };
  return { name, service, engine, ydoc, mirror, session, learning, vote, pull };
}

type Replica = Awaited<ReturnType<typeof replica>>;

/** What the sync server does: every replica gets what the others have. */
function relay(...reps: Replica[]): void {
  for (const a of reps) for (const b of reps) if (a !== b) Y.applyUpdate(b.ydoc, Y.encodeStateAsUpdate(a.ydoc, Y.encodeStateVector(b.ydoc)));
}

async function weights(s: EngineService): Promise<Map<string, Float32Array>> {
  return s.requirePolicy().model.readWeights();
}

function expectSameWeights(a: Map<string, Float32Array>, b: Map<string, Float32Array>, who: string): void {
  for (const [name, w] of a) expect(Buffer.from(b.get(name)!.buffer).equals(Buffer.from(w.buffer)), `${who}: ${name}`).toBe(true);
}

describe('a shared room: three replicas learning', () => {
  it('concurrent and offline votes: every vote once everywhere, identical weights, equal to reducing the room log afresh', async () => {
    const alice = await replica('alice', 11);
    const bob = await replica('bob', 22);
    const carol = await replica('carol', 33);
    alice.mirror.seed(alice.session.doc);
    relay(alice, bob, carol);
    for (const r of [bob, carol]) {
      const adopted = r.mirror.adopt();
      if (!adopted.ok) throw new Error(adopted.error);
      r.session.doc = adopted.doc;
      await r.learning.open(adopted.doc);
    }

    const kinds: string[] = [];
    for (let round = 0; round < 3; round++) {
      // Alice and Bob vote at the same time (neither has the other's vote yet); Carol is offline.
      await Promise.all([alice.vote('a'), bob.vote('b'), carol.vote(round % 2 === 0 ? 'a' : 'b')]);
      relay(alice, bob);
      kinds.push(await alice.pull(), await bob.pull());
    }
    // One of the two concurrent voters is behind in the room's order each round: it rolls back.
    expect(kinds.filter((k) => k === 'rebase').length).toBeGreaterThanOrEqual(3);
    // Carol comes back: her three offline votes and the others' six meet.
    relay(alice, bob, carol);
    for (const r of [alice, bob, carol]) await r.pull();

    const room = readRoom(alice.ydoc);
    if (!room.ok) throw new Error(room.error);
    const votes = room.doc.events.filter((e) => e.type === 'vote').map((e) => (e as { promptId: string }).promptId);
    expect(votes).toHaveLength(9);
    expect(new Set(votes).size).toBe(9);
    for (const r of [alice, bob, carol]) {
      const local = r.session.doc.events.filter((e) => e.type === 'vote').map((e) => (e as { promptId: string }).promptId);
      expect(local, r.name).toEqual(votes);
      expect(r.engine.votesTrained, r.name).toBe(9);
    }

    // A fresh engine reducing the room's log from the start: the weights every replica must have.
    const fresh = new EngineService(undefined);
    await fresh.loadModel(tinyModelSource(), 'cpu');
    await fresh.reduce({ intents: logIntents(room.doc, { learnsFrom: () => true }), reset: true });
    const expected = await weights(fresh);
    for (const r of [alice, bob, carol]) expectSameWeights(expected, await weights(r.service), r.name);
    expect(new Set([alice, bob, carol].map((r) => r.engine.policyStep)).size).toBe(1);
  });
});
