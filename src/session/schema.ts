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
import { PRINCIPLE_VERDICTS } from '../engine/api.ts';
import { SESSION_LIMITS as L, formatCount } from './limits.ts';
import { boundedText, finiteNumber, IdSchema, isoTimestampSchema, NameSchema, numberInRange, positiveNumber, SeedSchema, wholeNumber } from './schema_base.ts';
import { CellSchema, ObjectiveSchema, RelabelConfigSchema, SamplingSchema, TrainConfigSchema } from './schema_cells.ts';

// The cells (configs, the Simulate cell's result, the cell union and their types) live in
// schema_cells.ts, the building blocks in schema_base.ts; both are part of this module's surface.
export { boundedText, IdSchema, NameSchema, SeedSchema } from './schema_base.ts';
export * from './schema_cells.ts';

export const SESSION_FORMAT = 'duelbook.session';
export const CURRENT_SESSION_VERSION = 2;

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
  /**
   * Who cast it in a shared room: the participant's display name (self-declared), so a crowd's
   * votes can be told apart (agreement, overlap, exports). Absent in a solo session.
   */
  voter: v.optional(boundedText(L.maxVoterChars)),
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
  /**
   * The trainer was still learning from earlier votes when this one was cast, so the vote
   * entered the reward model and the policy's buffer but took no policy steps of its own: the
   * next `train` event with `catchUp` takes one step group over every vote deferred so far.
   * Logged, not decided on replay, so a replay takes exactly the steps the live session took.
   * Added to version 2 without a version bump (an older reader refuses it by its path).
   */
  deferSteps: v.optional(v.literal(true)),
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
  ...v.pick(TrainConfigSchema, ['objective', 'beta', 'epsilon', 'lr', 'batchSize']).entries,
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
  /** The engine's outcome: whether the pair entered the policy's buffer, and the loop's vote (reward model weighed against the explanations; before 2026-12-07 the reward model alone). */
  accepted: v.boolean(),
  preferred: v.picklist(['a', 'b']),
  pAB: numberInRange(0, 1),
  /** Std of that P(A≻B), between and within the mixture's models (before 2026-12-07: over the reward model's heads). */
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
  // The Train cell's hyperparameters with its own bounds, plus the two the cell does not expose.
  trainer: v.pipe(
    v.object({
      ...v.pick(TrainConfigSchema, ['objective', 'beta', 'epsilon', 'lr', 'interpolation', 'rpoAlpha', 'lengthAlpha', 'stepsPerVote', 'batchSize', 'bufferSize']).entries,
      maxGradNorm: v.pipe(finiteNumber(), v.minValue(0, 'must be at least 0')),
      seed: wholeNumber(0, 0xffff_ffff),
    }),
    // The trainer refuses R-DPO with another loss; a document that logs it is refused here, by path.
    v.forward(
      v.partialCheck([['objective'], ['lengthAlpha']], (t) => !((t.lengthAlpha ?? 0) > 0) || t.objective === 'sigmoid', 'R-DPO (lengthAlpha > 0) needs the sigmoid objective'),
      ['lengthAlpha'],
    ),
  ),
  updateAfterVote: v.boolean(),
  // The duel's relabelling bounds and sampling, with the duel config's bounds.
  relabel: v.object({
    ...v.pick(RelabelConfigSchema, ['pairs', 'minConfidence', 'maxStd', 'candidates', 'matchLength']).entries,
    maxNewTokens: SamplingSchema.entries.maxTokens,
    temperature: SamplingSchema.entries.temperature,
    topK: SamplingSchema.entries.topK,
    topP: SamplingSchema.entries.topP,
  }),
});

/**
 * "Train now": extra optimizer steps on the buffer as it is (an intent). `catchUp`: the page
 * appended it itself when the trainer went idle with votes whose steps were deferred (see
 * `deferSteps` on a pair vote), so the policy learns from those votes in one step group.
 */
export const TrainRequestEventSchema = eventOf('train', {
  steps: wholeNumber(1, 1_000),
  catchUp: v.optional(v.literal(true)),
});

/**
 * A person's word on a style principle in the "what you seem to prefer" panel (an intent):
 * "yes, I prefer shorter answers" (`confirm`), "no, not that" (`reject`), or neither any more
 * (`clear`). The engine turns it into a prior on that principle's weight in the reward model.
 * `principleId` is a pole id of the engine's principle list (`shorter`, `less_repetitive`, …);
 * an id this Duelbook does not know is kept (a newer one may) and the engine skips it.
 *
 * Added to version 2 without a version bump, like `settings` and `train`: an older version-2
 * reader refuses a log holding one at `events[i].type`.
 */
export const PrincipleEventSchema = eventOf('principle', {
  principleId: IdSchema,
  verdict: v.picklist(PRINCIPLE_VERDICTS),
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
  PrincipleEventSchema,
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
export type PrincipleEvent = EventOf<'principle'>;
export type Candidate = v.InferOutput<typeof CandidateSchema>;
export type PolicySnapshotRef = v.InferOutput<typeof PolicySnapshotRefSchema>;
export type PairOutcome = v.InferOutput<typeof PairOutcomeSchema>;
export type TrainHyper = v.InferOutput<typeof TrainHyperSchema>;
