import { deleteDB } from 'idb';
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
    await store.save('one', first);
    await store.save('two', second);
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
    await store.save('auto', stored);

    const autosaver = createAutosaver<SessionDocument>((doc) => store.save('auto', doc), { intervalMs: 50 });
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
