/**
 * The open notebook: the session document, where it is stored, and everything that replaces
 * it (new, import, share link, another stored session). The document is immutable (every edit
 * in `src/session` returns a new one), so it is held in `$state.raw` and replaced whole: cheap
 * to compare, and a failed edit can never leave half a change behind.
 *
 * Other tabs may hold the same session. Saves are compare-and-set on the stored revision; a
 * save refused because another tab saved first is merged when the two tabs changed different
 * parts, and otherwise turns this tab read-only with a notice (nothing saved is overwritten,
 * and this tab's version can still be kept as a copy).
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
  mergeSessionDocuments,
  newSessionId,
  openTabChannel,
  serializeSession,
  sessionFileName,
  type Autosaver,
  type DatasetKind,
  type SessionDocument,
  type TabChannel,
  type TabMessage,
} from '../session/index';
import { downloadText } from './files';
import { isQuotaError, readLocal, requestPersistence, writeLocal, type Persistence } from './browser_storage';
import { SessionListState, type SessionListHost } from './session_list.svelte';

export interface Notice {
  kind: 'error' | 'info';
  text: string;
}

export type SaveStatus = 'unsaved' | 'saving' | 'saved' | 'error' | 'conflict' | 'unavailable';

export type ShareOutcome =
  | { ok: true; url: string; chars: number }
  | { ok: false; reason: 'too-large'; chars: number; maxChars: number }
  | { ok: false; reason: 'not-loaded' };

/** Which stored session the tab had open last (a pointer only; the documents live in IndexedDB). */
const CURRENT_KEY = 'duelbook.currentSession';
const AUTOSAVE_INTERVAL_MS = 1_000;
/** A merge that is itself overtaken this many times in a row gives up and asks the person. */
const MAX_MERGE_ATTEMPTS = 3;

interface PendingSave {
  id: string;
  doc: SessionDocument;
}

export class SessionState implements SessionListHost {
  /** Until `init` has read storage this is a placeholder that is never saved. */
  doc = $state.raw<SessionDocument>(createSession({ title: 'Loading…', now: 0 }));
  id = $state<string | null>(null);
  loaded = $state(false);
  saveStatus = $state<SaveStatus>('saved');
  notice = $state.raw<Notice | null>(null);
  /** Set when another tab saved a version this tab could not merge with: edits are refused. */
  conflict = $state.raw<{ reason: string } | null>(null);
  /** The last save failed because storage is full: the toolbar offers the export. */
  quotaExceeded = $state(false);
  persistence = $state<Persistence>('unknown');
  /** Bumped whenever a different document is opened (not on edits), so cells reset. */
  generation = $state(0);

  readonly nextId = createIdGenerator();
  readonly list: SessionListState = new SessionListState(this);
  /** Called when a different document is opened (not on edits). */
  onOpen: (() => void) | null = null;
  /** Called after every edit that changed the open document (a shared room pushes it). */
  onEdit: ((doc: SessionDocument) => void) | null = null;
  #store: SessionStore | null = null;
  #autosaver: Autosaver<PendingSave> | null = null;
  #channel: TabChannel | null = null;
  /** The stored revision this tab last read or wrote, by session id (0: not stored yet). */
  #revisions = new Map<string, number>();
  /** The open session as last stored (the base of a merge); `null` before its first save. */
  #base: SessionDocument | null = null;
  #persistenceAsked = false;
  /** Another tab saved the open session while this one was hidden. */
  #behind = false;

  get store(): SessionStore | null {
    return this.#store;
  }

  get readOnly(): boolean {
    return this.conflict !== null;
  }

