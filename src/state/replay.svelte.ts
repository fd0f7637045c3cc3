/**
 * Replay at run time: after a session opens and its policy has loaded, redoes the log's
 * learning through the engine worker (the plan comes from `planWeightReplay`), so the weights
 * are those the session had when it was saved, exported or shared. Replay re-derives weights
 * only: it appends nothing to the log (the charts already hold every logged step).
 *
 * While it runs, the page stays usable; the Duel cell's next pair and any vote wait for it
 * (`settled()`), so nothing new is generated from, or learned into, half-replayed weights.
 *
 * Divergence check: every replayed step's metrics are compared with what the log recorded, and
 * a sample of candidate pairs is regenerated at the weights they were made with and compared
 * token by token. Tolerance (`REPLAY_TOLERANCE`): the same backend reproduces the numbers
 * exactly; WebGPU and the CPU reference differ by ~1e-5 per operation, and a log-prob summed
 * over a few dozen tokens or a loss after a few steps drifts further, so a metric matches when
 * |Δ| ≤ 1e-3 + 1e-3·|logged|. Sampled tokens can differ across backends where two
 * probabilities are within that noise of each other: a token mismatch on another backend is
 * reported, not treated as a failure.
 *
 * Reward-model relabelling calls are redone with the logged token ids and bounds; a replayed
 * call whose decision (accepted or not, which side, P(A≻B) within tolerance) differs from the
 * log's is a divergence like a differing step.
 */
import {
  opSeq,
  planWeightReplay,
  type CandidatesEvent,
  type LoggedStep,
  type SessionDocument,
  type TrainConfig,
  type TrainHyper,
  type WeightReplayOp,
  type WeightReplayPlan,
} from '../session/index';
import type { FeedbackResult, GenerateRequest, StepMetrics, TrainerSettings } from '../engine/api';
import { describeEngineError } from './engine_client';
import type { EngineState } from './engine.svelte';
import { linkedCell, trainCellForDuel } from './links';
import { METRIC } from './metrics';
import { deriveSeed } from './random';
import { trainerSettings } from './train.svelte';

/** A replayed metric matches the log when |Δ| ≤ abs + rel·|logged| (see the file comment). */
export const REPLAY_TOLERANCE = { abs: 1e-3, rel: 1e-3 } as const;

/** The logged metrics a replayed step is compared on (timings and KL samples are not reproducible). */
const COMPARED_METRICS: readonly (keyof StepMetrics)[] = ['loss', 'rewardsChosen', 'rewardsRejected', 'rewardsMargins', 'logpsChosen', 'logpsRejected'];
const LOGGED_NAME: Partial<Record<keyof StepMetrics, string>> = {
  loss: METRIC.loss,
  rewardsChosen: METRIC.rewardsChosen,
  rewardsRejected: METRIC.rewardsRejected,
  rewardsMargins: METRIC.rewardsMargins,
  logpsChosen: METRIC.logpsChosen,
  logpsRejected: METRIC.logpsRejected,
};

/** The most samples one Duel draw requests: best of 8 plus the plain sample (duel.svelte.ts `POOL_LIMITS`). */
const LARGEST_DRAW_POOL = 9;

const sameIds = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((t, i) => t === b[i]);

/** Regenerating every pair would cost as much as the session did: check an even sample. */
export const MAX_CANDIDATE_CHECKS = 12;

export type ReplayStatus = 'idle' | 'running' | 'done' | 'cancelled' | 'failed';

export interface ReplayDivergence {
  /** `seq` of the logged event (train step or candidates) where replay first differed. */
  seq: number;
  what: string;
  expected: number | string;
  actual: number | string;
}


export interface ReplayCallbacks {
  /** The reward model and buffer after the last replayed vote, for the Train cell that learns from it. */
  onFeedback?(trainCellId: string, result: FeedbackResult): void;
}

export function withinTolerance(expected: number | null | undefined, actual: number): boolean {
  if (expected === null || expected === undefined) return !Number.isFinite(actual);
  return Math.abs(actual - expected) <= REPLAY_TOLERANCE.abs + REPLAY_TOLERANCE.rel * Math.abs(expected);
}

