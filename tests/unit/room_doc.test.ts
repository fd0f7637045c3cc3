import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  appendEvents,
  createCell,
  createIdGenerator,
  createSession,
  parseSessionDocument,
  type NewSessionEvent,
  type SessionDocument,
} from '../../src/session/index.ts';
import { appendToRoom, MAX_ROOM_ENTRY_CHARS, readRoom, roomLog, seedRoom } from '../../src/session/room_doc.ts';

const T0 = Date.UTC(2025, 0, 1);
const sampling = { temperature: 1, topK: 0, topP: 1, maxTokens: 32 };

/** A duel with one prompt, two candidates shown, one vote, a train step (derived) and an undo. */
function inviterSession(): { doc: SessionDocument; duelId: string } {
  const duel = createCell('duel', createIdGenerator({ seed: 1 }));
  let doc = createSession({ title: 'Shared', now: T0, cells: [duel] });
  const events: NewSessionEvent[] = [
    { type: 'prompt', cellId: duel.id, promptId: 'p', text: 'Say hi' },
    {
      type: 'candidates',
      cellId: duel.id,
      promptId: 'p',
      seed: 5,
      sampling,
      candidates: [
        { id: 'x', text: 'Hi!', policySnapshot: { step: 0 } },
        { id: 'y', text: 'Go away.', policySnapshot: { step: 0 } },
      ],
    },
    { type: 'vote', kind: 'pair', cellId: duel.id, promptId: 'p', judge: 'human', a: 'x', b: 'y', outcome: 'a', shownOrder: ['x', 'y'] },
    {
      type: 'train_step',
      cellId: duel.id,
      step: 1,
      hyper: { objective: 'sigmoid', beta: 0.1, epsilon: 0, lr: 1e-4, batchSize: 1 },
      metrics: { loss: 0.69 },
      intentSeq: 2,
    },
    { type: 'undo', cellId: duel.id, targetSeq: 2 },
  ];
  doc = appendEvents(doc, events, T0 + 1);
  return { doc, duelId: duel.id };
}

const vote = (cellId: string, outcome: 'a' | 'b' | 'tie'): NewSessionEvent & { seq: number; t: number } =>
  ({ seq: 0, t: T0 + 9, type: 'vote', kind: 'pair', cellId, promptId: 'p', judge: 'human', a: 'x', b: 'y', outcome, shownOrder: ['x', 'y'] }) as never;

function sync(a: Y.Doc, b: Y.Doc): void {
  const fromA = Y.encodeStateAsUpdate(a, Y.encodeStateVector(b));
  const fromB = Y.encodeStateAsUpdate(b, Y.encodeStateVector(a));
  Y.applyUpdate(b, fromA);
  Y.applyUpdate(a, fromB);
}

function read(ydoc: Y.Doc) {
  const result = readRoom(ydoc, { now: T0 });
  if (!result.ok) throw new Error(result.error);
  return result;
}

