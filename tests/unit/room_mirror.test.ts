import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  appendEvents,
  createCell,
  createIdGenerator,
  createSession,
  type NewSessionEvent,
  type SessionDocument,
  type SessionEvent,
} from '../../src/session/index.ts';
import { roomLog } from '../../src/session/room_doc.ts';
import { RoomMirror } from '../../src/session/room_mirror.ts';

const T0 = Date.UTC(2025, 0, 1);
const sampling = { temperature: 1, topK: 0, topP: 1, maxTokens: 32 };
const duel = createCell('duel', createIdGenerator({ seed: 1 }));
const start = (): SessionDocument => createSession({ title: 'Room', now: T0, cells: [duel] });

/** One person's pair on screen and their vote on it (ids unique per `tag`). */
function drawAndVote(tag: string, outcome: 'a' | 'b' = 'a'): NewSessionEvent[] {
  return [
    { type: 'prompt', cellId: duel.id, promptId: `p${tag}`, text: `Prompt ${tag}` },
    {
      type: 'candidates',
      cellId: duel.id,
      promptId: `p${tag}`,
      seed: 5,
      sampling,
      candidates: [
        { id: `x${tag}`, text: `left ${tag}`, policySnapshot: { step: 0 } },
        { id: `y${tag}`, text: `right ${tag}`, policySnapshot: { step: 0 } },
      ],
    },
    { type: 'vote', kind: 'pair', cellId: duel.id, promptId: `p${tag}`, judge: 'human', a: `x${tag}`, b: `y${tag}`, outcome, shownOrder: [`x${tag}`, `y${tag}`] },
  ];
}

/** The train step the engine would log for the intent at `intentSeq`. */
const stepFor = (intentSeq: number, step: number): NewSessionEvent => ({
  type: 'train_step',
  cellId: duel.id,
  step,
  hyper: { objective: 'sigmoid', beta: 0.1, epsilon: 0, lr: 1e-4, batchSize: 1 },
  metrics: { loss: 0.69 },
  intentSeq,
});

const lastSeq = (doc: SessionDocument): number => doc.events[doc.events.length - 1]!.seq;

/** The intents in order, with seqs dropped and undo targets as positions: equal iff two replicas agree. */
function intents(doc: SessionDocument): unknown[] {
  const kept = doc.events.filter((e) => e.type !== 'train_step' && e.type !== 'relabel');
  const index = new Map(kept.map((e, i) => [e.seq, i]));
  return kept.map((e: SessionEvent) => {
    const { seq: _seq, ...rest } = e as SessionEvent & Record<string, unknown>;
    if (e.type === 'undo') return { ...rest, targetSeq: index.get(e.targetSeq) };
    return rest;
  });
}

/** Two-way exchange of what each has and the other lacks (what the sync server relays). */
function exchange(...docs: Y.Doc[]): void {
  for (const a of docs) for (const b of docs) if (a !== b) Y.applyUpdate(b, Y.encodeStateAsUpdate(a, Y.encodeStateVector(b)));
}

function replica(author: string, clientID: number): { ydoc: Y.Doc; mirror: RoomMirror } {
  const ydoc = new Y.Doc();
  ydoc.clientID = clientID;
  return { ydoc, mirror: new RoomMirror(ydoc, author) };
}

function adopt(mirror: RoomMirror): SessionDocument {
  const r = mirror.adopt();
  if (!r.ok) throw new Error(r.error);
  return r.doc;
}

