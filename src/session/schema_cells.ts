/**
 * The session document's cells: each kind's config schema, the Simulate cell's stored result,
 * and the cell union, with the types inferred from them. Re-exported by schema.ts, which keeps
 * the events and the document; see its comment for the conventions every schema follows.
 */
import * as v from 'valibot';
import { SESSION_LIMITS as L, formatCount } from './limits.ts';
import { OBJECTIVE_WEIGHT_LIMITS, TRAINER_OBJECTIVES } from '../engine/objectives/names.ts';
import { RELABEL_CANDIDATES, RUN_VERDICTS, type SimulationFluency, type SimulationSeriesPoint, type SimulationSummary } from '../engine/api.ts';
import {
  boundedText,
  finiteNumber,
  IdSchema,
  isoTimestampSchema,
  ModelUrlSchema,
  NameSchema,
  nonEmptyText,
  numberInRange,
  positiveNumber,
  SeedSchema,
  wholeNumber,
} from './schema_base.ts';

// ---------------------------------------------------------------------------------------------
// Cell configs

export const ModelSourceSchema = v.variant('kind', [
  /** The small policy shipped with the app. */
  v.object({ kind: v.literal('default') }),
  v.object({ kind: v.literal('url'), url: ModelUrlSchema }),
  /**
   * A checkpoint the user picked from disk. Only its name is stored: the bytes live in OPFS
   * (see opfs.ts) and are never part of a document or a share link.
   */
  v.object({ kind: v.literal('file'), name: nonEmptyText(255) }),
]);

export const BackendPreferenceSchema = v.picklist(['auto', 'webgpu', 'cpu']);

export const PolicyConfigSchema = v.object({
  source: ModelSourceSchema,
  backend: BackendPreferenceSchema,
});

export const PromptSourceSchema = v.variant('kind', [
  /** One of the prompt sets shipped with the app, by name. */
  v.object({ kind: v.literal('shipped'), set: NameSchema }),
  /** Prompts pasted into a text area, separated by blank lines (see `splitPastedPrompts`). */
  v.object({ kind: v.literal('pasted'), text: boundedText(L.maxPastedPromptsChars) }),
  /** A list imported from a file; the prompts are copied into the document. */
  v.object({
    kind: v.literal('imported'),
    fileName: boundedText(255),
    prompts: v.pipe(
      v.array(v.object({ id: IdSchema, text: boundedText(L.maxPromptChars) })),
      v.maxLength(L.maxImportedPrompts, `holds more than ${formatCount(L.maxImportedPrompts)} prompts`),
    ),
  }),
]);

export const PromptsConfigSchema = v.object({
  source: PromptSourceSchema,
  order: v.picklist(['sequential', 'shuffled']),
});

export const SamplingSchema = v.object({
  /** 0 means greedy decoding. */
  temperature: numberInRange(0, 10),
  /** 0 disables top-k filtering. */
  topK: wholeNumber(0, 1_000_000),
  /** Nucleus mass in (0, 1]; 1 disables top-p filtering. */
  topP: v.pipe(finiteNumber(), v.gtValue(0, 'must be greater than 0'), v.maxValue(1, 'must be at most 1')),
  maxTokens: wholeNumber(1, 4_096),
});

/**
 * A simulated annotator in the spirit of AlpacaFarm: a scoring criterion plus the noise a pool
 * of human labellers shows. `id` is what its votes record as their judge.
 */
export const AnnotatorConfigSchema = v.object({
  id: IdSchema,
  /** Which preference the annotator holds, by the engine's name for it (e.g. "length"). */
  criterion: NameSchema,
  /** Probability of flipping the criterion's verdict (AlpacaFarm uses 0.25). */
  labelNoise: numberInRange(0, 1),
  /** Lean towards the candidate shown first: 0 none, +1 always first, -1 always second. */
  positionBias: numberInRange(-1, 1),
  seed: SeedSchema,
  /** Criterion-specific knobs, passed to the engine unchanged. */
  params: v.optional(
    v.pipe(
      v.record(NameSchema, v.union([finiteNumber(), v.boolean(), boundedText(L.maxNameChars)])),
      v.check((params) => Object.keys(params).length <= 32, 'has more than 32 entries'),
    ),
  ),
});

export const JudgeConfigSchema = v.variant('kind', [
  v.object({ kind: v.literal('human') }),
  v.object({ kind: v.literal('simulated'), annotator: AnnotatorConfigSchema }),
  /** A reward/judge model run with onnxruntime-web; `id` is what its votes record as judge. */
  v.object({ kind: v.literal('onnx'), id: IdSchema, modelUrl: ModelUrlSchema }),
]);

