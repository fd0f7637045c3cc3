/**
 * Sessions in IndexedDB (through `idb`). Documents and their list-view summaries are kept in
 * two stores written in one transaction, so listing sessions never loads their event logs.
 * What comes back out of storage is validated like any other input: a record written by an
 * older Duelbook is migrated, and a corrupted one is reported rather than trusted.
 *
 * Several tabs may hold the same session. Every record carries a revision, and a save is a
 * compare-and-set: it reads the stored revision and writes in one readwrite transaction, and
 * refuses when the revision is not the one the tab last read. A stale tab therefore can never
 * overwrite a newer document; it is told so and decides (merge, reload, or keep a copy).
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import { createIdGenerator } from './ids.ts';
import { parseSessionDocument, type SessionParseResult } from './parse.ts';
import type { SessionDocument } from './schema.ts';

export interface StoredSessionSummary {
  id: string;
  title: string;
  createdAt: string;
  updatedAt: string;
  cellCount: number;
  eventCount: number;
  /** Bumped by every save; 0 means "never saved". */
  revision: number;
  /** Why the stored record cannot be opened (bad JSON, a newer format, a failed migration). */
  error?: string;
}

interface StoredSessionRecord {
  id: string;
  doc: unknown;
  /** Absent in records written before database version 2 (the upgrade adds it). */
  revision?: number;
}

interface DuelbookDb extends DBSchema {
  sessions: { key: string; value: StoredSessionRecord };
  summaries: { key: string; value: StoredSessionSummary; indexes: { byUpdatedAt: string } };
}

export const DEFAULT_DB_NAME = 'duelbook';
/** 1: documents and summaries; 2: every record and summary carries a revision. */
export const DB_VERSION = 2;

export type SaveOutcome =
  | { ok: true; revision: number }
  /** The stored revision is not the expected one (`null`: the record was deleted). */
  | { ok: false; conflict: true; storedRevision: number | null };

export type LoadedSession = SessionParseResult & { revision: number };

const newSessionIdFrom = createIdGenerator({ length: 12 });

/** A fresh random id for a stored session. */
export function newSessionId(): string {
  return newSessionIdFrom();
}

export function summarise(id: string, doc: SessionDocument, revision = 0): StoredSessionSummary {
  return {
    id,
    title: doc.metadata.title,
    createdAt: doc.metadata.createdAt,
    updatedAt: doc.metadata.updatedAt,
    cellCount: doc.cells.length,
    eventCount: doc.events.length,
    revision,
  };
}

/**
 * `entries` (newest save first) in the row order `heldIds` had, for a list that must not move
 * under the person: sessions not in `heldIds` come first, in their own order; ids no longer
 * stored drop out. Every entry keeps its fresh contents.
 */
export function holdListOrder(entries: readonly StoredSessionSummary[], heldIds: readonly string[]): StoredSessionSummary[] {
  const position = new Map(heldIds.map((id, i) => [id, i]));
  const added = entries.filter((e) => !position.has(e.id));
  const kept = entries.filter((e) => position.has(e.id)).sort((a, b) => position.get(a.id)! - position.get(b.id)!);
  return [...added, ...kept];
}

/** The stored value as text, exactly as kept (a string record stays that string). */
export function rawRecordText(doc: unknown): string {
  if (typeof doc === 'string') return doc;
  try {
    return JSON.stringify(doc, null, 2) ?? String(doc);
  } catch {
    return String(doc);
  }
}

const revisionOf = (record: StoredSessionRecord | undefined): number | null =>
  record === undefined ? null : typeof record.revision === 'number' ? record.revision : 1;

function brokenSummary(id: string, revision: number, error: string, doc: unknown): StoredSessionSummary {
  const metadata = typeof doc === 'object' && doc !== null ? (doc as { metadata?: { title?: unknown; createdAt?: unknown; updatedAt?: unknown } }).metadata : undefined;
  const text = (value: unknown, fallback: string) => (typeof value === 'string' && value.length <= 200 ? value : fallback);
  return {
    id,
    title: text(metadata?.title, `Unreadable session ${id}`),
    createdAt: text(metadata?.createdAt, ''),
    updatedAt: text(metadata?.updatedAt, ''),
    cellCount: 0,
    eventCount: 0,
    revision,
    error,
  };
}

export class SessionStore {
  readonly #name: string;
  /** `null` after another connection asked for a version change: reopened on next use. */
  #db: IDBPDatabase<DuelbookDb> | null = null;
  #closed = false;

  private constructor(name: string) {
    this.#name = name;
  }

  /** True where IndexedDB exists (not in Node, not in some private modes). */
  static isAvailable(): boolean {
    return typeof indexedDB !== 'undefined';
  }

  static async open(name: string = DEFAULT_DB_NAME): Promise<SessionStore> {
    if (!SessionStore.isAvailable()) throw new Error('IndexedDB is not available here, so sessions cannot be stored.');
    const store = new SessionStore(name);
    await store.#connection();
    return store;
  }

