/**
 * The session document, version 2, as valibot schemas. These schemas are the single source of
 * the document's TypeScript types (`v.InferOutput`), and they are what every document crossing
 * a trust boundary (imported file, share link, IndexedDB record) is checked against.
 *
 * Objects are non-strict: unknown keys are dropped on parse rather than rejected, so a file
 * hand-edited with an extra comment field still opens. Cross-field rules that a schema cannot
 * state locally (unique cell ids, monotone `seq`, votes naming candidates that were shown)
 * live in `integrity.ts`.
 */
import * as v from 'valibot';
import { SESSION_LIMITS as L, formatCount } from './limits.ts';
import { isFetchableModelUrl } from './url.ts';
import { TRAINER_OBJECTIVES } from '../engine/objectives/names.ts';

export const SESSION_FORMAT = 'duelbook.session';
export const CURRENT_SESSION_VERSION = 2;

// ---------------------------------------------------------------------------------------------
// Building blocks. Messages are phrased to follow "path: " (see issues.ts).

const tooLong = (max: number) => (issue: { received: string }) =>
  `is ${formatCount(Number(issue.received))} characters long; the limit is ${formatCount(max)}`;

/** A string of at most `max` characters. */
export const boundedText = (max: number) => v.pipe(v.string(), v.maxLength(max, tooLong(max)));

/** A non-empty string of at most `max` characters. */
const nonEmptyText = (max: number) =>
  v.pipe(v.string(), v.minLength(1, 'must not be empty'), v.maxLength(max, tooLong(max)));

const ID_PATTERN = /^[A-Za-z0-9_-]+$/;

/** Ids of cells, prompts and candidates: URL- and DOM-safe, 1–64 characters. */
export const IdSchema = v.pipe(
  v.string(),
  v.minLength(1, 'must not be empty'),
  v.maxLength(L.maxIdChars, tooLong(L.maxIdChars)),
  v.regex(ID_PATTERN, 'may only contain letters, digits, "-" and "_"'),
);

/** Short human-readable names: snapshot names, annotator criteria, pair-selection rules. */
export const NameSchema = nonEmptyText(L.maxNameChars);

const wholeNumber = (min: number, max: number) =>
  v.pipe(
    v.number(),
    v.integer('expected a whole number'),
    v.minValue(min, `must be at least ${formatCount(min)}`),
    v.maxValue(max, `must be at most ${formatCount(max)}`),
  );

const finiteNumber = () => v.pipe(v.number(), v.finite('expected a finite number'));

const numberInRange = (min: number, max: number) =>
  v.pipe(
    finiteNumber(),
    v.minValue(min, `must be at least ${min}`),
    v.maxValue(max, `must be at most ${max}`),
  );

const positiveNumber = (max: number) =>
  v.pipe(finiteNumber(), v.gtValue(0, 'must be greater than 0'), v.maxValue(max, `must be at most ${max}`));

/** RNG seeds are unsigned 32-bit integers: what every seeded PRNG in the engine accepts. */
export const SeedSchema = wholeNumber(0, 0xffff_ffff);

const ModelUrlSchema = v.pipe(
  v.string(),
  v.maxLength(L.maxUrlChars, tooLong(L.maxUrlChars)),
  v.check(isFetchableModelUrl, 'must be an http(s) URL or a path relative to the app'),
);

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
    relabel: v.optional(v.object({ pairs: wholeNumber(0, 8), minConfidence: numberInRange(0.5, 1), maxStd: numberInRange(0, 0.5) })),
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
export const ObjectiveSchema = v.picklist(OBJECTIVES);

