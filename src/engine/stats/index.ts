/** Preference statistics: win rates with intervals, length control, collapse/fluency metrics. */
export {
  type PairwiseResult,
  Z95,
  type WinRateSummary,
  wilsonInterval,
  winRate,
  winRateFromCounts,
  resultForPolicy,
  bootstrapInterval,
  quantile,
  type LengthAwareResult,
  type LengthControlledWinRate,
  fitLengthModel,
  lengthControlledWinRate,
} from './win_rate.ts';
export {
  wordTokens,
  distinctN,
  sequenceRepetition,
  repetitionRate,
  hasDoubledWord,
  doubledWordRate,
  duplicateRate,
  letterTokens,
  englishWordRate,
  normalizedText,
  distinctCompletions,
  meanWords,
  paddedBigrams,
  jaccard,
  selfSimilarity,
} from './text_metrics.ts';
export * from './agreement/index.ts';
