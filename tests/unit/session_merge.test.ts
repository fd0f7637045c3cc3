/**
 * The three-way merge behind two tabs editing one session: parts changed on one side are kept,
 * a part changed on both sides is a conflict, and a merge that does not fit together is refused.
 */
import { describe, expect, it } from 'vitest';
import {
  appendEvent,
  createCell,
  createIdGenerator,
  createStarterSession,
  insertCell,
  mergeSessionDocuments,
  parseTabMessage,
  renameSession,
} from '../../src/session/index.ts';

const nextId = createIdGenerator({ seed: 11 });
const base = createStarterSession(nextId, { title: 'Base', now: Date.UTC(2025, 0, 1) });
const note = createCell('note', nextId, { config: { text: 'saved' } });
const duelId = base.cells.find((c) => c.kind === 'duel')!.id;

describe('mergeSessionDocuments', () => {
  it('keeps a note added in one tab and a rename made in the other', () => {
    const theirs = insertCell(base, note, 0);
    const mine = renameSession(base, 'Renamed', Date.UTC(2025, 0, 2));
    const merged = mergeSessionDocuments(base, mine, theirs);
    if (!merged.ok) throw new Error(merged.conflict);
    expect(merged.doc.metadata.title).toBe('Renamed');
    expect(merged.doc.cells.map((c) => c.id)).toEqual(theirs.cells.map((c) => c.id));
    expect(merged.tookTheirs).toEqual({ cells: true, events: false });
    // Symmetric: the rename stored, the note unsaved here.
    const other = mergeSessionDocuments(base, theirs, mine);
    expect(other.ok && [other.doc.metadata.title, other.doc.cells.length]).toEqual(['Renamed', base.cells.length + 1]);
  });

  it('takes the stored log when only the other tab voted', () => {
    const theirs = appendEvent(base, { type: 'prompt', cellId: duelId, promptId: 'p', text: 'Hello?' });
    const mine = renameSession(base, 'Mine');
    const merged = mergeSessionDocuments(base, mine, theirs);
    expect(merged.ok && merged.doc.events).toEqual(theirs.events);
    expect(merged.ok && merged.tookTheirs.events).toBe(true);
  });

  it('calls two different renames, or events in both tabs, a conflict', () => {
    const two = mergeSessionDocuments(base, renameSession(base, 'A'), renameSession(base, 'B'));
    expect(two).toEqual({ ok: false, conflict: 'both tabs changed the title' });
    const a = appendEvent(base, { type: 'prompt', cellId: duelId, promptId: 'p', text: 'one' });
    const b = appendEvent(base, { type: 'prompt', cellId: duelId, promptId: 'q', text: 'two' });
    expect(mergeSessionDocuments(base, a, b)).toEqual({ ok: false, conflict: 'both tabs changed the event log' });
    // The same rename on both sides is no conflict.
    expect(mergeSessionDocuments(base, renameSession(base, 'Same'), renameSession(base, 'Same')).ok).toBe(true);
  });
});

describe('parseTabMessage', () => {
  it('accepts what openTabChannel sends and nothing else', () => {
    expect(parseTabMessage({ kind: 'saved', id: 'abc', revision: 3, tab: 't1' })).toEqual({ kind: 'saved', id: 'abc', revision: 3, tab: 't1' });
    expect(parseTabMessage({ kind: 'deleted', id: 'abc', tab: 't1' })).toEqual({ kind: 'deleted', id: 'abc', tab: 't1' });
    expect(parseTabMessage({ kind: 'saved', id: 'abc', revision: 0, tab: 't1' })).toBeNull();
    expect(parseTabMessage({ kind: 'saved', id: 'abc', revision: '3', tab: 't1' })).toBeNull();
    expect(parseTabMessage({ kind: 'saved', id: '../x', revision: 3, tab: 't1' })).toBeNull();
    expect(parseTabMessage({ kind: 'other', id: 'abc', tab: 't1' })).toBeNull();
    expect(parseTabMessage('saved')).toBeNull();
    expect(parseTabMessage(null)).toBeNull();
  });
});
