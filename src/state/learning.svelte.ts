/**
 * The page's side of the one learning path: it hands the engine the log's intents and logs what
 * comes back. Nothing here decides what a vote does to the weights; the engine's LogReducer does.
 *
 * - `sync()` (after the page appended a vote, an undo, "Train now" or a snapshot): one `reduce`
 *   request with the intents the engine does not have yet. A `settings` event is appended first
 *   when the Train cell's or the duel's learning settings differ from the last one logged, so a
 *   mid-session change is in the log where it took effect. The derived records that come back
 *   (optimizer steps, relabelled pairs) are appended as `train_step` / `relabel` events tagged
 *   with the intent that caused them.
 * - `open(doc)` (after a policy load: reload, import, share link): one `reduce` request with the
 *   whole log and `reset`. The engine recomputes every derived record; each is compared with
 *   the one the log holds (the integrity check shown in the replay panel).
 *
 * Requests are serialized, so votes cast quickly are reduced in log order. New pairs and votes
 * wait (`settled()`) while a session opens, so nothing is drawn from half-reduced weights.
 */
import {
  appendEvents,
  cancelledSeqs,
  COMPARED_STEP_METRICS,
  initialSettings,
  lastLoggedSettings,
  learningSettings,
  loggedStepsByIntent,
  logIntents,
  sameSettings,
  settingsEventFields,
  type NewSessionEvent,
  type SessionDocument,
  type TrainStepEvent,
} from '../session/index';
import {
  STEP_METRIC_LOG_KEYS,
  type CritiqueReading,
  type LearningSettings,
  type ExplanationWeight,
  type PrincipleEstimate,
  type ReduceProgress,
  type ReduceRequest,
  type ReduceResult,
  type ReducedIntent,
  type StepMetrics,
} from '../engine/api';
import { proxy } from '../worker_api/connect';
import { describeEngineError, engineErrorCode } from './engine_client';
import type { EngineState } from './engine.svelte';
import { linkedCell, trainCellForDuel } from './links';
import type { SessionState } from './session.svelte';

/** A recomputed metric matches the log when |Δ| ≤ abs + rel·|logged| (same backend: exact; WebGPU vs CPU: ~1e-5 per op). */
export const REPLAY_TOLERANCE = { abs: 1e-3, rel: 1e-3 } as const;

/** The name each compared metric is logged under in `train_step` events. */
const LOGGED_NAME: Record<(typeof COMPARED_STEP_METRICS)[number], string> = STEP_METRIC_LOG_KEYS;

export type OpenStatus = 'idle' | 'running' | 'done' | 'cancelled' | 'failed';

export interface ReplayDivergence {
  /** `seq` of the logged train step (or intent) where the recomputed record first differed. */
  seq: number;
  what: string;
  expected: number | string;
  actual: number | string;
}

export function withinTolerance(expected: number | null | undefined, actual: number): boolean {
  if (expected === null || expected === undefined) return !Number.isFinite(actual);
  return Math.abs(actual - expected) <= REPLAY_TOLERANCE.abs + REPLAY_TOLERANCE.rel * Math.abs(expected);
}

/** Where the derived records of a reduce request go (the Train cell that learns from the duels). */
export interface LearningHost {
  /** A reduce result arrived: log its steps in the Train cell and update what it shows. */
  onReduced(result: ReduceResult, settings: LearningSettings, generation: number, live: boolean): Promise<void> | void;
  /**
   * Whether this page appends the catch-up `train` intent for deferred votes (not in a shared
   * room: every replica reduces every vote, and two catch-ups would train twice). Default yes.
   */
  catchesUp?(): boolean;
}

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

export class LearningSync {
  // ---- opening a session (the replay panel reads these) ----
  status = $state<OpenStatus>('idle');
  intentsDone = $state(0);
  intentsTotal = $state(0);
  votesDone = $state(0);
  relabelsDone = $state(0);
  stepsDone = $state(0);
  maxLossDelta = $state<number | null>(null);
  maxMetricDelta = $state<number | null>(null);
  firstDivergence = $state.raw<ReplayDivergence | null>(null);
  error = $state<string | null>(null);
  /** Optimizer steps recomputed on open that the log did not hold (logged then). */
  recordsAdded = $state(0);
  /** Logged train steps the current weights do not hold (undone intents, superseded groups, not reached). */
  unseenStepSeqs = $state.raw<ReadonlySet<number>>(new Set());

