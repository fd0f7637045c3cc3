/**
 * A Train cell at run time: sends the cell's hyperparameters to the engine's trainer, turns
 * each judged pair into reward-model and policy updates, logs every optimizer step as a
 * `train_step` event (with its hyperparameters and metrics), and keeps the chart series.
 */
import { appendEvents, type NewSessionEvent, type SessionDocument, type TrainConfig } from '../session/index';
import type {
  CollapseMetrics,
  FeedbackResult,
  PairFeedback,
  PolicyHealth,
  RankingFeedback,
  RewardModelStatus,
  StepMetrics,
  ThumbsFeedback,
  TrainerSettings,
} from '../engine/api';
import { describeEngineError } from './engine_client';
import type { EngineState } from './engine.svelte';
import { METRIC, MetricSeries, stepMetricsRecord } from './metrics';
import type { SessionState } from './session.svelte';

export type TrainStatus = 'idle' | 'training' | 'error';

/** Hyperparameters TrainerSettings has and the cell does not expose (TRL's defaults). */
const MAX_GRAD_NORM = 1.0;
const TRAINER_SEED = 0;

export function trainerSettings(config: TrainConfig): TrainerSettings {
  return {
    objective: config.objective,
    beta: config.beta,
    epsilon: config.epsilon,
    lr: config.lr,
    stepsPerVote: config.stepsPerVote,
    batchSize: config.batchSize,
    bufferSize: config.bufferSize,
    maxGradNorm: MAX_GRAD_NORM,
    seed: TRAINER_SEED,
  };
}

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

  #configuredKey: string | null = null;
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

  /** Steps logged before the loaded weights existed (a reload starts again from the checkpoint). */
  get stepsNotInWeights(): number {
    return Math.max(0, this.loggedSteps - this.engine.policyStep);
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

  /** Sends the settings to the worker unless it already has exactly these (for this model). */
  async #configure(config: TrainConfig): Promise<void> {
    const settings = trainerSettings(config);
    const key = `${this.engine.epoch}:${JSON.stringify(settings)}`;
    if (key === this.#configuredKey) return;
    await this.engine.api.configureTrainer(settings);
    this.#configuredKey = key;
  }

  /**
   * One judged pair: the reward model predicts then learns; decisive votes train the policy
   * when the cell updates after every vote. Never throws: failures show in the cell.
   */
  async feedback(pair: Omit<PairFeedback, 'train'>, config: TrainConfig, health: HealthRequest | null): Promise<void> {
    await this.#learn('feedback', (train) => this.engine.api.feedback({ ...pair, train }), config, health);
  }

  /** One thumbs vote (KTO's unpaired format); the engine trains on it under the `kto` objective. */
  async feedbackThumbs(thumbs: Omit<ThumbsFeedback, 'train'>, config: TrainConfig, health: HealthRequest | null): Promise<void> {
    await this.#learn('feedbackThumbs', (train) => this.engine.api.feedbackThumbs({ ...thumbs, train }), config, health);
  }

  /** One ranking, best first: the reward model learns its pairs; the policy a listwise objective. */
  async feedbackRanking(ranking: Omit<RankingFeedback, 'train'>, config: TrainConfig, health: HealthRequest | null): Promise<void> {
    await this.#learn('feedbackRanking', (train) => this.engine.api.feedbackRanking({ ...ranking, train }), config, health);
  }

  async #learn(method: string, send: (train: boolean) => Promise<FeedbackResult>, config: TrainConfig, health: HealthRequest | null): Promise<void> {
    if (!this.engine.ready) {
      this.error = 'No model is loaded, so this vote was logged but not learned from. Run the Policy cell.';
      this.status = 'error';
      return;
    }
    this.status = 'training';
    const generation = this.session.generation;
    let result: FeedbackResult;
    try {
      await this.#configure(config);
      result = await send(config.updateAfterEveryVote);
    } catch (e) {
      this.status = 'error';
      this.error = describeEngineError(method, e);
      return;
    }
    this.error = null;
    this.rm = result.rewardModel;
    this.bufferSize = result.bufferSize;
    this.untrainedReason = result.untrainedReason ?? null;
    // Count only votes that moved the weights: a KL measured after a tie would have no step to chart.
    if (result.steps.length > 0) this.#votesSinceHealth++;
    const due = result.steps.length > 0 && this.healthEvery > 0 && this.#votesSinceHealth >= this.healthEvery;
    const measured = health && due ? await this.#measure(health) : null;
    this.#logSteps(result.steps, config, result.rewardModel, measured, generation, result.collapse);
    this.status = 'idle';
  }

  /** Extra optimizer steps on the replay buffer ("train now"). */
  async trainNow(steps: number, config: TrainConfig): Promise<void> {
    if (!this.engine.ready) {
      this.error = 'No model is loaded. Run the Policy cell first.';
      this.status = 'error';
      return;
    }
    this.status = 'training';
    const generation = this.session.generation;
    try {
      await this.#configure(config);
      const metrics = await this.engine.api.train(steps);
      this.#logSteps(metrics, config, this.rm, null, generation);
      this.error = null;
      this.status = 'idle';
    } catch (e) {
      this.status = 'error';
      this.error = describeEngineError('train', e);
    }
  }

  /**
   * Logs steps the engine took outside this cell's own calls: after a reward-model-labelled
   * pair (the Duel cell's relabelling, whose `relabel` event precedes them in the log), so the
   * charts show them and replay finds them right after the call that took them.
   */
  logSyntheticSteps(steps: StepMetrics[], config: TrainConfig, generation: number): void {
    this.#logSteps(steps, config, this.rm, null, generation);
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

  #logSteps(
    steps: StepMetrics[],
    config: TrainConfig,
    rm: RewardModelStatus | null,
    health: PolicyHealth | null,
    generation: number,
    collapse: CollapseMetrics | null = null,
  ): void {
    const last = steps[steps.length - 1];
    if (last) this.engine.policyStep = Math.max(this.engine.policyStep, last.step);
    if (!last || generation !== this.session.generation) return;
    const hyper = { objective: config.objective, beta: config.beta, epsilon: config.epsilon, lr: config.lr, batchSize: config.batchSize, seed: TRAINER_SEED };
    const records = steps.map((step, i) => (i === steps.length - 1 ? stepMetricsRecord(step, rm, health, collapse) : stepMetricsRecord(step, rm, null)));
    const events: NewSessionEvent[] = steps.map((step, i) => ({
      type: 'train_step',
      cellId: this.cellId,
      step: Math.max(1, Math.trunc(step.step)),
      hyper,
      metrics: records[i]!,
    }));
    if (!this.session.apply((doc: SessionDocument) => appendEvents(doc, events), generation)) return;
    for (const record of records) this.series.push(record);
    this.lastStep = last;
    this.loggedSteps = this.series.length;
    this.version++;
  }
}
