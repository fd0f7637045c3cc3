/** Online Bradley–Terry reward modelling on engine-supplied feature vectors. */
export { OnlineStandardizer } from './standardizer.ts';
export { AdamW, Sgd, type AdamWConfig, type SgdConfig, type ParamOptimizer } from './optim.ts';
export { BradleyTerryHead, type TrainingPair } from './bt_head.ts';
export {
  PrequentialTracker,
  prequentialAccuracy,
  predictionScore,
  type DecisiveOutcome,
  type PrequentialSummary,
} from './prequential.ts';
export {
  RewardEnsemble,
  type RewardEnsembleConfig,
  type FeatureBlock,
  type RewardVote,
  type VoteOutcome,
  type RewardEstimate,
  type PreferenceEstimate,
  type ObserveResult,
  type WeightPrior,
  type WeightPosterior,
  invertSpd,
} from './ensemble.ts';
export {
  bestOfN,
  mostUncertainPair,
  type BestOfNResult,
  type UncertainPair,
} from './selection.ts';
export { EvidenceMixture, type EvidenceMixtureConfig, type MixtureCandidate } from './evidence_mixture.ts';
export { WordMentions, type WordMentionsConfig } from './word_mentions.ts';