  // ---- live ----
  /** Votes the current weights have learned from (`data-votes-trained`). */
  votesTrained = $state(0);
  /** The last reduce result (reward model, buffer, checkpoints). */
  last = $state.raw<ReduceResult | null>(null);
  /**
   * The style principles as the reward model weighs them after the last reduce, strongest
   * first (the "what you seem to prefer" panel); null before the engine reduced anything.
   */
  preferences = $state.raw<PrincipleEstimate[] | null>(null);
  /** The explanations the loop's call weighs, strongest first, after the last reduce; null before the first vote. */
  explanations = $state.raw<ExplanationWeight[] | null>(null);
  /**
   * What each critique was understood as, by the `seq` of the vote that carried it. Derived by
   * the engine, never logged: opening a session recomputes them all.
   */
  critiques = $state.raw<ReadonlyMap<number, CritiqueReading>>(new Map());
  syncError = $state<string | null>(null);
  /** A shared session's converged order moved intents this replica had reduced: the engine is replaying them. */
  catchingUp = $state(false);
  /** Reduce requests asked for and not finished (a pair drawn meanwhile comes from the weights before them). */
  pending = $state(0);

  /** The last log `seq` whose intents the engine has. */
  #sentSeq = -1;
  #queue: Promise<void> = Promise.resolve();
  #gate: Deferred | null = null;
  #cancelled = false;
  /** Every rebase's cut, in order: a reduce that was in flight when one came logs nothing after it. */
  #cuts: number[] = [];
  #rebasing = 0;

  constructor(
    private readonly engine: EngineState,
    private readonly session: SessionState,
    private readonly host: LearningHost,
  ) {}

  get running(): boolean {
    return this.status === 'running';
  }

  /** Resolves when no session is opening (new pairs and votes wait on this). */
  settled(): Promise<void> {
    return this.#gate?.promise ?? Promise.resolve();
  }

  /** Before the policy (re)loads: stop an open in flight; hold new work until `open`/`release`. */
  async prepare(): Promise<void> {
    this.cancel();
    await this.#queue;
    this.#gate ??= deferred();
  }

  release(): void {
    const gate = this.#gate;
    this.#gate = null;
    gate?.resolve();
  }

  cancel(): void {
    if (this.status !== 'running') return;
    this.#cancelled = true;
    void this.engine.api.reduceCancel().catch(() => undefined);
  }

  /** Whether a duel's votes reach the engine (only duels a Train cell learns from). */
  #learnsFrom = (doc: SessionDocument) => (duelId: string) => trainCellForDuel(doc, duelId) !== undefined;

  /** The settings the cells put in force now (the first Train cell that learns from a duel): what the next vote is logged with. */
  cellSettings(doc: SessionDocument): LearningSettings | null {
    const train = doc.cells.find((c) => c.kind === 'train');
    if (!train || train.kind !== 'train') return null;
    const duel = linkedCell(doc, 'duel', train.config.duelCellId);
    return learningSettings(train.config, duel?.config);
  }