export const DuelModeSchema = v.picklist(['pairwise', 'rank', 'thumbs']);

/**
 * Who writes a duel's candidates: two samples of the policy; the policy against the frozen
 * reference (a battle); or two competitors the Arena cell's pair-selection rule picks.
 */
/**
 * Who writes the candidates: two policy samples, the policy against the frozen reference, two
 * arena snapshots, or the reward model's best of n against a plain policy sample.
 */
export const DUEL_OPPONENTS = ['policy', 'reference', 'arena', 'bestofn'] as const;
export const DuelOpponentSchema = v.picklist(DUEL_OPPONENTS);

/** After each pairwise vote, the reward model labels `pairs` fresh pairs it is this sure of (the engine samples them). */
export const RelabelConfigSchema = v.object({
  pairs: wholeNumber(0, 8),
  minConfidence: numberInRange(0.5, 1),
  maxStd: numberInRange(0, 0.5),
  /**
   * Policy samples each relabelled pair is picked from; above 2 the pair is the DivPO pick
   * (the engine's `diversePick`). Absent: 2, the two samples (documents before 2026-12-08). A
   * reader older than the field drops it (unknown keys are stripped) and replays without it.
   */
  candidates: v.optional(wholeNumber(RELABEL_CANDIDATES.min, RELABEL_CANDIDATES.max)),
  /** With more than 2 samples, the rejected one is the closest in length to the chosen one. Absent: false (and older readers drop it). */
  matchLength: v.optional(v.boolean()),
});

export const DuelConfigSchema = v.pipe(
  v.object({
    mode: DuelModeSchema,
    /** Candidates generated per prompt: exactly 2 for pairwise, 2–16 for rank, 1–16 for thumbs. */
    candidatesPerPrompt: wholeNumber(1, L.maxCandidatesPerEvent),
    judge: JudgeConfigSchema,
    sampling: SamplingSchema,
    seed: SeedSchema,
    /**
     * The duel's "Who writes the candidates" setting; absent means "policy" (what every duel
     * did before the setting was stored). Optional, so version 2 documents stay version 2.
     */
    opponent: v.optional(DuelOpponentSchema),
    /** Pairwise, two policy samples: a random pair, or the pair the reward-model heads disagree on most among k samples. */
    pairSelection: v.optional(v.object({ rule: v.picklist(['random', 'uncertain']), k: wholeNumber(3, 8) })),
    /** Best of n by the reward model (mean − pessimism·std), when `opponent` is 'bestofn'. */
    bestOfN: v.optional(v.object({ n: wholeNumber(2, 8), pessimism: numberInRange(0, 5) })),
    /** After each pairwise vote, the reward model labels `pairs` fresh pairs (RLHF Workflow's online iterative DPO with AI feedback). */
    relabel: v.optional(RelabelConfigSchema),
    /**
     * Overlap in a crowd (Argilla's minimum submissions): a pair another annotator voted on is
     * shown to further annotators until `overlap` of them voted on it. Absent means 1.
     */
    overlap: v.optional(wholeNumber(1, 10)),
    /** The policy and prompts cells this duel draws from; absent means "the first of its kind". */
    policyCellId: v.optional(IdSchema),
    promptsCellId: v.optional(IdSchema),
  }),
  v.forward(
    v.partialCheck(
      [['mode'], ['candidatesPerPrompt']],
      (c) =>
        c.mode === 'pairwise' ? c.candidatesPerPrompt === 2 : c.mode === 'rank' ? c.candidatesPerPrompt >= 2 : true,
      'must be 2 for a pairwise duel and at least 2 for a ranking',
    ),
    ['candidatesPerPrompt'],
  ),
);

/**
 * Objectives by the names TRL gives them: the engine's list (src/engine/objectives/names.ts),
 * so an objective the trainer accepts is one a document may name, in the cells' menu order.
 */
export const OBJECTIVES = TRAINER_OBJECTIVES;
/** The Train cell's RPO α and R-DPO α ranges (the engine's, re-exported for the page). */
export const RPO_ALPHA = OBJECTIVE_WEIGHT_LIMITS.rpoAlpha;
export const LENGTH_ALPHA = OBJECTIVE_WEIGHT_LIMITS.lengthAlpha;
/** Whether an objective is a paired (chosen ≻ rejected) loss: the engine's test, for the cells (RPO's α applies to these). */
export { isPairedLossType } from '../engine/objectives/names.ts';
export const ObjectiveSchema = v.picklist(OBJECTIVES);

