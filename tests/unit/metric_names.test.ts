import { describe, it, expect } from 'vitest';
import { STEP_METRIC_LOG_KEYS, STEP_METRIC_NAMES } from '../../src/engine/api';
import { METRIC, stepMetricsRecord } from '../../src/state/metrics';

describe('step metric names (one list in src/engine/api.ts)', () => {
  it('logs every step metric but KTO’s kl under its TRL key, in the list’s order', () => {
    expect(Object.keys(STEP_METRIC_LOG_KEYS)).toEqual(STEP_METRIC_NAMES.filter((n) => n !== 'kl'));
    for (const [name, key] of Object.entries(STEP_METRIC_LOG_KEYS)) expect(METRIC[name as keyof typeof STEP_METRIC_LOG_KEYS]).toBe(key);
  });

  it('records a step exactly as train_step events always have (keys, order, non-finite as null)', () => {
    const step = { step: 3, loss: 0.5, rewardsChosen: 0.1, rewardsRejected: -0.2, rewardsMargins: NaN, rewardsAccuracy: 1, logpsChosen: -3, logpsRejected: -4, gradNorm: Infinity, stepMs: 12, kl: 0.7 };
    const rm = { predictedPAB: null, correct: null, prequentialAccuracy: 0.6, windowAccuracy: 0.5, votesSeen: 9 };
    const health = { kl: 2, distinct1: 0, distinct2: 0.4, repetition: 0, samples: 3 };
    const record = stepMetricsRecord(step, rm, health, { recentDistinct2: 0.3, recentRepetition: 0.1, recentDistinctCompletions: 0.45, recentMeanWords: 1.2, recentSelfSimilarity: NaN, recentDoubledWords: 0.25, window: 40 });
    expect(Object.entries(record)).toEqual([
      ['loss', 0.5],
      ['rewards/chosen', 0.1],
      ['rewards/rejected', -0.2],
      ['rewards/margins', null],
      ['rewards/accuracies', 1],
      ['logps/chosen', -3],
      ['logps/rejected', -4],
      ['grad_norm', null],
      ['step_ms', 12],
      ['rm/prequential_accuracy', 0.6],
      ['rm/window_accuracy', 0.5],
      ['rm/votes_seen', 9],
      ['collapse/recent_distinct_2', 0.3],
      ['collapse/recent_repetition', 0.1],
      ['collapse/recent_distinct_completions', 0.45],
      ['collapse/recent_mean_words', 1.2],
      ['collapse/recent_self_similarity', null],
      ['collapse/recent_doubled_words', 0.25],
      ['kl', 2],
      ['distinct_2', 0.4],
    ]);
    // Before any feedback the reducer reports NaN (no candidates yet): logged as null, not as a number.
    const placeholder = stepMetricsRecord(step, null, null, { recentDistinct2: NaN, recentRepetition: NaN, recentDistinctCompletions: NaN, recentMeanWords: NaN, recentSelfSimilarity: NaN, recentDoubledWords: NaN, window: 0 });
    expect(Object.entries(placeholder).filter(([k]) => k.startsWith('collapse/'))).toEqual([
      ['collapse/recent_distinct_2', null],
      ['collapse/recent_repetition', null],
      ['collapse/recent_distinct_completions', null],
      ['collapse/recent_mean_words', null],
      ['collapse/recent_self_similarity', null],
      ['collapse/recent_doubled_words', null],
    ]);
  });
});