  /** Recomputes the opened log's learning on the freshly loaded policy. Never throws. */
  open(doc: SessionDocument): Promise<void> {
    this.#gate ??= deferred();
    const run = this.#queue.then(() => this.#open(doc)).finally(() => this.release());
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #open(doc: SessionDocument): Promise<void> {
    this.#resetStatus();
    const intents = logIntents(doc, { learnsFrom: this.#learnsFrom(doc) });
    const train = doc.cells.find((c) => c.kind === 'train');
    const duel = train?.kind === 'train' ? linkedCell(doc, 'duel', train.config.duelCellId) : undefined;
    const initial = initialSettings(doc, train?.kind === 'train' ? train : undefined, duel);
    const epoch = this.engine.epoch;
    const generation = this.session.generation;
    this.intentsTotal = intents.length;
    this.status = intents.length === 0 ? 'idle' : 'running';
    this.#cancelled = false;
    try {
      const onProgress = proxy((p: ReduceProgress) => {
        this.intentsDone = p.done;
      });
      const result = await this.engine.lease.run('learn', () => this.#reduce({ intents, reset: true, ...(initial ? { initialSettings: initial } : {}) }, onProgress));
      if (epoch !== this.engine.epoch || generation !== this.session.generation) {
        this.status = 'cancelled';
        this.error = 'The policy or the session changed while the log was being reduced.';
        return;
      }
      this.#sentSeq = doc.events[doc.events.length - 1]?.seq ?? -1;
      this.#compare(doc, result.reduced);
      this.#accept(result, true);
      const settings = lastLoggedSettings(doc.events) ?? initial ?? this.cellSettings(doc);
      // Records the file did not carry (an intents-only log, as peers exchange): log them now,
      // so the charts and the next open's check have them.
      const missing = this.#withoutRecords(doc, result.reduced);
      if (missing.length > 0) {
        this.recordsAdded = missing.reduce((n, x) => n + x.steps.length, 0);
        this.#logRelabels(missing, generation);
        if (settings) await this.host.onReduced({ ...result, reduced: missing }, settings, generation, true);
      }
      this.intentsDone = intents.length;
      this.status = intents.length === 0 ? 'idle' : this.#cancelled ? 'cancelled' : 'done';
      this.unseenStepSeqs = unseenSteps(this.session.doc);
      if (settings) await this.host.onReduced(result, settings, generation, false);
    } catch (e) {
      this.status = engineErrorCode(e) === 'CANCELLED' ? 'cancelled' : 'failed';
      this.error = this.status === 'cancelled' ? null : describeEngineError('reduce', e);
      // The engine keeps what it reduced; the next sync sends the whole log again and it goes on from there.
      this.#sentSeq = -1;
    }
  }

  /**
   * Sends the intents appended since the last request (one `reduce` request) and logs what came
   * back. Call after appending a vote, undo, "Train now" or snapshot. Never throws.
   */
  sync(): Promise<void> {
    this.pending++;
    const run = this.#queue.then(() => this.#sync()).finally(() => this.pending--);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /**
   * A shared session's log was renumbered after `dropAfterSeq` (a peer's intent landed before
   * intents this replica had reduced; see RoomMirror): the engine forgets its intents after the
   * cut, restores its last checkpoint before it and reduces the new order forward. Never throws.
   */
  rebase(dropAfterSeq: number): Promise<void> {
    this.#cuts.push(dropAfterSeq);
    this.#rebasing++;
    this.catchingUp = true;
    const run = this.#queue.then(() => this.#sync(dropAfterSeq)).finally(() => {
      this.#rebasing--;
      this.catchingUp = this.#rebasing > 0;
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #sync(dropAfterSeq?: number): Promise<void> {
    await this.#reduceNew(dropAfterSeq);
    // The trainer is about to go idle (nothing else queued) with votes whose steps were
    // deferred: one step group for all of them. Checked after every request, also one that found
    // nothing new (an earlier request may have carried its vote).
    const deferred = this.last?.votesDeferred ?? 0;
    if (deferred > 0 && this.pending === 1 && this.#rebasing === 0 && this.engine.ready && this.host.catchesUp?.() !== false) {
      const doc = this.session.doc;
      const settings = lastLoggedSettings(doc.events) ?? this.cellSettings(doc);
      if (settings?.updateAfterVote) this.#catchUp(settings);
    }
  }

  async #reduceNew(dropAfterSeq?: number): Promise<void> {
    await this.settled();
    if (!this.engine.ready) {
      this.syncError = 'No model is loaded, so this was logged but not learned from. Run the Policy cell.';
      return;
    }
    const generation = this.session.generation;
    const doc = this.session.doc;
    const rebasing = dropAfterSeq !== undefined && dropAfterSeq < this.#sentSeq;
    const afterSeq = rebasing ? dropAfterSeq : this.#sentSeq;
    const intents = logIntents(doc, { learnsFrom: this.#learnsFrom(doc), afterSeq });
    if (intents.length === 0 && !rebasing) return;
    const settings = lastLoggedSettings(doc.events) ?? this.cellSettings(doc);
    const sentUpTo = doc.events[doc.events.length - 1]?.seq ?? -1;
    const cutsBefore = this.#cuts.length;
    let result: ReduceResult;
    try {
      // A draw waiting for the weights goes first: the person is waiting for it, not for this.
      result = await this.engine.lease.run('learn', () => this.#reduce({ intents, ...(rebasing ? { dropAfterSeq } : {}) }));
    } catch (e) {
      this.syncError = describeEngineError('reduce', e);
      // Send the whole log next time: the engine kept what it had before this request.
      if (rebasing) this.#sentSeq = -1;
      return;
    }
    this.syncError = null;
    this.#sentSeq = rebasing ? sentUpTo : Math.max(this.#sentSeq, sentUpTo);
    if (generation !== this.session.generation) return;
    // A rebase came while this reduce ran: its records after the cut belong to a numbering
    // that is gone (the rebase reduces those intents again and logs them then).
    const later = this.#cuts.slice(cutsBefore);
    if (later.length > 0) {
      const cut = Math.min(...later);
      result = { ...result, reduced: result.reduced.filter((x) => x.seq <= cut) };
    }
    this.#logRelabels(result.reduced, generation);
    this.#accept(result, false);
    if (settings) await this.host.onReduced(result, settings, generation, true);
    this.unseenStepSeqs = unseenSteps(this.session.doc);
  }

  /**
   * One reduce request and, in the same turn on the weights, a copy of them for the draw worker
   * when they changed (see EngineState.pushDrawWeights): pairs drawn next come from these weights.
   */
  async #reduce(req: ReduceRequest, onProgress?: (p: ReduceProgress) => void): Promise<ReduceResult> {
    const before = { step: this.engine.policyStep, votes: this.engine.votesTrained };
    const result = await this.engine.api.reduce(req, onProgress);
    const changed = req.reset === true || result.restoredAfterSeq !== null || result.policyStep !== before.step || result.votesTrained !== before.votes;
    // Asked before this turn on the trainer ends, so it reads these weights and nothing later
    // (the trainer's queue runs calls in the order they came); not awaited here: the copy travels
    // while the next reduce runs. If it fails, draws go back to the engine worker (pushDrawWeights).
    if (changed && this.engine.wantsDrawWeights) this.engine.pushDrawWeights(this.engine.api.policyWeights());
    return result;
  }

  /**
   * Appends the catch-up `train` intent and reduces it: logged, so a replay takes the same step.
   * One step over the buffer that now holds every deferred vote, as the issue asks ("the trainer
   * may take one step over several queued votes"): on this 2-core machine a step at the defaults
   * could take about as long as a person takes to vote once the completions grow, so a group of
   * `stepsPerVote` steps let the weights fall further behind (seen in a page run that was not
   * kept). None when the Train cell takes no steps per vote.
   */
  #catchUp(settings: LearningSettings): void {
    const doc = this.session.doc;
    const train = doc.cells.find((c) => c.kind === 'train');
    if (!train) return;
    const steps = Math.min(1, settings.trainer.stepsPerVote);
    if (steps < 1) return;
    const ok = this.session.apply((d) => appendEvents(d, [...this.settingsEvents(d), { type: 'train', cellId: train.id, steps, catchUp: true }]));
    if (ok) void this.sync();
  }

  /**
   * The `settings` event to append right before a new intent, when the cells' learning settings
   * differ from the last ones logged (empty otherwise): the log then says where a change took effect.
   */
  settingsEvents(doc: SessionDocument): NewSessionEvent[] {
    const settings = this.cellSettings(doc);
    if (!settings) return [];
    const logged = lastLoggedSettings(doc.events);
    if (logged !== null && sameSettings(settings, logged)) return [];
    const train = doc.cells.find((c) => c.kind === 'train')!;
    return [{ type: 'settings', cellId: train.id, ...settingsEventFields(settings) }];
  }

  /** Another document opened: the engine's log is not this one's any more. */
  forget(): void {
    this.#sentSeq = -1;
    this.votesTrained = 0;
    this.last = null;
    this.preferences = null;
    this.explanations = null;
    this.critiques = new Map();
  }

  /** Takes a reduce result in; `reset`: it reduced the whole log (an open), not only new intents. */
  #accept(result: ReduceResult, reset: boolean): void {
    this.last = result;
    this.preferences = result.preferences;
    this.explanations = result.explanations;
    // An undo re-reduces the intents after its checkpoint: their readings replace the old ones.
    const critiques = new Map(reset ? [] : this.critiques);
    for (const x of result.reduced) if (x.critique) critiques.set(x.seq, x.critique);
    this.critiques = critiques;
    this.votesTrained = result.votesTrained;
    this.engine.policyStep = result.policyStep;
    this.engine.votesTrained = result.votesTrained;
  }

  /** The relabelled pairs of each vote, as `relabel` events (derived records, tagged with the vote). */
  #logRelabels(reduced: ReducedIntent[], generation: number): void {
    const doc = this.session.doc;
    const events: NewSessionEvent[] = [];
    for (const x of reduced) {
      if (!x.relabels?.length) continue;
      const vote = doc.events.find((e) => e.seq === x.seq);
      if (!vote || vote.type !== 'vote') continue;
      const relabel = lastLoggedSettings(doc.events)?.relabel;
      for (const r of x.relabels) {
        events.push({
          type: 'relabel',
          cellId: vote.cellId,
          promptId: vote.promptId,
          aIds: r.aIds,
          bIds: r.bIds,
          minConfidence: relabel?.minConfidence ?? 0.5,
          maxStd: relabel?.maxStd ?? 0.5,
          accepted: r.accepted,
          preferred: r.preferred,
          pAB: Math.min(1, Math.max(0, r.pAB)),
          std: Math.min(1, Math.max(0, r.std)),
          intentSeq: x.seq,
        });
      }
    }
    if (events.length > 0) this.session.apply((d) => appendEvents(d, events), generation);
  }

  /** Reduced intents that took steps or relabelled but whose records the log does not hold. */
  #withoutRecords(doc: SessionDocument, reduced: ReducedIntent[]): ReducedIntent[] {
    const byIntent = loggedStepsByIntent(doc.events);
    // An older log records steps without `intentSeq`: its steps are all there, by order.
    if (doc.events.some((e) => e.type === 'train_step' && e.intentSeq === undefined)) return [];
    const relabelled = new Set(doc.events.flatMap((e) => (e.type === 'relabel' && e.intentSeq !== undefined ? [e.intentSeq] : [])));
    return reduced.filter((x) => (x.steps.length > 0 && !byIntent.has(x.seq)) || ((x.relabels?.length ?? 0) > 0 && !relabelled.has(x.seq)));
  }