export const TrainConfigSchema = v.object({
  objective: ObjectiveSchema,
  /** TRL's `beta` (default 0.1). */
  beta: positiveNumber(100),
  /** TRL's `label_smoothing`: the assumed label-flip rate for cdpo and robust, in [0, 0.5). */
  epsilon: v.pipe(finiteNumber(), v.minValue(0, 'must be at least 0'), v.ltValue(0.5, 'must be below 0.5')),
  lr: positiveNumber(1),
  /**
   * The policy's weight η on its trained weights: it serves θ_ref + η (θ_trained − θ_ref)
   * (WiSE-FT / WARP's LITI). Absent: 1, the trained weights (documents before 2026-12-07).
   */
  interpolation: v.optional(positiveNumber(1)),
  /**
   * TRL's `rpo_alpha`: weight of the chosen completions' negative log-likelihood added to a
   * paired objective (RPO). Absent: 0, off (documents before 2026-12-07).
   */
  rpoAlpha: v.optional(v.pipe(finiteNumber(), v.minValue(RPO_ALPHA.min, `must be at least ${RPO_ALPHA.min}`), v.maxValue(RPO_ALPHA.max, `must be at most ${RPO_ALPHA.max}`))),
  /**
   * R-DPO's α (Park et al. 2024): the sigmoid objective's logit gains α(|y_c| − |y_r|), token
   * counts. In force only with the sigmoid objective. Absent: 0, off (documents before 2026-12-08);
   * a reader older than the field drops it and replays without it.
   */
  lengthAlpha: v.optional(v.pipe(finiteNumber(), v.minValue(LENGTH_ALPHA.min, `must be at least ${LENGTH_ALPHA.min}`), v.maxValue(LENGTH_ALPHA.max, `must be at most ${LENGTH_ALPHA.max}`))),
  stepsPerVote: wholeNumber(0, 1_000),
  batchSize: wholeNumber(1, 1_024),
  /** How many of the latest preference pairs the replay buffer keeps. */
  bufferSize: wholeNumber(1, 100_000),
  updateAfterEveryVote: v.boolean(),
  /** The duel whose votes feed this cell and the policy it updates; absent means "the first". */
  duelCellId: v.optional(IdSchema),
  policyCellId: v.optional(IdSchema),
});

export const TieModelSchema = v.picklist(['half', 'davidson', 'rao-kupper']);

export const ArenaConfigSchema = v.object({
  /** How ties enter the Bradley–Terry fit: as half a win each, or Davidson / Rao–Kupper. */
  tieModel: TieModelSchema,
  /** The engine's name for the rule choosing the next pair of snapshots to compare. */
  pairSelection: NameSchema,
  /** Seeded bootstrap rounds for confidence intervals (Chatbot Arena uses 1000); 0 = none. */
  bootstrapRounds: wholeNumber(0, 10_000),
  seed: SeedSchema,
  duelCellId: v.optional(IdSchema),
});

export const SimulateConfigSchema = v.object({
  annotator: AnnotatorConfigSchema,
  objective: ObjectiveSchema,
  beta: positiveNumber(100),
  lr: positiveNumber(1),
  votes: wholeNumber(1, L.maxEvents),
  seed: SeedSchema,
  sampling: v.optional(SamplingSchema),
  policyCellId: v.optional(IdSchema),
  promptsCellId: v.optional(IdSchema),
});

/**
 * A markdown note, stored raw. Rendering sanitises it in the UI; every link's href must pass
 * through `safeHref` (url.ts) so that `javascript:` and other script-bearing URLs are never
 * rendered as links.
 */
export const NoteConfigSchema = v.object({ text: boundedText(L.maxNoteChars) });

// ---------------------------------------------------------------------------------------------
// Cells

const cellOf = <K extends string, C extends v.GenericSchema>(kind: K, config: C) =>
  v.object({
    id: IdSchema,
    kind: v.literal(kind),
    title: v.optional(boundedText(L.maxTitleChars)),
    collapsed: v.optional(v.boolean()),
    config,
  });

export const PolicyCellSchema = cellOf('policy', PolicyConfigSchema);
export const PromptsCellSchema = cellOf('prompts', PromptsConfigSchema);
export const DuelCellSchema = cellOf('duel', DuelConfigSchema);
export const TrainCellSchema = cellOf('train', TrainConfigSchema);
export const ArenaCellSchema = cellOf('arena', ArenaConfigSchema);
/**
 * The stored simulation result restates the engine's `SimulationSummary` field by field, with
 * the bounds a document needs; `satisfies` makes the compiler hold each list of fields to the
 * engine's type (a field added there and not here, or the reverse, does not compile).
 */