describe('room document', () => {
  it('seeds from a session without derived records and reads back a valid session', () => {
    const { doc } = inviterSession();
    const room = new Y.Doc();
    seedRoom(room, doc, 'alice');
    const back = read(room);
    expect(back.problems).toEqual([]);
    expect(back.doc.events.map((e) => e.type)).toEqual(['prompt', 'candidates', 'vote', 'undo']);
    // The undo still cancels the vote (seqs are renumbered, the target follows by entry id).
    const undo = back.doc.events[3]!;
    expect(undo.type === 'undo' && undo.targetSeq).toBe(back.doc.events[2]!.seq);
    expect(back.doc.cells).toEqual(doc.cells);
    expect(back.doc.metadata).toEqual(doc.metadata);
    const reparsed = parseSessionDocument(JSON.stringify(back.doc));
    expect(reparsed.ok).toBe(true);
  });

  it('two replicas appending concurrently converge to the same session, every entry once', () => {
    const { doc, duelId } = inviterSession();
    const alice = new Y.Doc();
    seedRoom(alice, doc, 'alice');
    const bob = new Y.Doc();
    Y.applyUpdate(bob, Y.encodeStateAsUpdate(alice));
    // Concurrent: neither has seen the other's appends.
    appendToRoom(alice, [vote(duelId, 'a'), vote(duelId, 'tie')], 'alice', new Map());
    appendToRoom(bob, [vote(duelId, 'b')], 'bob', new Map());
    bob.getMap('cells').set(duelId, { ...doc.cells[0]!, title: 'Bob renamed it' });
    expect(read(alice).doc).not.toEqual(read(bob).doc);
    sync(alice, bob);
    const a = read(alice);
    const b = read(bob);
    expect(a.doc).toEqual(b.doc);
    expect(a.entryIds).toEqual(b.entryIds);
    expect(a.problems).toEqual([]);
    const outcomes = a.doc.events.filter((e) => e.type === 'vote').map((e) => (e.type === 'vote' && e.kind === 'pair' ? e.outcome : ''));
    expect([...outcomes].sort()).toEqual(['a', 'a', 'b', 'tie']);
    expect(a.doc.cells[0]!.title).toBe('Bob renamed it');
    // seq is the position among kept entries, strictly increasing.
    expect(a.doc.events.map((e) => e.seq)).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('applies an entry whose id is repeated once (a re-sent offline append)', () => {
    const { doc, duelId } = inviterSession();
    const room = new Y.Doc();
    seedRoom(room, doc, 'alice');
    const [id] = appendToRoom(room, [vote(duelId, 'b')], 'bob', new Map());
    const entry = roomLog(room).get(roomLog(room).length - 1) as object;
    roomLog(room).push([structuredClone(entry), structuredClone(entry)]);
    const back = read(room);
    expect(back.doc.events.filter((e) => e.type === 'vote')).toHaveLength(2);
    expect(back.entryIds.filter((e) => e === id)).toHaveLength(1);
    expect(back.problems).toHaveLength(2);
    expect(back.problems.every((p) => p.author === 'bob' && p.reason.startsWith(`duplicate of entry ${id}`))).toBe(true);
  });

  it('skips and reports hostile entries with their author, never throws', () => {
    const { doc, duelId } = inviterSession();
    const hostile = new Y.Doc();
    seedRoom(hostile, doc, 'alice');
    const good = { id: 'goodentry1', author: 'carol', event: { ...vote(duelId, 'tie'), seq: undefined } };
    delete (good.event as Record<string, unknown>)['seq'];
    const protoEvent = JSON.parse(
      `{"__proto__": {"type": "vote", "kind": "pair", "cellId": "${duelId}", "promptId": "p", "judge": "human", "a": "x", "b": "y", "outcome": "b", "shownOrder": ["x", "y"]}, "t": 1}`,
    );
    roomLog(hostile).push([
      42,
      'just a string',
      { id: 'noauthor', event: good.event },
      { id: 'huge', author: 'mallory', event: { type: 'prompt', t: 1, cellId: duelId, promptId: 'q', text: 'x'.repeat(MAX_ROOM_ENTRY_CHARS + 1) } },
      { id: 'long', author: 'mallory', event: { type: 'prompt', t: 1, cellId: duelId, promptId: 'q', text: 'x'.repeat(30_000) } },
      { id: 'proto', author: 'mallory', event: protoEvent },
      JSON.parse('{"__proto__": {"id": "x", "author": "mallory", "event": {}}}'),
      { id: 'derived', author: 'mallory', event: { type: 'train_step', t: 1, cellId: duelId, step: 9, hyper: {}, metrics: {} } },
      { id: 'badundo', author: 'mallory', event: { type: 'undo', t: 1, cellId: duelId, targetId: 'nosuchentry' } },
      { id: 'unshown', author: 'mallory', event: { ...good.event, a: 'zz' } },
      good,
    ]);
    const nested = new Y.Map();
    roomLog(hostile).push([nested]);
    nested.set('id', 'nested');
    // The prototype trick travels through a second replica, where lib0 decodes it.
    const peer = new Y.Doc();
    Y.applyUpdate(peer, Y.encodeStateAsUpdate(hostile));
    for (const room of [hostile, peer]) {
      const back = read(room);
      expect(back.doc.events.map((e) => e.type)).toEqual(['prompt', 'candidates', 'vote', 'undo', 'vote']);
      expect(back.entryIds.at(-1)).toBe('goodentry1');
      const byAuthor = back.problems.map((p) => p.author);
      // Entry checks in log order, then the whole-log rules (the vote on a candidate never shown).
      expect(byAuthor).toEqual([null, null, null, 'mallory', 'mallory', 'mallory', null, 'mallory', 'mallory', null, 'mallory']);
      expect(back.problems[3]!.reason).toMatch(/JSON characters; the limit is/);
      expect(back.problems[4]!.reason).toMatch(/^event: text/);
      expect(back.problems[10]!.where).toBe('log entry unshown');
      expect(parseSessionDocument(JSON.stringify(back.doc)).ok).toBe(true);
    }
    expect(({} as Record<string, unknown>)['type']).toBeUndefined();
  });

  it('refuses a room written by another layout instead of guessing', () => {
    const room = new Y.Doc();
    room.getMap('meta').set('layout', 99);
    const back = readRoom(room);
    expect(back.ok).toBe(false);
  });
});
