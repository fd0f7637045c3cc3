/**
 * The typed contract between the UI thread and the engine worker. The worker exposes an object
 * that `satisfies EngineApi`; the UI holds `Comlink.Remote<EngineApi>`. Only data types live
 * here, with the name lists some of them are built from (so the session schema, the page and
 * the command line can import one list instead of restating it): no logic, nothing that
 * imports the engine.
 */

/** `true` when A and B are the same union (a compile-time check that a list matches a type). */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/** Compiles only when given `true`. */
type Assert<T extends true> = T;

export type BackendPreference = 'auto' | 'webgpu' | 'cpu';

export interface BackendInfo {
  name: 'cpu' | 'webgpu';
  /** Adapter name for WebGPU, or "CPU (TypeScript reference)". */
  label: string;
  /** Why the engine runs on the CPU when it does (null on WebGPU). */
  fallbackReason: string | null;
}

export type ModelSource =
  | { kind: 'url'; url: string }
  | { kind: 'files'; config: string; tokenizer: string; weights: ArrayBuffer; name: string };

export interface LoadProgress {
  phase: 'fetch' | 'parse' | 'upload' | 'ready';
  loaded: number;
  total: number;
}

export interface ModelInfo {
  name: string;
  parameters: number;
  nLayer: number;
  nHead: number;
  nEmbd: number;
  vocabSize: number;
  nPositions: number;
  backend: BackendInfo;
  loadMs: number;
}

export type PolicyRef = 'policy' | 'reference';

export interface GenerateRequest {
  prompt: string;
  numSequences: number;
  maxNewTokens: number;
  temperature: number;
  topK: number;
  topP: number;
  seed: number;
  /** Which weights generate: the trained policy (default) or the frozen reference. */
  policy?: PolicyRef;
}

/**
 * One pull of a generation (pull-based streaming). The chunk with `done: true` is whole: every completion's text, its
 * token ids and the prompt's. A running chunk carries only what changed since the previous
 * chunk: the text of completion b is the previous text cut at `textFrom[b]` followed by
 * `texts[b]`, and its ids are empty (`applyChunkTexts` rebuilds the running texts). Without `textFrom`,
 * `texts` are whole.
 */
export interface GenerateChunk {
  texts: string[];
  textFrom?: number[];
  tokenIds: number[][];
  promptIds: number[];
  done: boolean;
}

/** The texts after `chunk`, given the texts after the previous chunk of the same generation. */
export function applyChunkTexts(previous: readonly string[], chunk: GenerateChunk): string[] {
  const from = chunk.textFrom;
  if (!from) return chunk.texts.slice();
  return chunk.texts.map((tail, b) => (previous[b] ?? '').slice(0, from[b]) + tail);
}

export interface ScoreRequest {
  prompt: string;
  completions: string[];
  policy?: PolicyRef;
}

export interface ScoreResult {
  /** Sum of completion-token log-probs per completion. */
  sums: number[];
  tokenLogprobs: number[][];
}

export interface WeightsSnapshot {
  name: string;
  step: number;
}

/**
 * A copy of the live policy's weights (by Hugging Face GPT-2 tensor name) and the optimizer step
 * they are at: what the training engine hands a draw engine, so pairs are drawn while it trains.
 */
export interface PolicyWeights {
  step: number;
  /** Votes these weights have learned from (the log reducer's count; 0 before any reduce). Informational: an install ignores it. */
  votesTrained: number;
  weights: Map<string, Float32Array>;
}