  /** Something shown in this tab is not stored: closing it would lose it. */
  get hasUnsavedWork(): boolean {
    return (this.#autosaver?.hasUnsavedChanges ?? false) || this.saveStatus === 'error' || this.saveStatus === 'conflict';
  }

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
        this.quotaExceeded = isQuotaError(e);
        this.notice = this.quotaExceeded
          ? { kind: 'error', text: 'Not saved: browser storage is full (quota exceeded). Export this session to keep it, then delete sessions you no longer need.' }
          : { kind: 'error', text: `Autosave failed: ${(e as Error).message}` };
      },
    });
    if (this.#store) {
      this.#channel = openTabChannel(newSessionId(), (message) => void this.#onTabMessage(message));
      document.addEventListener('visibilitychange', () => {
        if (document.visibilityState === 'visible' && this.#behind) void this.#catchUp();
      });
    }
    // Only while something is unsaved: a warning on every close would teach people to ignore it.
    addEventListener('beforeunload', (event) => {
      if (!this.hasUnsavedWork) return;
      event.preventDefault();
      // Older browsers ask only when returnValue is set.
      (event as BeforeUnloadEvent).returnValue = 'unsaved';
    });

    let opened = false;
    if (isShareLinkHash(hash)) {
      const result = await decodeShareLink(hash);
      // The hash has done its job; a reload should reopen the stored copy, not the link.
      history.replaceState(null, '', location.pathname + location.search);
      if (result.ok) {
        this.#open(result.doc, newSessionId(), 0);
        this.notice = { kind: 'info', text: `Opened the shared session “${result.doc.metadata.title}”.` };
        opened = true;
      } else {
        this.notice = { kind: 'error', text: `This share link could not be opened: ${result.error}` };
      }
    }
    if (!opened) opened = await this.#openStored();
    if (!opened) this.#open(createStarterSession(this.nextId, { title: 'My first duels' }), newSessionId(), 0);

    this.loaded = true;
    this.#autosaver.markLoaded();
    this.#schedule();
  }

  async #openStored(): Promise<boolean> {
    if (!this.#store) return false;
    try {
      const remembered = readLocal(CURRENT_KEY);
      const ids = (await this.#store.list()).filter((s) => s.error === undefined || s.id === remembered).map((s) => s.id);
      if (remembered && ids.includes(remembered)) ids.unshift(remembered);
      for (const id of new Set(ids)) {
        const result = await this.#store.load(id);
        if (result?.ok) {
          this.#open(result.doc, id, result.revision);
          return true;
        }
        if (result && !result.ok) {
          await this.#store.markBroken(id, result.error).catch(() => undefined);
          this.notice = { kind: 'error', text: `A stored session could not be opened (${result.error}); it was left as it is and is listed under Sessions.` };
        }
      }
    } catch (e) {
      this.notice = { kind: 'error', text: `Stored sessions could not be read: ${(e as Error).message}` };
    }
    return false;
  }

  /** Shows `doc` as the open session `id`, stored at `revision` (0: not stored yet). */
  #open(doc: SessionDocument, id: string, revision: number): void {
    this.onOpen?.();
    this.doc = doc;
    this.id = id;
    this.#revisions.set(id, revision);
    this.#base = revision > 0 ? doc : null;
    this.conflict = null;
    this.generation++;
    // Where storage is disabled, the most recent session opens by date instead.
    writeLocal(CURRENT_KEY, id);
  }

  async #write({ id, doc }: PendingSave): Promise<void> {
    if (!this.#store || this.conflict) return;
    this.saveStatus = 'saving';
    for (let attempt = 0; ; attempt++) {
      const outcome = await this.#store.save(id, doc, this.#revisions.get(id) ?? 0);
      if (outcome.ok) {
        this.#stored(id, doc, outcome.revision);
        break;
      }
      if (id !== this.id) return; // a session no longer open: its next opening reads the stored one
      const merged = attempt < MAX_MERGE_ATTEMPTS ? await this.#mergeWithStored(doc) : { conflict: 'it kept changing while this tab merged' };
      if ('conflict' in merged) {
        this.#enterConflict(merged.conflict);
        return;
      }
      doc = merged.doc;
    }
    this.quotaExceeded = false;
    // A newer document may have arrived while this one was written; it is still unsaved.
    this.saveStatus = this.doc === doc ? 'saved' : 'unsaved';
    void this.#askPersistence();
    void this.list.refresh();
  }

  #stored(id: string, doc: SessionDocument, revision: number): void {
    this.#revisions.set(id, revision);
    if (id === this.id) this.#base = doc;
    this.#channel?.post({ kind: 'saved', id, revision });
  }

  /**
   * Another tab saved first. Merges this tab's `doc` with the stored version and, when that
   * works, shows the merge here (with any edits made meanwhile) and returns it to be saved.
   */
  async #mergeWithStored(doc: SessionDocument): Promise<{ doc: SessionDocument } | { conflict: string }> {
    const id = this.id!;
    const stored = await this.#store!.load(id);
    if (stored === undefined) return { conflict: 'another tab deleted this session' };
    if (!stored.ok) return { conflict: `another tab saved a newer version this tab cannot read (${stored.error})` };
    const base = this.#base;
    if (base === null) return { conflict: 'another tab saved a newer version' };
    const merged = mergeSessionDocuments(base, doc, stored.doc);
    if (!merged.ok) return { conflict: `another tab saved a newer version, and ${merged.conflict}` };
    this.#revisions.set(id, stored.revision);
    this.#base = stored.doc;
    // Edits made here while this merge ran build on `doc`: carry them over as well.
    let shown = merged.doc;
    if (this.doc !== doc) {
      const carried = mergeSessionDocuments(doc, this.doc, merged.doc);
      if (!carried.ok) return { conflict: `another tab saved a newer version, and ${carried.conflict}` };
      shown = carried.doc;
    }
    if (merged.tookTheirs.events) {
      // The log changed: the engine must replay it, exactly as when a session opens.
      this.#open(shown, id, stored.revision);
      this.#base = stored.doc;
    } else {
      this.doc = shown;
    }
    this.notice = { kind: 'info', text: 'Another tab changed this session too; both changes were kept.' };
    if (shown !== merged.doc) this.#schedule();
    return { doc: merged.doc };
  }

  #enterConflict(reason: string): void {
    this.conflict = { reason };
    this.saveStatus = 'conflict';
    this.notice = {
      kind: 'error',
      text: `Not saved: ${reason}. This tab is read-only now, so it cannot overwrite the newer version; open the newer version, or keep this tab's version as a copy.`,
    };
  }

  async #onTabMessage(message: TabMessage): Promise<void> {
    void this.list.refresh();
    if (message.kind !== 'saved' || message.id !== this.id) return;
    if (message.revision <= (this.#revisions.get(message.id) ?? 0)) return;
    // A hidden tab catches up when it is shown: reopening replays the log on the engine, which
    // a background tab should not do for every vote cast in the foreground one.
    if (typeof document !== 'undefined' && document.visibilityState === 'hidden') {
      this.#behind = true;
      return;
    }
    await this.#catchUp();
  }

  /** Shows the stored version of the open session if another tab saved a newer one. */
  async #catchUp(): Promise<void> {
    this.#behind = false;
    const id = this.id;
    if (id === null || !this.#store || this.conflict) return;
    // With unsaved edits here, the next save finds the newer revision and merges.
    if (this.#autosaver?.hasUnsavedChanges) return;
    const before = this.doc;
    const stored = await this.#store.load(id);
    if (!stored?.ok || this.doc !== before || this.id !== id) return;
    if (stored.revision <= (this.#revisions.get(id) ?? 0)) return;
    this.#open(stored.doc, id, stored.revision);
    this.saveStatus = 'saved';
  }

  async #askPersistence(): Promise<void> {
    if (this.#persistenceAsked) return;
    this.#persistenceAsked = true;
    this.persistence = await requestPersistence();
  }

  #schedule(): void {
    if (!this.#store || this.id === null || this.conflict) return;
    if (this.#autosaver?.schedule({ id: this.id, doc: this.doc })) this.saveStatus = 'unsaved';
  }

  /**
   * Applies a pure edit from `src/session`. A refused edit (SessionEditError) leaves the
   * document as it was and is shown as a notice; returns whether the edit happened.
   * `generation`, when given, is the document the caller's work belongs to.
   */
  apply(edit: (doc: SessionDocument) => SessionDocument, generation?: number): boolean {
    if (!this.loaded || this.conflict) return false;
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
    this.onEdit?.(next);
    return true;
  }

  /** Writes any pending change now (page hide, before switching documents). */
  async flush(): Promise<void> {
    await this.#autosaver?.flush();
  }

  async #replace(doc: SessionDocument): Promise<void> {
    await this.flush();
    this.#open(doc, newSessionId(), 0);
    this.#schedule();
    await this.flush();
  }

  /** Opens a shared room's document as a new stored session (a joiner, or a reload of a room link). */
  async openShared(doc: SessionDocument): Promise<void> {
    await this.#replace(doc);
  }

  async newSession(): Promise<void> {
    await this.#replace(createStarterSession(this.nextId, { title: 'Untitled session' }));
    this.notice = null;
  }

  /** Opens the stored session `id`; one that cannot be read leaves the open one as it is. */
  async openSession(id: string): Promise<boolean> {
    if (!this.#store || id === this.id) return id === this.id;
    await this.flush();
    const result = await this.#store.load(id);
    if (!result?.ok) {
      const why = result === undefined ? 'it is no longer stored' : result.error;
      if (result) await this.#store.markBroken(id, result.error).catch(() => undefined);
      this.notice = { kind: 'error', text: `That session could not be opened: ${why}` };
      void this.list.refresh();
      return false;
    }
    this.#open(result.doc, id, result.revision);
    this.saveStatus = 'saved';
    this.notice = null;
    return true;
  }

  /** Leaves a conflict by showing the version the other tab saved (this tab's edits are dropped). */
  async openNewerVersion(): Promise<void> {
    const id = this.id;
    if (!this.#store || id === null) return;
    const result = await this.#store.load(id);
    if (!result?.ok) {
      this.notice = { kind: 'error', text: `The newer version cannot be opened: ${result ? result.error : 'another tab deleted it'}. Keep this tab's version as a copy instead.` };
      return;
    }
    this.#open(result.doc, id, result.revision);
    this.saveStatus = 'saved';
    this.notice = null;
  }

  /** Leaves a conflict by saving this tab's version as a new session (both are then listed). */
  async keepAsCopy(): Promise<void> {
    const title = `${this.doc.metadata.title} (this tab's copy)`.slice(0, 200);
    await this.#replace({ ...this.doc, metadata: { ...this.doc.metadata, title } });
    this.notice = { kind: 'info', text: `Saved this tab's version as “${title}”; the other tab's version is in the Sessions list.` };
  }

  /** Posts a change made outside the open session's autosave (the list's rename, delete…). */
  announce(message: Parameters<TabChannel['post']>[0]): void {
    if (message.kind === 'saved') this.#revisions.set(message.id, Math.max(this.#revisions.get(message.id) ?? 0, message.revision));
    this.#channel?.post(message);
  }

  setNotice(notice: Notice | null): void {
    this.notice = notice;
  }

  /** Imports a `.duelbook.json` file as a new session; on any problem the open session stays untouched. */
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

export { SessionEditError, isQuotaError, type Persistence };