/** Indices of up to `max` items of `n`, evenly spread and always including the last. */
export function evenSample(n: number, max: number): Set<number> {
  if (n <= max) return new Set(Array.from({ length: n }, (_, i) => i));
  const picked = new Set<number>();
  for (let k = 0; k < max; k++) picked.add(Math.round(((k + 1) * n) / max) - 1);
  return picked;
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

export class ReplayState {
  status = $state<ReplayStatus>('idle');
  votesDone = $state(0);
  votesTotal = $state(0);
  /** Reward-model relabelling calls redone (not votes). */
  relabelsDone = $state(0);
  relabelsTotal = $state(0);
  stepsDone = $state(0);
  stepsTotal = $state(0);
  /** Largest |Δloss| between a replayed step and the log, over the steps replayed so far. */
  maxLossDelta = $state<number | null>(null);
  /** Largest |Δ| over every compared metric. */
  maxMetricDelta = $state<number | null>(null);
  firstDivergence = $state.raw<ReplayDivergence | null>(null);
  candidatesChecked = $state(0);
  candidatesDiffering = $state(0);
  error = $state<string | null>(null);
  /** The plan of the last run (null before one). */
  plan = $state.raw<WeightReplayPlan | null>(null);
  /** `seq`s of logged train steps the weights have not seen (before a restart, or not reached). */
  unseenStepSeqs = $state.raw<ReadonlySet<number>>(new Set());

  #cancelled = false;
  #running: Promise<void> = Promise.resolve();
  #gate: Deferred | null = null;

  constructor(private readonly engine: EngineState) {}

  get running(): boolean {
    return this.status === 'running';
  }

  /** Resolves when no replay is pending or running (new pairs and votes wait on this). */
  settled(): Promise<void> {
    return this.#gate?.promise ?? Promise.resolve();
  }

  /**
   * Called before the policy (re)loads: stops a replay in flight (the load replaces its weights)
   * and makes `settled()` wait until `run` or `release` says the weights are final.
   */
  async prepare(): Promise<void> {
    this.cancel();
    await this.#running;
    this.#gate ??= deferred();
  }

  /** The load failed, or there is nothing to replay: let waiting pairs and votes go on. */
  release(): void {
    const gate = this.#gate;
    this.#gate = null;
    gate?.resolve();
  }

  cancel(): void {
    if (this.status === 'running') this.#cancelled = true;
  }

  /** Redoes `doc`'s learning on the freshly loaded policy. Never throws. */
  run(doc: SessionDocument, callbacks: ReplayCallbacks = {}): Promise<void> {
    this.#gate ??= deferred();
    this.#running = this.#run(doc, callbacks).finally(() => this.release());
    return this.#running;
  }

  async #run(doc: SessionDocument, callbacks: ReplayCallbacks): Promise<void> {
    const plan = planWeightReplay(doc, { learnsFrom: (duelId) => trainCellForDuel(doc, duelId) !== undefined });
    this.#reset(plan);
    if (plan.ops.every((op) => op.kind === 'candidates')) {
      this.status = 'idle';
      this.#markUnseen(plan, plan.ops.length);
      return;
    }
    this.status = 'running';
    this.#cancelled = false;
    const api = this.engine.api;
    const epoch = this.engine.epoch;
    const checks = evenSample(plan.ops.filter((op) => op.kind === 'candidates').length, MAX_CANDIDATE_CHECKS);
    const promptIds = new Map<string, number[]>();
    let configured: string | null = null;
    let candidatesSeen = 0;
    /** The trainer's step count, in the log's numbering (a log that restarted at step s continues from s − 1). */
    let loggedStep = (plan.ops.flatMap((op) => ('steps' in op ? op.steps : []))[0]?.step ?? 1) - 1;
    let engineSteps = 0;
    let index = 0;

    const configure = async (cellId: string | undefined, hyper: TrainHyper | null, stepsPerVote: number) => {
      const cell = linkedCell(doc, 'train', cellId);
      const base: TrainConfig = cell?.config ?? { objective: 'sigmoid', beta: 0.1, epsilon: 0, lr: 1e-5, stepsPerVote: 1, batchSize: 8, bufferSize: 1000, updateAfterEveryVote: true };
      const settings: TrainerSettings = {
        ...trainerSettings(base),
        ...(hyper ? { objective: hyper.objective, beta: hyper.beta, epsilon: hyper.epsilon, lr: hyper.lr, batchSize: hyper.batchSize, seed: hyper.seed ?? trainerSettings(base).seed } : {}),
        stepsPerVote,
      };
      const key = JSON.stringify(settings);
      if (key === configured) return;
      await api.configureTrainer(settings);
      configured = key;
    };

    const compare = (logged: LoggedStep[], actual: StepMetrics[]) => {
      for (const [i, step] of actual.entries()) {
        const expected = logged[i];
        engineSteps = step.step;
        if (!expected) continue;
        loggedStep = expected.step;
        this.stepsDone++;
        for (const key of COMPARED_METRICS) {
          const name = LOGGED_NAME[key]!;
          if (!(name in expected.metrics)) continue;
          const want = expected.metrics[name];
          const got = step[key] as number;
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
    };

    const promptIdsOf = async (prompt: string): Promise<number[]> => {
      let ids = promptIds.get(prompt);
      if (!ids) promptIds.set(prompt, (ids = await this.engine.promptIds(prompt)));
      return ids;
    };
    /**
     * Compares what a feedback call trained with the steps logged after it. Logged steps beyond
     * those were a "Train now" right after it (a tie or "both bad" never trains itself).
     */
    const compareWithTrainNow = async (logged: LoggedStep[], taken: StepMetrics[]): Promise<void> => {
      compare(logged, taken);
      const rest = logged.slice(taken.length);
      if (rest.length > 0) compare(rest, await api.train(rest.length));
    };

    try {
      for (; index < plan.ops.length; index++) {
        if (this.#cancelled || epoch !== this.engine.epoch) break;
        const op = plan.ops[index]!;
        switch (op.kind) {
          case 'pair':
          case 'rank':
          case 'thumbs': {
            const trainCell = trainCellForDuel(doc, op.vote.cellId);
            await configure(trainCell?.id, op.steps[0]?.hyper ?? null, Math.max(op.steps.length, 0));
            const ids = await promptIdsOf(op.prompt);
            const train = op.steps.length > 0;
            const result =
              op.kind === 'pair'
                ? await api.feedback({ prompt: op.prompt, promptIds: ids, aIds: op.aIds, bIds: op.bIds, outcome: op.vote.outcome, train })
                : op.kind === 'rank'
                  ? await api.feedbackRanking({ prompt: op.prompt, promptIds: ids, rankedIds: op.rankedIds, train })
                  : await api.feedbackThumbs({ prompt: op.prompt, promptIds: ids, completionIds: op.completionIds, desirable: op.vote.up, train });
            await compareWithTrainNow(op.steps, result.steps);
            if (trainCell) callbacks.onFeedback?.(trainCell.id, result);
            this.votesDone++;
            break;
          }
          case 'relabel': {
            const logged = op.relabel;
            const train = op.steps.length > 0;
            // Without steps the trainer's settings do not matter: the call only fills the buffer.
            if (train) await configure(trainCellForDuel(doc, logged.cellId)?.id, op.steps[0]!.hyper, op.steps.length);
            const ids = await promptIdsOf(op.prompt);
            const result = await api.relabel({ promptIds: ids, aIds: logged.aIds, bIds: logged.bIds, minConfidence: logged.minConfidence, maxStd: logged.maxStd, train });
            if (!this.firstDivergence) {
              const decision = (r: { accepted: boolean; preferred: string }) => `${r.accepted ? 'accepted' : 'rejected'}, ${r.preferred.toUpperCase()} preferred`;
              if (result.accepted !== logged.accepted || result.preferred !== logged.preferred) {
                this.firstDivergence = { seq: logged.seq, what: 'the reward model’s relabelling decision', expected: decision(logged), actual: decision(result) };
              } else if (!withinTolerance(logged.pAB, result.pAB)) {
                this.firstDivergence = { seq: logged.seq, what: 'P(A≻B) of a relabelled pair', expected: logged.pAB, actual: result.pAB };
              }
            }
            await compareWithTrainNow(op.steps, result.steps);
            this.relabelsDone++;
            break;
          }
          case 'train': {
            await configure(op.steps[0]!.cellId, op.steps[0]!.hyper, 1);
            compare(op.steps, await api.train(op.steps.length));
            break;
          }
          case 'snapshot':
            await api.snapshot(op.name);
            break;
          case 'candidates':
            if (checks.has(candidatesSeen++)) await this.#checkCandidates(op.seq, op.prompt, op.event, loggedStep);
            break;
        }
      }
      if (epoch !== this.engine.epoch) {
        this.status = 'cancelled';
        this.error = 'The policy was loaded again while replaying.';
      } else {
        this.status = index >= plan.ops.length ? 'done' : 'cancelled';
      }
    } catch (e) {
      this.status = 'failed';
      this.error = describeEngineError('replay', e);
    }
    this.#markUnseen(plan, index);
    if (epoch === this.engine.epoch) {
      this.engine.policyStep = engineSteps;
      // The trainer now holds the replay's settings: the Train cells must send theirs again.
      this.engine.epoch++;
    }
  }

  /** Regenerates a pair made by the live policy (or the policy against the reference) and compares tokens. */
  async #checkCandidates(seq: number, prompt: string, event: CandidatesEvent, loggedStep: number): Promise<void> {
    const [first, second] = event.candidates;
    if (!first || !second || event.candidates.length !== 2 || !first.tokenIds || !second.tokenIds) return;
    const live = (c: typeof first) => c.policySnapshot.name === undefined && c.policySnapshot.step === loggedStep;
    const isReference = (c: typeof first) => c.policySnapshot.name === 'reference';
    const base: GenerateRequest = {
      prompt,
      numSequences: 1,
      maxNewTokens: event.sampling.maxTokens,
      temperature: event.sampling.temperature,
      topK: event.sampling.topK,
      topP: event.sampling.topP,
      seed: event.seed,
    };
    let pairs: [typeof first, number[]][];
    if (live(first) && live(second)) {
      // Two samples of the policy from one request (what the Duel cell asks for).
      const ids = await this.#generate({ ...base, numSequences: 2 });
      pairs = [[first, ids[0]!], [second, ids[1]!]];
      if (!pairs.every(([candidate, got]) => sameIds(candidate.tokenIds!, got))) {
        // A reward-model rule (most uncertain of k, best of n) drew the pair from a larger
        // request with the same seed; sequence b of a request does not depend on its size, so
        // the largest pool the Duel cell draws holds both candidates.
        const pool = await this.#generate({ ...base, numSequences: LARGEST_DRAW_POOL });
        pairs = pairs.map(([candidate, got]) => [candidate, pool.find((p) => sameIds(candidate.tokenIds!, p)) ?? got]);
      }
    } else if ((live(first) && isReference(second)) || (isReference(first) && live(second))) {
      // The policy against the reference: the reference's request is seeded one step on.
      const [mine, theirs] = live(first) ? [first, second] : [second, first];
      const policyIds = (await this.#generate({ ...base, policy: 'policy' }))[0]!;
      const referenceIds = (await this.#generate({ ...base, seed: deriveSeed(base.seed, 1), policy: 'reference' }))[0]!;
      pairs = [[mine, policyIds], [theirs, referenceIds]];
    } else {
      // Arena snapshots, or weights replay has not reached: not regenerated.
      return;
    }
    for (const [candidate, ids] of pairs) {
      this.candidatesChecked++;
      const expected = candidate.tokenIds!;
      if (sameIds(expected, ids)) continue;
      this.candidatesDiffering++;
      if (!this.firstDivergence) {
        const at = expected.findIndex((t, i) => t !== ids[i]);
        this.firstDivergence = {
          seq,
          what: `candidate ${candidate.id}, token ${at === -1 ? Math.min(expected.length, ids.length) : at}`,
          expected: expected.length,
          actual: ids.length,
        };
      }
    }
  }

  async #generate(request: GenerateRequest): Promise<number[][]> {
    const api = this.engine.api;
    const handle = await api.generateStart(request);
    for (;;) {
      const chunk = await api.generateNext(handle);
      if (chunk.done) return chunk.tokenIds;
      if (this.#cancelled) {
        await api.generateCancel(handle).catch(() => undefined);
        return chunk.tokenIds;
      }
    }
  }

  #reset(plan: WeightReplayPlan): void {
    this.plan = plan;
    this.error = null;
    this.votesDone = 0;
    this.stepsDone = 0;
    this.votesTotal = plan.votes;
    this.relabelsDone = 0;
    this.relabelsTotal = plan.relabels;
    this.stepsTotal = plan.steps;
    this.maxLossDelta = null;
    this.maxMetricDelta = null;
    this.firstDivergence = null;
    this.candidatesChecked = 0;
    this.candidatesDiffering = 0;
  }

  /** Steps logged before the last restart, and those of ops from `index` on (not reached), plus skipped kinds. */
  #markUnseen(plan: WeightReplayPlan, index: number): void {
    const unseen = new Set(plan.stepsBeforeRestart.map((s) => s.seq));
    for (const [i, op] of plan.ops.entries()) {
      if (!('steps' in op)) continue;
      if (i >= index) for (const s of op.steps) unseen.add(s.seq);
    }
    this.unseenStepSeqs = unseen;
  }

  /** The first op not replayed, for messages ("replay stopped before seq N"). */
  stoppedAtSeq(): number | null {
    const plan = this.plan;
    if (!plan || this.status !== 'cancelled') return null;
    const op: WeightReplayOp | undefined = plan.ops.find((o) => 'steps' in o && o.steps.some((s) => this.unseenStepSeqs.has(s.seq)));
    return op ? opSeq(op) : null;
  }
}