/** Online preference-learning settings (names as TRL's DPOConfig where one exists). */
export interface TrainerSettings {
  /**
   * TRL loss_type: sigmoid, cdpo, robust, hinge, ipo, bco_pair, nca_pair, sppo_hard, apo_zero,
   * apo_down, sft; `kto` (TRL's KTOTrainer, unpaired thumbs); listwise `plackett_luce` or
   * `lipo_lambda` (whole rankings). Every objective trains on every kind of feedback it can
   * make examples of (see PreferenceTrainer in src/engine/learning/trainer.ts).
   */
  objective: string;
  beta: number;
  /** Label smoothing ε (cdpo, robust). */
  epsilon: number;
  lr: number;
  /** Gradient steps after each decisive vote. */
  stepsPerVote: number;
  batchSize: number;
  /** Replay buffer capacity in feedback items: pairs, thumbs, rankings (oldest dropped first). */
  bufferSize: number;
  maxGradNorm: number;
  seed: number;
  /**
   * The policy's weight η on its trained weights: after every step the policy is
   * θ_ref + η (θ_trained − θ_ref) while the optimizer keeps moving θ_trained (WiSE-FT / WARP's
   * LITI). Absent or 1: the policy is the trained weights (every log before 2026-12-07).
   */
  interpolation?: number;
  /**
   * TRL's `rpo_alpha` (RPO): the paired objectives add α × the chosen completions' token-mean
   * negative log-likelihood. Absent or 0: off (every log before 2026-12-07).
   */
  rpoAlpha?: number;
  /**
   * R-DPO's α (Park et al. 2024): the sigmoid objective adds α(|y_c| − |y_r|) (token counts) to
   * its logit, so the policy is not pushed towards length for its own sake. `sigmoid` only.
   * Absent or 0: off (every log before 2026-12-08). The Train cell's "R-DPO α"; `duelbook sim
   * --length-alpha A`.
   */
  lengthAlpha?: number;
}

export type VoteOutcome = 'a' | 'b' | 'tie' | 'bothbad';

/** A judged pair of candidates for one prompt. Token ids are those the engine generated. */
export interface PairFeedback {
  prompt: string;
  promptIds: number[];
  aIds: number[];
  bIds: number[];
  outcome: VoteOutcome;
  /** Train on it now (true), or only record it for the reward model and later steps. */
  train: boolean;
}

/**
 * The numbers one optimizer step reports: the fields of `StepMetrics` but `step`, checked
 * against it below, in the order the page logs them.
 */
export const STEP_METRIC_NAMES = [
  'loss',
  'rewardsChosen',
  'rewardsRejected',
  'rewardsMargins',
  'rewardsAccuracy',
  'logpsChosen',
  'logpsRejected',
  'gradNorm',
  'stepMs',
  'kl',
] as const;
export type StepMetricName = (typeof STEP_METRIC_NAMES)[number];

/**
 * The key a `train_step` event logs each step metric under: TRL's log key where TRL has one.
 * KTO's `kl` is not logged per step: `kl` in the log is the policy's KL to the reference
 * (`PolicyHealth.kl`, measured on fresh samples).
 */
export const STEP_METRIC_LOG_KEYS = {
  loss: 'loss',
  rewardsChosen: 'rewards/chosen',
  rewardsRejected: 'rewards/rejected',
  rewardsMargins: 'rewards/margins',
  rewardsAccuracy: 'rewards/accuracies',
  logpsChosen: 'logps/chosen',
  logpsRejected: 'logps/rejected',
  gradNorm: 'grad_norm',
  stepMs: 'step_ms',
} as const satisfies Record<Exclude<StepMetricName, 'kl'>, string>;
export type LoggedStepMetricName = keyof typeof STEP_METRIC_LOG_KEYS;

/** What TRL's DPOTrainer logs for one optimizer step, plus our timing. */
export interface StepMetrics {
  step: number;
  loss: number;
  rewardsChosen: number;
  rewardsRejected: number;
  rewardsMargins: number;
  rewardsAccuracy: number;
  logpsChosen: number;
  logpsRejected: number;
  gradNorm: number;
  stepMs: number;
  /** KTO only: the detached reference point z_ref (TRL logs it as `kl`). */
  kl?: number;
}
export type StepMetricNamesMatchStepMetrics = Assert<Same<StepMetricName, Exclude<keyof StepMetrics, 'step'>>>;

export interface RewardModelStatus {
  /** P(a ≻ b) the reward model predicted before seeing this vote (null for ties it skips). */
  predictedPAB: number | null;
  correct: boolean | null;
  prequentialAccuracy: number;
  windowAccuracy: number;
  votesSeen: number;
}

/**
 * Collapse indicators over the most recent candidates the learner was given feedback on
 * (distinct bigrams fall and repetition rises when the policy collapses onto a few strings;
 * distinct completions and mean length fall, and self-similarity rises, when it collapses onto
 * a few short ones, which distinct-2 alone does not see: see src/engine/stats/text_metrics.ts).
 */
