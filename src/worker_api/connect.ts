/**
 * The one way the page starts a worker: `connect` wraps it in a typed Comlink remote, and the
 * three factories below name each worker's entry file (the literal `new URL(…, import.meta.url)`
 * must stay at the call so Vite bundles the worker). No logic and no types of its own: the
 * contracts live with the services in src/engine.
 */
import * as Comlink from 'comlink';
import type { EngineApi } from '../engine/api';
import type { ArenaApi } from '../engine/arena_api';
import type { JudgeApi } from '../engine/judges/api';

export interface WorkerConnection<T> {
  readonly remote: Comlink.Remote<T>;
  /** Releases the remote and stops the worker. */
  terminate(): void;
}

export function connect<T>(worker: Worker): WorkerConnection<T> {
  const remote = Comlink.wrap<T>(worker);
  return {
    remote,
    terminate() {
      remote[Comlink.releaseProxy]();
      worker.terminate();
    },
  };
}

export const connectEngineWorker = (): WorkerConnection<EngineApi> =>
  connect<EngineApi>(new Worker(new URL('./engine.worker.ts', import.meta.url), { type: 'module' }));

export const connectJudgeWorker = (): WorkerConnection<JudgeApi> =>
  connect<JudgeApi>(new Worker(new URL('./judge.worker.ts', import.meta.url), { type: 'module' }));

export const connectArenaWorker = (): WorkerConnection<ArenaApi> =>
  connect<ArenaApi>(new Worker(new URL('./arena.worker.ts', import.meta.url), { type: 'module' }));

/** Wraps a callback so it can cross to a worker (metrics and progress listeners). */
export const proxy = Comlink.proxy;
