import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import * as Y from 'yjs';
import { appendToRoom, roomLog, seedRoom } from '../../src/session/room_doc.ts';
import { CLOSE_CODES, startSyncServer, type SyncLimits, type SyncServer } from '../../src/server/sync_server.ts';
import { connectClient, duelSession, newRoomId, sessionOf, tempDir, voteEvent, waitFor, type Client } from './serve_support.ts';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function server(dir: string, limits: Partial<SyncLimits> = {}): Promise<SyncServer> {
  const s = await startSyncServer({ dataDir: dir, port: 0, limits: { persistDebounceMs: 20, ...limits } });
  cleanups.push(() => s.close());
  return s;
}

async function client(port: number, room: string, doc?: Y.Doc): Promise<Client> {
  const c = await connectClient(port, room, doc);
  cleanups.push(c.destroy);
  return c;
}

function data(): string {
  const t = tempDir();
  cleanups.push(t.remove);
  return t.dir;
}

/** The room as stored on disk. */
function storedRoom(dir: string, room: string): Y.Doc {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, new Uint8Array(readFileSync(join(dir, `${room}.yjs`))));
  return doc;
}

/** A raw socket's close code (or the HTTP status of a refused upgrade); fails after 5 s open. */
function rawOutcome(url: string, send?: (ws: WebSocket) => void): Promise<{ closeCode?: number; httpStatus?: number }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`${url} was still open after 5 s`));
    }, 5_000);
    ws.on('close', () => clearTimeout(timer));
    ws.on('unexpected-response', (_req, res) => resolve({ httpStatus: res.statusCode }));
    ws.on('error', () => {});
    ws.on('open', () => send?.(ws));
    ws.on('close', (code) => resolve({ closeCode: code }));
  });
}

