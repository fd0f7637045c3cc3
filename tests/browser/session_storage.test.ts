import { deleteDB, openDB } from 'idb';
import { afterAll, describe, expect, it } from 'vitest';
import {
  SessionStore,
  appendEvent,
  createAutosaver,
  createIdGenerator,
  createStarterSession,
  decodeShareLink,
  deleteTensorBlob,
  encodeShareLink,
  isOpfsAvailable,
  listTensorBlobs,
  loadTensorBlob,
  renameSession,
  saveTensorBlob,
  type SessionDocument,
} from '../../src/session/index.ts';

const DB_NAME = `duelbook-test-${Date.now()}`;

afterAll(async () => {
  await deleteDB(DB_NAME);
});

describe('SessionStore in real IndexedDB', () => {
  it('saves, lists, reloads and deletes sessions', async () => {
    const nextId = createIdGenerator({ seed: 1 });
    const first = createStarterSession(nextId, { title: 'First', now: Date.UTC(2025, 0, 1) });
    const second = createStarterSession(nextId, { title: 'Second', now: Date.UTC(2025, 0, 2) });
    const store = await SessionStore.open(DB_NAME);
    expect(await store.save('one', first, 0)).toEqual({ ok: true, revision: 1 });
    expect(await store.save('two', second, 0)).toEqual({ ok: true, revision: 1 });
    expect((await store.list()).map((s) => [s.id, s.title, s.cellCount])).toEqual([
      ['two', 'Second', 5],
      ['one', 'First', 5],
    ]);
    store.close();

    // A new connection (as after a reload) reads what the first one wrote.
    const reopened = await SessionStore.open(DB_NAME);
    const loaded = await reopened.load('one');
    expect(loaded?.ok && loaded.doc).toEqual(first);
    expect(await reopened.load('missing')).toBeUndefined();
    await reopened.delete('one');
    expect((await reopened.list()).map((s) => s.id)).toEqual(['two']);
    expect(await reopened.load('one')).toBeUndefined();
    reopened.close();
  });

  it('autosaves through the store only after the first load', async () => {
    const store = await SessionStore.open(DB_NAME);
    const nextId = createIdGenerator({ seed: 2 });
    const stored = createStarterSession(nextId, { title: 'Stored', now: 1_000 });
    await store.save('auto', stored, 0);

    let revision = 1;
    const autosaver = createAutosaver<SessionDocument>(async (doc) => {
      const outcome = await store.save('auto', doc, revision);
      if (!outcome.ok) throw new Error('conflict');
      revision = outcome.revision;
    }, { intervalMs: 50 });
    // Before the load finishes, the app holds a placeholder; it must not overwrite the stored session.
    autosaver.schedule(createStarterSession(nextId, { title: 'Placeholder' }));
    await autosaver.flush();
    const loaded = await store.load('auto');
    expect(loaded?.ok && loaded.doc.metadata.title).toBe('Stored');
    autosaver.markLoaded();

    if (!loaded?.ok) throw new Error('load failed');
    let doc = renameSession(loaded.doc, 'Edited');
    const duelId = doc.cells[2]!.id;
    doc = appendEvent(doc, { type: 'prompt', cellId: duelId, promptId: 'p', text: 'Hello?' });
    autosaver.schedule(doc);
    await autosaver.flush();
    const after = await store.load('auto');
    expect(after?.ok && after.doc).toEqual(doc);
    store.close();
  });
});