export const TrainConfigSchema = v.object({
  objective: ObjectiveSchema,
  /** TRL's `beta` (default 0.1). */
  beta: positiveNumber(100),
  /** TRL's `label_smoothing`: the assumed label-flip rate for cdpo and robust, in [0, 0.5). */
  epsilon: v.pipe(finiteNumber(), v.minValue(0, 'must be at least 0'), v.ltValue(0.5, 'must be below 0.5')),
  lr: positiveNumber(1),
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

/** ISO timestamps; a function so cell schemas above the document section can use it. */
function isoTimestampSchema() {
  return v.pipe(v.string(), v.isoTimestamp('expected an ISO 8601 timestamp'));
}

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
/** One point of a simulation's curves (the worker's `SimulationSummary['series'][number]`). */
export const SimulationPointSchema = v.object({
  vote: wholeNumber(0, Number.MAX_SAFE_INTEGER),
  loss: v.nullable(finiteNumber()),
  margin: v.nullable(finiteNumber()),
  /** `null` before the first decisive vote; the two below while the recent candidates hold no bigram yet (JSON has no NaN). */
  rmPrequentialAccuracy: v.nullable(numberInRange(0, 1)),
  recentDistinct2: v.nullable(numberInRange(0, 1)),
  recentRepetition: v.nullable(numberInRange(0, 1)),
});

/** Fluency of a simulation's evaluation samples (the worker's `SimulationFluency`). */
export const SimulationFluencySchema = v.object({
  policy_english_rate: v.nullable(numberInRange(0, 1)),
  reference_english_rate: v.nullable(numberInRange(0, 1)),
  policy_distinct2: v.nullable(numberInRange(0, 1)),
  reference_distinct2: v.nullable(numberInRange(0, 1)),
  policy_repetition: v.nullable(numberInRange(0, 1)),
  reference_repetition: v.nullable(numberInRange(0, 1)),
});

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
  votes: wholeNumber(0, Number.MAX_SAFE_INTEGER),
  decisive_votes: wholeNumber(0, Number.MAX_SAFE_INTEGER),
  optimizer_steps: wholeNumber(0, Number.MAX_SAFE_INTEGER),
  seconds: v.pipe(finiteNumber(), v.minValue(0, 'must be at least 0')),
  /** Absent in results stored before runs carried a fluency check and verdict. */
  fluency: v.optional(SimulationFluencySchema),
  verdict: v.optional(v.picklist(['learning', 'no learning', 'collapse', 'degraded'])),
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
      }),
    ),
    v.maxLength(L.maxSimulationSamples, `holds more than ${L.maxSimulationSamples} samples`),
  ),
});

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
// Events

const eventOf = <T extends string, E extends v.ObjectEntries>(type: T, entries: E) =>
  v.object({
    /** Position in the log: strictly increasing, never reused (undo appends, it never deletes). */
    seq: wholeNumber(0, Number.MAX_SAFE_INTEGER),
    /** Wall-clock milliseconds since the epoch when the event was appended. */
    t: v.pipe(finiteNumber(), v.minValue(0, 'must be at least 0')),
    /** The cell the event belongs to. The cell may since have been deleted: that is allowed. */
    cellId: IdSchema,
    type: v.literal(type),
    ...entries,
  });

/** Which policy weights produced a candidate: the optimizer step, and a snapshot name if saved. */
export const PolicySnapshotRefSchema = v.object({
  step: wholeNumber(0, Number.MAX_SAFE_INTEGER),
  name: v.optional(NameSchema),
});

/** A completion's sampled token ids, bounded like a candidate's text. */
const TokenIdsSchema = v.pipe(
  v.array(v.number()),
  v.maxLength(L.maxTokenIdsPerCandidate, `holds more than ${formatCount(L.maxTokenIdsPerCandidate)} tokens`),
  v.check(
    (ids) => ids.every((id) => Number.isInteger(id) && id >= 0 && id <= 0xffff_ffff),
    'must hold token ids (whole numbers ≥ 0)',
  ),
);

export const CandidateSchema = v.object({
  id: IdSchema,
  text: boundedText(L.maxCandidateChars),
  /** The sampled token ids, kept so replay can check it produced the same tokens. */
  tokenIds: v.optional(TokenIdsSchema),
  policySnapshot: PolicySnapshotRefSchema,
});

export const PromptEventSchema = eventOf('prompt', {
  promptId: IdSchema,
  text: boundedText(L.maxPromptChars),
});

export const CandidatesEventSchema = eventOf('candidates', {
  promptId: IdSchema,
  candidates: v.pipe(
    v.array(CandidateSchema),
    v.minLength(1, 'must hold at least one candidate'),
    v.maxLength(L.maxCandidatesPerEvent, `holds more than ${L.maxCandidatesPerEvent} candidates`),
  ),
  /** The seed the sampler was started with for this prompt. */
  seed: SeedSchema,
  sampling: SamplingSchema,
});

const voteFields = {
  promptId: IdSchema,
  critique: v.optional(boundedText(L.maxCritiqueChars)),
  /** `"human"`, a simulated annotator's id, or an ONNX judge's id. */
  judge: IdSchema,
};

export const PairOutcomeSchema = v.picklist(['a', 'b', 'tie', 'bothbad']);

export const PairVoteEventSchema = eventOf('vote', {
  ...voteFields,
  kind: v.literal('pair'),
  a: IdSchema,
  b: IdSchema,
  /** `a`: a is better; `b`: b is better; `tie`: equally good; `bothbad`: neither acceptable. */
  outcome: PairOutcomeSchema,
  /** The candidate ids left to right as shown, so position bias can be measured. */
  shownOrder: v.tuple([IdSchema, IdSchema]),
});