export interface CollapseMetrics {
  recentDistinct2: number;
  recentRepetition: number;
  /**
   * Set-level: distinct non-empty completions / completions, mean length in words, and mean
   * pairwise Jaccard similarity of padded word-bigram sets (NaN before any feedback).
   */
  recentDistinctCompletions: number;
  recentMeanWords: number;
  recentSelfSimilarity: number;
  /**
   * Share of the recent completions in which a word directly follows itself ("a great great
   * increase", `doubledWordRate`): repetition inside answers that distinct-2 over the set and
   * seq-rep-4 both miss (NaN before any feedback).
   */
  recentDoubledWords: number;
  /** How many recent completions the numbers were computed over. */
  window: number;
}

export interface FeedbackResult {
  steps: StepMetrics[];
  rewardModel: RewardModelStatus;
  /** Feedback items (pairs, thumbs, rankings) in the policy's replay buffer. */
  bufferSize: number;
  collapse: CollapseMetrics;
  /**
   * Why the policy took no step although `train` was asked for (a tie, a lone thumbs under a
   * paired objective, …); absent when it trained or was not asked to.
   */
  untrainedReason?: string;
}

/** Thumbs up/down on one completion: TRL's unpaired (KTO) format of prompt, completion, label. */
export interface ThumbsFeedback {
  prompt: string;
  promptIds: number[];
  completionIds: number[];
  /** true = thumbs up (desirable), false = thumbs down. */
  desirable: boolean;
  train: boolean;
}

/** A ranking of N ≥ 2 completions of one prompt, best first (listwise objectives, LiPO). */
export interface RankingFeedback {
  prompt: string;
  promptIds: number[];
  /** Completion token ids, best first. */
  rankedIds: number[][];
  train: boolean;
}

/** The criteria the engine's simulated annotators score by (src/engine/annotators/scorers.ts). */
export const ANNOTATOR_CRITERIA = ['sentiment', 'length', 'keyword', 'readability'] as const;
export type AnnotatorCriterion = (typeof ANNOTATOR_CRITERIA)[number];

/** A simulated annotator as a session stores it (schema's AnnotatorConfig). */
export interface AnnotatorSpec {
  id: string;
  /** One of ANNOTATOR_CRITERIA (a string: a session may name one this engine lacks). */
  criterion: string;
  /** AlpacaFarm label-flip probability p (with probability 2p the label is a coin flip). */
  labelNoise: number;
  /** Lean towards the first-shown candidate, −1 … +1. */
  positionBias: number;
  seed: number | string;
  params?: Record<string, number | boolean | string>;
}

export interface AnnotatorVerdict {
  outcome: VoteOutcome;
  /** The annotator's P(a ≻ b) before drawing the outcome. */
  pAB: number;
  /** Its hidden scores of a and b. */
  scores: { a: number; b: number };
  /** A one-line explanation of the verdict. */
  critique: string;
}

/** Drift and collapse indicators of the current policy, measured on fresh samples. */
export interface PolicyHealth {
  /** Monte-Carlo sequence KL(π‖π_ref) in nats, mean over samples. */
  kl: number;
  distinct1: number;
  distinct2: number;
  repetition: number;
  samples: number;
}

/**
 * The loop's settings beyond the trainer's, as the Duel and Train cells hold them: how
 * candidates are sampled and picked, and reward-model relabelling. Absent: random pairs sampled
 * at temperature 1 with no top-k or top-p, no relabelling (what `sim` did before the loop was
 * the playground's).
 */
export interface SimulationLoop {
  sampling: { temperature: number; topK: number; topP: number };
  /** A random pair, or the pair the reward-model heads disagree on most among `k` samples. */
  pairSelection: { rule: 'random' | 'uncertain'; k: number };
  relabel: { pairs: number; minConfidence: number; maxStd: number; ownSteps?: boolean; collapseGuard?: boolean; candidates?: number; matchLength?: boolean };
  /**
   * Share of decisive votes on which the simulated person also writes a one-line critique in
   * words (`personCritique`: never a score, a target or a word list); 0 or absent = none.
   */
  critiqueRate?: number;
  /**
   * A person who votes faster than the trainer steps, as the page handles one (see `deferSteps`):
   * after the first vote, every vote defers its steps and a one-step catch-up `train` intent
   * follows every `catchUpEvery` of them. Absent or 0: every vote takes its own steps.
   */
  catchUpEvery?: number;
}

