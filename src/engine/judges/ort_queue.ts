/**
 * The one queue every onnxruntime-web call goes through. Creating or running two ORT sessions at
 * the same time breaks onnxruntime-web 1.30 here (the WebGPU EP and the wasm instance are shared
 * per worker), so session creation, runs and releases are strictly one after another, in call
 * order. A failed task does not stop the ones queued behind it.
 */
export class OrtQueue {
  private tail: Promise<void> = Promise.resolve();
  private waiting = 0;
  private done = 0;

  /** Runs `task` after every task queued before it has settled. */
  run<T>(task: () => Promise<T>): Promise<T> {
    this.waiting++;
    const result = this.tail.then(async () => {
      try {
        return await task();
      } finally {
        this.waiting--;
        this.done++;
      }
    });
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  /** Tasks queued or running. */
  get pending(): number {
    return this.waiting;
  }

  /** Tasks settled so far. */
  get completed(): number {
    return this.done;
  }
}
