/** Agreement between annotators: Krippendorff's α, Cohen's κ, leave-one-out consensus, gold accuracy. */
export { type AgreementLabel, type Annotation, type ItemId, type ReliabilityData, buildReliabilityData } from './reliability_data.ts';
export {
  type AlphaMetric,
  type AlphaResult,
  type AlphaInterval,
  type CategoryScheme,
  type PairableItems,
  krippendorffAlpha,
  alphaBootstrap,
  type AlphaCore,
  alphaOfItems,
  coincidenceMatrix,
  pairableItems,
  nominalScheme,
  ordinalScheme,
  numericScheme,
} from './alpha.ts';
export { type PairKappa, pairwiseKappa, kappaFromCounts } from './kappa.ts';
export { type AnnotatorConsensus, type AnnotatorGold, type GoldOptions, type GoldReport, leaveOneOutConsensus, goldAccuracy } from './consensus.ts';
export { type LineError, type ParsedAnnotations, type ParsedGold, parseAnnotationJsonl, parseGoldJsonl } from './jsonl.ts';
export { type AgreementOptions, type AgreementReport, type LabelKind, PAIR_LABEL_SCALE, PAIR_LABEL_ALIASES, agreementReport, labelKind } from './report.ts';
