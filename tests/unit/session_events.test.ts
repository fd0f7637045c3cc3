import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  SessionEditError,
  appendEvent,
  appendEvents,
  cancelledSeqs,
  createCell,
  createIdGenerator,
  createSession,
  createStarterSession,
  defaultCellConfig,
  effectiveEvents,
  insertCell,
  lastUndoable,
  moveCell,
  parseSessionDocument,
  removeCell,
  renameSession,
  splitPastedPrompts,
  undoEvent,
  updateCell,
  votesToPreferencePairs,
  estimateDocumentBytes,
  serializeSession,
  type NewSessionEvent,
  type SessionDocument,
} from '../../src/session/index.ts';

const T0 = Date.UTC(2025, 0, 1);
const sampling = { temperature: 1, topK: 0, topP: 1, maxTokens: 32 };
const v2 = (): SessionDocument => {
  const result = parseSessionDocument(readFileSync(new URL('../fixtures/sessions/v2_valid.json', import.meta.url), 'utf8'));
  if (!result.ok) throw new Error(result.error);
  return result.doc;
};

/** A session with one duel cell, one prompt and two candidates shown. */
function duelSession(): { doc: SessionDocument; duelId: string } {
  const nextId = createIdGenerator({ seed: 1 });
  const duel = createCell('duel', nextId);
  let doc = createSession({ title: 'Test', now: T0, cells: [duel] });
  doc = appendEvents(
    doc,
    [
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
          { id: 'z', text: 'Hello there.', policySnapshot: { step: 0 } },
        ],
      },
    ],
    T0 + 1,
  );
  return { doc, duelId: duel.id };
}

const pairVote = (cellId: string, outcome: 'a' | 'b' | 'tie' | 'bothbad', a = 'x', b = 'y'): NewSessionEvent => ({
  type: 'vote',
  cellId,
  kind: 'pair',
  promptId: 'p',
  a,
  b,
  outcome,
  shownOrder: [b, a],
  judge: 'human',
});

describe('appendEvent', () => {
  it('numbers events, stamps the time and returns a new document', () => {
    const { doc, duelId } = duelSession();
    const next = appendEvent(doc, pairVote(duelId, 'a'), T0 + 5_000);
    expect(doc.events).toHaveLength(2);
    expect(next.events).toHaveLength(3);
    expect(next.events[2]).toMatchObject({ seq: 2, t: T0 + 5_000, type: 'vote', outcome: 'a' });
    expect(next.metadata.updatedAt).toBe(new Date(T0 + 5_000).toISOString());
    expect(doc.metadata.updatedAt).toBe(new Date(T0 + 1).toISOString());
    const explicitTime = appendEvent(next, { ...pairVote(duelId, 'b'), t: 123 }, T0 + 9_000);
    expect(explicitTime.events[3]).toMatchObject({ seq: 3, t: 123 });
  });

  it('continues from the last seq even when seqs have gaps', () => {
    const { doc, duelId } = duelSession();
    const gapped = { ...doc, events: doc.events.map((e, i) => ({ ...e, seq: i * 10 })) };
    expect(appendEvent(gapped, pairVote(duelId, 'a')).events[2]!.seq).toBe(11);
  });

  it('refuses malformed events and votes on candidates never shown, leaving the document alone', () => {
    const { doc, duelId } = duelSession();
    const frozen = Object.freeze({ ...doc, events: Object.freeze([...doc.events]) }) as SessionDocument;
    expect(() => appendEvent(frozen, { ...pairVote(duelId, 'a'), outcome: 'maybe' } as unknown as NewSessionEvent)).toThrow(
      'event.outcome: expected one of "a", "b", "tie", "bothbad", got "maybe"',
    );
    expect(() => appendEvent(frozen, pairVote(duelId, 'a', 'x', 'nope'))).toThrow(
      'event.b: candidate "nope" was not shown for prompt "p" before this vote',
    );
    expect(() => appendEvent(frozen, { type: 'prompt', cellId: duelId, promptId: 'q', text: 'x'.repeat(20_001) })).toThrow(
      SessionEditError,
    );
    expect(frozen.events).toHaveLength(2);
  });

  it('appends a batch all or nothing', () => {
    const { doc, duelId } = duelSession();
    expect(() => appendEvents(doc, [pairVote(duelId, 'a'), pairVote(duelId, 'a', 'x', 'nope')])).toThrow(
      'new event 1.b: candidate "nope" was not shown',
    );
    expect(appendEvents(doc, [pairVote(duelId, 'a'), pairVote(duelId, 'b')]).events.map((e) => e.seq)).toEqual([0, 1, 2, 3]);
  });

  it('refuses to grow a session past what could be opened again', () => {
    const { doc, duelId } = duelSession();
    const text = 'w'.repeat(20_000);
    const prompts = (n: number, from: number): NewSessionEvent[] =>
      Array.from({ length: n }, (_, i) => ({ type: 'prompt', cellId: duelId, promptId: `q${from + i}`, text }));
    const big = appendEvents(doc, prompts(850, 0));
    expect(estimateDocumentBytes(big)).toBeGreaterThan(17_000_000);
    expect(estimateDocumentBytes(big)).toBe(new TextEncoder().encode(JSON.stringify(big)).length);
    expect(() => appendEvents(big, prompts(100, 850))).toThrow('This session would grow past 18 MB; export it and start a new one.');
    expect(parseSessionDocument(serializeSession(big)).ok).toBe(true);
  });

  it('resolves a vote against the candidates shown when it was cast', () => {
    let { doc, duelId } = duelSession();
    doc = appendEvent(doc, pairVote(duelId, 'a'));
    // The prompt is regenerated: "x" now names a different text.
    doc = appendEvent(doc, {
      type: 'candidates',
      cellId: duelId,
      promptId: 'p',
      seed: 6,
      sampling,
      candidates: [
        { id: 'x', text: 'Greetings.', policySnapshot: { step: 1 } },
        { id: 'y', text: 'Bye.', policySnapshot: { step: 1 } },
      ],
    });
    doc = appendEvent(doc, pairVote(duelId, 'a'));
    expect(votesToPreferencePairs(doc.events).map((p) => [p.chosen, p.rejected, p.chosenSnapshot.step])).toEqual([
      ['Hi!', 'Go away.', 0],
      ['Greetings.', 'Bye.', 1],
    ]);
  });
});