describe('RoomMirror', () => {
  it('a joiner adopts the seeded room; each side appends the other’s votes in the room order', () => {
    const a = replica('alice', 1);
    const b = replica('bob', 2);
    let docA = appendEvents(start(), drawAndVote('1'), T0);
    docA = appendEvents(docA, [stepFor(2, 1)], T0); // derived: stays local
    a.mirror.seed(docA);
    exchange(a.ydoc, b.ydoc);
    let docB = adopt(b.mirror);
    expect(intents(docB)).toEqual(intents(docA));
    expect(docB.events.some((e) => e.type === 'train_step')).toBe(false);

    docB = appendEvents(docB, drawAndVote('2', 'b'), T0);
    expect(b.mirror.push(docB)).toBe(3);
    exchange(a.ydoc, b.ydoc);
    const pulled = a.mirror.pull(docA);
    expect(pulled.kind).toBe('append');
    if (pulled.kind !== 'append') return;
    expect(pulled.appended).toBe(3);
    docA = pulled.doc;
    expect(intents(docA)).toEqual(intents(docB));
    // Alice's own train step is still there, before Bob's entries.
    expect(docA.events.filter((e) => e.type === 'train_step')).toHaveLength(1);
    expect(b.mirror.pull(docB).kind).toBe('none');
  });

  it('concurrent votes: one replica appends, the other rebases at its first out-of-place intent; both end in one order', () => {
    const a = replica('alice', 1);
    const b = replica('bob', 2);
    let docA = appendEvents(start(), drawAndVote('0'), T0);
    a.mirror.seed(docA);
    exchange(a.ydoc, b.ydoc);
    let docB = adopt(b.mirror);

    // Both vote while neither has heard of the other's vote.
    docA = appendEvents(docA, drawAndVote('A'), T0);
    a.mirror.push(docA);
    docA = appendEvents(docA, [stepFor(lastSeq(docA), 1)], T0);
    const bCut = lastSeq(docB) + 1;
    docB = appendEvents(docB, drawAndVote('B'), T0);
    b.mirror.push(docB);
    docB = appendEvents(docB, [stepFor(lastSeq(docB), 1)], T0);
    exchange(a.ydoc, b.ydoc);

    const pa = a.mirror.pull(docA);
    const pb = b.mirror.pull(docB);
    const kinds = [pa.kind, pb.kind].sort();
    expect(kinds).toEqual(['append', 'rebase']);
    const rebased = pa.kind === 'rebase' ? pa : pb;
    if (rebased.kind !== 'rebase') return;
    // The rebased side drops its own step record (recomputed after the rollback) and nothing before the cut.
    expect(rebased.dropAfterSeq).toBe(pa.kind === 'rebase' ? lastSeq(docA) - 4 : bCut - 1);
    expect(rebased.doc.events.filter((e) => e.type === 'train_step')).toHaveLength(0);
    docA = pa.kind === 'none' || pa.kind === 'error' ? docA : pa.doc;
    docB = pb.kind === 'none' || pb.kind === 'error' ? docB : pb.doc;
    expect(intents(docA)).toEqual(intents(docB));
    expect(intents(docA)).toHaveLength(9);
    for (const doc of [docA, docB]) for (let i = 1; i < doc.events.length; i++) expect(doc.events[i]!.seq).toBeGreaterThan(doc.events[i - 1]!.seq);
  });

  it('keeps a derived record of an intent before the cut even when it was logged after the cut', () => {
    const a = replica('alice', 5);
    const b = replica('bob', 1);
    let docA = start();
    a.mirror.seed(docA);
    exchange(a.ydoc, b.ydoc);
    let docB = adopt(b.mirror);
    docA = appendEvents(docA, drawAndVote('A'), T0);
    a.mirror.push(docA);
    exchange(a.ydoc, b.ydoc);
    docA = (a.mirror.pull(docA) as { doc: SessionDocument }).doc;
    // Alice votes again before the step of her first vote is logged; Bob votes concurrently.
    const firstVote = lastSeq(docA);
    docA = appendEvents(docA, drawAndVote('A2'), T0);
    a.mirror.push(docA);
    docA = appendEvents(docA, [stepFor(firstVote, 1), stepFor(lastSeq(docA), 2)], T0);
    docB = (b.mirror.pull(docB) as { doc: SessionDocument }).doc;
    docB = appendEvents(docB, drawAndVote('B'), T0);
    b.mirror.push(docB);
    exchange(a.ydoc, b.ydoc);
    const pa = a.mirror.pull(docA);
    const pb = b.mirror.pull(docB);
    expect([pa.kind, pb.kind]).toEqual(['rebase', 'append']);
    if (pa.kind === 'rebase') {
      // Bob's (lower client id) entries go first: Alice's second vote moved; her first vote's step stays.
      expect(pa.doc.events.filter((e) => e.type === 'train_step').map((e) => (e as { intentSeq: number }).intentSeq)).toEqual([firstVote]);
    }
    const da = pa.kind === 'none' || pa.kind === 'error' ? docA : pa.doc;
    const db = pb.kind === 'none' || pb.kind === 'error' ? docB : pb.doc;
    expect(intents(da)).toEqual(intents(db));
  });

  it('maps a remote undo to the local seq of its target', () => {
    const a = replica('alice', 1);
    const b = replica('bob', 2);
    let docA = appendEvents(start(), [stepFor(0, 1)], T0); // a local record shifts Alice's seqs
    docA = appendEvents(docA, drawAndVote('1'), T0);
    a.mirror.seed(docA);
    exchange(a.ydoc, b.ydoc);
    let docB = adopt(b.mirror);
    const voteB = docB.events.find((e) => e.type === 'vote')!;
    docB = appendEvents(docB, [{ type: 'undo', cellId: duel.id, targetSeq: voteB.seq }], T0);
    b.mirror.push(docB);
    exchange(a.ydoc, b.ydoc);
    const pulled = a.mirror.pull(docA);
    if (pulled.kind !== 'append') throw new Error(pulled.kind);
    const undo = pulled.doc.events[pulled.doc.events.length - 1]!;
    const voteA = pulled.doc.events.find((e) => e.type === 'vote')!;
    expect(undo.type === 'undo' && undo.targetSeq).toBe(voteA.seq);
    expect(voteA.seq).not.toBe(voteB.seq);
  });

  it('a cell edited by a peer arrives; one deleted by a peer goes', () => {
    const a = replica('alice', 1);
    const b = replica('bob', 2);
    const note = createCell('note', createIdGenerator({ seed: 3 }));
    const docA = createSession({ title: 'Room', now: T0, cells: [duel, note] });
    a.mirror.seed(docA);
    exchange(a.ydoc, b.ydoc);
    const docB = adopt(b.mirror);
    const edited = { ...docB, cells: [duel], metadata: { ...docB.metadata, title: 'Renamed' } };
    b.mirror.push(edited);
    exchange(a.ydoc, b.ydoc);
    const pulled = a.mirror.pull(docA);
    expect(pulled.kind).toBe('append');
    if (pulled.kind !== 'append') return;
    expect(pulled.appended).toBe(0);
    expect(pulled.doc.cells.map((c) => c.id)).toEqual([duel.id]);
    expect(pulled.doc.metadata.title).toBe('Renamed');
    // Pulling again changes nothing, and nothing is pushed back.
    expect(a.mirror.pull(pulled.doc).kind).toBe('none');
  });

  it('three replicas, one offline while the others vote: every vote exactly once, one order everywhere', () => {
    const reps = [replica('alice', 3), replica('bob', 7), replica('carol', 5)];
    let docs = [appendEvents(start(), drawAndVote('0'), T0)];
    reps[0]!.mirror.seed(docs[0]!);
    exchange(...reps.map((r) => r.ydoc));
    docs = [docs[0]!, adopt(reps[1]!.mirror), adopt(reps[2]!.mirror)];
    const step = (i: number, tag: string) => {
      docs[i] = appendEvents(docs[i]!, drawAndVote(tag), T0);
      reps[i]!.mirror.push(docs[i]!);
    };
    const pullAll = (who: number[]) => {
      for (const i of who) {
        const p = reps[i]!.mirror.pull(docs[i]!);
        if (p.kind === 'error') throw new Error(p.error);
        docs[i] = p.doc;
      }
    };
    for (let round = 0; round < 4; round++) {
      step(0, `a${round}`);
      step(1, `b${round}`);
      step(2, `c${round}`); // Carol is offline: her votes stay in her replica
      exchange(reps[0]!.ydoc, reps[1]!.ydoc);
      pullAll([0, 1]);
    }
    exchange(...reps.map((r) => r.ydoc));
    pullAll([0, 1, 2]);
    expect(intents(docs[0]!)).toEqual(intents(docs[1]!));
    expect(intents(docs[0]!)).toEqual(intents(docs[2]!));
    const votes = docs[0]!.events.filter((e) => e.type === 'vote').map((e) => (e as { promptId: string }).promptId);
    expect(votes).toHaveLength(13);
    expect(new Set(votes).size).toBe(13);
  });

  it('ignores a peer that deletes or rewrites log entries: the local log stays and the pull says why', () => {
    const a = replica('alice', 1);
    const b = replica('bob', 2);
    const docA = appendEvents(start(), drawAndVote('1'), T0);
    a.mirror.seed(docA);
    exchange(a.ydoc, b.ydoc);
    // Bob's replica deletes the vote and writes a different one in its place (no server between them).
    const log = roomLog(b.ydoc);
    const entry = log.get(2) as { id: string; author: string; event: Record<string, unknown> };
    b.ydoc.transact(() => {
      log.delete(2, 1);
      log.insert(2, [{ ...entry, id: 'forged00forged00', event: { ...entry.event, outcome: 'b' } }]);
    });
    exchange(a.ydoc, b.ydoc);
    const pulled = a.mirror.pull(docA);
    expect(pulled.kind).toBe('error');
    expect(pulled.kind === 'error' && pulled.error).toMatch(/1 log entry this tab holds was removed or rewritten/);
  });

  it('a hostile entry is skipped and reported with its author; the rest arrives', () => {
    const a = replica('alice', 1);
    const b = replica('bob', 2);
    const docA = start();
    a.mirror.seed(docA);
    exchange(a.ydoc, b.ydoc);
    let docB = adopt(b.mirror);
    roomLog(b.ydoc).push([{ id: 'evil0000evil0000', author: 'mallory', event: { type: 'vote', kind: 'pair', cellId: duel.id, promptId: 'nope' } }]);
    docB = appendEvents(docB, drawAndVote('1'), T0);
    b.mirror.push(docB);
    exchange(a.ydoc, b.ydoc);
    const pulled = a.mirror.pull(docA);
    if (pulled.kind !== 'append') throw new Error(pulled.kind);
    expect(pulled.appended).toBe(3);
    expect(pulled.problems.map((p) => p.author)).toEqual(['mallory']);
  });
});
