/**
 * The open notebook: the session document, where it is stored, and everything that replaces
 * it (new, import, share link). The document is immutable (every edit in `src/session` returns
 * a new one), so it is held in `$state.raw` and replaced whole: cheap to compare, and a failed
 * edit can never leave half a change behind.
 */
import {
  SessionEditError,
  SessionStore,
  createAutosaver,
  createIdGenerator,
  createSession,
  createStarterSession,
  datasetFileName,
  decodeShareLink,
  encodeShareLink,
  exportDatasetJsonl,
  importSession,
  isShareLinkHash,
  newSessionId,
  serializeSession,
  sessionFileName,
  type Autosaver,
  type DatasetKind,
  type SessionDocument,
} from '../session/index';
import { downloadText } from './files';

export interface Notice {
  kind: 'error' | 'info';
  text: string;
}

export type SaveStatus = 'unsaved' | 'saving' | 'saved' | 'error' | 'unavailable';

export type ShareOutcome =
  | { ok: true; url: string; chars: number }
  | { ok: false; reason: 'too-large'; chars: number; maxChars: number }
  | { ok: false; reason: 'not-loaded' };

/** Which stored session the tab had open last (a pointer only; the documents live in IndexedDB). */
const CURRENT_KEY = 'duelbook.currentSession';
const AUTOSAVE_INTERVAL_MS = 1_000;

interface PendingSave {
  id: string;
  doc: SessionDocument;
}

export class SessionState {
  /** Until `init` has read storage this is a placeholder that is never saved. */
  doc = $state.raw<SessionDocument>(createSession({ title: 'Loading…', now: 0 }));
  id = $state<string | null>(null);
  loaded = $state(false);
  saveStatus = $state<SaveStatus>('saved');
  notice = $state.raw<Notice | null>(null);
  /** Bumped whenever a different document is opened (not on edits), so cells reset. */
  generation = $state(0);

  readonly nextId = createIdGenerator();
  /** Called when a different document is opened (not on edits). */
  onOpen: (() => void) | null = null;
  #store: SessionStore | null = null;
  #autosaver: Autosaver<PendingSave> | null = null;

