/**
 * The root of the state layer: the open session, the engine, and the run-time state of each
 * cell (created when a cell first needs it, dropped when the cell or the session goes away).
 *
 * Data flows one way: a component calls a method here or on a cell's state; the method edits
 * the document through `src/session` (pure functions) and/or calls the engine worker; the
 * components re-render from `$state`. Nothing here touches the DOM beyond page lifecycle events.
 */
import { getContext, setContext, untrack } from 'svelte';
import {
  appendEvents,
  SESSION_LIMITS,
  createCell,
  insertCell,
  loadTensorBlob,
  moveCell,
  removeCell,
  saveTensorBlob,
  boundSimulationResult,
  setSimulationResult,
  updateCell,
  type CellConfigOf,
  type CellPatch,
  type CellKind,
  type CellOf,
  type DuelConfig,
  type SessionCell,
  type SessionDocument,
  type NewSessionEvent,
} from '../session/index';
import type { ModelSource, ReduceResult } from '../engine/api';
import { PAIR_SELECTIONS, type PairSelection } from '../engine/arena_api';
import { DOWNLOAD_CAPS, formatCap } from '../engine/model/fetch_files';
import { ArenaState, battlesOf, proposeArenaPair } from './arena.svelte';
import {
  DuelState,
  LIVE_WEIGHTS,
  type ArenaDraw,
  type Competitor,
  type DuelHost,
} from './duel.svelte';
import { JudgeClient, resolveJudgeUrl } from './judge_client';
import { EngineState, defaultModelUrl } from './engine.svelte';
import { linkedCell, trainCellForDuel } from './links';
import { PromptsState } from './prompts.svelte';
import { RoomState } from './room.svelte';
import { deriveSeed } from './random';
import { LearningSync } from './learning.svelte';
import { PreferencesState } from './preferences.svelte';
import { SessionState } from './session.svelte';
import { SimulateState } from './simulate.svelte';
import { TrainState } from './train.svelte';

/** The three files of a GPT-2 checkpoint picked from disk. */
export interface CheckpointFiles {
  config: File;
  tokenizer: File;
  weights: File;
}

/** The download caps in words, for the cell that asks before a download (the engine enforces them). */
export const downloadCapsText = `${formatCap(DOWNLOAD_CAPS.weightsBytes)} for model.safetensors, ${formatCap(DOWNLOAD_CAPS.jsonBytes)} for each JSON file`;

/** The origin `url` points at when it is not this page's (null for this origin or a malformed URL). */
export function foreignOrigin(url: string, base: string = location.href): string | null {
  try {
    const origin = new URL(url, base).origin;
    return origin === location.origin ? null : origin;
  } catch {
    return null;
  }
}

/**
 * Where an ONNX judge's files would be downloaded from, when that is another origin: the judge
 * panel names it, since the judge loads when the person starts or steps it.
 */
export function judgeDownloadOrigin(modelUrl: string): string | null {
  try {
    return foreignOrigin(resolveJudgeUrl(modelUrl));
  } catch {
    return null;
  }
}

type CellRuntime = PromptsState | DuelState | TrainState | ArenaState | SimulateState;

/** OPFS names of a Policy cell's local checkpoint (kept so a reload can load it again). */
const opfsNames = (cellId: string) => ({
  config: `policy-${cellId}-config.json`,
  tokenizer: `policy-${cellId}-tokenizer.json`,
  weights: `policy-${cellId}-model.safetensors`,
});

export class AppState implements DuelHost {
  readonly session = new SessionState();
  readonly engine = new EngineState();
  /**
   * The one learning path: hands the log's intents to the engine's reducer, live and when a
   * session opens (see learning.svelte.ts). The replay panel shows its open-session check.
   */
  readonly learning: LearningSync = new LearningSync(this.engine, this.session, {
    onReduced: async (result, settings, generation, live) => {
      const doc = this.session.doc;
      const trainCell = doc.cells.find((c) => c.kind === 'train');
      if (!trainCell || trainCell.kind !== 'train') return;
      const duel = linkedCell(doc, 'duel', trainCell.config.duelCellId);
      const prompts = live && duel ? await this.promptsOf(duel.config.promptsCellId) : null;
      const health = prompts && prompts.prompts.length > 0 && duel ? this.healthRequest(prompts.prompts, duel.config) : null;
      await this.train(trainCell.id).onReduced(result, settings, generation, live, health);
    },
    catchesUp: () => !this.room.inRoom,
  });
  /** A shared live session (a room on a sync server), when the person joined or started one. */
  readonly room: RoomState = new RoomState(this.session, this.learning);
  /** The "what you seem to prefer" panel: the reward model's principles, and statements about them. */
  readonly preferences = new PreferencesState(this);
  /** The open-session check's status, under the name the replay panel knows. */
  get replay(): LearningSync {
    return this.learning;
  }
  /** The duel the keyboard votes in: the last one used, else the first. */
  activeDuelId = $state<string | null>(null);
  /** Why a Policy cell could not start (e.g. local files not stored); by cell id. */
  policyNotes = $state.raw<Record<string, string>>({});

