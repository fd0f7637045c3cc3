/**
 * The loaded policy as the UI sees it: load status and progress, model info, the optimizer
 * step the policy is at, and which Policy cell loaded it. There is one engine worker, so one
 * policy at a time; a second Policy cell replaces the first's model when run.
 */
import * as Comlink from 'comlink';
import type { BackendPreference, LoadProgress, ModelInfo, ModelSource } from '../engine/api';
import { EngineClient, describeEngineError, type EngineRemote } from './engine_client';

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

export class EngineState {
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

  #client: EngineClient | null = null;
  #loadToken = 0;

  /** The worker remote, spawned on first use. Not reactive on purpose (see engine_client.ts). */
  get api(): EngineRemote {
    this.#client ??= new EngineClient();
    return this.#client.api;
  }

  get ready(): boolean {
    return this.status === 'ready';
  }

  async load(cellId: string, source: ModelSource, preference: BackendPreference): Promise<boolean> {
    const token = ++this.#loadToken;
    this.status = 'loading';
    this.error = null;
    this.info = null;
    this.progress = { phase: 'fetch', loaded: 0, total: 0 };
    this.ownerCellId = cellId;
    const onProgress = Comlink.proxy((p: LoadProgress) => {
      if (token === this.#loadToken) this.progress = p;
    });
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
      return true;
    } catch (e) {
      if (token !== this.#loadToken) return false;
      this.status = 'error';
      this.error = describeEngineError('loadModel', e);
      return false;
    }
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
    return backend.fallbackReason ? `CPU fallback: ${backend.fallbackReason}` : backend.label;
  }
}
