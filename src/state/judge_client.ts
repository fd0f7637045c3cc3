/**
 * The one place the UI thread talks to the judge worker (onnxruntime-web judges). Like the
 * engine client, the Comlink remote lives in a plain object, never inside `$state`. One worker
 * for the whole page: every ORT call then goes through that worker's single queue.
 *
 * A judge is loaded the first time a duel asks it for a verdict, and kept by model URL and id
 * so the next vote does not load it again.
 */
import type * as Comlink from 'comlink';
import { connectJudgeWorker, type WorkerConnection } from '../worker_api/connect';
import type { JudgeApi, JudgeInfo } from '../engine/judges/api';

export interface OnnxJudgeRef {
  /** What votes record as their judge; also what the worker names the judge. */
  id: string;
  /** As stored in the session: absolute, or relative to the app's base URL. */
  modelUrl: string;
}

/** A judge's pairwise verdict on (a shown first, b second). */
export interface OnnxPairVerdict {
  outcome: 'a' | 'b' | 'tie' | 'bothbad';
  pAB: number;
  critique: string;
}

/** Where a model URL stored in a session points (relative paths are relative to the app). */
export function resolveJudgeUrl(modelUrl: string, base: string = new URL(import.meta.env.BASE_URL, location.href).href): string {
  return new URL(modelUrl, base).href;
}

export class JudgeClient {
  #connection: WorkerConnection<JudgeApi> | null = null;
  readonly #loaded = new Map<string, Promise<JudgeInfo>>();

  get #remote(): Comlink.Remote<JudgeApi> {
    this.#connection ??= connectJudgeWorker();
    return this.#connection.remote;
  }

  /** Loads the judge (once per URL and id) and says what it is and where it runs. */
  load(ref: OnnxJudgeRef): Promise<JudgeInfo> {
    const url = resolveJudgeUrl(ref.modelUrl);
    const key = `${url}\n${ref.id}`;
    let loading = this.#loaded.get(key);
    if (!loading) {
      loading = this.#remote.load({ kind: 'url', modelUrl: url }, { id: ref.id });
      this.#loaded.set(key, loading);
      // A failed load is not cached: fixing the URL (or the network) and trying again must work.
      loading.catch(() => this.#loaded.delete(key));
    }
    return loading;
  }

  async judgePair(ref: OnnxJudgeRef, prompt: string, a: string, b: string): Promise<OnnxPairVerdict> {
    const info = await this.load(ref);
    const j = await this.#remote.judge(info.handle, { prompt, a, b, positionMode: 'fixed' });
    return { outcome: j.outcome, pAB: j.pAB, critique: j.critique ?? '' };
  }

  /** One score per completion (pointwise judges only; a pairwise judge answers BAD_REQUEST). */
  async score(ref: OnnxJudgeRef, prompt: string, completions: string[]): Promise<number[]> {
    const info = await this.load(ref);
    return this.#remote.score(info.handle, prompt, completions);
  }

  terminate(): void {
    this.#connection?.terminate();
    this.#connection = null;
    this.#loaded.clear();
  }
}

/** A sentence for the cell when a judge fails ("FETCH_FAILED: …" and the like cross as messages). */
export function describeJudgeError(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  const m = /^([A-Z_]+): (.*)$/s.exec(message);
  if (!m) return `The judge failed: ${message}`;
  const [, code, text] = m;
  switch (code) {
    case 'FETCH_FAILED':
      return `The judge model could not be fetched: ${text}`;
    case 'BAD_MODEL':
    case 'BAD_MANIFEST':
    case 'BAD_TOKENIZER':
      return `The judge model is not usable: ${text}`;
    default:
      return `The judge failed (${code}): ${text}`;
  }
}