  async #connect(): Promise<IDBPDatabase<DuelbookDb>> {
    let db: IDBPDatabase<DuelbookDb> | undefined;
    try {
      db = await openDB<DuelbookDb>(this.#name, DB_VERSION, {
        async upgrade(database, oldVersion, _newVersion, tx) {
          if (oldVersion < 1) {
            database.createObjectStore('sessions', { keyPath: 'id' });
            const summaries = database.createObjectStore('summaries', { keyPath: 'id' });
            summaries.createIndex('byUpdatedAt', 'updatedAt');
          }
          if (oldVersion >= 1 && oldVersion < 2) {
            // Version 1 records had no revision: each becomes revision 1, its summary too.
            for (let cursor = await tx.objectStore('sessions').openCursor(); cursor; cursor = await cursor.continue()) {
              if (typeof cursor.value.revision !== 'number') await cursor.update({ ...cursor.value, revision: 1 });
            }
            for (let cursor = await tx.objectStore('summaries').openCursor(); cursor; cursor = await cursor.continue()) {
              if (typeof cursor.value.revision !== 'number') await cursor.update({ ...cursor.value, revision: 1 });
            }
          }
        },
        // Another tab wants a newer schema (or deletes the database): step aside rather than
        // block it forever, and reconnect on the next use.
        blocking: () => {
          db?.close();
          if (this.#db === db) this.#db = null;
        },
        // The browser closed the connection (storage cleared, disk error): reconnect on next use.
        terminated: () => {
          if (this.#db === db) this.#db = null;
        },
      });
    } catch (error) {
      if (error instanceof DOMException && error.name === 'VersionError') {
        throw new Error(`Session storage "${this.#name}" was upgraded by a newer Duelbook in another tab; reload this tab to use it.`);
      }
      throw error;
    }
    return db;
  }

  async #connection(): Promise<IDBPDatabase<DuelbookDb>> {
    if (this.#closed) throw new Error(`Session storage "${this.#name}" was closed.`);
    if (this.#db === null) this.#db = await this.#connect();
    return this.#db;
  }

  /**
   * Writes `doc` under `id` if the stored revision is still `expectedRevision` (0: the record
   * must not exist yet). The read and the write are one transaction, so two tabs cannot both
   * pass the check.
   */
  async save(id: string, doc: SessionDocument, expectedRevision: number): Promise<SaveOutcome> {
    const db = await this.#connection();
    const tx = db.transaction(['sessions', 'summaries'], 'readwrite');
    const sessions = tx.objectStore('sessions');
    const stored = revisionOf(await sessions.get(id));
    if ((stored ?? 0) !== expectedRevision) {
      tx.abort();
      await tx.done.catch(() => undefined);
      return { ok: false, conflict: true, storedRevision: stored };
    }
    const revision = expectedRevision + 1;
    await Promise.all([sessions.put({ id, doc, revision }), tx.objectStore('summaries').put(summarise(id, doc, revision)), tx.done]);
    return { ok: true, revision };
  }

  /** The stored session, validated (and migrated if old), with its revision; `undefined` if there is none. */
  async load(id: string): Promise<LoadedSession | undefined> {
    const record = await (await this.#connection()).get('sessions', id);
    if (record === undefined) return undefined;
    return { ...parseSessionDocument(record.doc), revision: revisionOf(record)! };
  }

  /** The stored value as it is, unvalidated (to export a record that cannot be opened). */
  async loadRaw(id: string): Promise<{ doc: unknown; revision: number } | undefined> {
    const record = await (await this.#connection()).get('sessions', id);
    return record === undefined ? undefined : { doc: record.doc, revision: revisionOf(record)! };
  }

  /**
   * Summaries of all stored sessions, most recently updated first. A record without a summary
   * (written by something else, or half-written) is validated here so the list can say whether
   * it opens.
   */
  async list(): Promise<StoredSessionSummary[]> {
    const db = await this.#connection();
    const [summaries, ids] = await Promise.all([db.getAllFromIndex('summaries', 'byUpdatedAt'), db.getAllKeys('sessions')]);
    const listed = new Set(summaries.map((s) => s.id));
    const present = new Set(ids);
    const result = summaries.filter((s) => present.has(s.id)).reverse();
    const added: StoredSessionSummary[] = [];
    for (const id of ids) {
      if (listed.has(id)) continue;
      const record = await db.get('sessions', id);
      if (record === undefined) continue;
      const parsed = parseSessionDocument(record.doc);
      const revision = revisionOf(record)!;
      added.push(parsed.ok ? summarise(id, parsed.doc, revision) : brokenSummary(id, revision, parsed.error, record.doc));
    }
    if (added.length > 0) {
      // Keep what was learned, so the next listing does not parse these records again.
      const tx = db.transaction('summaries', 'readwrite');
      await Promise.all([...added.map((summary) => tx.store.put(summary)), tx.done]).catch(() => undefined);
    }
    return [...result, ...added];
  }

  /** Remembers why a record could not be opened, so the list shows it without re-reading it. */
  async markBroken(id: string, error: string): Promise<void> {
    const db = await this.#connection();
    const tx = db.transaction(['sessions', 'summaries'], 'readwrite');
    const record = await tx.objectStore('sessions').get(id);
    if (record === undefined) {
      tx.abort();
      await tx.done.catch(() => undefined);
      return;
    }
    const summaries = tx.objectStore('summaries');
    const summary = (await summaries.get(id)) ?? brokenSummary(id, revisionOf(record)!, error, record.doc);
    await Promise.all([summaries.put({ ...summary, error }), tx.done]);
  }

  async delete(id: string): Promise<void> {
    const tx = (await this.#connection()).transaction(['sessions', 'summaries'], 'readwrite');
    await Promise.all([tx.objectStore('sessions').delete(id), tx.objectStore('summaries').delete(id), tx.done]);
  }

  close(): void {
    this.#closed = true;
    this.#db?.close();
    this.#db = null;
  }
}
