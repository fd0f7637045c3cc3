/**
 * A shared live session in the page: a room on a `duelbook serve` sync server that several
 * people vote into. The solo playground stays the default; nothing connects without a click.
 *
 * - A room link is `?room=ROOM&server=ws://HOST:P` (ROOM: 32 lowercase hex characters, 128
 *   random bits). Opening one shows the server's origin and joins on the person's click
 *   (`join`); a malformed one is refused with the reason and nothing connects.
 * - `invite(server)` makes a fresh room, writes its link into the address bar and seeds the room
 *   with the open document (the inviter's cells and intents; derived records stay local).
 * - A joiner (or a reload of the link) opens the room's document as a new stored session; the
 *   policy reloads and the engine reduces the room's log, as for an imported file.
 * - Then every local edit is pushed (RoomMirror.push) and every peer update pulled: new entries
 *   are appended and learned from (`LearningSync.sync`); when the room's order put a peer's
 *   entry before intents this replica already reduced, the log is cut there and the engine
 *   rolls back to its last checkpoint before the cut (`LearningSync.rebase`).
 * - The room's Y.Doc is also kept in IndexedDB (y-indexeddb, one database per room), so votes
 *   cast while the server is unreachable survive a reload and merge when it returns, and a
 *   reload of the link opens from the local copy without waiting for the server.
 * - Presence: each participant's display name (Yjs awareness; shown as text, capped).
 */
import * as Y from 'yjs';
import { IndexeddbPersistence } from 'y-indexeddb';
import { WebsocketProvider } from 'y-websocket';
import { createIdGenerator, ROOM_ID_PATTERN, RoomMirror, type RoomProblem, type SessionDocument } from '../session/index';
import { readLocal, writeLocal } from './browser_storage';
import type { LearningSync } from './learning.svelte';
import type { SessionState } from './session.svelte';
import { pullRoom } from './room_sync';

const NAME_KEY = 'duelbook.displayName';
const SERVER_KEY = 'duelbook.roomServer';
/** What `npm run serve` listens on unless told otherwise. */
export const DEFAULT_ROOM_SERVER = 'ws://localhost:4455';
const MAX_NAME_CHARS = 40;
/** How long the first sync with the server may take before the join is given up (and said so). */
const FIRST_SYNC_TIMEOUT_MS = 20_000;
/** Peers' updates arriving together are pulled once. */
const PULL_DELAY_MS = 30;

export type RoomStatus = 'none' | 'offered' | 'connecting' | 'joined' | 'error';
export type RoomConnection = 'connected' | 'connecting' | 'disconnected';

export interface RoomOffer {
  room: string;
  server: string;
  /** The server's origin as the person should read it before joining. */
  origin: string;
}

export interface RoomPeer {
  clientId: number;
  name: string;
  self: boolean;
}

/** Reads a room link's query; `null` when it names no room, an error when it names a bad one. */
export function parseRoomQuery(search: string): RoomOffer | { error: string } | null {
  const params = new URLSearchParams(search);
  const room = params.get('room');
  if (room === null) return null;
  if (!ROOM_ID_PATTERN.test(room)) return { error: 'the room id is not 32 lowercase hex characters' };
  const server = checkServerUrl(params.get('server') ?? '');
  if ('error' in server) return server;
  return { room, server: server.url, origin: server.origin };
}

/** A sync server address: ws: or wss:, no credentials, no query; at most 200 characters. */
export function checkServerUrl(raw: string): { url: string; origin: string } | { error: string } {
  if (raw.length === 0) return { error: 'the link names no server' };
  if (raw.length > 200) return { error: 'the server address is longer than 200 characters' };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { error: 'the server address is not a URL' };
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') return { error: `the server address must start with ws:// or wss:// (it is ${url.protocol})` };
  if (url.username || url.password) return { error: 'the server address must not carry a user name or password' };
  if (url.search || url.hash) return { error: 'the server address must not carry a query or fragment' };
  const path = url.pathname.replace(/\/+$/, '');
  return { url: `${url.protocol}//${url.host}${path}`, origin: `${url.protocol}//${url.host}` };
}

function roomLink(room: string, server: string): string {
  return `${location.origin}${location.pathname}?room=${room}&server=${encodeURIComponent(server)}`;
}

function randomRoomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
}

const newAuthorId = createIdGenerator({ length: 12 });
/** The transaction origin of this tab's own writes into the room. */
const LOCAL_ORIGIN = Symbol('duelbook-local');