export interface SimulationRequest {
  /** See SimulationLoop; absent for the older loop. */
  loop?: SimulationLoop;
  annotator: AnnotatorCriterion;
  /** Label-flip noise p (AlpacaFarm): with probability 2p the label is a coin flip. */
  flipRate: number;
  targetWords?: number;
  keywords?: string[];
  trainer: TrainerSettings;
  votes: number;
  seed: number;
  /** Prompts the votes are drawn from. */
  trainPrompts: string[];
  /** Held-out prompts for the final win rate and KL (one policy and one reference sample each). */
  evalPrompts: string[];
  maxNewTokens: number;
}

export interface SimulationProgressEvent {
  phase: 'reference' | 'votes' | 'evaluation';
  done: number;
  total: number;
}

/**
 * Fluency and diversity of the evaluation samples, policy beside reference (the bar's "staying
 * fluent"). distinct-2 and repetition pool n-grams and skip samples too short to have one; the
 * set-level numbers (src/engine/stats/text_metrics.ts) count every completion, so a policy that
 * says " progress." to most prompts shows here.
 */
export interface SimulationFluency {
  policy_english_rate: number | null;
  reference_english_rate: number | null;
  policy_distinct2: number;
  reference_distinct2: number;
  policy_repetition: number;
  reference_repetition: number;
  /** Distinct non-empty completions / completions (an empty completion is never distinct). */
  policy_distinct_completions: number;
  reference_distinct_completions: number;
  /** Mean whitespace-separated words per completion, empty ones counting 0. */
  policy_mean_words: number;
  reference_mean_words: number;
  /** Mean pairwise Jaccard similarity of the completions' padded word-bigram sets (1 = all the same). */
  policy_self_similarity: number;
  reference_self_similarity: number;
  /**
   * Share of completions in which a word directly follows itself ("great great"), which
   * repetition and distinct-2 do not see. Reported beside the bar, not part of it (the bar is
   * the learning issue's). Absent in results stored before 2026-12-08.
   */
  policy_doubled_words?: number;
  reference_doubled_words?: number;
}

/** How a run ended, by the learning bar: a significant win while fluent, or which failure. */
export const RUN_VERDICTS = ['learning', 'no learning', 'collapse', 'degraded'] as const;
export type RunVerdict = (typeof RUN_VERDICTS)[number];

/** How many policy samples a relabelled pair may be picked from (`LearningSettings.relabel.candidates`). */
export const RELABEL_CANDIDATES = { min: 2, max: 8 } as const;

/** One point of a simulation's curves: the state after vote `vote`. */
export interface SimulationSeriesPoint {
  vote: number;
  /** The last optimizer step's loss and reward margin after this vote (null when it took none). */
  loss: number | null;
  margin: number | null;
  rmPrequentialAccuracy: number;
  /** Over the most recent candidates (collapse shows here first). */
  recentDistinct2: number;
  recentRepetition: number;
  /**
   * The set-level collapse watch over the same recent candidates (CollapseMetrics). Optional:
   * results stored before them lack them.
   */
  recentDistinctCompletions?: number;
  recentMeanWords?: number;
  recentSelfSimilarity?: number;
  /** Optional: results stored before it lack it. */
  recentDoubledWords?: number;
}

/** Mirrors the command line's `duelbook sim --json` output. */
export interface SimulationSummary {
  win_rate: number;
  win_rate_ci: [number, number];
  wins: number;
  losses: number;
  ties: number;
  kl: number;
  rm_prequential_accuracy: number;
  rm_prequential_accuracy_last100: number;
  /**
   * The reward model's accuracy, after the last vote, on a fixed set of pairs sampled from the
   * reference on the evaluation prompts and labelled by the annotator's noiseless taste
   * (decisive pairs only): a measure pair selection cannot flatter. NaN when no pair was decisive.
   */
  rm_fixed_pairs_accuracy: number;
  /** How many fixed pairs that accuracy is over. */
  rm_fixed_pairs: number;
  /** Reward-model-labelled pairs that entered the policy's buffer (relabelling). */
  synthetic_pairs: number;
  votes: number;
  decisive_votes: number;
  optimizer_steps: number;
  seconds: number;
  fluency: SimulationFluency;
  verdict: RunVerdict;
  series: SimulationSeriesPoint[];
  samples: { prompt: string; policy: string; reference: string }[];
}

