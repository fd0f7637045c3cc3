/**
 * Shared helpers for the sync-server tests: temp data directories, y-websocket clients on
 * 127.0.0.1, polling with a deadline, and a small session to seed rooms with.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { appendEvents, createCell, createIdGenerator, createSession, type NewSessionEvent, type SessionDocument, type SessionEvent } from '../../src/session/index.ts';
import { readRoom } from '../../src/session/room_doc.ts';

export const newRoomId = (): string => randomBytes(16).toString('hex');

export function tempDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'duelbook-serve-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Polls `check` every 10 ms until it holds; fails the test after `ms`. */
export async function waitFor(what: string, check: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export interface Client {
  doc: Y.Doc;
  provider: WebsocketProvider;
  /** Codes the server closed this client's sockets with. */
  closes: number[];
  destroy: () => void;
}

export async function connectClient(port: number, room: string, doc = new Y.Doc()): Promise<Client> {
  const provider = new WebsocketProvider(`ws://127.0.0.1:${port}`, room, doc, {
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
    disableBc: true,
    maxBackoffTime: 200,
  });
  const closes: number[] = [];
  provider.on('connection-close', (event) => {
    if (event) closes.push(event.code);
  });
  await waitFor('the client to sync', () => provider.synced);
  return {
    doc,
    provider,
    closes,
    destroy: () => {
      provider.destroy();
      doc.destroy();
    },
  };
}

/** The room as the client reads it (throws on a refused layout). */
export function sessionOf(doc: Y.Doc) {
  const result = readRoom(doc, { now: 0 });
  if (!result.ok) throw new Error(result.error);
  return result;
}

export const T0 = Date.UTC(2025, 0, 1);

/** A duel with one prompt and two candidates shown: votes on x/y are valid after it. */
export function duelSession(): { doc: SessionDocument; duelId: string } {
  const duel = createCell('duel', createIdGenerator({ seed: 1 }));
  const doc = appendEvents(
    createSession({ title: 'Shared', now: T0, cells: [duel] }),
    [
      { type: 'prompt', cellId: duel.id, promptId: 'p', text: 'Say hi' },
      {
        type: 'candidates',
        cellId: duel.id,
        promptId: 'p',
        seed: 5,
        sampling: { temperature: 1, topK: 0, topP: 1, maxTokens: 32 },
        candidates: [
          { id: 'x', text: 'Hi!', policySnapshot: { step: 0 } },
          { id: 'y', text: 'Go away.', policySnapshot: { step: 0 } },
        ],
      },
    ] satisfies NewSessionEvent[],
    T0 + 1,
  );
  return { doc, duelId: duel.id };
}

export const voteEvent = (cellId: string, outcome: 'a' | 'b' | 'tie'): SessionEvent => ({
  seq: 0,
  t: T0 + 9,
  type: 'vote',
  kind: 'pair',
  cellId,
  promptId: 'p',
  judge: 'human',
  a: 'x',
  b: 'y',
  outcome,
  shownOrder: ['x', 'y'],
});
