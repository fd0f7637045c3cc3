/**
 * Preference objectives: functions of per-sequence log-probs that return the loss, its
 * gradient w.r.t. every policy sequence log-prob, and the metrics TRL logs.
 */
export { softplus, logSigmoid, sigmoid, logSumExp, mean } from './math.ts';
export { RunningMoments, type RunningMomentsState } from './running_moments.ts';
export {
  PAIRED_LOSS_TYPES,
  UNPAIRED_OBJECTIVES,
  LISTWISE_OBJECTIVES,
  TRAINER_OBJECTIVES,
  OBJECTIVE_WEIGHT_LIMITS,
  type PairedLossType,
  type UnpairedObjective,
  type ListwiseObjective,
  type TrainerObjective,
  type ObjectiveFamily,
  isPairedLossType,
  isTrainerObjective,
  objectiveFamily,
} from './names.ts';
export {
  type PairedBatch,
  type PairedHyper,
  type DpoMetrics,
  type PairedObjectiveResult,
  type WeightedLoss,
  pairedKernels,
  pairedObjective,
  dpoSigmoidLoss,
} from './paired.ts';
export { type KtoBatch, type KtoHyper, type KtoMetrics, type KtoResult, ktoLoss, klMismatchIndices } from './kto.ts';
export {
  type ListwiseExample,
  type ListwiseResult,
  labelsFromRanking,
  plackettLuceNll,
  plackettLuceLoss,
  lipoLambdaWeights,
  lipoLambdaLoss,
} from './listwise.ts';
