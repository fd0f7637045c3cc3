import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  SessionStore,
  createAutosaver,
  deleteTensorBlob,
  isOpfsAvailable,
  isValidTensorName,
  listTensorBlobs,
  loadTensorBlob,
  saveTensorBlob,
} from '../../src/session/index.ts';

/** A save function that records what it was given and lets the test decide when it finishes. */
function controllableSave() {
  const saved: string[] = [];
  const finishers: (() => void)[] = [];
  const failers: ((error: Error) => void)[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const save = vi.fn(
    (doc: string) =>
      new Promise<void>((resolve, reject) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        finishers.push(() => {
          inFlight--;
          saved.push(doc);
          resolve();
        });
        failers.push((error) => {
          inFlight--;
          reject(error);
        });
      }),
  );
  return {
    save,
    saved,
    finishNext: async () => {
      failers.shift();
      finishers.shift()!();
      await vi.advanceTimersByTimeAsync(0);
    },
    failNext: async (error: Error) => {
      finishers.shift();
      failers.shift()!(error);
      await vi.advanceTimersByTimeAsync(0);
    },
    get maxInFlight() {
      return maxInFlight;
    },
  };
}

describe('createAutosaver', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(0);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('never saves before markLoaded, and drops documents scheduled before it', async () => {
    const store = controllableSave();
    const autosaver = createAutosaver(store.save, { intervalMs: 1000 });
    expect(autosaver.schedule('placeholder')).toBe(false);
    await vi.advanceTimersByTimeAsync(10_000);
    await autosaver.flush();
    expect(store.save).not.toHaveBeenCalled();
    expect(autosaver.hasUnsavedChanges).toBe(false);

    autosaver.markLoaded();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(store.save).not.toHaveBeenCalled();
    expect(autosaver.schedule('real')).toBe(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(store.save).toHaveBeenCalledWith('real');
  });

  it('saves at most once per interval, always the newest document', async () => {
    const store = controllableSave();
    const autosaver = createAutosaver(store.save, { intervalMs: 1000 });
    autosaver.markLoaded();
    autosaver.schedule('v1');
    await vi.advanceTimersByTimeAsync(0);
    expect(store.save).toHaveBeenCalledTimes(1);
    await store.finishNext();

    for (const doc of ['v2', 'v3', 'v4']) {
      autosaver.schedule(doc);
      await vi.advanceTimersByTimeAsync(100);
    }
    expect(store.save).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(699);
    expect(store.save).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(store.save).toHaveBeenCalledTimes(2);
    expect(store.save).toHaveBeenLastCalledWith('v4');
    await store.finishNext();
    expect(store.saved).toEqual(['v1', 'v4']);
  });

  it('never overlaps saves: changes during a slow save wait for it', async () => {
    const store = controllableSave();
    const autosaver = createAutosaver(store.save, { intervalMs: 100 });
    autosaver.markLoaded();
    autosaver.schedule('a');
    await vi.advanceTimersByTimeAsync(0);
    autosaver.schedule('b');
    autosaver.schedule('c');
    await vi.advanceTimersByTimeAsync(5_000);
    expect(store.save).toHaveBeenCalledTimes(1);
    expect(autosaver.hasUnsavedChanges).toBe(true);
    await store.finishNext();
    // The save of "a" took 5 s, longer than the interval, so "c" goes at once.
    await vi.advanceTimersByTimeAsync(0);
    expect(store.save).toHaveBeenLastCalledWith('c');
    await store.finishNext();
    expect(store.saved).toEqual(['a', 'c']);
    expect(store.maxInFlight).toBe(1);
    expect(autosaver.hasUnsavedChanges).toBe(false);
  });

  it('flush saves the pending document immediately and waits for it', async () => {
    const store = controllableSave();
    const autosaver = createAutosaver(store.save, { intervalMs: 60_000 });
    autosaver.markLoaded();
    autosaver.schedule('first');
    await vi.advanceTimersByTimeAsync(0);
    await store.finishNext();
    autosaver.schedule('second');
    let flushed = false;
    const flushing = autosaver.flush().then(() => {
      flushed = true;
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(store.save).toHaveBeenLastCalledWith('second');
    expect(flushed).toBe(false);
    await store.finishNext();
    await flushing;
    expect(flushed).toBe(true);
    expect(store.saved).toEqual(['first', 'second']);
    // Nothing pending: the interval passing does not save again.
    await vi.advanceTimersByTimeAsync(120_000);
    expect(store.save).toHaveBeenCalledTimes(2);
  });

  it('flush during a save waits for it, then saves what arrived meanwhile', async () => {
    const store = controllableSave();
    const autosaver = createAutosaver(store.save, { intervalMs: 60_000 });
    autosaver.markLoaded();
    autosaver.schedule('one');
    await vi.advanceTimersByTimeAsync(0);
    autosaver.schedule('two');
    const flushing = autosaver.flush();
    await store.finishNext();
    await vi.advanceTimersByTimeAsync(0);
    expect(store.save).toHaveBeenLastCalledWith('two');
    await store.finishNext();
    await flushing;
    expect(store.saved).toEqual(['one', 'two']);
  });

  it('reports a failed save and keeps the document for the next attempt', async () => {
    const store = controllableSave();
    const errors: unknown[] = [];
    const autosaver = createAutosaver(store.save, { intervalMs: 1000, onError: (e) => errors.push(e) });
    autosaver.markLoaded();
    autosaver.schedule('doc');
    await vi.advanceTimersByTimeAsync(0);
    await store.failNext(new Error('QuotaExceededError'));
    expect(errors).toHaveLength(1);
    expect(autosaver.hasUnsavedChanges).toBe(true);
    const flushing = autosaver.flush();
    await vi.advanceTimersByTimeAsync(0);
    expect(store.save).toHaveBeenCalledTimes(2);
    expect(store.save).toHaveBeenLastCalledWith('doc');
    await store.finishNext();
    await flushing;
    expect(store.saved).toEqual(['doc']);
  });

  it('dispose cancels a scheduled save', async () => {
    const store = controllableSave();
    const autosaver = createAutosaver(store.save, { intervalMs: 1000 });
    autosaver.markLoaded();
    autosaver.schedule('x');
    await vi.advanceTimersByTimeAsync(0);
    await store.finishNext();
    autosaver.schedule('y');
    autosaver.dispose();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(store.save).toHaveBeenCalledTimes(1);
    expect(autosaver.schedule('z')).toBe(false);
  });
});

describe('storage where the browser APIs are missing (Node)', () => {
  it('reports OPFS as unavailable instead of throwing', async () => {
    expect(isOpfsAvailable()).toBe(false);
    expect(await saveTensorBlob('policy.step-10.bin', new Uint8Array([1, 2, 3]))).toBe(false);
    expect(await loadTensorBlob('policy.step-10.bin')).toBeNull();
    expect(await deleteTensorBlob('policy.step-10.bin')).toBe(false);
    expect(await listTensorBlobs()).toEqual([]);
  });

  it('refuses tensor names that could escape the tensor folder', async () => {
    for (const name of ['../secrets', 'a/b', '.hidden', '', 'x'.repeat(129), 'a..b']) {
      expect(isValidTensorName(name), name).toBe(false);
    }
    expect(isValidTensorName('gpt2-small.step_100.safetensors')).toBe(true);
    await expect(saveTensorBlob('../x', new Uint8Array(1))).rejects.toThrow(RangeError);
  });

  it('says IndexedDB is unavailable', async () => {
    expect(SessionStore.isAvailable()).toBe(false);
    await expect(SessionStore.open('test')).rejects.toThrow('IndexedDB is not available here');
  });
});