/** The pair of candidates the reward-model heads disagree on most (active pair selection). */
export interface PairSelection {
  /** Indices into the candidates given, i < j. */
  i: number;
  j: number;
  /** Ensemble mean of P(candidate i ≻ candidate j). */
  pAB: number;
  /** Std over heads of that probability: the disagreement the pair was chosen for. */
  std: number;
}

/** The reward model's scores of n candidates and the one best-of-n picks. */
export interface BestOfNPick {
  /** Index of the chosen candidate: argmax of mean − pessimism·std (lowest index on ties). */
  index: number;
  /** Mean reward over heads, per candidate. */
  rewards: number[];
  /** Std over heads, per candidate. */
  stds: number[];
  /** The k in mean − k·std that was used. */
  pessimism: number;
}

/** How the loop may label a fresh pair for the policy (RLAIF-style relabelling, by the reward model weighed against the explanations). */
export interface RelabelRequest {
  promptIds: number[];
  aIds: number[];
  bIds: number[];
  /** Accept only when max(pAB, 1 − pAB) ≥ this, in [0.5, 1]. */
  minConfidence: number;
  /**
   * Accept only when the loop's models agree: the posterior-weighted std of the reward model's
   * and the explanations' P(a ≻ b) is ≤ this, in [0, 0.5] (0.5 never rejects).
   */
  maxStd: number;
  /** Take the trainer's stepsPerVote steps after an accepted pair (as a vote would). */
  train: boolean;
  /** Refuse a pair whose winner is clearly longer or more repetitive than its loser (see `COLLAPSE_GUARD`). */
  collapseGuard?: boolean;
}

export interface RelabelResult {
  /** Whether the pair entered the policy's replay buffer as a synthetic vote. */
  accepted: boolean;
  /** Why not, in words, when it was rejected. */
  rejectedReason?: string;
  /** The loop's vote (the reward model weighed against the explanations), and how sure it was. */
  preferred: 'a' | 'b';
  /** P(a ≻ b) by the mixture, without the vote's lapse (`EvidenceMixture.judge`'s `tastePAB`). */
  pAB: number;
  /** Std of that P(a ≻ b): between the mixture's models and within each (the reward model's heads, the explanations' posteriors). */
  std: number;
  /** max(pAB, 1 − pAB). */
  confidence: number;
  steps: StepMetrics[];
  /** Synthetic (mixture-labelled) pairs that have entered the policy's buffer so far. */
  syntheticPairs: number;
  /** Feedback items from the duel's judge (votes, thumbs, rankings) that have entered it so far. */
  judgedItems: number;
  bufferSize: number;
}

// ---- The session log as the engine reduces it -------------------------------------------------

/** How the loop learns from a point of the log on (the Train and Duel cells' settings). */
export interface LearningSettings {
  trainer: TrainerSettings;
  /** Take `trainer.stepsPerVote` policy steps after each vote (the Train cell's "update after every vote"). */
  updateAfterVote: boolean;
  /**
   * Reward-model relabelling after each pairwise vote (RLHF Workflow's online iterative DPO with
   * AI feedback): the engine samples `pairs` fresh pairs from the policy for the vote's prompt,
   * seeded by the vote's `seq`, and a confident, sure label of the loop's mixture (reward model
   * and explanations, `RelabelRequest`) enters the buffer.
   */
  relabel: {
    pairs: number;
    minConfidence: number;
    maxStd: number;
    maxNewTokens: number;
    temperature: number;
    topK: number;
    topP: number;
    /**
     * Whether each synthetic pair (relabelled or decided by a critique) takes the trainer's
     * `stepsPerVote` steps of its own (true, the default) or only joins the buffer the person's
     * votes' steps sample from (false: more data, no more steps). Not a session setting yet:
     * `duelbook sim --relabel-own-steps off` measures it.
     */
    ownSteps?: boolean;
    /** Refuse relabelled pairs that reward length or repetition (`COLLAPSE_GUARD`); default off. Measured by `duelbook sim --relabel-guard on`. */
    collapseGuard?: boolean;
    /**
     * Policy samples drawn for each relabelled pair, 2…8 (absent: 2, the pair is the two
     * samples). With more, the pair is the DivPO pick among them (`diversePick`: the least
     * likely of the better half against the most likely of the worse half, by the loop's
     * taste). Absent: 2 (every log before 2026-12-08). The Duel cell's "Samples per pair";
     * `duelbook sim --relabel-candidates N`. Bounds: `RELABEL_CANDIDATES`.
     */
    candidates?: number;
    /**
     * With candidates > 2: the rejected sample is the one closest in length to the chosen one.
     * The Duel cell's "Match lengths"; `duelbook sim --relabel-match-length on`.
     */
    matchLength?: boolean;
  };
}