  #cells = new Map<string, CellRuntime>();

  constructor() {
    // Another document is opening: every cell's run-time state belonged to the old one.
    this.session.onOpen = () => {
      this.room.onDocumentReplaced();
      this.#resetCells();
      this.learning.cancel();
      this.learning.forget();
      // The loaded weights learned from the old document: load the new one's policy afresh
      // (after the document is in place), and replay its log onto it.
      if (this.engine.status !== 'idle') queueMicrotask(() => void this.#reloadPolicyForNewDocument());
    };
  }

  async #reloadPolicyForNewDocument(): Promise<void> {
    const policy = this.session.doc.cells.find((c) => c.kind === 'policy');
    if (!policy) return;
    // Its checkpoint is on another site: the document cannot fetch it, only the person's click
    // can. Until then no model is loaded (the old one learned from the old document).
    if (this.policyRemote(policy.id)) {
      this.engine.unload();
      return;
    }
    await this.runPolicy(policy.id);
  }

  async start(): Promise<void> {
    addEventListener('pagehide', () => void this.session.flush());
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'hidden') void this.session.flush();
    });
    await this.session.init();
    // A room link only offers to join: nothing connects before the click.
    this.room.readFromUrl();
    void this.autoRunPolicy();
  }

  #resetCells(): void {
    for (const runtime of this.#cells.values()) if (runtime instanceof DuelState) runtime.dispose();
    this.#cells.clear();
  }

  /** The duel cell that keyboard votes go to. */
  keyboardDuelId(): string | undefined {
    const duels = this.session.doc.cells.filter((c) => c.kind === 'duel' && !c.collapsed);
    return (duels.find((c) => c.id === this.activeDuelId) ?? duels[0])?.id;
  }

  /**
   * Loads the model of the first Policy cell, so a new visitor can vote within a minute: the
   * shipped default (or any checkpoint on this page's own origin) loads at once; one on another
   * site waits for the click on the button that names that site (`policyRemote`).
   */
  async autoRunPolicy(): Promise<void> {
    if (this.engine.status === 'loading' || this.engine.status === 'ready') return;
    const policy = this.session.doc.cells.find((c) => c.kind === 'policy');
    if (policy) await this.runPolicy(policy.id);
  }

  #runtime<T extends CellRuntime>(cellId: string, kind: new (...args: never[]) => T, create: () => T): T {
    const existing = this.#cells.get(cellId);
    if (existing instanceof kind) return existing;
    // Created from components' derived values: the constructor's reads must not become dependencies.
    const created = untrack(create);
    this.#cells.set(cellId, created);
    return created;
  }

  prompts(cellId: string): PromptsState {
    return this.#runtime(cellId, PromptsState, () => new PromptsState());
  }

  duel(cellId: string): DuelState {
    return this.#runtime(cellId, DuelState, () => new DuelState(cellId, this));
  }

  train(cellId: string): TrainState {
    return this.#runtime(cellId, TrainState, () => new TrainState(cellId, this.engine, this.session));
  }

  arena(cellId: string): ArenaState {
    return this.#runtime(cellId, ArenaState, () => new ArenaState(cellId, this.engine, this.session));
  }

  simulate(cellId: string): SimulateState {
    return this.#runtime(cellId, SimulateState, () =>
      new SimulateState(this.engine, {
        generation: () => this.session.generation,
        save: (summary, generation) => {
          if (generation !== this.session.generation) return 'another session was opened while it ran';
          let next: SessionDocument;
          try {
            next = setSimulationResult(this.session.doc, cellId, boundSimulationResult(summary));
          } catch (e) {
            return e instanceof Error ? e.message : String(e);
          }
          return this.session.apply(() => next, generation) ? true : 'the session could not take it';
        },
      }),
    );
  }

  /** The prompts of the Prompts cell `promptsCellId` points at (or the first), resolved. */
  async promptsOf(promptsCellId: string | undefined): Promise<PromptsState | null> {
    const promptsCell = linkedCell(this.session.doc, 'prompts', promptsCellId);
    if (!promptsCell) return null;
    const state = this.prompts(promptsCell.id);
    await state.ensure(promptsCell.config);
    return state;
  }

  // ---- cells --------------------------------------------------------------------------------

  cell<K extends CellKind>(cellId: string, kind: K): CellOf<K> | undefined {
    const cell = this.session.doc.cells.find((c) => c.id === cellId);
    return cell?.kind === kind ? (cell as CellOf<K>) : undefined;
  }

  addCell(kind: CellKind, index?: number): string | null {
    const doc = this.session.doc;
    const cell = createCell(kind, this.session.nextId);
    // Link new cells to the first cells they draw from, as the starter notebook does.
    const first = (k: CellKind) => doc.cells.find((c) => c.kind === k)?.id;
    const links: Record<string, string | undefined> = {};
    if (kind === 'duel') Object.assign(links, { policyCellId: first('policy'), promptsCellId: first('prompts') });
    if (kind === 'train') Object.assign(links, { duelCellId: first('duel'), policyCellId: first('policy') });
    if (kind === 'arena') Object.assign(links, { duelCellId: first('duel') });
    if (kind === 'simulate') Object.assign(links, { policyCellId: first('policy'), promptsCellId: first('prompts') });
    for (const [key, value] of Object.entries(links)) if (value !== undefined) (cell.config as Record<string, unknown>)[key] = value;
    return this.session.apply((d) => insertCell(d, cell as SessionCell, index)) ? cell.id : null;
  }

  updateConfig<K extends CellKind>(cellId: string, kind: K, config: CellConfigOf<K>): boolean {
    if (!this.cell(cellId, kind)) return false;
    return this.session.apply((doc) => updateCell(doc, cellId, { config } as CellPatch));
  }

  setTitle(cellId: string, title: string): boolean {
    return this.session.apply((doc) => updateCell(doc, cellId, { title: title === '' ? undefined : title }));
  }

  setCollapsed(cellId: string, collapsed: boolean): boolean {
    return this.session.apply((doc) => updateCell(doc, cellId, { collapsed: collapsed ? true : undefined }));
  }

  moveCell(cellId: string, delta: number): boolean {
    const index = this.session.doc.cells.findIndex((c) => c.id === cellId);
    if (index === -1) return false;
    return this.session.apply((doc) => moveCell(doc, cellId, index + delta));
  }

  deleteCell(cellId: string): boolean {
    const runtime = this.#cells.get(cellId);
    if (runtime instanceof DuelState) runtime.dispose();
    this.#cells.delete(cellId);
    return this.session.apply((doc) => removeCell(doc, cellId));
  }

  // ---- policy -------------------------------------------------------------------------------

  /**
   * Where a Policy cell's checkpoint would be downloaded from, when that is another origin than
   * this page's: nothing is fetched from it until the person clicks the button that names it.
   * Null for the shipped default, same-origin paths and local files.
   */
  policyRemote(cellId: string): { origin: string; url: string; refused: string | null } | null {
    const source = this.cell(cellId, 'policy')?.config.source;
    if (source?.kind !== 'url') return null;
    let url: URL;
    try {
      url = new URL(source.url, location.href);
    } catch {
      return null;
    }
    if (url.origin === location.origin) return null;
    // As the page's CSP (index.html) says: plain http only from this machine.
    const local = url.hostname === 'localhost' || url.hostname === '127.0.0.1';
    const refused = url.protocol === 'http:' && !local ? `Checkpoints are not loaded over plain http from another host (${url.origin}): it can be altered in transit. Use an https URL.` : null;
    return { origin: url.origin, url: url.href, refused };
  }

  /**
   * Loads a Policy cell's model (`files` when the user just picked a local checkpoint). A
   * checkpoint on another origin loads only with `approvedOrigin` equal to that origin: the
   * person clicked the button that showed it. Any other call (on open, a share link, an
   * imported file, the Load button) fetches nothing from it; the cell shows the origin and
   * that button instead.
   */
  async runPolicy(cellId: string, files?: CheckpointFiles, approvedOrigin?: string): Promise<boolean> {
    const cell = this.cell(cellId, 'policy');
    if (!cell) return false;
    const remote = this.policyRemote(cellId);
    if (remote && (remote.refused !== null || remote.origin !== approvedOrigin)) return false;
    this.#setPolicyNote(cellId, null);
    const source = await this.#modelSource(cellId, cell, files);
    if (typeof source === 'string') {
      this.#setPolicyNote(cellId, source);
      return false;
    }
    // A session opening when the load starts is stopped half-way below: the weights loaded now
    // would then be half-reduced, not something a cancelled download may hand back.
    const inStep = !this.learning.running;
    // New pairs and votes wait until the reloaded weights have caught up with the log.
    await this.learning.prepare();
    // Candidates still streaming from the old model would fail mid-way (the load drops its
    // generations): stop them now, so the duels draw afresh from the new weights below.
    for (const runtime of this.#cells.values()) if (runtime instanceof DuelState && runtime.phase === 'generating') runtime.cancel();
    const ok = await this.engine.load(cellId, source, cell.config.backend, inStep);
    if (ok) {
      void this.learning.open(this.session.doc);
    } else {
      this.learning.release();
    }
    // A cancelled download gave the model loaded before back: the duels draw from it again.
    const restored = !ok && this.engine.status === 'ready';
    if (restored) for (const runtime of this.#cells.values()) if (runtime instanceof DuelState && (runtime.phase === 'idle' || runtime.phase === 'error')) void runtime.next();
    // The files checked after a failure come from the origin the load was allowed to fetch from.
    if (!ok && source.kind === 'url' && this.engine.ownerCellId === cellId && this.engine.status === 'error') {
      const missing = await missingCheckpointFiles(source.url);
      if (missing.length > 0 && this.engine.status === 'error') {
        const where = cell.config.source.kind === 'default' ? 'The default model is not there yet' : 'This checkpoint is incomplete';
        this.engine.error = `${where}: ${missing.join(' and ')} ${missing.length === 1 ? 'is' : 'are'} missing from ${source.url}`;
      }
    }
    if (ok) {
      // Every duel now draws from the new weights; pairs shown by the old model stay votable.
      // A duel that failed (e.g. it had no model) tries again with the new one.
      for (const runtime of this.#cells.values()) if (runtime instanceof DuelState && (runtime.phase === 'idle' || runtime.phase === 'error')) void runtime.next();
    }
    return ok;
  }

  async #modelSource(cellId: string, cell: CellOf<'policy'>, files?: CheckpointFiles): Promise<ModelSource | string> {
    const source = cell.config.source;
    if (source.kind === 'default') return { kind: 'url', url: defaultModelUrl() };
    if (source.kind === 'url') return { kind: 'url', url: new URL(source.url, location.href).href };
    const names = opfsNames(cellId);
    if (files) {
      const [config, tokenizer, weights] = await Promise.all([files.config.text(), files.tokenizer.text(), files.weights.arrayBuffer()]);
      // Keep a copy so a reload can load the same checkpoint; failure only costs that convenience.
      await Promise.all([
        saveTensorBlob(names.config, new TextEncoder().encode(config)),
        saveTensorBlob(names.tokenizer, new TextEncoder().encode(tokenizer)),
        saveTensorBlob(names.weights, weights.slice(0)),
      ]).catch(() => undefined);
      return { kind: 'files', name: source.name, config, tokenizer, weights };
    }
    try {
      const [config, tokenizer, weights] = await Promise.all([loadTensorBlob(names.config), loadTensorBlob(names.tokenizer), loadTensorBlob(names.weights)]);
      if (config && tokenizer && weights) {
        const decoder = new TextDecoder();
        return { kind: 'files', name: source.name, config: decoder.decode(config), tokenizer: decoder.decode(tokenizer), weights: weights.buffer as ArrayBuffer };
      }
    } catch {
      // Fall through to asking for the files.
    }
    return `The local checkpoint “${source.name}” is not stored in this browser: pick its three files again.`;
  }

  #setPolicyNote(cellId: string, note: string | null): void {
    const notes = { ...this.policyNotes };
    if (note === null) delete notes[cellId];
    else notes[cellId] = note;
    this.policyNotes = notes;
  }

  // ---- DuelHost -----------------------------------------------------------------------------

  duelConfig(cellId: string): DuelConfig | undefined {
    return this.cell(cellId, 'duel')?.config;
  }

  updateDuelConfig(cellId: string, patch: Partial<DuelConfig>): void {
    const duel = this.cell(cellId, 'duel');
    if (duel) this.updateConfig(cellId, 'duel', { ...duel.config, ...patch });
  }

  async promptsForDuel(cellId: string): Promise<PromptsState | null> {
    await this.learning.settled();
    const duel = this.cell(cellId, 'duel');
    return duel ? this.promptsOf(duel.config.promptsCellId) : null;
  }

  /** The ONNX judge worker, spawned the first time a duel's judge is an ONNX model. */
  readonly judges = new JudgeClient();

  /**
   * The duel appended an intent (a vote, ranking, thumbs or undo): the engine learns from it
   * through the one learning path, a single reduce request with the intents it does not have.
   */
  async learn(): Promise<ReduceResult | null> {
    const before = this.learning.last;
    await this.learning.sync();
    return this.learning.last === before ? null : this.learning.last;
  }

  /**
   * Whether a pairwise vote cast now defers its policy steps (`deferSteps`): the trainer is still
   * reducing earlier votes and pairs come from the draw worker, so votes can outpace steps; the
   * catch-up `train` intent then learns them in one group. Not in a shared room (see catchesUp).
   */
  defersSteps(): boolean {
    if (this.learning.pending === 0 || this.engine.drawApi === null || this.room.inRoom) return false;
    // A catch-up takes a step only when votes do (see LearningSync's catch-up).
    const settings = this.learning.cellSettings(this.session.doc);
    return settings !== null && settings.updateAfterVote && settings.trainer.stepsPerVote > 0;
  }

  /** The `settings` event to log right before a new intent, when the cells changed the learning settings. */
  settingsEvents(): NewSessionEvent[] {
    return this.learning.settingsEvents(this.session.doc);
  }

  /** "Train now": an intent in the log, reduced like any other. */
  async trainNow(steps: number): Promise<void> {
    await this.learning.settled();
    const trainCell = this.session.doc.cells.find((c) => c.kind === 'train');
    if (!trainCell) return;
    const ok = this.session.apply((doc) => appendEvents(doc, [...this.learning.settingsEvents(doc), { type: 'train', cellId: trainCell.id, steps }]));
    if (ok) await this.learning.sync();
  }

  /**
   * The next arena battle for a duel: competitors are the reference, the snapshots saved in the
   * engine this page, and the live policy; the linked Arena cell's rule picks two of them.
   */
  voterName(): string | null {
    return this.room.inRoom ? this.room.displayName.slice(0, SESSION_LIMITS.maxVoterChars) : null;
  }

  async arenaPair(duelId: string): Promise<ArenaDraw | string> {
    const doc = this.session.doc;
    const arena = doc.cells.find((c) => c.kind === 'arena' && linkedCell(doc, 'duel', c.config.duelCellId)?.id === duelId);
    if (!arena || arena.kind !== 'arena') return 'Arena battles need an Arena cell linked to this duel: its pair selection picks the snapshots. Add one.';
    const saved = (await this.engine.api.listSnapshots()).filter((s) => s.name !== LIVE_WEIGHTS && !s.name.startsWith('__'));
    const competitors: Competitor[] = [
      { name: 'reference', source: 'reference', step: 0 },
      ...saved.map((s): Competitor => ({ name: s.name, source: 'snapshot', step: s.step })),
      { name: `step-${this.engine.policyStep}`, source: 'live', step: this.engine.policyStep },
    ];
    const selection: PairSelection = (PAIR_SELECTIONS as readonly string[]).includes(arena.config.pairSelection) ? (arena.config.pairSelection as PairSelection) : 'uniform';
    const battles = battlesOf(doc, duelId);
    const names = competitors.map((c) => c.name);
    const pair = await proposeArenaPair({ selection, names, battles, seed: deriveSeed(arena.config.seed, battles.length) });
    if (!pair) return `The “${selection}” rule has nothing left to ask between these snapshots; choose another rule in the Arena cell or save a new snapshot.`;
    const byName = (name: string) => competitors.find((c) => c.name === name)!;
    return { left: byName(pair[0]), right: byName(pair[1]), selection };
  }

  /** KL is measured on a fixed handful of prompts with a fixed seed, so points are comparable. */
  healthRequest(prompts: readonly string[], duel: DuelConfig) {
    return { prompts: prompts.slice(0, 4), seed: 12345, maxNewTokens: Math.min(duel.sampling.maxTokens, 24) };
  }
}

/**
 * Which of a checkpoint folder's three files are not there. A dev server answers a missing
 * file with its HTML page (status 200), which the engine can only call "not valid JSON";
 * this names the files instead. Its HEAD requests go where the failed load went, so only to
 * this page's origin or to one the person clicked to download from.
 */
async function missingCheckpointFiles(base: string): Promise<string[]> {
  const folder = base.endsWith('/') ? base : `${base}/`;
  const files = ['config.json', 'tokenizer.json', 'model.safetensors'];
  const present = await Promise.all(
    files.map(async (file) => {
      try {
        const response = await fetch(folder + file, { method: 'HEAD' });
        return response.ok && !(response.headers.get('content-type') ?? '').includes('text/html');
      } catch {
        return false;
      }
    }),
  );
  return files.filter((_, i) => !present[i]);
}

const KEY = Symbol('duelbook-app');

export function provideApp(app: AppState): void {
  setContext(KEY, app);
}

export function useApp(): AppState {
  const app = getContext<AppState | undefined>(KEY);
  if (!app) throw new Error('useApp() outside <App>');
  return app;
}
