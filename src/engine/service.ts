import type {
  AnnotatorSpec,
  AnnotatorVerdict,
  BackendInfo,
  BackendPreference,
  EngineErrorCode,
  GenerateChunk,
  GenerateRequest,
  LoadProgress,
  ModelInfo,
  ModelSource,
  PolicyHealth,
  PolicyRef,
  ScoreRequest,
  SimulationProgressEvent,
  SimulationRequest,
  SimulationSummary,
  ScoreResult,
  BestOfNPick,
  PairSelection,
  WeightsSnapshot,
  PolicyWeights,
  EngineApi,
  ReduceProgress,
  ReduceRequest,
  SimulationSeriesPoint,
  ReduceResult,
} from './api';
import type { Backend } from './backend';
import { defaultCpuThreads, selectBackend } from './backends/select';
import { CpuBackend } from './backends/cpu';
import { scoreSequences } from './batch';
import { generateTokens, type GenerateStep } from './generate';
import { countParams } from './model/config';
import { GPT2Model } from './model/gpt2';
import { checkCheckpoint, placePolicy, type CheckedCheckpoint, type LoadedPolicy, type ModelFiles } from './model/load';
import { DownloadCancelled, fetchModelFiles } from './model/fetch_files';
import { OnlineLearner } from './learning/online';
import { validateTrainerSettings } from './learning/trainer';
import { LogReducer, ReduceError } from './learning/log_reducer';
import { policyHealth } from './learning/health';
import { runSimulation } from './learning/simulate';
import { annotatePair, annotateScores } from './learning/annotator_spec';

export class EngineError extends Error {
  constructor(
    readonly code: EngineErrorCode,
    message: string,
  ) {
    // The code leads the message because Comlink transfers only name and message.
    super(`${code}: ${message}`);
    this.name = 'EngineError';
  }
}