/**
 * One intent of the session log, as the page hands it to the engine: what a person (or judge)
 * did, never what followed from it. `seq` orders the log; undo names the intent it cancels.
 * Prompts are text (the engine tokenizes them); candidates are the token ids that were shown.
 */
export type LogIntent =
  | { seq: number; type: 'settings'; settings: LearningSettings }
  /**
   * `critique`: the person's one-line comment on the pair, matched to principles (`matchCritique`).
   * `deferSteps`: the trainer was busy when it was cast: the vote enters the reward model and the
   * buffer, and its policy steps wait for the next `train` intent (one group over all deferred votes).
   */
  | { seq: number; type: 'pair'; prompt: string; aIds: number[]; bIds: number[]; outcome: VoteOutcome; critique?: string; deferSteps?: true }
  | { seq: number; type: 'ranking'; prompt: string; rankedIds: number[][] }
  | { seq: number; type: 'thumbs'; prompt: string; completionIds: number[]; desirable: boolean }
  /** "Train now": extra optimizer steps on the buffer as it is (`catchUp`: the page's step group over deferred votes). */
  | { seq: number; type: 'train'; steps: number; catchUp?: true }
  /** The Arena saves the weights here under a name. */
  | { seq: number; type: 'snapshot'; name: string }
  | { seq: number; type: 'undo'; targetSeq: number }
  /**
   * The person's view of a principle in the "what you seem to prefer" panel: "yes, I prefer
   * shorter" (confirm), "no, not that" (reject), or neither any more (clear). It is a prior on
   * that principle's weight in the reward model (see `PRINCIPLE_STATEMENT`).
   */
  | { seq: number; type: 'principle'; principleId: string; verdict: PrincipleVerdict };

export type LogIntentType = LogIntent['type'];

export const PRINCIPLE_VERDICTS = ['confirm', 'reject', 'clear'] as const;
export type PrincipleVerdict = (typeof PRINCIPLE_VERDICTS)[number];

/**
 * What a statement about a principle does to the reward model. "confirm" counts as
 * `confirmVotes` votes along one spread of the principle in its direction (a direction, not a
 * size: the real votes still set how much it matters); "reject" replaces the weight's N(0, 1)
 * prior by N(0, 1/`rejectPrecision`), holding it near 0. A decisive vote along one spread adds
 * about C·p(1−p) ≈ 30·0.2 = 6 to a weight's precision, so 30 is worth about five such votes:
 * enough votes can still overrule either.
 */
export const PRINCIPLE_STATEMENT = { confirmVotes: 3, rejectPrecision: 30 } as const;

/** One style principle as the reward model sees it now (the "what you seem to prefer" panel). */
export interface PrincipleEstimate {
  /** The axis (`PRINCIPLE_FEATURE_IDS`): length, valence, readability, … */
  axis: string;
  /**
   * Reward the model gives one spread more of the axis's feature (the feature's typical spread
   * over ordinary answers): > 0 prefers more, < 0 less. σ(weight) is how often, other things
   * equal, the answer one spread higher would win.
   */
  weight: number;
  /** 95 % interval of `weight` (Laplace approximation at the heads' mean weights). */
  low: number;
  high: number;
  /** What the person said about this axis, if anything (the pole's principle id). */
  stated: { principleId: string; verdict: 'confirm' | 'reject' } | null;
}

/** One explanation of the person's votes and how much of the loop's call rests on it. */
export interface ExplanationWeight {
  /** What it says, for people ("a more positive, upbeat tone", "answers of about 8 words", "the reward model"). */
  label: string;
  /** Its posterior probability (all explanations together sum to 1). */
  weight: number;
}