export class RoomState {
  status = $state<RoomStatus>('none');
  connection = $state<RoomConnection>('disconnected');
  offer = $state.raw<RoomOffer | null>(null);
  /** Why the link could not be used or the join failed. */
  error = $state<string | null>(null);
  /** The link to give others (once in a room). */
  link = $state<string | null>(null);
  peers = $state.raw<RoomPeer[]>([]);
  /** Entries the room holds that were skipped (invalid), with their authors. */
  problems = $state.raw<RoomProblem[]>([]);
  name = $state(readLocal(NAME_KEY) ?? '');
  server = $state(readLocal(SERVER_KEY) ?? DEFAULT_ROOM_SERVER);
  /** The Invite form is open. */
  inviteOpen = $state(false);

  readonly author = newAuthorId();
  #provider: WebsocketProvider | null = null;
  #persistence: IndexeddbPersistence | null = null;
  #ydoc: Y.Doc | null = null;
  #mirror: RoomMirror | null = null;
  #pullTimer: ReturnType<typeof setTimeout> | null = null;
  #openingShared = false;

  constructor(
    private readonly session: SessionState,
    private readonly learning: LearningSync,
  ) {}

  get inRoom(): boolean {
    return this.status === 'joined';
  }

  /** Reads the address bar: a room link becomes an offer to join (nothing connects yet). */
  readFromUrl(search: string = location.search): void {
    const parsed = parseRoomQuery(search);
    if (parsed === null) return;
    if ('error' in parsed) {
      this.status = 'error';
      this.error = `This room link cannot be used: ${parsed.error}. Nothing was connected.`;
      return;
    }
    this.offer = parsed;
    this.status = 'offered';
  }

  setName(name: string): void {
    this.name = name.slice(0, MAX_NAME_CHARS);
    writeLocal(NAME_KEY, this.name);
    this.#provider?.awareness.setLocalStateField('user', { name: this.displayName });
  }

  get displayName(): string {
    return this.name.trim() || `guest ${this.author.slice(0, 4)}`;
  }

  /** The person clicked Join on the offered link. */
  async join(): Promise<boolean> {
    const offer = this.offer;
    if (!offer || this.status === 'connecting' || this.status === 'joined') return false;
    return this.#connect(offer.room, offer.server, false);
  }

  /** Starts a room on `server` seeded with the open document; its link goes in the address bar. */
  async invite(server: string): Promise<boolean> {
    if (this.status === 'connecting' || this.status === 'joined') return false;
    const checked = checkServerUrl(server.trim());
    if ('error' in checked) {
      this.error = `Cannot start a room: ${checked.error}.`;
      return false;
    }
    this.server = checked.url;
    writeLocal(SERVER_KEY, checked.url);
    this.inviteOpen = false;
    const room = randomRoomId();
    history.replaceState(null, '', roomLink(room, checked.url));
    this.offer = { room, server: checked.url, origin: checked.origin };
    return this.#connect(room, checked.url, true);
  }

  /** Leaves the room: the session stays open here as a solo session. */
  leave(): void {
    this.#detach();
    this.status = 'none';
    this.offer = null;
    this.link = null;
    this.peers = [];
    history.replaceState(null, '', location.pathname);
  }