/** Serialises model work: generation steps, scoring and training never interleave. */
class WorkQueue {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

interface Generation {
  iterator: AsyncGenerator<GenerateStep>;
  promptIds: number[];
  tokenIds: number[][];
  /** The texts the last chunk left the caller with (a running chunk sends only what changed). */
  sentTexts: string[];
  done: boolean;
  model: GPT2Model;
}

/** Length of the longest common prefix of a and b, in UTF-16 code units. */
function commonPrefix(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

/** Calls `fn` at most `hz` times a second, always delivering the last value. */
export function throttle<T>(fn: (v: T) => void, hz = 30): (v: T, force?: boolean) => void {
  let last = 0;
  return (v, force = false) => {
    const now = performance.now();
    if (force || now - last >= 1000 / hz) {
      last = now;
      fn(v);
    }
  };
}

/**
 * A throttled progress report whose last message can be waited for. Across a worker,
 * `onProgress` is a Comlink proxy: each call is a message on the proxy's own port, which is not
 * ordered with the reply to the call that reports, so a method waits for `delivered()` before it
 * returns and keeps the promise "the last report arrives before the result" (fresh-clone CI runs
 * here saw a reduce's {done: 3} of 4, and a load's 'upload' instead of 'ready', as the last).
 * A page that stopped listening does not fail the call.
 */
function progressReporter<T>(onProgress: ((p: T) => unknown) | undefined, isLast: (p: T) => boolean) {
  let lastSent: unknown;
  const report = throttle((p: T) => {
    const sent: unknown = onProgress?.(p);
    if (isLast(p)) lastSent = sent;
  });
  return { report, delivered: () => Promise.resolve(lastSent).then(() => undefined, () => undefined) };
}

/**
 * Everything the engine worker does, as plain async methods (the worker file only exposes an
 * instance). Runs in a worker or in Node; `gpu` is injected (navigator.gpu, or undefined).
 */
export class EngineService implements EngineApi {
  private backend: Backend | null = null;
  private info: BackendInfo | null = null;
  private policy: LoadedPolicy | null = null;
  private reference: GPT2Model | null = null;
  /** The loaded checkpoint as checked: the reference and a device-loss rebuild start from it. */
  private checkpoint: CheckedCheckpoint | null = null;
  private readonly snapshots = new Map<string, { step: number; weights: Map<string, Float32Array> }>();
  private readonly generations = new Map<string, Generation>();
  private readonly queue = new WorkQueue();
  private nextHandle = 1;
  private reducer: LogReducer | null = null;
  private reduceCancelled = false;
  private simulation: { cancelled: boolean } | null = null;
  private unsubscribeLost: (() => void) | null = null;
  /** The checkpoint download in flight (`loadCancel` aborts it); null once its bytes are in. */
  private download: AbortController | null = null;
  /** Set by `limitCpuThreads`; otherwise the CPU backend takes defaultCpuThreads(). */
  private cpuThreads: number | undefined = undefined;
  /** Optimizer steps taken on the policy since loading (the trainer advances it). */
  step = 0;

  constructor(private readonly gpu: GPU | undefined) {}

  async loadModel(source: ModelSource, pref: BackendPreference, onProgress?: (p: LoadProgress) => void): Promise<ModelInfo> {
    const t0 = performance.now();
    const { report: progress, delivered } = progressReporter(onProgress, (p: LoadProgress) => p.phase === 'ready');
    let files: ModelFiles;
    try {
      if (source.kind === 'url') {
        // A newer load replaces an older one's download (the page ignores the older result).
        this.download?.abort();
        const download = new AbortController();
        this.download = download;
        try {
          files = await fetchModelFiles(source.url, {
            signal: download.signal,
            onProgress: (p) => progress({ phase: 'fetch', loaded: p.loaded, total: p.total }, p.loaded === 0),
          });
        } finally {
          if (this.download === download) this.download = null;
        }
      } else {
        files = {
          name: source.name,
          config: parseJson(source.config, 'config.json'),
          tokenizer: parseJson(source.tokenizer, 'tokenizer.json'),
          weights: source.weights,
        };
      }
    } catch (e) {
      // Cancelled while downloading: the loaded model (if any) was not touched.
      if (e instanceof DownloadCancelled) throw new EngineError('CANCELLED', e.message);
      throw new EngineError('LOAD_FAILED', (e as Error).message);
    }
    const info = await this.queue.run(async () => {
      progress({ phase: 'parse', loaded: 0, total: 1 }, true);
      // Checked before the open model is disposed: a bad checkpoint leaves it in place.
      let checked: CheckedCheckpoint;
      try {
        checked = checkCheckpoint(files);
      } catch (e) {
        throw new EngineError('LOAD_FAILED', (e as Error).message);
      }
      this.disposeModel();
      if (!this.backend || (pref === 'cpu') !== (this.backend.name === 'cpu')) {
        this.backend?.dispose();
        const sel = await selectBackend(pref, this.gpu, this.cpuThreads === undefined ? undefined : Math.min(this.cpuThreads, defaultCpuThreads()));
        this.backend = sel.backend;
        this.info = sel.info;
        await this.watchDeviceLoss();
      }
      try {
        progress({ phase: 'upload', loaded: 0, total: 1 }, true);
        this.policy = placePolicy(this.backend, checked);
        this.checkpoint = checked;
      } catch (e) {
        throw new EngineError('LOAD_FAILED', (e as Error).message);
      }
      this.step = 0;
      // Make sure the upload has finished before reporting ready.
      await this.backend.read(this.policy.model.p('ln_f.bias'));
      progress({ phase: 'ready', loaded: 1, total: 1 }, true);
      const c = this.policy.config;
      return {
        name: files.name,
        parameters: countParams(c),
        nLayer: c.nLayer,
        nHead: c.nHead,
        nEmbd: c.nEmbd,
        vocabSize: c.vocabSize,
        nPositions: c.nPositions,
        backend: this.info!,
        loadMs: performance.now() - t0,
      };
    });
    await delivered();
    return info;
  }

  async limitCpuThreads(threads: number): Promise<void> {
    if (!Number.isInteger(threads) || threads < 1) throw new EngineError('BAD_REQUEST', `threads must be an integer ≥ 1, not ${threads}`);
    this.cpuThreads = threads;
  }

  async loadCancel(): Promise<void> {
    this.download?.abort();
  }

  private async watchDeviceLoss(): Promise<void> {
    this.unsubscribeLost?.();
    this.unsubscribeLost = null;
    if (this.backend?.name !== 'webgpu') return;
    const { onDeviceLost } = await import('./gpu/device');
    this.unsubscribeLost = onDeviceLost(({ reason, message }) => {
      if (reason === 'destroyed') return;
      // Rebuild on the CPU from the loaded files: the device's buffers are gone.
      const checkpoint = this.checkpoint;
      this.backend = new CpuBackend();
      this.info = {
        name: 'cpu',
        label: this.backend.deviceLabel,
        fallbackReason: `the GPU device was lost (${reason}: ${message}); reloaded on the CPU, training since the last snapshot was lost`,
      };
      this.generations.clear();
      this.reference = null;
      this.reducer = null;
      this.policy = checkpoint ? placePolicy(this.backend, checkpoint) : null;
    });
  }

  async backendInfo(): Promise<BackendInfo | null> {
    return this.info;
  }

  /** The loaded policy; throws NO_MODEL otherwise. */
  requirePolicy(): LoadedPolicy {
    if (!this.policy) throw new EngineError('NO_MODEL', 'no model is loaded');
    return this.policy;
  }

  /** The frozen reference: a copy of the weights as loaded, created on first use. */
  requireReference(): GPT2Model {
    this.requirePolicy();
    if (!this.reference) this.reference = placePolicy(this.backend!, this.checkpoint!).model;
    return this.reference;
  }

  private modelFor(ref: PolicyRef | undefined): GPT2Model {
    return ref === 'reference' ? this.requireReference() : this.requirePolicy().model;
  }

  async generateStart(req: GenerateRequest): Promise<string> {
    const p = this.requirePolicy();
    validateGenerate(req);
    const promptIds = p.tokenizer.encode(req.prompt);
    if (promptIds.length === 0) throw new EngineError('BAD_REQUEST', 'the prompt encodes to no tokens');
    const model = this.modelFor(req.policy);
    const iterator = generateTokens(model, promptIds, {
      numSequences: req.numSequences,
      maxNewTokens: req.maxNewTokens,
      temperature: req.temperature,
      topK: req.topK,
      topP: req.topP,
      seed: req.seed,
      eosTokenId: p.eosTokenId,
    });
    const handle = `g${this.nextHandle++}`;
    this.generations.set(handle, {
      iterator,
      promptIds,
      tokenIds: Array.from({ length: req.numSequences }, () => []),
      sentTexts: Array.from({ length: req.numSequences }, () => ''),
      done: false,
      model,
    });
    return handle;
  }

  /** Decodes one more token of every sequence and returns the texts so far. */
  async generateNext(handle: string): Promise<GenerateChunk> {
    const g = this.generations.get(handle);
    if (!g) throw new EngineError('UNKNOWN_HANDLE', `no generation ${handle} (finished or cancelled)`);
    const p = this.requirePolicy();
    if (!g.done) {
      const r = await this.queue.run(() => g.iterator.next());
      if (r.done) g.done = true;
      else {
        r.value.tokens.forEach((t, b) => {
          if (t >= 0) g.tokenIds[b].push(t);
        });
        if (r.value.done.every(Boolean)) g.done = true;
      }
    }
    if (g.done) {
      this.generations.delete(handle);
      await g.iterator.return(undefined);
    }
    const texts = g.tokenIds.map((ids) => p.tokenizer.decode(ids));
    if (g.done) return { texts, tokenIds: g.tokenIds.map((ids) => [...ids]), promptIds: g.promptIds, done: true };
    // Only what changed since the last chunk crosses the worker boundary: streaming L tokens
    // copies O(L), not every token and character decoded so far on every call (O(L²)).
    const textFrom = texts.map((t, b) => commonPrefix(g.sentTexts[b]!, t));
    g.sentTexts = texts;
    return { texts: texts.map((t, b) => t.slice(textFrom[b])), textFrom, tokenIds: [], promptIds: [], done: false };
  }

  async generateCancel(handle: string): Promise<void> {
    const g = this.generations.get(handle);
    if (!g) return;
    this.generations.delete(handle);
    await this.queue.run(() => g.iterator.return(undefined));
  }

  /** Runs a generation to the end (for the trainer and simulations). */
  async generate(req: GenerateRequest): Promise<GenerateChunk> {
    const h = await this.generateStart(req);
    for (;;) {
      const c = await this.generateNext(h);
      if (c.done) return c;
    }
  }

  async score(req: ScoreRequest): Promise<ScoreResult> {
    const p = this.requirePolicy();
    const promptIds = p.tokenizer.encode(req.prompt);
    const seqs = req.completions.map((c) => [...promptIds, ...p.tokenizer.encode(c)]);
    const tooLong = seqs.find((s) => s.length > p.config.nPositions);
    if (tooLong) throw new EngineError('BAD_REQUEST', `${tooLong.length} tokens exceed the context of ${p.config.nPositions}`);
    const model = this.modelFor(req.policy);
    return this.queue.run(() => scoreSequences(model, seqs, seqs.map(() => promptIds.length)));
  }

  /** The log reducer over the loaded policy, created on first use (see LogReducer). */
  requireReducer(): LogReducer {
    const p = this.requirePolicy();
    this.reducer ??= new LogReducer({ policy: p.model, reference: this.requireReference(), tokenizer: p.tokenizer, eosTokenId: p.eosTokenId });
    return this.reducer;
  }

  /** The online learner of the reduced log (queries: reward predictions, pair selection, best-of-n). */
  requireLearner(): OnlineLearner {
    return this.requireReducer().learner;
  }

  /** See EngineApi.reduce: the one learning entry point. */
  async reduce(req: ReduceRequest, onProgress?: (p: ReduceProgress) => void): Promise<ReduceResult> {
    if (!req || !Array.isArray(req.intents)) throw new EngineError('BAD_REQUEST', 'reduce needs { intents: [...] }');
    const reducer = this.requireReducer();
    const { report: progress, delivered } = progressReporter(onProgress, (p: ReduceProgress) => p.done === p.total);
    const r = await this.queue.run(async () => {
      this.reduceCancelled = false;
      try {
        return await reducer.reduce(req, (done, total) => progress({ done, total }, done === total), () => this.reduceCancelled);
      } catch (e) {
        if (e instanceof ReduceError) throw new EngineError(e.message === 'CANCELLED' ? 'CANCELLED' : 'BAD_REQUEST', e.message === 'CANCELLED' ? 'reducing the log was cancelled' : e.message);
        throw e;
      }
    });
    await delivered();
    this.step = r.policyStep;
    return r;
  }

  /** Stops the reduce request in flight between two intents (what it reduced so far stays). */
  async reduceCancel(): Promise<void> {
    this.reduceCancelled = true;
  }

  async annotatePair(spec: AnnotatorSpec, index: number, prompt: string, a: string, b: string): Promise<AnnotatorVerdict> {
    try {
      return annotatePair(spec, index, prompt, a, b);
    } catch (e) {
      throw new EngineError('BAD_REQUEST', `annotator: ${(e as Error).message}`);
    }
  }

  async annotateScores(spec: AnnotatorSpec, _prompt: string, completions: string[]): Promise<number[]> {
    try {
      return annotateScores(spec, completions);
    } catch (e) {
      throw new EngineError('BAD_REQUEST', `annotator: ${(e as Error).message}`);
    }
  }

  async rewardPredict(prompt: string, aIds: number[], bIds: number[], promptIds: number[]): Promise<{ pAB: number; std: number }> {
    const learner = this.requireLearner();
    const ids = promptIds.length ? promptIds : this.requirePolicy().tokenizer.encode(prompt);
    return this.queue.run(() => learner.rewardPredict(ids, aIds, bIds));
  }

  async selectPair(promptIds: number[], candidateIds: number[][]): Promise<PairSelection> {
    const learner = this.requireLearner();
    this.checkCandidates(promptIds, candidateIds, 2);
    return this.queue.run(() => learner.selectPair(promptIds, candidateIds));
  }

  async bestOfN(promptIds: number[], candidateIds: number[][], pessimism: number): Promise<BestOfNPick> {
    const learner = this.requireLearner();
    if (!(Number.isFinite(pessimism) && pessimism >= 0)) throw new EngineError('BAD_REQUEST', 'pessimism must be a finite number ≥ 0');
    this.checkCandidates(promptIds, candidateIds, 1);
    return this.queue.run(() => learner.bestOfN(promptIds, candidateIds, pessimism));
  }

  /** Token ids must be inside the vocabulary and each prompt + completion inside the context. */
  private checkFeedbackIds(promptIds: number[], completions: number[][]): void {
    const c = this.requirePolicy().config;
    for (const ids of [promptIds, ...completions]) {
      if (!Array.isArray(ids) || ids.some((t) => !Number.isInteger(t) || t < 0 || t >= c.vocabSize)) {
        throw new EngineError('BAD_REQUEST', 'token ids must be integers inside the vocabulary');
      }
    }
    if (promptIds.length === 0) throw new EngineError('BAD_REQUEST', 'the prompt token ids are missing');
    const longest = Math.max(...completions.map((ids) => ids.length));
    if (promptIds.length + longest > c.nPositions) {
      throw new EngineError('BAD_REQUEST', `prompt + completion is ${promptIds.length + longest} tokens, more than the context of ${c.nPositions}`);
    }
  }

  /** A list of candidates for one prompt: between `min` and 64, each valid feedback ids. */
  private checkCandidates(promptIds: number[], candidateIds: number[][], min: number): void {
    if (!Array.isArray(candidateIds) || candidateIds.length < min) throw new EngineError('BAD_REQUEST', `need at least ${min} candidate${min === 1 ? '' : 's'}`);
    if (candidateIds.length > 64) throw new EngineError('BAD_REQUEST', 'at most 64 candidates');
    this.checkFeedbackIds(promptIds, candidateIds);
  }

  async policyHealth(prompts: string[], seed: number, maxNewTokens: number): Promise<PolicyHealth> {
    const p = this.requirePolicy();
    const reference = this.requireReference();
    const { texts: _texts, ...health } = await this.queue.run(() =>
      policyHealth(p.model, reference, p.tokenizer, prompts, { seed, maxNewTokens, eosTokenId: p.eosTokenId }),
    );
    return health;
  }

  async simulate(req: SimulationRequest, onProgress?: (p: SimulationProgressEvent) => void): Promise<SimulationSummary> {
    const p = this.requirePolicy();
    if (this.simulation) throw new EngineError('BAD_REQUEST', 'a simulation is already running');
    try {
      validateTrainerSettings(req.trainer);
    } catch (e) {
      throw new EngineError('BAD_REQUEST', (e as Error).message);
    }
    const signal = { cancelled: false };
    this.simulation = signal;
    const { report: progress, delivered } = progressReporter(onProgress, (e: SimulationProgressEvent) => e.done === e.total);
    const noise = { type: 'flip' as const, flipRate: req.flipRate };
    const scorer =
      req.annotator === 'length' ? { kind: 'length' as const, targetWords: req.targetWords ?? 20 }
      : req.annotator === 'keyword' ? { kind: 'keyword' as const, keywords: req.keywords ?? ['sea'] }
      : req.annotator === 'readability' ? { kind: 'readability' as const }
      : { kind: 'sentiment' as const };
    try {
      // The simulation trains its own copy, so the session's policy stays as the user left it.
      const weights = await this.queue.run(() => p.model.readWeights());
      const copy = { ...p, model: new GPT2Model(this.backend!, p.config, weights) };
      try {
        const r = await runSimulation(
          copy,
          this.requireReference(),
          {
            annotator: { id: req.annotator, scorer, noise, tieThreshold: 1e-9, critique: false },
            trainer: req.trainer,
            votes: req.votes,
            seed: req.seed,
            trainPrompts: req.trainPrompts,
            evalPrompts: req.evalPrompts,
            maxNewTokens: req.maxNewTokens,
            temperature: req.loop?.sampling.temperature ?? 1,
            ...(req.loop ? { loop: req.loop } : {}),
          },
          (e) => progress(e, e.done === e.total),
          signal,
        );
        // The summary's series keeps the fields SimulationSeriesPoint names (not the per-step log-probs and timings).
        const series = r.series.map((p): SimulationSeriesPoint => ({
          vote: p.vote,
          loss: p.loss,
          margin: p.margin,
          rmPrequentialAccuracy: p.rmPrequentialAccuracy,
          recentDistinct2: p.recentDistinct2,
          recentRepetition: p.recentRepetition,
          recentDistinctCompletions: p.recentDistinctCompletions,
          recentMeanWords: p.recentMeanWords,
          recentSelfSimilarity: p.recentSelfSimilarity,
          recentDoubledWords: p.recentDoubledWords,
        }));
        await delivered();
        return { ...r, series };
      } finally {
        copy.model.dispose();
      }
    } catch (e) {
      if (signal.cancelled) throw new EngineError('CANCELLED', 'the simulation was cancelled');
      throw e;
    } finally {
      this.simulation = null;
    }
  }

  async simulateCancel(): Promise<void> {
    if (this.simulation) this.simulation.cancelled = true;
  }

  async snapshot(name: string): Promise<WeightsSnapshot> {
    const p = this.requirePolicy();
    const weights = await this.queue.run(() => p.model.readWeights());
    this.snapshots.set(name, { step: this.step, weights });
    return { name, step: this.step };
  }

  async restore(name: string): Promise<void> {
    // Saved outside the log (the duel's live weights during an arena battle), else by the log.
    const s = this.snapshots.get(name) ?? this.reducer?.snapshots.get(name);
    if (!s) throw new EngineError('BAD_REQUEST', `no snapshot named "${name}"`);
    const p = this.requirePolicy();
    await this.queue.run(async () => p.model.writeWeights(s.weights));
    this.step = s.step;
  }

  async policyWeights(): Promise<PolicyWeights> {
    const p = this.requirePolicy();
    return this.queue.run(async () => ({ step: this.step, votesTrained: this.reducer?.votesLearned ?? 0, weights: await p.model.readWeights() }));
  }

  async installPolicyWeights(w: PolicyWeights): Promise<void> {
    const p = this.requirePolicy();
    if (!w || !(w.weights instanceof Map) || !Number.isSafeInteger(w.step) || w.step < 0) throw new EngineError('BAD_REQUEST', 'weights must be a step and a map of tensors');
    // Checked in full before anything is written: a wrong checkpoint leaves the weights intact.
    const problem = p.model.weightsProblem(w.weights);
    if (problem) throw new EngineError('BAD_REQUEST', problem);
    await this.queue.run(async () => p.model.writeWeights(w.weights));
    this.step = w.step;
  }

  async listSnapshots(): Promise<WeightsSnapshot[]> {
    const all = new Map([...(this.reducer?.snapshots ?? []), ...this.snapshots]);
    return [...all].map(([name, s]) => ({ name, step: s.step }));
  }

  /** Runs `fn` on the work queue (the trainer's entry point, so it never interleaves with decoding). */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return this.queue.run(fn);
  }

  get currentBackend(): Backend | null {
    return this.backend;
  }

  private disposeModel(): void {
    for (const g of this.generations.values()) void g.iterator.return(undefined);
    this.generations.clear();
    this.reducer?.dispose();
    this.reducer = null;
    this.policy?.model.dispose();
    this.reference?.dispose();
    this.policy = null;
    this.reference = null;
  }

  async dispose(): Promise<void> {
    await this.queue.run(async () => {
      this.disposeModel();
      this.unsubscribeLost?.();
      this.backend?.dispose();
      this.backend = null;
      this.info = null;
    });
  }
}

function parseJson(text: string, name: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`${name}: not valid JSON`);
  }
}

function validateGenerate(r: GenerateRequest): void {
  const bad = (m: string) => {
    throw new EngineError('BAD_REQUEST', m);
  };
  if (!Number.isInteger(r.numSequences) || r.numSequences < 1 || r.numSequences > 64) bad('numSequences must be 1…64');
  if (!Number.isInteger(r.maxNewTokens) || r.maxNewTokens < 0 || r.maxNewTokens > 4096) bad('maxNewTokens must be 0…4096');
  if (!(r.temperature >= 0)) bad('temperature must be ≥ 0');
  if (!Number.isInteger(r.topK) || r.topK < 0) bad('topK must be a non-negative integer');
  if (!(r.topP > 0 && r.topP <= 1)) bad('topP must be in (0, 1]');
  if (!Number.isInteger(r.seed)) bad('seed must be an integer');
}
