/**
 * Throttled autosave. Edits come in bursts (a vote appends three events, a slider emits dozens
 * of changes), so saves are spaced at least `intervalMs` apart and only the newest document is
 * written. Two rules protect the stored session:
 *
 * - nothing is saved before `markLoaded()`: until the stored session has been read, the
 *   document in memory is a placeholder, and saving it would overwrite the real one;
 * - saves never overlap, so an older document can never land after a newer one.
 */

export interface AutosaverOptions {
  /** Minimum time between the starts of two saves. */
  intervalMs: number;
  /** Called when a save fails; the document stays pending and is retried on the next change or flush. */
  onError?: (error: unknown) => void;
}

export interface Autosaver<Doc> {
  /** Queue `doc` to be saved. Ignored (returns false) before `markLoaded()`. */
  schedule(doc: Doc): boolean;
  /** Save the pending document now (if any) and wait for every save in flight. */
  flush(): Promise<void>;
  /** The first load has finished: from now on, scheduled documents are saved. */
  markLoaded(): void;
  /** True while a document is waiting or being written (e.g. to warn before closing the tab). */
  readonly hasUnsavedChanges: boolean;
  /** Stop: cancel the timer and drop anything pending. */
  dispose(): void;
}

export function createAutosaver<Doc>(save: (doc: Doc) => Promise<void>, options: AutosaverOptions): Autosaver<Doc> {
  const { intervalMs, onError } = options;
  if (!(intervalMs >= 0)) throw new RangeError(`intervalMs must be ≥ 0, got ${intervalMs}`);

  let loaded = false;
  let disposed = false;
  let pending: { doc: Doc } | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let inFlight: Promise<void> | null = null;
  let lastStart = Number.NEGATIVE_INFINITY;

  function startTimer(): void {
    if (timer !== null || inFlight !== null || pending === null || disposed) return;
    const wait = Math.min(intervalMs, Math.max(0, lastStart + intervalMs - Date.now()));
    timer = setTimeout(() => {
      timer = null;
      void runSave();
    }, wait);
  }

  function runSave(): Promise<void> {
    if (pending === null || inFlight !== null || disposed) return inFlight ?? Promise.resolve();
    const { doc } = pending;
    pending = null;
    lastStart = Date.now();
    inFlight = (async () => {
      try {
        await save(doc);
      } catch (error) {
        // Keep the document unless a newer one has arrived meanwhile.
        if (pending === null && !disposed) pending = { doc };
        onError?.(error);
        inFlight = null;
        return;
      }
      inFlight = null;
      startTimer();
    })();
    return inFlight;
  }

  return {
    schedule(doc) {
      if (!loaded || disposed) return false;
      pending = { doc };
      startTimer();
      return true;
    },
    async flush() {
      if (timer !== null) {
        clearTimeout(timer);
        timer = null;
      }
      if (inFlight !== null) await inFlight;
      if (!loaded) return;
      if (timer !== null) {
        // The save we waited for re-armed the timer for a newer document: save that now.
        clearTimeout(timer);
        timer = null;
      }
      await runSave();
    },
    markLoaded() {
      loaded = true;
    },
    get hasUnsavedChanges() {
      return pending !== null || inFlight !== null;
    },
    dispose() {
      disposed = true;
      pending = null;
      if (timer !== null) clearTimeout(timer);
      timer = null;
    },
  };
}
