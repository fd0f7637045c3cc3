/**
 * Duelbook's sync server for shared live sessions: a y-websocket-compatible relay that serves
 * rooms and nothing else.
 *
 * What it stores: one Yjs document per room (the session's cells, metadata and its append-only
 * log of intents, laid out by src/session/room_doc.ts), kept in memory while someone is
 * connected and written to `<data>/<room>.yjs` (temp file, fsync, rename) at most
 * `persistDebounceMs` after a change, at the latest `persistMaxWaitMs` after the first unsaved
 * one, when the last peer leaves, and on stop (the CLI stops on SIGINT/SIGTERM). It stores no
 * accounts, no IP addresses and no presence: awareness (who is here) lives only in memory.
 * Authors in the log are whatever each peer declares; knowing the room id is the only key.
 *
 * Addressing: a WebSocket upgrade to `/<room>`, room = 32 lowercase hex characters (128 random
 * bits). Any other path or query gets HTTP 400, any plain HTTP request HTTP 404; the socket is
 * closed.
 *
 * Caps (DEFAULT_SYNC_LIMITS; a hostile peer is closed with a 44xx code, which y-websocket
 * clients treat as final and do not retry):
 * - one message ≤ 8 MiB (ws maxPayload; larger: closed with 1009 by ws);
 * - one room ≤ 32 MiB of Yjs state (an update that would pass it: 4413);
 * - per connection 30 messages/s with bursts of 120 (token bucket; past it: 4429);
 * - updates that do not decode, or delete or change a log entry: 4403 (4400 for an unknown
 *   message type); such an update never reaches the room, its file or other peers. An update
 *   that builds on changes the room lacks is dropped (the peer's sync step 2 brings it whole);
 * - 64 connections per room (HTTP 503), 4 awareness client ids per connection (4403);
 * - a room whose file does not decode is not served (4410) and its file is left as it is.
 *
 * Past one server: this one holds each room in one process's memory, so it scales by rooms, not
 * by peers in a room. Several instances can share the load if a proxy routes by room id (a room
 * lives on one instance). To run one room across instances, move to Hocuspocus with its Redis
 * extension (updates and awareness fanned out through Redis pub/sub) and a database extension
 * for storage; the append-only check here becomes an `onChange`/`beforeHandleMessage` hook.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { Awareness, applyAwarenessUpdate, encodeAwarenessUpdate, removeAwarenessStates } from 'y-protocols/awareness';
import * as Y from 'yjs';
import { ROOM_ID_PATTERN } from '../session/room_doc.ts';
import { RoomFiles } from './room_files.ts';
import { checkRoomUpdate } from './update_guard.ts';
import {
  MESSAGE_AWARENESS,
  MESSAGE_QUERY_AWARENESS,
  MESSAGE_SYNC,
  SYNC_STEP_1,
  SYNC_STEP_2,
  SYNC_UPDATE,
  WireReader,
  writeMessage,
} from './wire.ts';

export interface SyncLimits {
  maxMessageBytes: number;
  maxRoomBytes: number;
  messagesPerSecond: number;
  messageBurst: number;
  maxConnectionsPerRoom: number;
  maxAwarenessClientsPerConnection: number;
  persistDebounceMs: number;
  persistMaxWaitMs: number;
  /** A peer that answers no ping for this long is dropped. */
  pingIntervalMs: number;
}

export const DEFAULT_SYNC_LIMITS: SyncLimits = {
  maxMessageBytes: 8 * 1024 * 1024,
  maxRoomBytes: 32 * 1024 * 1024,
  messagesPerSecond: 30,
  messageBurst: 120,
  maxConnectionsPerRoom: 64,
  maxAwarenessClientsPerConnection: 4,
  persistDebounceMs: 1_000,
  persistMaxWaitMs: 5_000,
  pingIntervalMs: 30_000,
};

/** Close codes, in y-websocket's "do not reconnect" range 4400–4499. */
export const CLOSE_CODES = {
  badMessage: 4400,
  refusedUpdate: 4403,
  roomFull: 4413,
  rateLimit: 4429,
  /** The room's file could not be read: the room is not served (and its file not overwritten). */
  roomUnreadable: 4410,
} as const;

export interface SyncServerOptions {
  dataDir: string;
  host?: string;
  port?: number;
  limits?: Partial<SyncLimits>;
  /** One line per notable event (refused peers, write errors). */
  log?: (line: string) => void;
}

export interface SyncServer {
  readonly host: string;
  readonly port: number;
  /** Writes every room with unsaved changes now. */
  flush(): Promise<void>;
  /** Stops accepting, closes every peer (1001), writes every room, and resolves when done. */
  close(): Promise<void>;
}

interface Peer {
  ws: WebSocket;
  awarenessIds: Set<number>;
  tokens: number;
  refilledAt: number;
  alive: boolean;
}