describe('undo', () => {
  it('removes the target from the effective log; undoing the undo restores it', () => {
    let { doc, duelId } = duelSession();
    doc = appendEvent(doc, pairVote(duelId, 'a')); // seq 2
    doc = appendEvent(doc, pairVote(duelId, 'b')); // seq 3
    doc = undoEvent(doc, 3, duelId); // seq 4
    expect(effectiveEvents(doc.events).map((e) => e.seq)).toEqual([0, 1, 2]);
    expect(cancelledSeqs(doc.events)).toEqual(new Set([3]));
    expect(lastUndoable(doc.events, duelId)?.seq).toBe(2);
    const redone = undoEvent(doc, 4, duelId); // seq 5 cancels the undo
    expect(effectiveEvents(redone.events).map((e) => e.seq)).toEqual([0, 1, 2, 3]);
    const undoneAgain = undoEvent(redone, 5, duelId);
    expect(effectiveEvents(undoneAgain.events).map((e) => e.seq)).toEqual([0, 1, 2]);
  });

  it('refuses to undo an event that does not exist yet', () => {
    const { doc, duelId } = duelSession();
    expect(() => undoEvent(doc, 7, duelId)).toThrow('event.targetSeq: no earlier event has seq 7');
  });

  it('drops votes whose candidates were undone from the pairs', () => {
    let { doc, duelId } = duelSession();
    doc = appendEvent(doc, pairVote(duelId, 'a'));
    doc = undoEvent(doc, 1, duelId);
    expect(votesToPreferencePairs(doc.events)).toEqual([]);
  });
});

