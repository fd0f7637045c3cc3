/** Simulated annotators (AlpacaFarm-style) with hidden tastes and realistic noise. */
export {
  type ScorerConfig,
  type ScorerKind,
  DEFAULT_TEMPERATURE,
  sentimentScore,
  countWords,
  lengthScore,
  keywordHits,
  countSyllables,
  readability,
  type ReadabilityStats,
  scoreText,
  describeScorer,
} from './scorers.ts';
export {
  type JudgeOutcome,
  type Judgement,
  type Judge,
  type NoiseModel,
  type AnnotatorConfig,
  SimulatedAnnotator,
  type PoolMember,
  AnnotatorPool,
  createDefaultAnnotatorPool,
} from './annotator.ts';
export { personCritique } from './person_critique.ts';
