/**
 * The stored sessions, for the Sessions list: open, rename, duplicate, delete and export any
 * of them, so nothing New, Import or a share link replaced is left unreachable in IndexedDB.
 * A record that cannot be opened stays listed with its error and can be exported as stored.
 * Changes to a session that is not open are compare-and-set like autosaves, so a rename here
 * cannot undo what another tab just saved.
 */
import {
  holdListOrder,
  rawRecordText,
  renameSession,
  serializeSession,
  sessionFileName,
  SessionEditError,
  newSessionId,
  type SessionDocument,
  type SessionStore,
  type StoredSessionSummary,
  type TabChannel,
} from '../session/index';
import { downloadText } from './files';

/** What the list needs from the open session (SessionState). */
export interface SessionListHost {
  readonly store: SessionStore | null;
  readonly id: string | null;
  readonly doc: SessionDocument;
  apply(edit: (doc: SessionDocument) => SessionDocument): boolean;
  flush(): Promise<void>;
  announce(message: Parameters<TabChannel['post']>[0]): void;
  setNotice(notice: { kind: 'error' | 'info'; text: string } | null): void;
}

export class SessionListState {
  entries = $state.raw<StoredSessionSummary[]>([]);
  /**
   * The row order kept while the person renames a row. The open session saves while the list is
   * open (its duel logs each pair it draws), and a resort would move the focused rename input:
   * the browser blurs a moved input, which ends the rename under the person's keystrokes.
   */
  #heldOrder = $state.raw<readonly string[] | null>(null);
  /** The rows to show: `entries`, in the held order while one is held. */
  readonly rows = $derived(this.#heldOrder === null ? this.entries : holdListOrder(this.entries, this.#heldOrder));
  /** Why the list itself could not be read, if it could not. */
  error = $state<string | null>(null);
  readonly #host: SessionListHost;
  #refreshing: Promise<void> | null = null;
  #again = false;

  constructor(host: SessionListHost) {
    this.#host = host;
  }

  /** Keeps the rows where they are (new sessions still appear, at the top) until `releaseOrder`. */
  holdOrder(): void {
    this.#heldOrder = this.rows.map((e) => e.id);
  }

  releaseOrder(): void {
    this.#heldOrder = null;
  }

  /** Rereads the list (coalesced: calls during a read cause one more read, not many). */
  refresh(): Promise<void> {
    if (this.#refreshing) {
      this.#again = true;
      return this.#refreshing;
    }
    this.#refreshing = (async () => {
      do {
        this.#again = false;
        const store = this.#host.store;
        if (!store) return;
        try {
          this.entries = await store.list();
          this.error = null;
        } catch (e) {
          this.error = `The stored sessions could not be listed: ${(e as Error).message}`;
        }
      } while (this.#again);
    })().finally(() => {
      this.#refreshing = null;
    });
    return this.#refreshing;
  }

  async rename(id: string, title: string): Promise<boolean> {
    const clean = title.trim() || 'Untitled session';
    if (id === this.#host.id) {
      const ok = this.#host.apply((doc) => renameSession(doc, clean));
      await this.#host.flush();
      await this.refresh();
      return ok;
    }
    return this.#editStored(id, 'renamed', (doc) => renameSession(doc, clean));
  }

  /** Stores a copy of `id` as a new session (titled "… (copy)"); the open session stays open. */
  async duplicate(id: string): Promise<string | null> {
    const store = this.#host.store;
    if (!store) return null;
    if (id === this.#host.id) await this.#host.flush();
    const loaded = await store.load(id);
    if (!loaded?.ok) {
      this.#host.setNotice({ kind: 'error', text: `That session cannot be duplicated: ${loaded ? loaded.error : 'it is no longer stored'}` });
      return null;
    }
    const title = `${loaded.doc.metadata.title} (copy)`.slice(0, 200);
    const copy = { ...loaded.doc, metadata: { ...loaded.doc.metadata, title, updatedAt: new Date().toISOString() } };
    const copyId = newSessionId();
    const outcome = await this.#save(copyId, copy, 0);
    await this.refresh();
    return outcome ? copyId : null;
  }

  /** Deletes a stored session that is not the open one. */
  async remove(id: string): Promise<boolean> {
    const store = this.#host.store;
    if (!store || id === this.#host.id) return false;
    try {
      await store.delete(id);
    } catch (e) {
      this.#host.setNotice({ kind: 'error', text: `That session could not be deleted: ${(e as Error).message}` });
      return false;
    }
    this.#host.announce({ kind: 'deleted', id });
    await this.refresh();
    return true;
  }

  /** Downloads the session as a file; a record that cannot be opened is downloaded as stored. */
  async exportEntry(id: string): Promise<void> {
    const store = this.#host.store;
    if (!store) return;
    if (id === this.#host.id) {
      downloadText(sessionFileName(this.#host.doc), serializeSession(this.#host.doc));
      return;
    }
    const loaded = await store.load(id);
    if (loaded?.ok) {
      downloadText(sessionFileName(loaded.doc), serializeSession(loaded.doc));
      return;
    }
    const raw = await store.loadRaw(id);
    if (!raw) {
      this.#host.setNotice({ kind: 'error', text: 'That session is no longer stored.' });
      return;
    }
    downloadText(`duelbook-${id}.raw.json`, rawRecordText(raw.doc));
  }

  async #editStored(id: string, what: string, edit: (doc: SessionDocument) => SessionDocument): Promise<boolean> {
    const store = this.#host.store;
    if (!store) return false;
    const loaded = await store.load(id);
    if (!loaded?.ok) {
      this.#host.setNotice({ kind: 'error', text: `That session cannot be ${what}: ${loaded ? loaded.error : 'it is no longer stored'}` });
      return false;
    }
    let next: SessionDocument;
    try {
      next = edit(loaded.doc);
    } catch (e) {
      if (!(e instanceof SessionEditError)) throw e;
      this.#host.setNotice({ kind: 'error', text: e.message });
      return false;
    }
    const ok = await this.#save(id, next, loaded.revision);
    await this.refresh();
    return ok;
  }

  async #save(id: string, doc: SessionDocument, expectedRevision: number): Promise<boolean> {
    const store = this.#host.store!;
    try {
      const outcome = await store.save(id, doc, expectedRevision);
      if (!outcome.ok) {
        this.#host.setNotice({ kind: 'error', text: 'Not saved: another tab changed that session at the same moment; try again.' });
        return false;
      }
      this.#host.announce({ kind: 'saved', id, revision: outcome.revision });
      return true;
    } catch (e) {
      this.#host.setNotice({ kind: 'error', text: `Not saved: ${(e as Error).message}` });
      return false;
    }
  }
}
