/**
 * Training metrics as columns, the shape uPlot draws. A series is rebuilt from the event log's
 * `train_step` events when a session opens (so a reload shows the same charts) and grows by
 * one row per optimizer step while training. It is a plain object: a chart redraws when the
 * owning rune class bumps its `version`, not on every array write.
 */
import { STEP_METRIC_LOG_KEYS, type CollapseMetrics, type LoggedStepMetricName, type PolicyHealth, type RewardModelStatus, type StepMetrics } from '../engine/api';
import { effectiveEvents, type SessionEvent } from '../session/index';

/**
 * Metric names as stored in `train_step` events (TRL's log keys where TRL has one): the step
 * metrics' keys are the engine's (`STEP_METRIC_LOG_KEYS`), the rest are measured beside them.
 */
export const METRIC = {
  ...STEP_METRIC_LOG_KEYS,
  /** The policy's KL to the reference on fresh samples (`PolicyHealth.kl`). */
  kl: 'kl',
  distinct2: 'distinct_2',
  rmAccuracy: 'rm/prequential_accuracy',
  rmWindowAccuracy: 'rm/window_accuracy',
  rmVotes: 'rm/votes_seen',
  /** Over the candidates the loop recently got feedback on (collapse shows here first). */
  recentDistinct2: 'collapse/recent_distinct_2',
  recentRepetition: 'collapse/recent_repetition',
  /** The set-level watch over the same candidates: mode collapse onto a few short strings. */
  recentDistinctCompletions: 'collapse/recent_distinct_completions',
  recentMeanWords: 'collapse/recent_mean_words',
  recentSelfSimilarity: 'collapse/recent_self_similarity',
  /** Share of the same candidates that say a word twice in a row. */
  recentDoubledWords: 'collapse/recent_doubled_words',
} as const;

/** The collapse watch's numbers and the keys a step's record logs them under, in that order. */
const COLLAPSE_LOG_KEYS = {
  recentDistinct2: METRIC.recentDistinct2,
  recentRepetition: METRIC.recentRepetition,
  recentDistinctCompletions: METRIC.recentDistinctCompletions,
  recentMeanWords: METRIC.recentMeanWords,
  recentSelfSimilarity: METRIC.recentSelfSimilarity,
  recentDoubledWords: METRIC.recentDoubledWords,
} as const satisfies Record<Exclude<keyof CollapseMetrics, 'window'>, string>;

export type MetricRecord = Record<string, number | null>;

const finite = (x: number | null | undefined): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);

/** One step's metrics as an event records them (non-finite values become null: JSON has no NaN). */
export function stepMetricsRecord(
  step: StepMetrics,
  rm: RewardModelStatus | null,
  health: PolicyHealth | null,
  collapse: CollapseMetrics | null = null,
): MetricRecord {
  const record: MetricRecord = {};
  for (const name of Object.keys(STEP_METRIC_LOG_KEYS) as LoggedStepMetricName[]) record[STEP_METRIC_LOG_KEYS[name]] = finite(step[name]);
  if (rm) {
    record[METRIC.rmAccuracy] = finite(rm.prequentialAccuracy);
    record[METRIC.rmWindowAccuracy] = finite(rm.windowAccuracy);
    record[METRIC.rmVotes] = finite(rm.votesSeen);
  }
  if (collapse) {
    for (const [name, key] of Object.entries(COLLAPSE_LOG_KEYS) as [keyof typeof COLLAPSE_LOG_KEYS, string][]) record[key] = finite(collapse[name]);
  }
  if (health) {
    record[METRIC.kl] = finite(health.kl);
    record[METRIC.distinct2] = finite(health.distinct2);
  }
  return record;
}

export class MetricSeries {
  /** Row number (1-based count of logged steps), the charts' x axis. */
  readonly x: number[] = [];
  readonly #columns = new Map<string, (number | null)[]>();

  get length(): number {
    return this.x.length;
  }

  /** Appends a row; `x` defaults to the row number (1-based). */
  push(record: MetricRecord, x?: number): void {
    const row = this.x.length;
    this.x.push(x ?? row + 1);
    for (const [name, value] of Object.entries(record)) {
      let column = this.#columns.get(name);
      if (!column) {
        column = new Array<number | null>(row).fill(null);
        this.#columns.set(name, column);
      }
      column.push(finite(value));
    }
    for (const column of this.#columns.values()) if (column.length < row + 1) column.push(null);
  }

  /** The column for `name`, padded with nulls (a metric first logged late has no earlier values). */
  column(name: string): (number | null)[] {
    return this.#columns.get(name) ?? new Array<number | null>(this.x.length).fill(null);
  }

  /** The last non-null value of `name`. */
  last(name: string): number | null {
    const column = this.#columns.get(name);
    if (!column) return null;
    for (let i = column.length - 1; i >= 0; i--) if (column[i] !== null) return column[i]!;
    return null;
  }

  clear(): void {
    this.x.length = 0;
    this.#columns.clear();
  }

  /** The series a Train cell's logged steps give. */
  static fromEvents(events: readonly SessionEvent[], cellId: string): MetricSeries {
    const series = new MetricSeries();
    for (const event of effectiveEvents(events)) {
      if (event.type === 'train_step' && event.cellId === cellId) series.push(event.metrics);
    }
    return series;
  }
}