describe('votesToPreferencePairs', () => {
  it('turns strict pair votes and rankings into pairs, skipping ties, both-bad and thumbs', () => {
    const doc = v2();
    const pairs = votesToPreferencePairs(doc.events);
    expect(pairs.map((p) => [p.promptId, p.chosenId, p.rejectedId, p.voteSeq, p.judge])).toEqual([
      ['rain', 'r1', 'r2', 3, 'human'],
      // seq 8 (outcome b) was undone by seq 9; seq 10 re-voted "a".
      ['primes', 'q1', 'q2', 10, 'human'],
      ['tea', 't3', 't1', 13, 'sim-len'],
      ['tea', 't3', 't2', 13, 'sim-len'],
      ['tea', 't1', 't2', 13, 'sim-len'],
    ]);
    expect(pairs[0]).toMatchObject({
      prompt: 'Write a haiku about rain.',
      chosen: 'Soft rain on the roof / the gutters hum a slow song / puddles hold the sky',
      rejected: 'Rain is water that falls from clouds.',
      chosenSnapshot: { step: 0, name: 'reference' },
    });
  });

  it('can take adjacent pairs from rankings, none, or only one cell', () => {
    const doc = v2();
    const rankCell = doc.cells[5]!.id;
    expect(votesToPreferencePairs(doc.events, { rankings: 'adjacent', cellId: rankCell }).map((p) => [p.chosenId, p.rejectedId])).toEqual([
      ['t3', 't1'],
      ['t1', 't2'],
    ]);
    expect(votesToPreferencePairs(doc.events, { rankings: 'none' })).toHaveLength(2);
  });
});

describe('document edits', () => {
  it('builds a starter notebook whose cells link to each other', () => {
    const doc = createStarterSession(createIdGenerator({ seed: 3 }), { now: T0, title: 'Start' });
    expect(doc.cells.map((c) => c.kind)).toEqual(['policy', 'prompts', 'duel', 'train', 'arena']);
    const [policy, prompts, duel, train] = doc.cells;
    expect(duel!.config).toMatchObject({ policyCellId: policy!.id, promptsCellId: prompts!.id });
    expect(train!.config).toMatchObject({ duelCellId: duel!.id, objective: 'sigmoid', beta: 0.5 });
    expect(parseSessionDocument(doc).ok).toBe(true);
  });

  it('inserts, updates, moves and removes cells without touching the original', () => {
    const nextId = createIdGenerator({ seed: 4 });
    const original = createStarterSession(nextId, { now: T0 });
    const note = createCell('note', nextId, { config: { text: 'hello' } });
    const withNote = insertCell(original, note, 1, T0 + 1);
    expect(withNote.cells[1]!.id).toBe(note.id);
    expect(original.cells).toHaveLength(5);

    const trainId = original.cells[3]!.id;
    const changed = updateCell(withNote, trainId, { config: { ...defaultCellConfig('train'), objective: 'ipo', beta: 0.5 }, title: 'IPO' });
    expect(changed.cells[4]).toMatchObject({ title: 'IPO', config: { objective: 'ipo', beta: 0.5 } });
    expect(withNote.cells[4]!.config).toMatchObject({ objective: 'sigmoid' });
    expect(updateCell(changed, trainId, { title: undefined }).cells[4]!.title).toBeUndefined();

    expect(moveCell(changed, note.id, 99).cells.at(-1)!.id).toBe(note.id);
    expect(removeCell(changed, note.id).cells.map((c) => c.id)).toEqual(original.cells.map((c) => c.id));
    expect(renameSession(original, 'Renamed').metadata.title).toBe('Renamed');
  });

  it('rejects invalid edits with the path of the problem', () => {
    const nextId = createIdGenerator({ seed: 5 });
    const doc = createStarterSession(nextId, { now: T0 });
    const trainId = doc.cells[3]!.id;
    expect(() => updateCell(doc, trainId, { config: { ...defaultCellConfig('train'), beta: -1 } })).toThrow(
      'cell.config.beta: must be greater than 0',
    );
    expect(() => insertCell(doc, { ...doc.cells[0]! })).toThrow(`A cell with id "${doc.cells[0]!.id}" already exists.`);
    expect(() => updateCell(doc, 'missing', { title: 'x' })).toThrow('No cell has id "missing".');
    let full = createSession({ now: T0 });
    for (let i = 0; i < 200; i++) full = insertCell(full, createCell('note', nextId));
    expect(() => insertCell(full, createCell('note', nextId))).toThrow('A session holds at most 200 cells.');
  });

  it('splits pasted prompts on blank lines', () => {
    expect(splitPastedPrompts('One\nstill one\n\n  Two  \r\n\r\n\n\nThree\n')).toEqual(['One\nstill one', 'Two', 'Three']);
    expect(splitPastedPrompts('  \n\n ')).toEqual([]);
  });
});

