/**
 * A Simulate cell at run time: an AlpacaFarm-style loop in the engine worker (a simulated
 * annotator votes, the trainer learns, and the result is judged against the reference), run on
 * a copy of the policy so the session's own policy is untouched. Results are kept for the page
 * (the session format has no event for them yet).
 */
import * as Comlink from 'comlink';
import type { SimulateConfig, StoredSimulationResult, TrainConfig } from '../session/index';
import { ANNOTATOR_CRITERIA, type AnnotatorCriterion, type SimulationProgressEvent, type SimulationRequest, type SimulationSummary } from '../engine/api';
import { describeEngineError, engineErrorCode } from './engine_client';
import type { EngineState } from './engine.svelte';
import { MetricSeries } from './metrics';
import { learningSettings } from '../session/index';
import { loadShippedFrontier, runFromSummary, type FrontierRun, type ShippedFrontier } from './frontier';

/** The engine's annotator criteria in the order the Simulate cell's menu has always listed them (length first). */
export const SIMULATED_ANNOTATORS: readonly AnnotatorCriterion[] = ['length', ...ANNOTATOR_CRITERIA.filter((c) => c !== 'length')];
export type SimulatedAnnotator = AnnotatorCriterion;

export const SIM_METRIC = {
  loss: 'loss',
  margin: 'margin',
  rm: 'rm',
  distinct2: 'distinct2',
  repetition: 'repetition',
  distinctCompletions: 'distinct_completions',
  meanWords: 'mean_words',
  selfSimilarity: 'self_similarity',
  doubledWords: 'doubled_words',
} as const;

/** The worker request a Simulate cell's config describes, or why it cannot run. */
export function simulationRequest(config: SimulateConfig, prompts: readonly string[]): SimulationRequest | string {
  const a = config.annotator;
  if (!(SIMULATED_ANNOTATORS as readonly string[]).includes(a.criterion)) {
    return `The engine has no “${a.criterion}” annotator; choose ${SIMULATED_ANNOTATORS.join(', ')}.`;
  }
  if (a.labelNoise > 0.5) return 'Label noise is a flip rate p (with probability 2p the label is a coin flip), so it must be at most 0.5.';
  if (prompts.length < 2) return 'A simulation needs at least two prompts (some to train on, some held out to evaluate).';
  // Every fifth prompt is held out for the win-rate evaluation.
  const evalPrompts = prompts.filter((_, i) => i % 5 === 4);
  const trainPrompts = prompts.filter((_, i) => i % 5 !== 4);
  const train: TrainConfig = {
    objective: config.objective,
    beta: config.beta,
    epsilon: 0,
    lr: config.lr,
    stepsPerVote: 2,
    batchSize: 8,
    bufferSize: 1_000,
    updateAfterEveryVote: true,
  };
  const targetWords = a.params?.['targetWords'];
  const keywords = a.params?.['keywords'];
  return {
    annotator: a.criterion as SimulatedAnnotator,
    flipRate: a.labelNoise,
    ...(typeof targetWords === 'number' ? { targetWords } : {}),
    ...(typeof keywords === 'string' ? { keywords: keywords.split(',').map((k) => k.trim()).filter((k) => k !== '') } : {}),
    trainer: { ...learningSettings(train, undefined).trainer, seed: config.seed },
    votes: config.votes,
    seed: config.seed,
    trainPrompts: trainPrompts.length > 0 ? trainPrompts : [...prompts],
    evalPrompts: evalPrompts.length > 0 ? evalPrompts : prompts.slice(0, 1),
    maxNewTokens: config.sampling?.maxTokens ?? 24,
  };
}

export interface SimulationStore {
  generation(): number;
  /** true when stored, else why not. */
  save(summary: SimulationSummary, generation: number): true | string;
}

export class SimulateState {
  status = $state<'idle' | 'running' | 'done' | 'cancelled' | 'error'>('idle');
  progress = $state.raw<SimulationProgressEvent | null>(null);
  /** The finished run on screen: this page's, or the one stored in the session. */
  summary = $state.raw<SimulationSummary | StoredSimulationResult | null>(null);
  error = $state<string | null>(null);
  /** Why the last finished run could not be stored in the session (null when it was). */
  storeError = $state<string | null>(null);
  version = $state(0);
  readonly series = new MetricSeries();
  /** Runs finished in this page, drawn on the frontier beside the shipped measurements. */
  runs = $state.raw<FrontierRun[]>([]);
  /** The measured frontier of the default model, or why it is unavailable. */
  shipped = $state.raw<ShippedFrontier | string | null>(null);

  /**
   * @param store keeps a finished run in the session (a reload, export or share link then shows
   *   it without running again). A run belongs to the document it started in: `save` refuses
   *   (returns false) when another session was opened meanwhile.
   */
  constructor(
    private readonly engine: EngineState,
    private readonly store: SimulationStore | null = null,
  ) {}

  /** Shows a run stored in the session when this page has not run one itself. */
  restore(stored: StoredSimulationResult | undefined): void {
    if (this.status === 'running' || this.status === 'done' || !stored || this.summary === stored) return;
    this.#show(stored);
  }

  #show(summary: SimulationSummary | StoredSimulationResult): void {
    this.summary = summary;
    this.series.clear();
    for (const point of summary.series) {
      this.series.push(
        {
          [SIM_METRIC.loss]: point.loss,
          [SIM_METRIC.margin]: point.margin,
          [SIM_METRIC.rm]: point.rmPrequentialAccuracy,
          [SIM_METRIC.distinct2]: point.recentDistinct2,
          [SIM_METRIC.repetition]: point.recentRepetition,
          // Absent in results stored before the set-level watch (the chart shows a gap).
          [SIM_METRIC.distinctCompletions]: point.recentDistinctCompletions ?? null,
          [SIM_METRIC.meanWords]: point.recentMeanWords ?? null,
          [SIM_METRIC.selfSimilarity]: point.recentSelfSimilarity ?? null,
          [SIM_METRIC.doubledWords]: point.recentDoubledWords ?? null,
        },
        point.vote,
      );
    }
    this.version++;
  }

  async loadFrontier(): Promise<void> {
    if (this.shipped === null) this.shipped = await loadShippedFrontier();
  }

  async run(request: SimulationRequest): Promise<void> {
    if (!this.engine.ready) {
      this.status = 'error';
      this.error = 'No model is loaded: run the Policy cell first.';
      return;
    }
    this.status = 'running';
    this.error = null;
    const generation = this.store?.generation() ?? 0;
    this.progress = { phase: 'reference', done: 0, total: 1 };
    const onProgress = Comlink.proxy((p: SimulationProgressEvent) => {
      this.progress = p;
    });
    try {
      const summary = await this.engine.api.simulate(request, onProgress);
      this.runs = [...this.runs, runFromSummary(summary, request.trainer)];
      this.#show(summary);
      const saved = this.store?.save(summary, generation) ?? true;
      this.storeError = saved === true ? null : `This result is shown but not stored in the session: ${saved}.`;
      this.status = 'done';
    } catch (e) {
      if (engineErrorCode(e) === 'CANCELLED') {
        this.status = 'cancelled';
      } else {
        this.status = 'error';
        this.error = describeEngineError('simulate', e);
      }
    }
  }

  cancel(): void {
    void this.engine.api.simulateCancel().catch(() => undefined);
  }
}