describe('duelbook sync server', () => {
  it('two y-websocket clients in one room converge; a restart on the same data loses nothing', async () => {
    const dir = data();
    const first = await server(dir);
    const room = newRoomId();
    const { doc, duelId } = duelSession();
    const aliceDoc = new Y.Doc();
    seedRoom(aliceDoc, doc, 'alice');
    const alice = await client(first.port, room, aliceDoc);
    const bob = await client(first.port, room);
    await waitFor('bob to receive the seed', () => sessionOf(bob.doc).doc.events.length === 2);
    appendToRoom(alice.doc, [voteEvent(duelId, 'a')], 'alice', new Map());
    appendToRoom(bob.doc, [voteEvent(duelId, 'b'), voteEvent(duelId, 'tie')], 'bob', new Map());
    await waitFor('both to hold five events', () => sessionOf(alice.doc).doc.events.length === 5 && sessionOf(bob.doc).doc.events.length === 5);
    expect(sessionOf(alice.doc).doc).toEqual(sessionOf(bob.doc).doc);

    await first.close();
    expect(readdirSync(dir)).toEqual([`${room}.yjs`]);
    const second = await server(dir);
    const carol = await client(second.port, room);
    await waitFor('carol to receive everything', () => sessionOf(carol.doc).doc.events.length === 5);
    expect(sessionOf(carol.doc).doc).toEqual(sessionOf(alice.doc).doc);
    expect(sessionOf(carol.doc).problems).toEqual([]);
  });

  it('refuses plain HTTP, bad room ids, other paths and queries', async () => {
    const s = await server(data());
    const base = `127.0.0.1:${s.port}`;
    const res = await fetch(`http://${base}/${newRoomId()}`);
    expect(res.status).toBe(404);
    await res.text();
    for (const path of ['/abc', `/${newRoomId().toUpperCase()}`, `/${newRoomId()}?x=1`, `/${newRoomId()}/more`, '/', `/${newRoomId()}0`]) {
      expect(await rawOutcome(`ws://${base}${path}`), path).toEqual({ httpStatus: 400 });
    }
  });

  it('closes a connection that sends a message past the size cap (1009) and one that floods (4429)', async () => {
    const s = await server(data(), { maxMessageBytes: 64 * 1024, messagesPerSecond: 20, messageBurst: 10 });
    const url = `ws://127.0.0.1:${s.port}/${newRoomId()}`;
    const big = await rawOutcome(url, (ws) => ws.send(new Uint8Array(100 * 1024)));
    expect(big).toEqual({ closeCode: 1009 });
    // A sync step 1 with an empty state vector: [sync, step 1, 1-byte payload: 0 clients].
    const step1 = new Uint8Array([0, 0, 1, 0]);
    const flood = await rawOutcome(url, (ws) => {
      for (let i = 0; i < 50; i++) ws.send(step1);
    });
    expect(flood).toEqual({ closeCode: CLOSE_CODES.rateLimit });
    // Within the burst, the same messages are answered and the peer stays.
    const calm = new WebSocket(url);
    let answers = 0;
    calm.on('message', () => answers++);
    await new Promise<void>((r) => calm.on('open', () => r()));
    for (let i = 0; i < 8; i++) calm.send(step1);
    await waitFor('eight answers', () => answers >= 9);
    expect(calm.readyState).toBe(WebSocket.OPEN);
    calm.close();
  });

  it('rejects a peer that deletes or edits a log entry: the others and the stored room never see it', async () => {
    const dir = data();
    const s = await server(dir);
    const room = newRoomId();
    const { doc } = duelSession();
    const aliceDoc = new Y.Doc();
    seedRoom(aliceDoc, doc, 'alice');
    const alice = await client(s.port, room, aliceDoc);
    const before = JSON.stringify(roomLog(alice.doc).toJSON());

    const deleter = await client(s.port, room);
    await waitFor('the deleter to hold the log', () => roomLog(deleter.doc).length === 2);
    roomLog(deleter.doc).delete(0, 1);
    await waitFor('the deleter to be closed', () => deleter.closes.length > 0);
    expect(deleter.closes).toEqual([CLOSE_CODES.refusedUpdate]);

    const editor = await client(s.port, room);
    await waitFor('the editor to hold the log', () => roomLog(editor.doc).length === 2);
    editor.doc.transact(() => {
      const entry = roomLog(editor.doc).get(0) as { id: string; author: string; event: Record<string, unknown> };
      roomLog(editor.doc).delete(0, 1);
      roomLog(editor.doc).insert(0, [{ ...entry, event: { ...entry.event, text: 'Say something rude' } }]);
    });
    await waitFor('the editor to be closed', () => editor.closes.length > 0);
    expect(editor.closes).toEqual([CLOSE_CODES.refusedUpdate]);

    // A later append from an honest peer still goes through, so alice is known to be current.
    const bob = await client(s.port, room);
    bob.doc.getMap('meta').set('note', 'bob was here');
    await waitFor('alice to see bob', () => alice.doc.getMap('meta').get('note') === 'bob was here');
    expect(JSON.stringify(roomLog(alice.doc).toJSON())).toBe(before);
    await s.flush();
    expect(JSON.stringify(roomLog(storedRoom(dir, room)).toJSON())).toBe(before);
  });

  it('refuses an update that would grow the room past its cap (4413); the room keeps what it had', async () => {
    const dir = data();
    const s = await server(dir, { maxRoomBytes: 4 * 1024 });
    const room = newRoomId();
    const { doc, duelId } = duelSession();
    const aliceDoc = new Y.Doc();
    seedRoom(aliceDoc, doc, 'alice');
    const alice = await client(s.port, room, aliceDoc);
    const bob = await client(s.port, room);
    await waitFor('bob to receive the seed', () => roomLog(bob.doc).length === 2);
    appendToRoom(bob.doc, [{ seq: 9, t: 1, type: 'prompt', cellId: duelId, promptId: 'q', text: 'long '.repeat(2_000) }], 'bob', new Map());
    await waitFor('bob to be closed', () => bob.closes.length > 0);
    expect(bob.closes).toEqual([CLOSE_CODES.roomFull]);
    await s.flush();
    expect(roomLog(storedRoom(dir, room)).length).toBe(2);
    expect(roomLog(alice.doc).length).toBe(2);
  });

  it('does not serve, or overwrite, a room whose stored file does not decode', async () => {
    const dir = data();
    const room = newRoomId();
    const garbage = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 1, 2, 3]);
    writeFileSync(join(dir, `${room}.yjs`), garbage);
    const s = await server(dir);
    expect(await rawOutcome(`ws://127.0.0.1:${s.port}/${room}`)).toEqual({ closeCode: CLOSE_CODES.roomUnreadable });
    await s.close();
    expect(new Uint8Array(readFileSync(join(dir, `${room}.yjs`)))).toEqual(garbage);
  });

  it('an offline client that reconnects ends with every entry exactly once', async () => {
    const s = await server(data());
    const room = newRoomId();
    const { doc, duelId } = duelSession();
    const aliceDoc = new Y.Doc();
    seedRoom(aliceDoc, doc, 'alice');
    const alice = await client(s.port, room, aliceDoc);
    const bob = await client(s.port, room);
    await waitFor('bob to receive the seed', () => roomLog(bob.doc).length === 2);
    bob.provider.disconnect();
    const aliceIds = appendToRoom(alice.doc, [voteEvent(duelId, 'a'), voteEvent(duelId, 'b'), voteEvent(duelId, 'tie')], 'alice', new Map());
    const bobIds = appendToRoom(bob.doc, [voteEvent(duelId, 'b'), voteEvent(duelId, 'a')], 'bob', new Map());
    await waitFor('the server to hold alice’s votes', () => roomLog(alice.doc).length === 5);
    expect(roomLog(bob.doc).length).toBe(4);
    bob.provider.connect();
    await waitFor('both to hold seven entries', () => roomLog(alice.doc).length === 7 && roomLog(bob.doc).length === 7);
    // Reconnecting again re-sends nothing twice.
    bob.provider.disconnect();
    bob.provider.connect();
    await waitFor('bob to sync again', () => bob.provider.synced);
    const a = sessionOf(alice.doc);
    const b = sessionOf(bob.doc);
    expect(a.doc).toEqual(b.doc);
    expect(a.problems).toEqual([]);
    expect(roomLog(alice.doc).length).toBe(7);
    for (const id of [...aliceIds, ...bobIds]) expect(a.entryIds.filter((e) => e === id)).toHaveLength(1);
  });
});