class Room {
  readonly doc = new Y.Doc();
  readonly awareness = new Awareness(this.doc);
  readonly peers = new Map<WebSocket, Peer>();
  /** Upper bound of the stored state's size: exact after each write, plus accepted updates. */
  bytes = 0;
  dirtySince: number | null = null;
  timer: ReturnType<typeof setTimeout> | null = null;
  writing: Promise<void> = Promise.resolve();

  constructor(readonly id: string) {
    this.awareness.setLocalState(null);
  }
}

/** Starts the server; resolves once it listens (port 0: the port the system chose). */
export async function startSyncServer(options: SyncServerOptions): Promise<SyncServer> {
  const limits: SyncLimits = { ...DEFAULT_SYNC_LIMITS, ...options.limits };
  const log = options.log ?? (() => {});
  const files = new RoomFiles(options.dataDir);
  const rooms = new Map<string, Room>();
  const wss = new WebSocketServer({ noServer: true, maxPayload: limits.maxMessageBytes });
  let closing = false;

  const http: Server = createServer((_req, res) => {
    res.writeHead(404, { 'content-type': 'text/plain', connection: 'close' });
    res.end('duelbook sync server: WebSocket rooms only (/<32 hex characters>)\n');
  });

  const refuseUpgrade = (socket: Duplex, status: string) => {
    socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
    socket.destroy();
  };

  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const room = /^\/([^/?#]*)$/.exec(req.url ?? '')?.[1];
    if (closing) return refuseUpgrade(socket, '503 Service Unavailable');
    if (room === undefined || !ROOM_ID_PATTERN.test(room)) return refuseUpgrade(socket, '400 Bad Request');
    const open = rooms.get(room);
    if (open && open.peers.size >= limits.maxConnectionsPerRoom) return refuseUpgrade(socket, '503 Service Unavailable');
    wss.handleUpgrade(req, socket, head, (ws) => connect(ws, room));
  });

  function openRoom(id: string): Room | null {
    const existing = rooms.get(id);
    if (existing) return existing;
    const room = new Room(id);
    try {
      const stored = files.read(id);
      if (stored) {
        Y.applyUpdate(room.doc, stored);
        room.bytes = stored.length;
      }
    } catch (error) {
      log(`room ${id}: its file could not be read (${(error as Error).message}); not serving it`);
      return null;
    }
    room.doc.on('update', (update: Uint8Array, origin: unknown) => {
      const message = writeMessage([MESSAGE_SYNC, SYNC_UPDATE], update);
      for (const [ws] of room.peers) if (ws !== origin) send(ws, message);
      markDirty(room);
    });
    room.awareness.on('update', ({ added, updated, removed }: { added: number[]; updated: number[]; removed: number[] }, origin: unknown) => {
      const peer = room.peers.get(origin as WebSocket);
      if (peer) {
        for (const id of added) peer.awarenessIds.add(id);
        for (const id of removed) peer.awarenessIds.delete(id);
      }
      const message = writeMessage([MESSAGE_AWARENESS], encodeAwarenessUpdate(room.awareness, [...added, ...updated, ...removed]));
      for (const [ws] of room.peers) send(ws, message);
    });
    rooms.set(id, room);
    return room;
  }

  function markDirty(room: Room): void {
    const now = Date.now();
    room.dirtySince ??= now;
    if (room.timer) clearTimeout(room.timer);
    const wait = Math.max(0, Math.min(limits.persistDebounceMs, room.dirtySince + limits.persistMaxWaitMs - now));
    room.timer = setTimeout(() => void persist(room), wait);
  }

  /** Writes the room if it has unsaved changes; writes of one room never overlap. */
  function persist(room: Room): Promise<void> {
    if (room.timer) clearTimeout(room.timer);
    room.timer = null;
    room.writing = room.writing.then(async () => {
      if (room.dirtySince === null) return;
      const since = room.dirtySince;
      room.dirtySince = null;
      const state = Y.encodeStateAsUpdate(room.doc);
      try {
        await files.write(room.id, state);
        room.bytes = state.length;
      } catch (error) {
        room.dirtySince ??= since;
        log(`room ${room.id}: write failed (${(error as Error).message}); will retry`);
        if (!closing) markDirty(room);
      }
    });
    return room.writing;
  }

  function send(ws: WebSocket, message: Uint8Array): void {
    if (ws.readyState === 1) ws.send(message, (error) => error && ws.terminate());
  }

  function refuse(ws: WebSocket, room: Room, code: number, why: string): void {
    log(`room ${room.id}: closed a peer with ${code}: ${why}`);
    ws.close(code, why.slice(0, 120));
    leave(ws, room);
  }

  function leave(ws: WebSocket, room: Room): void {
    const peer = room.peers.get(ws);
    if (!peer) return;
    room.peers.delete(ws);
    removeAwarenessStates(room.awareness, [...peer.awarenessIds], null);
    if (room.peers.size === 0) {
      void persist(room).then(() => {
        if (room.peers.size === 0 && room.dirtySince === null && rooms.get(room.id) === room) {
          rooms.delete(room.id);
          room.awareness.destroy();
          room.doc.destroy();
        }
      });
    }
  }

  function connect(ws: WebSocket, roomId: string): void {
    const room = openRoom(roomId);
    if (!room) {
      ws.close(CLOSE_CODES.roomUnreadable, 'room file unreadable');
      return;
    }
    ws.binaryType = 'nodebuffer';
    const peer: Peer = { ws, awarenessIds: new Set(), tokens: limits.messageBurst, refilledAt: Date.now(), alive: true };
    room.peers.set(ws, peer);
    ws.on('message', (data: RawData) => onMessage(room, peer, data));
    ws.on('close', () => leave(ws, room));
    ws.on('error', () => leave(ws, room));
    ws.on('pong', () => (peer.alive = true));
    send(ws, writeMessage([MESSAGE_SYNC, SYNC_STEP_1], Y.encodeStateVector(room.doc)));
    const states = [...room.awareness.getStates().keys()];
    if (states.length > 0) send(ws, writeMessage([MESSAGE_AWARENESS], encodeAwarenessUpdate(room.awareness, states)));
  }

  function onMessage(room: Room, peer: Peer, data: RawData): void {
    const { ws } = peer;
    if (!room.peers.has(ws)) return;
    const now = Date.now();
    peer.tokens = Math.min(limits.messageBurst, peer.tokens + ((now - peer.refilledAt) / 1000) * limits.messagesPerSecond);
    peer.refilledAt = now;
    if (peer.tokens < 1) return refuse(ws, room, CLOSE_CODES.rateLimit, `more than ${limits.messagesPerSecond} messages/s`);
    peer.tokens -= 1;
    const bytes = Buffer.isBuffer(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : null;
    if (!bytes) return refuse(ws, room, CLOSE_CODES.badMessage, 'not a binary message');
    try {
      const reader = new WireReader(bytes);
      const type = reader.varUint();
      if (type === MESSAGE_SYNC) {
        const step = reader.varUint();
        const payload = reader.varUint8Array();
        if (step === SYNC_STEP_1) {
          send(ws, writeMessage([MESSAGE_SYNC, SYNC_STEP_2], Y.encodeStateAsUpdate(room.doc, payload)));
        } else if (step === SYNC_STEP_2 || step === SYNC_UPDATE) {
          if (room.bytes + payload.length > limits.maxRoomBytes) {
            return refuse(ws, room, CLOSE_CODES.roomFull, `the room would pass ${limits.maxRoomBytes} bytes`);
          }
          const problem = checkRoomUpdate(room.doc, payload);
          if (problem?.kind === 'violation') return refuse(ws, room, CLOSE_CODES.refusedUpdate, problem.reason);
          if (problem?.kind === 'gap') return log(`room ${room.id}: dropped an update: ${problem.reason}`);
          Y.applyUpdate(room.doc, payload, ws);
          room.bytes += payload.length;
        } else return refuse(ws, room, CLOSE_CODES.badMessage, `unknown sync step ${step}`);
      } else if (type === MESSAGE_AWARENESS) {
        applyAwarenessUpdate(room.awareness, reader.varUint8Array(), ws);
        if (peer.awarenessIds.size > limits.maxAwarenessClientsPerConnection) {
          return refuse(ws, room, CLOSE_CODES.refusedUpdate, `more than ${limits.maxAwarenessClientsPerConnection} awareness clients`);
        }
      } else if (type === MESSAGE_QUERY_AWARENESS) {
        const states = [...room.awareness.getStates().keys()];
        send(ws, writeMessage([MESSAGE_AWARENESS], encodeAwarenessUpdate(room.awareness, states)));
      } else return refuse(ws, room, CLOSE_CODES.badMessage, `unknown message type ${type}`);
    } catch (error) {
      return refuse(ws, room, CLOSE_CODES.badMessage, `malformed message (${(error as Error).message})`);
    }
  }

  const pinger = setInterval(() => {
    for (const room of rooms.values()) {
      for (const peer of room.peers.values()) {
        if (!peer.alive) {
          peer.ws.terminate();
          leave(peer.ws, room);
          continue;
        }
        peer.alive = false;
        peer.ws.ping();
      }
    }
  }, limits.pingIntervalMs);
  pinger.unref();

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      http.off('error', reject);
      resolve();
    });
  });
  const address = http.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? 0);

  const flush = async () => {
    await Promise.all([...rooms.values()].map((room) => persist(room)));
  };

  return {
    host: options.host ?? '127.0.0.1',
    port,
    flush,
    async close() {
      if (closing) return;
      closing = true;
      clearInterval(pinger);
      const stopped = new Promise<void>((resolve) => http.close(() => resolve()));
      for (const room of rooms.values()) for (const [ws] of room.peers) ws.close(1001, 'server stopping');
      await flush();
      for (const client of wss.clients) client.terminate();
      http.closeAllConnections();
      await stopped;
      wss.close();
    },
  };
}