export const RankVoteEventSchema = eventOf('vote', {
  ...voteFields,
  kind: v.literal('rank'),
  /** Candidate ids, best first. */
  order: v.pipe(
    v.array(IdSchema),
    v.minLength(2, 'must rank at least 2 candidates'),
    v.maxLength(L.maxCandidatesPerEvent, `ranks more than ${L.maxCandidatesPerEvent} candidates`),
  ),
});

export const ThumbsVoteEventSchema = eventOf('vote', {
  ...voteFields,
  kind: v.literal('thumbs'),
  candidate: IdSchema,
  up: v.boolean(),
});

export const VoteEventSchema = v.variant('kind', [PairVoteEventSchema, RankVoteEventSchema, ThumbsVoteEventSchema]);

export const UndoEventSchema = eventOf('undo', {
  /** The event this one cancels. Undoing an undo restores its target (redo). */
  targetSeq: wholeNumber(0, Number.MAX_SAFE_INTEGER),
});

/** The hyperparameters a training step actually ran with (the cell may have changed since). */
export const TrainHyperSchema = v.object({
  objective: ObjectiveSchema,
  beta: positiveNumber(100),
  epsilon: v.pipe(finiteNumber(), v.minValue(0, 'must be at least 0'), v.ltValue(0.5, 'must be below 0.5')),
  lr: positiveNumber(1),
  batchSize: wholeNumber(1, 1_024),
  /** Seed of the minibatch draw, when the batch was sampled from the buffer. */
  seed: v.optional(SeedSchema),
});

export const TrainStepEventSchema = eventOf('train_step', {
  /** 1-based optimizer step count after this step. */
  step: wholeNumber(1, Number.MAX_SAFE_INTEGER),
  hyper: TrainHyperSchema,
  /** Loss, margins, log-probs, KL, …; `null` where a value was not finite (JSON has no NaN). */
  metrics: v.pipe(
    v.record(NameSchema, v.nullable(finiteNumber())),
    v.check((m) => Object.keys(m).length <= L.maxMetricsPerStep, `has more than ${L.maxMetricsPerStep} metrics`),
  ),
  /**
   * The intent (vote, ranking, thumbs, "Train now") whose reduction took this step: the engine
   * recomputes it when the session opens and compares. After an undo the engine reduces later
   * intents again, so one intent can have several groups of steps: the last group is in force.
   */
  intentSeq: v.optional(wholeNumber(0, Number.MAX_SAFE_INTEGER)),
  /** The `seq`s of the votes that formed this step's batch, so replay uses the same data. */
  voteSeqs: v.optional(
    v.pipe(
      v.array(wholeNumber(0, Number.MAX_SAFE_INTEGER)),
      v.maxLength(L.maxVoteSeqsPerStep, `holds more than ${formatCount(L.maxVoteSeqsPerStep)} votes`),
    ),
  ),
});

/**
 * The reward model labelled a fresh pair of policy samples after a vote (the Duel cell's
 * relabelling: RLHF Workflow's online iterative DPO with AI feedback). Not a vote: no judge
 * said anything, so it counts in no vote tally, rating or preference export. It is logged so
 * that replay can make the same call at the same point of the log (the engine is
 * deterministic: the reward model decides the same, and the same steps follow, which are the
 * `train_step` events logged right after this one). Rejected calls are logged too: they change
 * nothing in the engine, but replay checks that the reward model still rejects them, and the
 * log keeps how often relabelling was refused.
 *
 * Added to version 2 without a version bump, like the objectives and duel opponents added
 * before it: a document without relabel events is unchanged, and an older version-2 reader
 * refuses one with such an event by its path (`events[i].type`) rather than misreading it.
 */
export const RelabelEventSchema = eventOf('relabel', {
  promptId: IdSchema,
  /** The two fresh completions' token ids, in the order the engine was given them. */
  aIds: TokenIdsSchema,
  bIds: TokenIdsSchema,
  /** The bounds the call ran with (the duel's settings may have changed since). */
  minConfidence: numberInRange(0.5, 1),
  maxStd: numberInRange(0, 0.5),
  /** The engine's outcome: whether the pair entered the policy's buffer, and the reward model's vote. */
  accepted: v.boolean(),
  preferred: v.picklist(['a', 'b']),
  pAB: numberInRange(0, 1),
  /** Std of P(A≻B) over the reward model's heads. */
  std: v.pipe(finiteNumber(), v.minValue(0, 'must be at least 0'), v.maxValue(1, 'must be at most 1')),
  /** The vote after which the engine sampled and labelled this pair (a derived record of it). */
  intentSeq: v.optional(wholeNumber(0, Number.MAX_SAFE_INTEGER)),
});

/**
 * The learning settings in force from here on (an intent): the Train cell's hyperparameters and
 * the duel's relabelling. The page appends one before a vote whenever the cells' settings differ
 * from the last one logged, so the log alone says how every later vote trained.
 */