  /**
   * Another document is opening in this tab (New, Import, a stored session): it is not the
   * room's, so the tab leaves the room rather than push a different session into it.
   */
  onDocumentReplaced(): void {
    if (this.#openingShared || this.status === 'none' || this.status === 'offered' || this.status === 'error') return;
    this.leave();
  }

  async #connect(room: string, server: string, seeding: boolean): Promise<boolean> {
    this.#detach();
    this.status = 'connecting';
    this.error = null;
    const ydoc = new Y.Doc();
    // The room's document is also kept in this browser (IndexedDB, one database per room):
    // votes cast while the server is unreachable survive a reload and reach the room when the
    // connection returns, and a reload opens at once from the local copy.
    const persistence = new IndexeddbPersistence(`duelbook-room-${room}`, ydoc);
    this.#persistence = persistence;
    this.#ydoc = ydoc;
    const local = await Promise.race([persistence.whenSynced.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5_000))]);
    if (this.#ydoc !== ydoc) return false;
    if (!local) this.error = 'The local copy of this room could not be read; joining from the server only.';
    const hasLocalCopy = ydoc.getArray('log').length > 0 || ydoc.getMap('cells').size > 0;
    // Cross-tab BroadcastChannel off: the server is the one path between participants.
    const provider = new WebsocketProvider(server, room, ydoc, { disableBc: true, maxBackoffTime: 2_500 });
    this.#provider = provider;
    provider.on('status', ({ status }: { status: RoomConnection }) => (this.connection = status));
    provider.on('connection-close', (event: CloseEvent | null) => {
      // 4400–4499: the server refused this room or connection (CLOSE_CODES in the server); say why.
      if (event && event.code >= 4400 && event.code < 4500) this.error = `The server closed the room connection (${event.code}${event.reason ? `: ${event.reason.slice(0, 120)}` : ''}).`;
    });
    provider.awareness.setLocalStateField('user', { name: this.displayName });
    provider.awareness.on('change', () => this.#readPeers());

    // With a local copy the room opens now (offline too) and the server's part merges in as it
    // arrives; without one, the server must answer first (an empty room is seeded, not guessed).
    const synced =
      hasLocalCopy && !seeding
        ? true
        : await new Promise<boolean>((resolve) => {
            const timer = setTimeout(() => resolve(false), FIRST_SYNC_TIMEOUT_MS);
            provider.once('sync', (isSynced: boolean) => {
              clearTimeout(timer);
              resolve(isSynced);
            });
          });
    if (this.#provider !== provider) return false;
    if (!synced) {
      this.#fail(`Could not reach the room on ${new URL(server).host} within ${FIRST_SYNC_TIMEOUT_MS / 1000} s. Is \`duelbook serve\` running there?`);
      return false;
    }
    const mirror = new RoomMirror(ydoc, this.author, LOCAL_ORIGIN);
    const empty = ydoc.getArray('log').length === 0 && ydoc.getMap('cells').size === 0;
    if (empty) {
      // The inviter's document seeds the room (a joiner of an empty room seeds it too: there is nothing else to show).
      mirror.seed(this.session.doc);
    } else {
      if (seeding) {
        this.#fail('That room is not empty; a new room is made for each invite.');
        return false;
      }
      const adopted = mirror.adopt();
      if (!adopted.ok) {
        this.#fail(`This room cannot be opened: ${adopted.error}`);
        return false;
      }
      this.problems = adopted.problems;
      this.#openingShared = true;
      try {
        await this.session.openShared(adopted.doc);
      } finally {
        this.#openingShared = false;
      }
      if (this.#provider !== provider) return false;
    }
    this.#mirror = mirror;
    this.session.onEdit = (doc) => this.#push(doc);
    ydoc.on('update', (_update: Uint8Array, origin: unknown) => {
      if (origin !== LOCAL_ORIGIN) this.#schedulePull();
    });
    this.link = roomLink(room, server);
    this.status = 'joined';
    // Anything that arrived while the room's document was opening.
    this.#schedulePull();
    return true;
  }

  #fail(message: string): void {
    this.#detach();
    this.status = 'error';
    this.error = message;
  }

  #detach(): void {
    if (this.#pullTimer !== null) clearTimeout(this.#pullTimer);
    this.#pullTimer = null;
    if (this.session.onEdit) this.session.onEdit = null;
    this.#provider?.destroy();
    void this.#persistence?.destroy();
    this.#ydoc?.destroy();
    this.#persistence = null;
    this.#provider = null;
    this.#ydoc = null;
    this.#mirror = null;
    this.connection = 'disconnected';
  }

  #push(doc: SessionDocument): void {
    try {
      this.#mirror?.push(doc);
    } catch (e) {
      this.error = `A change could not be shared with the room: ${(e as Error).message}`;
    }
  }

  #schedulePull(): void {
    if (this.#pullTimer !== null) return;
    this.#pullTimer = setTimeout(() => {
      this.#pullTimer = null;
      this.#pull();
    }, PULL_DELAY_MS);
  }

  #pull(): void {
    const mirror = this.#mirror;
    if (!mirror || !this.session.loaded) return;
    const { outcome } = pullRoom(mirror, { session: this.session, learning: this.learning });
    switch (outcome.kind) {
      case 'error':
        // This tab's session stays as it is; it no longer follows the room.
        this.#fail(`Left the room: ${outcome.error}.`);
        return;
      case 'refused':
        this.error = 'A peer’s change could not be applied here (this tab is read-only).';
        return;
      case 'none':
        this.problems = outcome.problems;
        return;
      case 'append':
      case 'rebase':
        this.problems = outcome.problems;
        return;
    }
  }

  #readPeers(): void {
    const provider = this.#provider;
    if (!provider) return;
    const peers: RoomPeer[] = [];
    for (const [clientId, state] of provider.awareness.getStates()) {
      const user = (state as { user?: { name?: unknown } }).user;
      // A peer's awareness state is anything it sent: only a short string is shown, as text.
      const name = typeof user?.name === 'string' ? user.name.slice(0, MAX_NAME_CHARS) : '(no name)';
      peers.push({ clientId, name, self: clientId === provider.awareness.clientID });
    }
    peers.sort((a, b) => Number(b.self) - Number(a.self) || a.name.localeCompare(b.name));
    this.peers = peers.slice(0, 50);
  }
}