/** How a critique was understood (a derived record of the pair intent that carried it). */
export interface CritiqueReading {
  /** `describeMatch`'s sentence: what the critique was understood as, or that nothing matched. */
  understood: string;
  /** The principles it matched, each with the side it was about and the polarity it implies. */
  matches: { principleId: string; polarity: 1 | -1; about: 'a' | 'b' | 'both' | 'unknown'; confidence: number }[];
  /** Synthetic pairs the matched principles decided among the policy's samples, and that entered training. */
  syntheticPairs: number;
}

/** What the loop's mixture made of one freshly sampled pair (a derived record, never a vote). */
export interface RelabelRecord {
  aIds: number[];
  bIds: number[];
  accepted: boolean;
  rejectedReason?: string;
  preferred: 'a' | 'b';
  /** The mixture's P(a ≻ b) without the vote's lapse (`RelabelResult.pAB`). */
  pAB: number;
  /** Its std, between and within its models (`RelabelResult.std`). */
  std: number;
  /** Optimizer steps the accepted pair took (they are in the intent's `steps` too, after the vote's own). */
  steps: number;
}

/** What reducing one intent did: the derived records the page shows and may log as checks. */
export interface ReducedIntent {
  seq: number;
  type: LogIntentType;
  /** Optimizer steps this intent took (a vote's own, then its relabelled pairs'). */
  steps: StepMetrics[];
  /** For votes: the reward model's prediction before it learned (prequential). */
  rewardModel?: RewardModelStatus;
  relabels?: RelabelRecord[];
  untrainedReason?: string;
  /** For a pair with a critique: what it was understood as and what it trained. */
  critique?: CritiqueReading;
  /** Why the intent changed nothing (a vote on a prompt too long, "Train now" with nothing to train). */
  skippedReason?: string;
}

export interface ReduceRequest {
  /**
   * New intents of the log (any order; merged by `seq`). An intent whose `seq` the engine has
   * already reduced must be identical to it.
   */
  intents: LogIntent[];
  /** Forget the log reduced so far and start again from the loaded weights (opening a session). */
  reset?: boolean;
  /**
   * Before merging: forget the intents after this `seq` (a shared session whose converged
   * order put a peer's intent before ones this replica had reduced renumbers the rest of its
   * log). The state rolls back to the last checkpoint before the first intent that changed.
   */
  dropAfterSeq?: number;
  /** With `reset`: the settings in force before the log's first settings intent (older logs have none). */
  initialSettings?: LearningSettings;
}

export interface ReduceProgress {
  done: number;
  total: number;
}

export interface ReduceResult {
  /** The intents reduced by this call, in log order (after an undo: those re-reduced after the restored checkpoint). */
  reduced: ReducedIntent[];
  /** `seq` of the last intent whose state a checkpoint restored, or -1 for the loaded weights; null when none was restored. */
  restoredAfterSeq: number | null;
  /** Optimizer steps in the current weights. */
  policyStep: number;
  /** Votes (pairs, rankings, thumbs) the current weights have learned from. */
  votesTrained: number;
  /** Votes reduced with `deferSteps` that no policy step has learned from yet (a `train` intent takes them). */
  votesDeferred: number;
  /** Effective intents reduced (undone ones and undos excluded). */
  intentsReduced: number;
  bufferSize: number;
  rewardModel: RewardModelStatus | null;
  /** The style principles as the reward model weighs them now, strongest first; null before a model is loaded. */
  preferences: PrincipleEstimate[] | null;
  /**
   * The explanations the loop's call weighs (the reward model among them), by the posterior
   * probability their evidence gives them, strongest first; null before the first vote.
   */
  explanations: ExplanationWeight[] | null;
  collapse: CollapseMetrics;
  syntheticPairs: number;
  /** Checkpoints held and their host memory. */
  checkpoints: { count: number; bytes: number; budgetBytes: number };
  ms: number;
}

export type EngineErrorCode =
  | 'NO_MODEL'
  | 'LOAD_FAILED'
  | 'BAD_REQUEST'
  | 'UNKNOWN_HANDLE'
  | 'DEVICE_LOST'
  | 'CANCELLED'
  | 'INTERNAL';

/** Errors cross the worker boundary as "CODE: message" (Comlink keeps name and message); `engineErrorCode` in src/state/engine_client.ts reads the code. */