export const SettingsEventSchema = eventOf('settings', {
  trainer: v.object({
    objective: ObjectiveSchema,
    beta: positiveNumber(100),
    epsilon: v.pipe(finiteNumber(), v.minValue(0, 'must be at least 0'), v.ltValue(0.5, 'must be below 0.5')),
    lr: positiveNumber(1),
    stepsPerVote: wholeNumber(0, 1_000),
    batchSize: wholeNumber(1, 1_024),
    bufferSize: wholeNumber(1, 100_000),
    maxGradNorm: v.pipe(finiteNumber(), v.minValue(0, 'must be at least 0')),
    seed: wholeNumber(0, 0xffff_ffff),
  }),
  updateAfterVote: v.boolean(),
  relabel: v.object({
    pairs: wholeNumber(0, 8),
    minConfidence: numberInRange(0.5, 1),
    maxStd: numberInRange(0, 0.5),
    maxNewTokens: wholeNumber(1, 4096),
    temperature: v.pipe(finiteNumber(), v.minValue(0, 'must be at least 0')),
    topK: wholeNumber(0, 1_000_000),
    topP: v.pipe(finiteNumber(), v.gtValue(0, 'must be above 0'), v.maxValue(1, 'must be at most 1')),
  }),
});

/** "Train now": extra optimizer steps on the buffer as it is (an intent). */
export const TrainRequestEventSchema = eventOf('train', {
  steps: wholeNumber(1, 1_000),
});

export const SnapshotEventSchema = eventOf('snapshot', {
  name: NameSchema,
  step: wholeNumber(0, Number.MAX_SAFE_INTEGER),
});

export const SeedEventSchema = eventOf('seed', { seed: SeedSchema });

export const SessionEventSchema = v.variant('type', [
  PromptEventSchema,
  CandidatesEventSchema,
  VoteEventSchema,
  UndoEventSchema,
  TrainStepEventSchema,
  RelabelEventSchema,
  SnapshotEventSchema,
  SeedEventSchema,
  SettingsEventSchema,
  TrainRequestEventSchema,
]);

// ---------------------------------------------------------------------------------------------
// The document

export const IsoTimestampSchema = isoTimestampSchema();

export const SessionMetadataSchema = v.object({
  title: boundedText(L.maxTitleChars),
  createdAt: IsoTimestampSchema,
  updatedAt: IsoTimestampSchema,
  /** The app version that last wrote the document (for bug reports, not for migration). */
  appVersion: boundedText(64),
});

export const SessionDocumentSchema = v.object({
  format: v.literal(SESSION_FORMAT),
  version: v.literal(CURRENT_SESSION_VERSION),
  metadata: SessionMetadataSchema,
  cells: v.pipe(
    v.array(CellSchema),
    v.maxLength(L.maxCells, `holds more than ${formatCount(L.maxCells)} cells`),
  ),
  events: v.pipe(
    v.array(SessionEventSchema),
    v.maxLength(L.maxEvents, `holds more than ${formatCount(L.maxEvents)} events`),
  ),
});

// ---------------------------------------------------------------------------------------------
// Types, inferred from the schemas above.

export type SessionDocument = v.InferOutput<typeof SessionDocumentSchema>;
export type SessionMetadata = v.InferOutput<typeof SessionMetadataSchema>;
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

export type SessionEvent = v.InferOutput<typeof SessionEventSchema>;
export type SessionEventType = SessionEvent['type'];
export type EventOf<T extends SessionEventType> = Extract<SessionEvent, { type: T }>;
export type PromptEvent = EventOf<'prompt'>;
export type CandidatesEvent = EventOf<'candidates'>;
export type VoteEvent = EventOf<'vote'>;
export type PairVoteEvent = Extract<VoteEvent, { kind: 'pair' }>;
export type RankVoteEvent = Extract<VoteEvent, { kind: 'rank' }>;
export type ThumbsVoteEvent = Extract<VoteEvent, { kind: 'thumbs' }>;
export type UndoEvent = EventOf<'undo'>;
export type TrainStepEvent = EventOf<'train_step'>;
export type RelabelEvent = EventOf<'relabel'>;
export type SnapshotEvent = EventOf<'snapshot'>;
export type SeedEvent = EventOf<'seed'>;
export type SettingsEvent = EventOf<'settings'>;
export type TrainRequestEvent = EventOf<'train'>;
export type Candidate = v.InferOutput<typeof CandidateSchema>;
export type PolicySnapshotRef = v.InferOutput<typeof PolicySnapshotRefSchema>;
export type PairOutcome = v.InferOutput<typeof PairOutcomeSchema>;
export type TrainHyper = v.InferOutput<typeof TrainHyperSchema>;