  /** Compares the recomputed records with the log's (per intent; older logs in order). */
  #compare(doc: SessionDocument, reduced: ReducedIntent[]): void {
    const byIntent = loggedStepsByIntent(doc.events);
    const cancelled = cancelledSeqs(doc.events);
    const legacy = doc.events.filter((e): e is TrainStepEvent => e.type === 'train_step' && e.intentSeq === undefined);
    let legacyIndex = 0;
    for (const x of reduced) {
      if (x.type === 'pair' || x.type === 'ranking' || x.type === 'thumbs') this.votesDone++;
      this.relabelsDone += x.relabels?.length ?? 0;
      const logged = byIntent.get(x.seq) ?? (byIntent.size === 0 && cancelled.size === 0 ? legacy.slice(legacyIndex, (legacyIndex += x.steps.length)) : undefined);
      if (!logged) continue;
      this.#compareSteps(logged, x.steps);
      const relabels = doc.events.filter((e) => e.type === 'relabel' && e.intentSeq === x.seq);
      for (const [i, r] of (x.relabels ?? []).entries()) {
        const want = relabels[relabels.length - (x.relabels?.length ?? 0) + i];
        if (!want || want.type !== 'relabel' || this.firstDivergence) continue;
        if (want.accepted !== r.accepted || want.preferred !== r.preferred) {
          const decision = (d: { accepted: boolean; preferred: string }) => `${d.accepted ? 'accepted' : 'rejected'}, ${d.preferred.toUpperCase()} preferred`;
          this.firstDivergence = { seq: want.seq, what: 'the loop’s relabelling decision', expected: decision(want), actual: decision(r) };
        }
      }
    }
  }

  #compareSteps(logged: TrainStepEvent[], actual: StepMetrics[]): void {
    for (const [i, step] of actual.entries()) {
      const expected = logged[i];
      if (!expected) continue;
      this.stepsDone++;
      for (const key of COMPARED_STEP_METRICS) {
        const name = LOGGED_NAME[key];
        if (!(name in expected.metrics)) continue;
        const want = expected.metrics[name];
        const got = step[key];
        if (typeof want === 'number' && Number.isFinite(got)) {
          const delta = Math.abs(got - want);
          if (key === 'loss') this.maxLossDelta = Math.max(this.maxLossDelta ?? 0, delta);
          this.maxMetricDelta = Math.max(this.maxMetricDelta ?? 0, delta);
        }
        if (!withinTolerance(want, got) && !this.firstDivergence) {
          this.firstDivergence = { seq: expected.seq, what: `${name} at step ${expected.step}`, expected: want ?? 'not finite', actual: got };
        }
      }
    }
  }

  #resetStatus(): void {
    this.error = null;
    this.recordsAdded = 0;
    this.intentsDone = 0;
    this.intentsTotal = 0;
    this.votesDone = 0;
    this.relabelsDone = 0;
    this.stepsDone = 0;
    this.maxLossDelta = null;
    this.maxMetricDelta = null;
    this.firstDivergence = null;
  }
}

/**
 * Logged train steps the weights do not hold: those of undone intents, and groups an intent
 * logged before it was reduced again (after an undo before it).
 */
export function unseenSteps(doc: SessionDocument): Set<number> {
  const cancelled = cancelledSeqs(doc.events);
  const inForce = new Set<number>();
  for (const [intentSeq, steps] of loggedStepsByIntent(doc.events)) if (!cancelled.has(intentSeq)) for (const s of steps) inForce.add(s.seq);
  const unseen = new Set<number>();
  for (const e of doc.events) if (e.type === 'train_step' && e.intentSeq !== undefined && !inForce.has(e.seq)) unseen.add(e.seq);
  return unseen;
}
