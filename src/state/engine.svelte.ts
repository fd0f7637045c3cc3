/**
 * The loaded policy as the UI sees it: load status and progress, model info, the optimizer
 * step the policy is at, and which Policy cell loaded it. One policy at a time; a second Policy
 * cell replaces the first's model when run.
 *
 * Two engine workers hold it on the CPU backend: the engine worker reduces the log (it trains),
 * and a draw worker holds a copy of the weights and only writes a duel's plain pairs and sets,
 * so a person's next pair never waits for training. After each reduce the trainer's weights are
 * copied to the draw worker (`pushDrawWeights`), between draws; each pair logs the policy step it
 * was drawn from. On WebGPU there is one worker (the GPU's steps are short, and a second device
 * would hold a second copy of everything in GPU memory): draws and learning take turns.
 */
import * as Comlink from 'comlink';
import type { BackendPreference, LoadProgress, ModelInfo, ModelSource, PolicyWeights } from '../engine/api';
import { EngineClient, describeEngineError, engineErrorCode, type EngineRemote } from './engine_client';
import { EngineLease } from './engine_lease';

export type EngineStatus = 'idle' | 'loading' | 'ready' | 'error';

/** Where the default model is served from (Vite serves the project root). */
export function defaultModelUrl(): string {
  return new URL(`${import.meta.env.BASE_URL}models/default/`, location.href).href;
}

/** `?backend=webgpu|cpu|auto` in the page URL overrides every Policy cell's choice. */
export function backendOverride(search: string = location.search): BackendPreference | null {
  const value = new URLSearchParams(search).get('backend');
  return value === 'webgpu' || value === 'cpu' || value === 'auto' ? value : null;
}

/** What a cancelled download gives back: the engine as it was with the model loaded before. */
interface LoadedState {
  info: ModelInfo;
  ownerCellId: string | null;
  sourceUrl: string | null;
  policyStep: number;
  votesTrained: number;
  requested: BackendPreference;
}

export class EngineState {
  /** Draws and learning take turns on the weights (draws first): see EngineLease. */
  readonly lease = new EngineLease();
  status = $state<EngineStatus>('idle');
  progress = $state.raw<LoadProgress | null>(null);
  info = $state.raw<ModelInfo | null>(null);
  error = $state<string | null>(null);
  /** The Policy cell whose model is loaded (or loading). */
  ownerCellId = $state<string | null>(null);
  /** Optimizer steps the loaded policy has taken (the worker's count; 0 after a load). */
  policyStep = $state(0);
  /** Votes the loaded weights have learned from (the reducer's count). */
  votesTrained = $state(0);
  /** Bumped on every successful load, so cells can tell that the weights changed under them. */
  epoch = $state(0);
  /** The backend the last load asked for (after the URL override). */
  requested = $state<BackendPreference>('auto');

  /** The origin a URL load downloads from (shown beside its progress); null for files. */
  loadOrigin = $state<string | null>(null);
  /** The URL the loaded (or loading) model came from; null for local files. */
  sourceUrl = $state<string | null>(null);
  /** What the last cancelled download left, and which Policy cell's it was (shown there until the next load). */
  cancelled = $state.raw<{ cellId: string; note: string } | null>(null);

  /** Draws on the draw worker and weight installs into it take turns, in the order they ask. */
  readonly drawLease = new EngineLease();
  /** The policy step of the weights the draw worker holds; null while it is not in use. */
  drawStep = $state<number | null>(null);
  /** Votes the draw worker's weights have learned from (the reducer's count when they were copied). */
  drawVotesTrained = $state(0);

  #client: EngineClient | null = null;
  #drawClient: EngineClient | null = null;
  /** Bumped whenever the draw worker's model is replaced or dropped: older installs are ignored. */
  #drawToken = 0;
  /** Installs into the draw worker, in the order the trainer's weights were read. */
  #drawInstalls: Promise<void> = Promise.resolve();
  #loadToken = 0;
  /** Aborts the load in flight (the page's side; the worker's side is `loadCancel`). */
  #loadAbort: AbortController | null = null;

  /** The worker remote, spawned on first use. Not reactive on purpose (see engine_client.ts). */
  get api(): EngineRemote {
    this.#client ??= new EngineClient();
    return this.#client.api;
  }

  get ready(): boolean {
    return this.status === 'ready';
  }

  /** The draw worker's remote once it holds the trainer's weights; null: draw on the engine worker. */
  get drawApi(): EngineRemote | null {
    return this.drawStep !== null && this.#drawClient ? this.#drawClient.api : null;
  }

