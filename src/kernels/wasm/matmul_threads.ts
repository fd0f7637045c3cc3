/**
 * Helper threads for the WebAssembly SIMD matmul: each helper is a worker (a Web Worker in the
 * browser, a `worker_threads` Worker in Node) that instantiates the kernel on the caller's
 * shared memory and waits on a small control block of Int32s. The caller stays synchronous,
 * as the CPU backend's ops are: it writes one band of C's rows per thread into the control
 * block, wakes the helpers, computes band 0 itself and waits until every helper has counted
 * itself done (`Atomics.wait`, or a spin where waiting is not allowed: a browser's main thread).
 *
 * Why threads in the kernel rather than in the model: a band of rows is computed exactly as
 * the single-threaded kernel computes it, so results are bit-identical for any thread count,
 * which replay and shared sessions depend on.
 *
 * Control block (Int32Array over a SharedArrayBuffer):
 *   [0] generation: bumped to start a run (helpers wait on it)
 *   [1] helpers done in this run
 *   [2] stop flag
 *   [3] error flag: a helper's kernel call threw
 *   [8 + 8i …] thread i's arguments: a, b, c, m, k, n, acc, work (m = 0: nothing to do)
 */

const GEN = 0;
const DONE = 1;
const STOP = 2;
const FAILED = 3;
const ARGS = 8;
const ARG_INTS = 8;
/** A run that has not finished after this long has lost a helper: fail rather than hang. */
const RUN_TIMEOUT_MS = 60_000;

/**
 * The helper's whole program, as plain JavaScript so the same text runs as a Blob-URL Web
 * Worker and as an `eval` worker_threads Worker, with no bundler involved.
 */
const HELPER_SOURCE = `
'use strict';
function serve(d, post) {
  const ctl = new Int32Array(d.control);
  const matmul = new WebAssembly.Instance(d.module, { env: { memory: d.memory } }).exports.matmul;
  const o = ${ARGS} + d.index * ${ARG_INTS};
  post('ready');
  let seen = Atomics.load(ctl, ${GEN});
  for (;;) {
    Atomics.wait(ctl, ${GEN}, seen);
    const gen = Atomics.load(ctl, ${GEN});
    if (gen === seen) continue;
    seen = gen;
    if (Atomics.load(ctl, ${STOP}) !== 0) return;
    if (ctl[o + 3] > 0) {
      try {
        matmul(ctl[o], ctl[o + 1], ctl[o + 2], ctl[o + 3], ctl[o + 4], ctl[o + 5], ctl[o + 6], ctl[o + 7]);
      } catch (e) {
        Atomics.store(ctl, ${FAILED}, 1);
      }
    }
    Atomics.add(ctl, ${DONE}, 1);
    Atomics.notify(ctl, ${DONE});
  }
}
if (typeof require === 'function' && typeof self === 'undefined') {
  const { parentPort, workerData } = require('node:worker_threads');
  serve(workerData, (m) => parentPort.postMessage(m));
} else {
  self.onmessage = (e) => serve(e.data, (m) => self.postMessage(m));
}
`;

/** The one thing a helper needs from the worker API of either platform. */
interface HelperHandle {
  terminate(): void;
}

interface HelperInit {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  control: SharedArrayBuffer;
  index: number;
}