describe('SessionStore across tabs and versions', () => {
  const nextId = createIdGenerator({ seed: 4 });
  const starter = (title: string) => createStarterSession(nextId, { title, now: Date.UTC(2025, 1, 1) });

  it('refuses a save from a tab that has not seen the newest revision (compare-and-set)', async () => {
    const name = `${DB_NAME}-cas`;
    const tabA = await SessionStore.open(name);
    const tabB = await SessionStore.open(name);
    const doc = starter('Shared');
    expect(await tabA.save('s', doc, 0)).toEqual({ ok: true, revision: 1 });
    // Both tabs read revision 1; A saves first.
    const withNote = renameSession(doc, 'A wrote this');
    expect(await tabA.save('s', withNote, 1)).toEqual({ ok: true, revision: 2 });
    // B still believes revision 1: its save must not land.
    expect(await tabB.save('s', renameSession(doc, 'B wrote this'), 1)).toEqual({ ok: false, conflict: true, storedRevision: 2 });
    const stored = await tabB.load('s');
    expect(stored?.ok && stored.doc.metadata.title).toBe('A wrote this');
    expect(stored?.revision).toBe(2);
    expect((await tabB.list()).map((s) => [s.id, s.title, s.revision])).toEqual([['s', 'A wrote this', 2]]);
    // A record that does not exist yet only takes revision 0; a deleted one reports null.
    expect(await tabB.save('fresh', doc, 3)).toEqual({ ok: false, conflict: true, storedRevision: null });
    tabA.close();
    tabB.close();
    await deleteDB(name);
  });

  it('opens records written by database version 1 (no revision) and upgrades them', async () => {
    const name = `${DB_NAME}-v1`;
    const doc = starter('Written by version 1');
    // Exactly what version 1 of storage.ts created and wrote.
    const old = await openDB(name, 1, {
      upgrade(database) {
        database.createObjectStore('sessions', { keyPath: 'id' });
        database.createObjectStore('summaries', { keyPath: 'id' }).createIndex('byUpdatedAt', 'updatedAt');
      },
    });
    await old.put('sessions', { id: 'old', doc });
    await old.put('summaries', { id: 'old', title: doc.metadata.title, createdAt: doc.metadata.createdAt, updatedAt: doc.metadata.updatedAt, cellCount: 5, eventCount: 0 });
    old.close();

    const store = await SessionStore.open(name);
    const loaded = await store.load('old');
    expect(loaded?.ok && loaded.doc).toEqual(doc);
    expect(loaded?.revision).toBe(1);
    expect((await store.list()).map((s) => [s.id, s.title, s.revision])).toEqual([['old', 'Written by version 1', 1]]);
    expect((await store.save('old', doc, 0)).ok).toBe(false);
    expect(await store.save('old', renameSession(doc, 'Saved by version 2'), 1)).toEqual({ ok: true, revision: 2 });
    store.close();
    await deleteDB(name);
  });

  it('steps aside when another connection deletes or upgrades the database, and reconnects on next use', async () => {
    const name = `${DB_NAME}-blocking`;
    const store = await SessionStore.open(name);
    await store.save('kept', starter('Before'), 0);
    // deleteDB waits until every open connection closes: the blocking handler must close ours.
    await deleteDB(name);
    expect(await store.list()).toEqual([]);
    expect(await store.save('after', starter('After'), 0)).toEqual({ ok: true, revision: 1 });
    expect((await store.list()).map((s) => s.title)).toEqual(['After']);
    store.close();
    await deleteDB(name);
  });

  it('lists a record that cannot be opened with its error, and hands it back as stored', async () => {
    const name = `${DB_NAME}-broken`;
    const store = await SessionStore.open(name);
    await store.save('good', starter('Good'), 0);
    const raw = await openDB(name);
    await raw.put('sessions', { id: 'badjson', doc: '{"format": "duelbook.session", "version": ', revision: 1 });
    await raw.put('sessions', { id: 'future', doc: { ...starter('From the future'), version: 99 }, revision: 1 });
    raw.close();
    const listed = await store.list();
    expect(listed.map((s) => s.id)).toEqual(['good', 'badjson', 'future']);
    expect(listed[0]!.error).toBeUndefined();
    expect(listed[1]!.error).toMatch(/not valid JSON/);
    expect(listed[2]!.title).toBe('From the future');
    expect(listed[2]!.error).toMatch(/newer Duelbook \(version 99\)/);
    expect((await store.loadRaw('badjson'))?.doc).toBe('{"format": "duelbook.session", "version": ');
    // What the listing learned is kept as summaries, so the next listing does not parse them again.
    const check = await openDB(name);
    expect((await check.get('summaries', 'badjson'))?.error).toMatch(/not valid JSON/);
    check.close();
    // A summary that says a record opens, over a record that does not: markBroken records why.
    await store.markBroken('good', 'failed migration: example');
    expect((await store.list()).find((s) => s.id === 'good')?.error).toBe('failed migration: example');
    store.close();
    await deleteDB(name);
  });
});

describe('share links in Chromium', () => {
  it('round-trip with the browser CompressionStream', async () => {
    const doc = createStarterSession(createIdGenerator({ seed: 3 }), { title: 'Linked', now: 0 });
    const link = await encodeShareLink(doc);
    if (link.tooLarge) throw new Error('starter session should fit in a link');
    const decoded = await decodeShareLink(link.hash);
    expect(decoded.ok && decoded.doc).toEqual(doc);
  });
});

describe('OPFS tensor blobs', () => {
  it('writes, reads, lists and deletes bytes', async () => {
    expect(isOpfsAvailable()).toBe(true);
    const bytes = new Uint8Array(new Float32Array([1.5, -2, 3.25]).buffer);
    expect(await saveTensorBlob('test.weights.bin', bytes)).toBe(true);
    expect(await loadTensorBlob('test.weights.bin')).toEqual(bytes);
    expect(await listTensorBlobs()).toContain('test.weights.bin');
    expect(await deleteTensorBlob('test.weights.bin')).toBe(true);
    expect(await loadTensorBlob('test.weights.bin')).toBeNull();
    expect(await deleteTensorBlob('test.weights.bin')).toBe(false);
  });
});