  /** Whether new weights from the trainer should be copied to the draw worker (it is loaded or loading). */
  get wantsDrawWeights(): boolean {
    return this.#drawClient !== null && this.status === 'ready';
  }

  /**
   * Copies the trainer's weights into the draw worker. Called with the read still on its way (it
   * was asked for right after a reduce, under the trainer's lease), so the install takes its
   * place among the draws at once: a draw that starts after the reduce ended waits the few
   * milliseconds the copy takes rather than drawing from older weights. Installs happen in call
   * order, after the draw in flight; one made stale by a later load is dropped.
   */
  pushDrawWeights(weights: Promise<PolicyWeights>): void {
    const client = this.#drawClient;
    if (!client) {
      weights.catch(() => undefined);
      return;
    }
    const token = this.#drawToken;
    this.#drawInstalls = this.#drawInstalls
      .then(() =>
        this.drawLease.run('draw', async () => {
          const w = await weights;
          if (token !== this.#drawToken) return;
          // Transferred, not copied: nothing on this thread reads them again.
          await client.api.installPolicyWeights(Comlink.transfer(w, [...new Set([...w.weights.values()].map((x) => x.buffer as ArrayBuffer))]));
          if (token !== this.#drawToken) return;
          this.drawStep = w.step;
          this.drawVotesTrained = w.votesTrained;
        }),
      )
      .catch(() => {
        // A draw worker that cannot follow the trainer is not used: draws go back to the engine worker.
        if (token === this.#drawToken) this.drawStep = null;
      });
  }

  /**
   * Loads the same model into the draw worker (CPU backend only), then copies the trainer's
   * current weights into it; until then draws stay on the engine worker.
   */
  async #startDrawWorker(source: ModelSource, token: number): Promise<void> {
    const drawToken = ++this.#drawToken;
    this.drawStep = null;
    this.#drawClient ??= new EngineClient();
    const api = this.#drawClient.api;
    try {
      const message = source.kind === 'files' ? Comlink.transfer(source, [source.weights]) : source;
      // One matmul thread: the trainer's threads keep the cores, and a pair's decode is small work.
      await this.drawLease.run('learn', async () => {
        await api.limitCpuThreads(1);
        return api.loadModel(message, 'cpu');
      });
      if (drawToken !== this.#drawToken || token !== this.#loadToken) return;
      const w = this.lease.run('learn', () => this.api.policyWeights());
      if (drawToken !== this.#drawToken || token !== this.#loadToken) return;
      this.pushDrawWeights(w);
    } catch {
      // Draws stay on the engine worker (as on WebGPU); nothing is lost.
      if (drawToken === this.#drawToken) this.drawStep = null;
    }
  }

  /** Draws go to the engine worker, and installs asked for before now are dropped; the draw worker keeps its model. */
  #suspendDrawWorker(): void {
    ++this.#drawToken;
    this.drawStep = null;
  }

  /** No draw worker in use (a failed load, an unload, or the WebGPU backend). */
  #stopDrawWorker(): void {
    ++this.#drawToken;
    this.drawStep = null;
    this.drawVotesTrained = 0;
    if (this.#drawClient) void this.#drawClient.api.dispose().catch(() => undefined);
  }

  /**
   * Loads a model. `keepsPrevious`: the model loaded now is still in step with the session, so
   * a cancelled download gives it back (the worker downloads before it touches that model);
   * otherwise a cancel leaves no model loaded.
   */
  async load(cellId: string, source: ModelSource, preference: BackendPreference, keepsPrevious = true): Promise<boolean> {
    const token = ++this.#loadToken;
    const previous =
      keepsPrevious && this.status === 'ready' && this.info
        ? { info: this.info, ownerCellId: this.ownerCellId, sourceUrl: this.sourceUrl, policyStep: this.policyStep, votesTrained: this.votesTrained, requested: this.requested }
        : null;
    this.#loadAbort?.abort();
    const abort = new AbortController();
    this.#loadAbort = abort;
    abort.signal.addEventListener('abort', () => void this.api.loadCancel().catch(() => undefined), { once: true });
    this.status = 'loading';
    this.error = null;
    this.cancelled = null;
    this.info = null;
    this.progress = { phase: 'fetch', loaded: 0, total: 0 };
    this.ownerCellId = cellId;
    this.loadOrigin = source.kind === 'url' ? new URL(source.url).origin : null;
    this.sourceUrl = source.kind === 'url' ? source.url : null;
    const onProgress = Comlink.proxy((p: LoadProgress) => {
      if (token === this.#loadToken) this.progress = p;
    });
    // The draw worker loads the same checkpoint: a local file's bytes are copied before they are transferred.
    const drawSource: ModelSource = source.kind === 'files' ? { ...source, weights: source.weights.slice(0) } : source;
    // Draws leave the draw worker while this loads; it keeps the model it has until the load's end.
    this.#suspendDrawWorker();
    const message = source.kind === 'files' ? Comlink.transfer(source, [source.weights]) : source;
    const requested = backendOverride() ?? preference;
    this.requested = requested;
    try {
      const info = await this.api.loadModel(message, requested, onProgress);
      if (token !== this.#loadToken) return false;
      this.info = info;
      this.policyStep = 0;
      this.votesTrained = 0;
      this.status = 'ready';
      this.epoch++;
      if (info.backend.name === 'cpu' && typeof Worker !== 'undefined') void this.#startDrawWorker(drawSource, token);
      else this.#stopDrawWorker();
      return true;
    } catch (e) {
      if (token !== this.#loadToken) return false;
      if (engineErrorCode(e) === 'CANCELLED') {
        this.#afterCancel(cellId, previous, this.loadOrigin);
        return false;
      }
      this.#stopDrawWorker();
      this.status = 'error';
      this.error = describeEngineError('loadModel', e);
      return false;
    } finally {
      if (this.#loadAbort === abort) this.#loadAbort = null;
    }
  }

  /** Whether the load in flight can still be cancelled (only while it downloads). */
  get cancellable(): boolean {
    return this.status === 'loading' && this.#loadAbort !== null && this.progress?.phase === 'fetch';
  }

  /** Cancels the download in flight; the load then ends as `#afterCancel` says. */
  cancelLoad(): void {
    if (this.cancellable) this.#loadAbort?.abort();
  }

  #afterCancel(cellId: string, previous: LoadedState | null, origin: string | null): void {
    const from = origin ? ` from ${origin}` : '';
    this.progress = null;
    this.loadOrigin = null;
    if (previous) {
      this.info = previous.info;
      this.ownerCellId = previous.ownerCellId;
      this.sourceUrl = previous.sourceUrl;
      this.policyStep = previous.policyStep;
      this.votesTrained = previous.votesTrained;
      this.requested = previous.requested;
      this.status = 'ready';
      this.cancelled = { cellId, note: `The download${from} was cancelled; the model loaded before is still loaded.` };
      // The draw worker still holds that model: it draws again once it has the trainer's weights.
      if (this.#drawClient && previous.info.backend.name === 'cpu') this.pushDrawWeights(this.lease.run('learn', () => this.api.policyWeights()));
    } else {
      this.#stopDrawWorker();
      this.#markUnloaded();
      this.cancelled = { cellId, note: `The download${from} was cancelled; no model is loaded.` };
    }
  }

  #markUnloaded(): void {
    this.status = 'idle';
    this.info = null;
    this.error = null;
    this.progress = null;
    this.ownerCellId = null;
    this.loadOrigin = null;
    this.sourceUrl = null;
  }

  /**
   * Drops the loaded model (another document opened and its policy waits for a click): the old
   * weights learned from the old document, so nothing may draw from them. A download in flight
   * is cancelled and its result ignored.
   */
  unload(): void {
    ++this.#loadToken;
    this.#loadAbort?.abort();
    this.#loadAbort = null;
    this.#markUnloaded();
    this.#stopDrawWorker();
    this.cancelled = null;
    this.policyStep = 0;
    this.votesTrained = 0;
    // Only a worker that exists holds a model; do not start one to empty it.
    if (this.#client) void this.#client.api.dispose().catch(() => undefined);
  }

  /** The token ids the engine's tokenizer gives `prompt` (a zero-token generation returns them). */
  async promptIds(prompt: string): Promise<number[]> {
    const handle = await this.api.generateStart({
      prompt,
      numSequences: 1,
      maxNewTokens: 0,
      temperature: 0,
      topK: 0,
      topP: 1,
      seed: 0,
    });
    for (;;) {
      const chunk = await this.api.generateNext(handle);
      if (chunk.done) return chunk.promptIds;
    }
  }

  /** A human label for where the model runs. */
  get backendLabel(): string {
    const backend = this.info?.backend;
    if (!backend) return '';
    // Asking for the CPU is a choice, not a fallback, whatever reason the engine records.
    if (backend.name === 'cpu' && this.requested === 'cpu') return `${backend.label} (requested)`;
    // A fallback says why, then what it runs on (the CPU backend's kernels and threads).
    return backend.fallbackReason ? `CPU fallback: ${backend.fallbackReason} — ${backend.label}` : backend.label;
  }
}