  /** Opens the session the URL shares, else the one open last, else a new starter notebook. */
  async init(hash: string = location.hash): Promise<void> {
    try {
      this.#store = await SessionStore.open();
    } catch (e) {
      this.saveStatus = 'unavailable';
      this.notice = { kind: 'error', text: `Sessions cannot be saved in this browser: ${(e as Error).message}` };
    }
    this.#autosaver = createAutosaver((pending) => this.#write(pending), {
      intervalMs: AUTOSAVE_INTERVAL_MS,
      onError: (e) => {
        this.saveStatus = 'error';
        this.notice = { kind: 'error', text: `Autosave failed: ${(e as Error).message}` };
      },
    });

    let opened = false;
    if (isShareLinkHash(hash)) {
      const result = await decodeShareLink(hash);
      // The hash has done its job; a reload should reopen the stored copy, not the link.
      history.replaceState(null, '', location.pathname + location.search);
      if (result.ok) {
        this.#open(result.doc, newSessionId());
        this.notice = { kind: 'info', text: `Opened the shared session “${result.doc.metadata.title}”.` };
        opened = true;
      } else {
        this.notice = { kind: 'error', text: `This share link could not be opened: ${result.error}` };
      }
    }
    if (!opened) opened = await this.#openStored();
    if (!opened) this.#open(createStarterSession(this.nextId, { title: 'My first duels' }), newSessionId());

    this.loaded = true;
    this.#autosaver.markLoaded();
    this.#schedule();
  }

  async #openStored(): Promise<boolean> {
    if (!this.#store) return false;
    try {
      const remembered = localStorage.getItem(CURRENT_KEY);
      const ids = (await this.#store.list()).map((s) => s.id);
      if (remembered && ids.includes(remembered)) ids.unshift(remembered);
      for (const id of new Set(ids)) {
        const result = await this.#store.load(id);
        if (result?.ok) {
          this.#open(result.doc, id);
          return true;
        }
        if (result && !result.ok) {
          this.notice = { kind: 'error', text: `A stored session could not be opened (${result.error}); it was left as it is.` };
        }
      }
    } catch (e) {
      this.notice = { kind: 'error', text: `Stored sessions could not be read: ${(e as Error).message}` };
    }
    return false;
  }

  #open(doc: SessionDocument, id: string): void {
    this.onOpen?.();
    this.doc = doc;
    this.id = id;
    this.generation++;
    try {
      localStorage.setItem(CURRENT_KEY, id);
    } catch {
      // Storage may be disabled; the most recent session then opens by date.
    }
  }

  async #write({ id, doc }: PendingSave): Promise<void> {
    if (!this.#store) return;
    this.saveStatus = 'saving';
    await this.#store.save(id, doc);
    // A newer document may have arrived while this one was written; it is still unsaved.
    this.saveStatus = this.doc === doc ? 'saved' : 'unsaved';
  }

  #schedule(): void {
    if (!this.#store || this.id === null) return;
    if (this.#autosaver?.schedule({ id: this.id, doc: this.doc })) this.saveStatus = 'unsaved';
  }

  /**
   * Applies a pure edit from `src/session`. A refused edit (SessionEditError) leaves the
   * document as it was and is shown as a notice; returns whether the edit happened.
   * `generation`, when given, is the document the caller's work belongs to.
   */
  apply(edit: (doc: SessionDocument) => SessionDocument, generation?: number): boolean {
    if (!this.loaded) return false;
    // Work that started in another document (a vote still training when a file was imported)
    // must not land in this one.
    if (generation !== undefined && generation !== this.generation) return false;
    let next: SessionDocument;
    try {
      next = edit(this.doc);
    } catch (e) {
      if (e instanceof SessionEditError) {
        this.notice = { kind: 'error', text: e.message };
        return false;
      }
      throw e;
    }
    if (next === this.doc) return true;
    this.doc = next;
    this.#schedule();
    return true;
  }

  /** Writes any pending change now (page hide, before switching documents). */
  async flush(): Promise<void> {
    await this.#autosaver?.flush();
  }

  async #replace(doc: SessionDocument): Promise<void> {
    await this.flush();
    this.#open(doc, newSessionId());
    this.#schedule();
    await this.flush();
  }

  async newSession(): Promise<void> {
    await this.#replace(createStarterSession(this.nextId, { title: 'Untitled session' }));
    this.notice = null;
  }

  /** Imports a `.duelbook.json` file; on any problem the open session stays untouched. */
  async importFile(file: File): Promise<boolean> {
    const result = await importSession(file);
    if (!result.ok) {
      this.notice = { kind: 'error', text: `“${file.name}” was not imported: ${result.error}` };
      return false;
    }
    await this.#replace(result.doc);
    const upgraded = result.fromVersion < result.doc.version ? ` (upgraded from format version ${result.fromVersion})` : '';
    this.notice = { kind: 'info', text: `Imported “${result.doc.metadata.title}”${upgraded}.` };
    return true;
  }

  exportFile(): void {
    downloadText(sessionFileName(this.doc), serializeSession(this.doc));
  }

  exportDataset(kind: DatasetKind): number {
    const text = exportDatasetJsonl(this.doc, kind);
    const rows = text === '' ? 0 : text.split('\n').length - 1;
    downloadText(datasetFileName(this.doc, kind), text, 'application/jsonl');
    return rows;
  }

  async shareLink(): Promise<ShareOutcome> {
    if (!this.loaded) return { ok: false, reason: 'not-loaded' };
    const result = await encodeShareLink(this.doc);
    if (result.tooLarge) return { ok: false, reason: 'too-large', chars: result.chars, maxChars: result.maxChars };
    const url = `${location.origin}${location.pathname}${location.search}${result.hash}`;
    return { ok: true, url, chars: url.length };
  }

  dismissNotice(): void {
    this.notice = null;
  }
}

export { SessionEditError };
