/**
 * The one place the UI thread talks to the engine worker. The Comlink remote lives here, in a
 * plain object, never inside `$state` (a proxy of a proxy would turn every property read into
 * a worker round trip).
 */
import type * as Comlink from 'comlink';
import type { EngineApi, EngineErrorCode } from '../engine/api';
import { connectEngineWorker, type WorkerConnection } from '../worker_api/connect';

/** The code of an engine error, which crosses the worker boundary as "CODE: message". */
export function engineErrorCode(e: unknown): EngineErrorCode {
  const m = /^([A-Z_]+): /.exec(e instanceof Error ? e.message : String(e));
  return (m?.[1] as EngineErrorCode) ?? 'INTERNAL';
}

export type EngineRemote = Comlink.Remote<EngineApi>;

export class EngineClient {
  readonly #connection: WorkerConnection<EngineApi> = connectEngineWorker();
  readonly api: EngineRemote = this.#connection.remote;

  terminate(): void {
    this.#connection.terminate();
  }
}

/**
 * True when a call failed because the worker does not expose the method at all (an engine
 * build that predates it). Comlink then fails inside the worker while applying `undefined`.
 */
export function isMissingMethod(e: unknown): boolean {
  const message = e instanceof Error ? e.message : String(e);
  return /reading 'apply'|is not a function|undefined is not an object/i.test(message) && !/^[A-Z_]+: /.test(message);
}

/** A sentence for the person looking at the cell: what failed, and what it means. */
export function describeEngineError(method: string, e: unknown): string {
  if (isMissingMethod(e)) {
    return `The engine worker has no "${method}" method yet, so this step cannot run in this build.`;
  }
  const message = e instanceof Error ? e.message : String(e);
  const code = engineErrorCode(e);
  const text = message.replace(/^[A-Z_]+: /, '');
  switch (code) {
    case 'NO_MODEL':
      return 'No model is loaded: run the Policy cell first.';
    case 'LOAD_FAILED':
      return `The model could not be loaded: ${text}`;
    case 'DEVICE_LOST':
      return `The GPU device was lost: ${text}`;
    case 'BAD_REQUEST':
      return `The engine refused the request: ${text}`;
    default:
      return `${method} failed: ${text}`;
  }
}