/** True where shared wasm memories exist (Node; a cross-origin-isolated page or worker). */
export function sharedMemoryAvailable(): boolean {
  try {
    if (typeof SharedArrayBuffer !== 'function' || typeof Atomics !== 'object') return false;
    if ((globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === false) return false;
    new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    return true;
  } catch {
    return false;
  }
}

/** Whether this thread may block in Atomics.wait (not a browser's main thread). */
function canBlock(): boolean {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts one helper and resolves once it has instantiated the kernel; a helper that fails or
 * does not report in `timeoutMs` is terminated and the promise rejects.
 */
async function startHelper(init: HelperInit, timeoutMs: number): Promise<HelperHandle> {
  const WebWorker = (globalThis as { Worker?: typeof Worker }).Worker;
  let handle: HelperHandle | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('matmul helper did not start in time')), timeoutMs);
  });
  const started = async (): Promise<void> => {
    if (WebWorker) {
      const url = URL.createObjectURL(new Blob([HELPER_SOURCE], { type: 'text/javascript' }));
      const w = new WebWorker(url);
      URL.revokeObjectURL(url);
      handle = w;
      await new Promise<void>((resolve, reject) => {
        w.onmessage = (e) => (e.data === 'ready' ? resolve() : reject(new Error(`matmul helper said ${String(e.data)}`)));
        w.onerror = (e) => reject(new Error(`matmul helper failed: ${e.message}`));
        w.postMessage(init);
      });
    } else {
      // Node. A variable specifier keeps bundlers for the browser from resolving node: modules.
      const spec = 'node:worker_threads';
      const wt = (await import(/* @vite-ignore */ spec)) as typeof import('node:worker_threads');
      const w = new wt.Worker(HELPER_SOURCE, { eval: true, workerData: init });
      // A helper blocked in Atomics.wait must not keep the process alive.
      w.unref();
      handle = { terminate: () => void w.terminate() };
      await new Promise<void>((resolve, reject) => {
        w.once('message', (m) => (m === 'ready' ? resolve() : reject(new Error(`matmul helper said ${String(m)}`))));
        w.once('error', reject);
      });
    }
  };
  try {
    await Promise.race([started(), timeout]);
    return handle!;
  } catch (e) {
    (handle as HelperHandle | null)?.terminate();
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

/** Arguments of one kernel call: a, b, c, m, k, n, acc, work (byte addresses and sizes). */
export type KernelArgs = readonly [number, number, number, number, number, number, number, number];

export class MatmulThreadPool {
  private broken = false;
  private constructor(
    private readonly ctl: Int32Array,
    private readonly helpers: HelperHandle[],
    private readonly blocking: boolean,
  ) {}

  /** Total threads a run uses: the caller plus its helpers. */
  get threads(): number {
    return this.helpers.length + 1;
  }

  /** Starts `helperCount` helpers on `memory`; rejects (and stops any started) if one fails. */
  static async start(
    module: WebAssembly.Module,
    memory: WebAssembly.Memory,
    helperCount: number,
    timeoutMs = 20_000,
  ): Promise<MatmulThreadPool> {
    const control = new SharedArrayBuffer((ARGS + ARG_INTS * (helperCount + 1)) * 4);
    const started = await Promise.allSettled(
      Array.from({ length: helperCount }, (_, i) => startHelper({ module, memory, control, index: i + 1 }, timeoutMs)),
    );
    const helpers = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    const pool = new MatmulThreadPool(new Int32Array(control), helpers, canBlock());
    if (failed) {
      pool.dispose();
      throw failed.reason instanceof Error ? failed.reason : new Error(String(failed.reason));
    }
    return pool;
  }

  /**
   * Runs parts[i] on thread i (part 0 on the caller, through `own`) and returns when all are
   * done. At most `threads` parts; missing ones leave their helper idle.
   */
  run(parts: readonly KernelArgs[], own: (...args: KernelArgs) => void): void {
    if (this.broken) throw new Error('MatmulThreadPool: a helper was lost; the pool is stopped');
    if (parts.length === 0 || parts.length > this.threads) throw new RangeError(`MatmulThreadPool.run: ${parts.length} parts`);
    const ctl = this.ctl;
    for (let i = 1; i <= this.helpers.length; i++) {
      const o = ARGS + i * ARG_INTS;
      const p = parts[i];
      if (p) for (let j = 0; j < ARG_INTS; j++) ctl[o + j] = p[j];
      else ctl[o + 3] = 0;
    }
    Atomics.store(ctl, DONE, 0);
    Atomics.store(ctl, FAILED, 0);
    Atomics.add(ctl, GEN, 1);
    Atomics.notify(ctl, GEN);
    let ownError: unknown = null;
    try {
      own(...parts[0]);
    } catch (e) {
      ownError = e;
    }
    const need = this.helpers.length;
    const deadline = Date.now() + RUN_TIMEOUT_MS;
    for (;;) {
      const done = Atomics.load(ctl, DONE);
      if (done >= need) break;
      if (Date.now() > deadline) {
        this.dispose();
        this.broken = true;
        throw new Error('MatmulThreadPool: a helper did not finish within 60 s');
      }
      if (this.blocking) Atomics.wait(ctl, DONE, done, 1000);
    }
    if (ownError) throw ownError;
    if (Atomics.load(ctl, FAILED) !== 0) throw new Error('MatmulThreadPool: a helper\'s kernel call failed');
  }

  /** Stops and terminates the helpers. */
  dispose(): void {
    Atomics.store(this.ctl, STOP, 1);
    Atomics.add(this.ctl, GEN, 1);
    Atomics.notify(this.ctl, GEN);
    for (const h of this.helpers) h.terminate();
    this.helpers.length = 0;
  }
}
