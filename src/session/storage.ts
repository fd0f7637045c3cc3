/**
 * Sessions in IndexedDB (through `idb`). Documents and their list-view summaries are kept in
 * two stores written in one transaction, so listing sessions never loads their event logs.
 * What comes back out of storage is validated like any other input: a record written by an
 * older Duelbook is migrated, and a corrupted one is reported rather than trusted.
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
}

interface DuelbookDb extends DBSchema {
  sessions: { key: string; value: { id: string; doc: unknown } };
  summaries: { key: string; value: StoredSessionSummary; indexes: { byUpdatedAt: string } };
}

export const DEFAULT_DB_NAME = 'duelbook';
const DB_VERSION = 1;

const newSessionIdFrom = createIdGenerator({ length: 12 });

/** A fresh random id for a stored session. */
export function newSessionId(): string {
  return newSessionIdFrom();
}

export function summarise(id: string, doc: SessionDocument): StoredSessionSummary {
  return {
    id,
    title: doc.metadata.title,
    createdAt: doc.metadata.createdAt,
    updatedAt: doc.metadata.updatedAt,
    cellCount: doc.cells.length,
    eventCount: doc.events.length,
  };
}

export class SessionStore {
  readonly #db: IDBPDatabase<DuelbookDb>;

  private constructor(db: IDBPDatabase<DuelbookDb>) {
    this.#db = db;
  }

  /** True where IndexedDB exists (not in Node, not in some private modes). */
  static isAvailable(): boolean {
    return typeof indexedDB !== 'undefined';
  }

  static async open(name: string = DEFAULT_DB_NAME): Promise<SessionStore> {
    if (!SessionStore.isAvailable()) throw new Error('IndexedDB is not available here, so sessions cannot be stored.');
    let store: SessionStore | undefined;
    const db = await openDB<DuelbookDb>(name, DB_VERSION, {
      upgrade(database, oldVersion) {
        if (oldVersion < 1) {
          database.createObjectStore('sessions', { keyPath: 'id' });
          const summaries = database.createObjectStore('summaries', { keyPath: 'id' });
          summaries.createIndex('byUpdatedAt', 'updatedAt');
        }
      },
      // Another tab wants a newer schema: step aside rather than block it forever.
      blocking() {
        store?.close();
      },
    });
    store = new SessionStore(db);
    return store;
  }

  async save(id: string, doc: SessionDocument): Promise<void> {
    const tx = this.#db.transaction(['sessions', 'summaries'], 'readwrite');
    await Promise.all([
      tx.objectStore('sessions').put({ id, doc }),
      tx.objectStore('summaries').put(summarise(id, doc)),
      tx.done,
    ]);
  }

  /** The stored session, validated (and migrated if old), or `undefined` if there is none. */
  async load(id: string): Promise<SessionParseResult | undefined> {
    const record = await this.#db.get('sessions', id);
    if (record === undefined) return undefined;
    return parseSessionDocument(record.doc);
  }

  /** Summaries of all stored sessions, most recently updated first. */
  async list(): Promise<StoredSessionSummary[]> {
    const summaries = await this.#db.getAllFromIndex('summaries', 'byUpdatedAt');
    return summaries.reverse();
  }

  async delete(id: string): Promise<void> {
    const tx = this.#db.transaction(['sessions', 'summaries'], 'readwrite');
    await Promise.all([tx.objectStore('sessions').delete(id), tx.objectStore('summaries').delete(id), tx.done]);
  }

  close(): void {
    this.#db.close();
  }
}