export interface EngineApi {
  /**
   * Loads a model (replacing any loaded one); progress is throttled to ~30 Hz. A URL source is
   * downloaded with a byte cap per file (DOWNLOAD_CAPS in src/engine/model/fetch_files.ts) before
   * the loaded model is touched, so a refused or cancelled download leaves that model as it was.
   */
  loadModel(
    source: ModelSource,
    backend: BackendPreference,
    onProgress?: (p: LoadProgress) => void,
  ): Promise<ModelInfo>;
  /**
   * Aborts the download of the load in flight (its `loadModel` fails with CANCELLED and the
   * loaded model stays loaded); nothing once the files are in. An AbortSignal cannot cross the
   * worker boundary, so the page's signal calls this.
   */
  loadCancel(): Promise<void>;
  /**
   * The most matmul threads this worker's CPU backend starts, when it starts (the next
   * `loadModel` that creates one). A second worker beside the trainer takes 1, so the two do not
   * share the cores' threads. Results do not depend on it (the kernel's bits are thread-count free).
   */
  limitCpuThreads(threads: number): Promise<void>;
  backendInfo(): Promise<BackendInfo | null>;
  generateStart(req: GenerateRequest): Promise<string>;
  generateNext(handle: string): Promise<GenerateChunk>;
  generateCancel(handle: string): Promise<void>;
  score(req: ScoreRequest): Promise<ScoreResult>;
  /**
   * The one way learning happens: hands the engine new intents of the session log (votes,
   * rankings, thumbs, undo, settings, "Train now", snapshots). The engine reduces them —
   * reference pass, reward model, policy steps, relabelling — and returns the derived records.
   * Opening a session sends its whole log with `reset`. Progress is throttled to ~30 Hz.
   */
  reduce(req: ReduceRequest, onProgress?: (p: ReduceProgress) => void): Promise<ReduceResult>;
  /** Stops the reduce request in flight between two intents (CANCELLED); what it reduced stays reduced. */
  reduceCancel(): Promise<void>;
  /** The loop's current P(a ≻ b) (the reward model weighed against the explanations) and its std between and within those models. */
  rewardPredict(prompt: string, aIds: number[], bIds: number[], promptIds: number[]): Promise<{ pAB: number; std: number }>;
  /** Of K candidates of one prompt, the pair the reward-model heads disagree on most (K ≥ 2). */
  selectPair(promptIds: number[], candidateIds: number[][]): Promise<PairSelection>;
  /** The reward model's scores of n candidates of one prompt and its (optionally pessimistic) pick. */
  bestOfN(promptIds: number[], candidateIds: number[][], pessimism: number): Promise<BestOfNPick>;
  /** KL to the reference and collapse metrics on fresh samples for these prompts. */
  policyHealth(prompts: string[], seed: number, maxNewTokens: number): Promise<PolicyHealth>;
  /**
   * Runs the AlpacaFarm-style loop on a copy of the current policy (the loaded policy is not
   * changed). Progress is throttled to ~30 Hz; `simulateCancel` stops it with CANCELLED.
   */
  simulate(req: SimulationRequest, onProgress?: (p: SimulationProgressEvent) => void): Promise<SimulationSummary>;
  simulateCancel(): Promise<void>;
  /** Saves the current policy weights under a name (host memory). */
  snapshot(name: string): Promise<WeightsSnapshot>;
  /** A copy of the live policy's weights and their step (after the work queued before it). */
  policyWeights(): Promise<PolicyWeights>;
  /**
   * Replaces the policy's weights with another engine's (same checkpoint shape; BAD_REQUEST
   * otherwise, leaving the weights as they were). The caller makes sure no generation is in flight.
   */
  installPolicyWeights(w: PolicyWeights): Promise<void>;
  restore(name: string): Promise<void>;
  listSnapshots(): Promise<WeightsSnapshot[]>;
  /** A simulated annotator's verdict on a pair. Deterministic in (spec.seed, index): the same session replays to the same votes. */
  annotatePair(spec: AnnotatorSpec, index: number, prompt: string, a: string, b: string): Promise<AnnotatorVerdict>;
  /** The annotator's hidden score of each completion (for ranking and thumbs judged by it). */
  annotateScores(spec: AnnotatorSpec, prompt: string, completions: string[]): Promise<number[]>;
  dispose(): Promise<void>;
}