type FieldsOf<T> = Record<keyof T, v.GenericSchema>;

/** Mean lengths in words: finite and ≥ 0, with no upper bound of their own. */
const nonNegativeNumber = () => v.pipe(finiteNumber(), v.minValue(0, 'must be at least 0'));

/** One point of a simulation's curves (the worker's `SimulationSeriesPoint`). */
export const SimulationPointSchema = v.object({
  vote: wholeNumber(0, Number.MAX_SAFE_INTEGER),
  loss: v.nullable(finiteNumber()),
  margin: v.nullable(finiteNumber()),
  /** `null` before the first decisive vote; the two below while the recent candidates hold no bigram yet (JSON has no NaN). */
  rmPrequentialAccuracy: v.nullable(numberInRange(0, 1)),
  recentDistinct2: v.nullable(numberInRange(0, 1)),
  recentRepetition: v.nullable(numberInRange(0, 1)),
  /** The set-level collapse watch; absent in results stored before it (and null with no candidates yet). */
  recentDistinctCompletions: v.optional(v.nullable(numberInRange(0, 1))),
  recentMeanWords: v.optional(v.nullable(nonNegativeNumber())),
  recentSelfSimilarity: v.optional(v.nullable(numberInRange(0, 1))),
  /** Absent in results stored before 2026-12-08. */
  recentDoubledWords: v.optional(v.nullable(numberInRange(0, 1))),
} satisfies FieldsOf<SimulationSeriesPoint>);

/** Fluency of a simulation's evaluation samples (the worker's `SimulationFluency`). */
export const SimulationFluencySchema = v.object({
  policy_english_rate: v.nullable(numberInRange(0, 1)),
  reference_english_rate: v.nullable(numberInRange(0, 1)),
  policy_distinct2: v.nullable(numberInRange(0, 1)),
  reference_distinct2: v.nullable(numberInRange(0, 1)),
  policy_repetition: v.nullable(numberInRange(0, 1)),
  reference_repetition: v.nullable(numberInRange(0, 1)),
  /**
   * Set-level diversity. Optional only because results stored before the collapse watch saw set
   * collapse lack them (such a result keeps its stored verdict; nothing recomputes it).
   */
  policy_distinct_completions: v.optional(v.nullable(numberInRange(0, 1))),
  reference_distinct_completions: v.optional(v.nullable(numberInRange(0, 1))),
  policy_mean_words: v.optional(v.nullable(nonNegativeNumber())),
  reference_mean_words: v.optional(v.nullable(nonNegativeNumber())),
  policy_self_similarity: v.optional(v.nullable(numberInRange(0, 1))),
  reference_self_similarity: v.optional(v.nullable(numberInRange(0, 1))),
  /** Shares of answers with a doubled word; reported, not part of the verdict. Absent before 2026-12-08. */
  policy_doubled_words: v.optional(v.nullable(numberInRange(0, 1))),
  reference_doubled_words: v.optional(v.nullable(numberInRange(0, 1))),
} satisfies FieldsOf<SimulationFluency>);

/**
 * The outcome of a Simulate cell's last run: the worker's `SimulationSummary` (names as the
 * command line's `duelbook sim --json` prints them), bounded so that a result cannot crowd the
 * session out of its size limit; `boundSimulationResult` thins a summary down to these limits.
 */
