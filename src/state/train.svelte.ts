/**
 * A Train cell at run time: what the page shows of learning. It decides nothing: the engine's
 * log reducer trains (see LearningSync). This logs the optimizer steps each reduce request took
 * as `train_step` events (hyperparameters, metrics, the intent that took them), keeps the chart
 * series, the reward model's status and the policy's health measurements.
 */
import { appendEvents, type NewSessionEvent, type SessionDocument, type TrainHyper } from '../session/index';
import type { LearningSettings, PolicyHealth, ReduceResult, RewardModelStatus, StepMetrics } from '../engine/api';
import { describeEngineError } from './engine_client';
import type { EngineState } from './engine.svelte';
import { METRIC, MetricSeries, stepMetricsRecord, type MetricRecord } from './metrics';
import type { SessionState } from './session.svelte';

export type TrainStatus = 'idle' | 'training' | 'error';

export interface HealthRequest {
  prompts: string[];
  seed: number;
  maxNewTokens: number;
}

export class TrainState {
  status = $state<TrainStatus>('idle');
  error = $state<string | null>(null);
  healthError = $state<string | null>(null);
  /** The reward model's state after the last vote (live; also restored from the log). */
  rm = $state.raw<RewardModelStatus | null>(null);
  health = $state.raw<PolicyHealth | null>(null);
  lastStep = $state.raw<StepMetrics | null>(null);
  bufferSize = $state<number | null>(null);
  /** Why the last vote moved no weights although training was on (e.g. a lone thumbs under DPO). */
  untrainedReason = $state<string | null>(null);
  /** Measure KL and collapse metrics after every this many votes (0 = only on request). */
  healthEvery = $state(5);
  /** Bumped whenever `series` changes: the charts' cue to redraw. */
  version = $state(0);
  /** Steps in `series` (reactive, unlike the series itself). */
  loggedSteps = $state(0);
  readonly series: MetricSeries;

  #votesSinceHealth = 0;

  constructor(
    readonly cellId: string,
    private readonly engine: EngineState,
    private readonly session: SessionState,
  ) {
    this.series = MetricSeries.fromEvents(session.doc.events, cellId);
    this.loggedSteps = this.series.length;
    this.#restoreFromSeries();
  }

  #restoreFromSeries(): void {
    const accuracy = this.series.last(METRIC.rmAccuracy);
    if (accuracy !== null) {
      this.rm = {
        predictedPAB: null,
        correct: null,
        prequentialAccuracy: accuracy,
        windowAccuracy: this.series.last(METRIC.rmWindowAccuracy) ?? accuracy,
        votesSeen: this.series.last(METRIC.rmVotes) ?? 0,
      };
    }
  }

  /**
   * A reduce result arrived (see LearningSync): show the reward model and buffer, and — live —
   * log every optimizer step as a `train_step` event tagged with the intent that took it. When
   * a session opens, the steps are the log's own and nothing is appended.
   */
  async onReduced(result: ReduceResult, settings: LearningSettings, generation: number, live: boolean, health: HealthRequest | null): Promise<void> {
    this.rm = result.rewardModel;
    this.bufferSize = result.bufferSize;
    const lastVote = [...result.reduced].reverse().find((x) => x.rewardModel !== undefined);
    if (lastVote) {
      this.rm = lastVote.rewardModel!.predictedPAB === null ? result.rewardModel : { ...result.rewardModel!, predictedPAB: lastVote.rewardModel!.predictedPAB, correct: lastVote.rewardModel!.correct };
      this.untrainedReason = lastVote.untrainedReason ?? null;
    }
    if (!live) return;
    const trained = result.reduced.filter((x) => x.steps.length > 0);
    if (trained.some((x) => x.rewardModel !== undefined)) this.#votesSinceHealth++;
    const due = trained.length > 0 && this.healthEvery > 0 && this.#votesSinceHealth >= this.healthEvery;
    const measured = health && due ? await this.#measure(health) : null;
    const hyper = { objective: settings.trainer.objective as TrainHyper['objective'], beta: settings.trainer.beta, epsilon: settings.trainer.epsilon, lr: settings.trainer.lr, batchSize: settings.trainer.batchSize, seed: settings.trainer.seed };
    const events: NewSessionEvent[] = [];
    const records: MetricRecord[] = [];
    let last: StepMetrics | null = null;
    for (const [k, x] of trained.entries()) {
      for (const [i, step] of x.steps.entries()) {
        const final = k === trained.length - 1 && i === x.steps.length - 1;
        const record = final ? stepMetricsRecord(step, result.rewardModel, measured, result.collapse) : stepMetricsRecord(step, x.rewardModel ?? null, null);
        records.push(record);
        events.push({ type: 'train_step', cellId: this.cellId, step: Math.max(1, Math.trunc(step.step)), hyper, metrics: record, intentSeq: x.seq });
        last = step;
      }
    }
    if (events.length === 0 || generation !== this.session.generation) return;
    if (!this.session.apply((doc: SessionDocument) => appendEvents(doc, events), generation)) return;
    for (const record of records) this.series.push(record);
    this.lastStep = last;
    this.loggedSteps = this.series.length;
    this.version++;
  }

  /** KL to the reference and collapse indicators, on request. */
  async measureHealth(request: HealthRequest): Promise<void> {
    if (!this.engine.ready) {
      this.healthError = 'No model is loaded.';
      return;
    }
    await this.#measure(request);
  }

  async #measure(request: HealthRequest): Promise<PolicyHealth | null> {
    this.#votesSinceHealth = 0;
    try {
      const health = await this.engine.api.policyHealth(request.prompts, request.seed, request.maxNewTokens);
      this.health = health;
      this.healthError = null;
      return health;
    } catch (e) {
      this.healthError = describeEngineError('policyHealth', e);
      return null;
    }
  }
}