export const StoredSimulationResultSchema = v.object({
  /** When the run finished. */
  completedAt: isoTimestampSchema(),
  win_rate: numberInRange(0, 1),
  win_rate_ci: v.tuple([numberInRange(0, 1), numberInRange(0, 1)]),
  wins: wholeNumber(0, Number.MAX_SAFE_INTEGER),
  losses: wholeNumber(0, Number.MAX_SAFE_INTEGER),
  ties: wholeNumber(0, Number.MAX_SAFE_INTEGER),
  kl: finiteNumber(),
  /** `null` when no vote was decisive (nothing to score; JSON has no NaN). */
  rm_prequential_accuracy: v.nullable(numberInRange(0, 1)),
  rm_prequential_accuracy_last100: v.nullable(numberInRange(0, 1)),
  /** Absent in results stored before the fixed reference pairs were scored; `null` when none was decisive. */
  rm_fixed_pairs_accuracy: v.optional(v.nullable(numberInRange(0, 1))),
  rm_fixed_pairs: v.optional(wholeNumber(0, Number.MAX_SAFE_INTEGER)),
  /** Absent in results stored before the simulation could relabel. */
  synthetic_pairs: v.optional(wholeNumber(0, Number.MAX_SAFE_INTEGER)),
  votes: wholeNumber(0, Number.MAX_SAFE_INTEGER),
  decisive_votes: wholeNumber(0, Number.MAX_SAFE_INTEGER),
  optimizer_steps: wholeNumber(0, Number.MAX_SAFE_INTEGER),
  seconds: v.pipe(finiteNumber(), v.minValue(0, 'must be at least 0')),
  /** Absent in results stored before runs carried a fluency check and verdict. */
  fluency: v.optional(SimulationFluencySchema),
  verdict: v.optional(v.picklist(RUN_VERDICTS)),
  series: v.pipe(
    v.array(SimulationPointSchema),
    v.maxLength(L.maxSimulationPoints, `holds more than ${formatCount(L.maxSimulationPoints)} points`),
  ),
  samples: v.pipe(
    v.array(
      v.object({
        prompt: boundedText(L.maxSimulationSampleChars),
        policy: boundedText(L.maxSimulationSampleChars),
        reference: boundedText(L.maxSimulationSampleChars),
      } satisfies FieldsOf<SimulationSummary['samples'][number]>),
    ),
    v.maxLength(L.maxSimulationSamples, `holds more than ${L.maxSimulationSamples} samples`),
  ),
} satisfies FieldsOf<SimulationSummary & { completedAt: string }>);

/** A Simulate cell keeps its last result beside its config (inputs and outputs stay apart). */
export const SimulateCellSchema = v.object({
  ...cellOf('simulate', SimulateConfigSchema).entries,
  /** Absent until the cell has run to the end; replaced by each complete run. */
  result: v.optional(StoredSimulationResultSchema),
});
export const NoteCellSchema = cellOf('note', NoteConfigSchema);

export const CellSchema = v.variant('kind', [
  PolicyCellSchema,
  PromptsCellSchema,
  DuelCellSchema,
  TrainCellSchema,
  ArenaCellSchema,
  SimulateCellSchema,
  NoteCellSchema,
]);

export const CELL_KINDS = ['policy', 'prompts', 'duel', 'train', 'arena', 'simulate', 'note'] as const;

/** The config schema of each cell kind, for validating edits to one cell. */
export const CELL_CONFIG_SCHEMAS = {
  policy: PolicyConfigSchema,
  prompts: PromptsConfigSchema,
  duel: DuelConfigSchema,
  train: TrainConfigSchema,
  arena: ArenaConfigSchema,
  simulate: SimulateConfigSchema,
  note: NoteConfigSchema,
} as const;

// ---------------------------------------------------------------------------------------------
// Types, inferred from the schemas above.

export type SessionCell = v.InferOutput<typeof CellSchema>;
export type CellKind = SessionCell['kind'];
export type CellOf<K extends CellKind> = Extract<SessionCell, { kind: K }>;
export type CellConfigOf<K extends CellKind> = CellOf<K>['config'];

export type ModelSource = v.InferOutput<typeof ModelSourceSchema>;
export type BackendPreference = v.InferOutput<typeof BackendPreferenceSchema>;
export type PolicyConfig = v.InferOutput<typeof PolicyConfigSchema>;
export type PromptSource = v.InferOutput<typeof PromptSourceSchema>;
export type PromptsConfig = v.InferOutput<typeof PromptsConfigSchema>;
export type Sampling = v.InferOutput<typeof SamplingSchema>;
export type AnnotatorConfig = v.InferOutput<typeof AnnotatorConfigSchema>;
export type JudgeConfig = v.InferOutput<typeof JudgeConfigSchema>;
export type DuelMode = v.InferOutput<typeof DuelModeSchema>;
export type DuelConfig = v.InferOutput<typeof DuelConfigSchema>;
export type Objective = v.InferOutput<typeof ObjectiveSchema>;
export type TrainConfig = v.InferOutput<typeof TrainConfigSchema>;
export type TieModel = v.InferOutput<typeof TieModelSchema>;
export type ArenaConfig = v.InferOutput<typeof ArenaConfigSchema>;
export type SimulateConfig = v.InferOutput<typeof SimulateConfigSchema>;
export type StoredSimulationResult = v.InferOutput<typeof StoredSimulationResultSchema>;
export type SimulationPoint = v.InferOutput<typeof SimulationPointSchema>;
export type DuelOpponent = v.InferOutput<typeof DuelOpponentSchema>;
export type NoteConfig = v.InferOutput<typeof NoteConfigSchema>;
