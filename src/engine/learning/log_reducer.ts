/**
 * The one place where "this log means these weights" is decided. The page appends intents
 * (votes, rankings, thumbs, undo, settings, "Train now", snapshots) to the session log and
 * hands the new ones here; the reducer runs what follows from each (reference pass, reward
 * model, policy steps, relabelling) and returns derived records. Live voting, opening a session
 * and a shared session feed the same intents through the same `reduce`, so they end with the
 * same weights (bit-identical on the CPU backend).
 *
 * Undo is an intent: the weights are those of the log *without* the undone intents. The
 * reducer keeps checkpoints of its whole state (policy weights, AdamW moments, trainer buffer
 * and RNG, reward model, collapse window) and, when the effective log changes anywhere but at
 * its end (an undo, or an intent that lands before others), restores the last checkpoint
 * before the change and reduces forward. A checkpoint is taken before every vote; the last
 * `recentVotes` are kept (so undoing the latest vote is a restore, not a replay), older ones
 * only every `every` intents, and all of them within `budgetBytes` of host memory.
 */
import type {
  LearningSettings,
  LogIntent,
  ReduceRequest,
  ReduceResult,
  ReducedIntent,
  RewardModelStatus,
} from '../api';
import type { GPT2Model } from '../model/gpt2';
import type { TextTokenizer } from '../tokenizer';
import { cloneState, typedArrayBytes } from './clone_state';
import { OnlineLearner, type LearnerState } from './online';
import { priorPrincipleEstimates } from './principle_prefs';
import { DEFAULT_TRAINER, validateTrainerSettings } from './trainer';
import { PRINCIPLE_VERDICTS } from '../api';
import { checkRelabel, critiqueAfterVote, relabelAfterVote, type SyntheticPairContext } from './synthetic_pairs';

/** Settings in force before the log's first `settings` intent. */
export const DEFAULT_LEARNING: LearningSettings = {
  trainer: DEFAULT_TRAINER,
  updateAfterVote: true,
  relabel: { pairs: 0, minConfidence: 0.8, maxStd: 0.1, maxNewTokens: 24, temperature: 1, topK: 0, topP: 1 },
};

export interface ReducerModel {
  policy: GPT2Model;
  reference: GPT2Model;
  tokenizer: TextTokenizer;
  eosTokenId: number | null;
}

export interface CheckpointPolicy {
  /** Checkpoints kept before the most recent votes (undoing one of them is a restore). */
  recentVotes: number;
  /** Older checkpoints are kept only at positions that are multiples of this. */
  every: number;
  /** Host memory all checkpoints may hold together. */
  budgetBytes: number;
}

/**
 * 256 MB: a checkpoint of the shipped 4.2M-parameter policy holds weights and two AdamW moments
 * (≈ 51 MB) plus the reward model's heads (the buffered features are shared, not copied), so
 * the budget holds the 3 recent ones and a couple of sparse older ones.
 */
export const DEFAULT_CHECKPOINTS: CheckpointPolicy = { recentVotes: 3, every: 16, budgetBytes: 256 * 2 ** 20 };

/** The longest critique the engine reads; the session document's cap (src/session/limits.ts) is this. */
export const MAX_CRITIQUE_CHARS = 20_000;

/** No checkpoints (a simulation never undoes): a log that changes before its end is reduced from the start. */
export const NO_CHECKPOINTS: CheckpointPolicy = { recentVotes: 0, every: Number.MAX_SAFE_INTEGER, budgetBytes: 0 };

interface Checkpoint {
  /** Effective intents reduced when it was taken. */
  position: number;
  /** Whether it was taken right before a vote (those are the "recent" ones). */
  beforeVote: boolean;
  weights: Map<string, Float32Array>;
  learner: LearnerState | null;
  settings: LearningSettings;
  votesTrained: number;
  votesDeferred: number;
  snapshots: Map<string, { step: number; weights: Map<string, Float32Array> }>;
  bytes: number;
}

/** An intent's identity for comparing logs: two intents with the same key reduce the same. */
const intentKey = (intent: LogIntent): string => JSON.stringify(intent);

/** The features of the reward model are never mutated once buffered: checkpoints share them. */
const sharedFeatures = (v: object): boolean => v instanceof Float32Array;

/** AdamW's moments in a captured learner (Float32Arrays, so `sharedFeatures` skips them). */
const adamBytes = (learner: LearnerState): number => {
  let bytes = 0;
  for (const moments of [learner.trainer.opt.m, learner.trainer.opt.v]) for (const x of moments.values()) bytes += x.byteLength;
  return bytes;
};

const isVote = (intent: LogIntent): boolean => intent.type === 'pair' || intent.type === 'ranking' || intent.type === 'thumbs';

/** The intents in force: undone ones (and undos) removed; undoing an undo restores its target. */
export function effectiveIntents(log: readonly LogIntent[]): LogIntent[] {
  const cancelled = new Set<number>();
  for (let i = log.length - 1; i >= 0; i--) {
    const intent = log[i]!;
    if (intent.type === 'undo' && !cancelled.has(intent.seq)) cancelled.add(intent.targetSeq);
  }
  return log.filter((intent) => intent.type !== 'undo' && !cancelled.has(intent.seq));
}

export class ReduceError extends Error {}

export class LogReducer {
  /** The raw log by `seq`, in order. */
  private log: LogIntent[] = [];
  private readonly bySeq = new Map<number, string>();
  /** Keys of the effective intents whose effects the current state holds, in order. */
  private applied: string[] = [];
  private appliedSeqs: number[] = [];
  private checkpoints: Checkpoint[] = [];
  /**
   * A dropped checkpoint, kept only so the next one reads into its arrays: a checkpoint is taken
   * before every vote and one is dropped after it, and fresh arrays cost more than the copy
   * (in Node, 23 ms to slice 4.2M floats, 3.7 ms to copy them into an existing array). Nothing
   * else holds these arrays: restoring a checkpoint copies out of them.
   */
  private spare: Checkpoint | null = null;
  private learnerInstance: OnlineLearner | null = null;
  private settings: LearningSettings = DEFAULT_LEARNING;
  /** Settings in force before the log's first settings intent. */
  private initial: LearningSettings = DEFAULT_LEARNING;
  private votesTrained = 0;
  /**
   * Votes reduced with `deferSteps` since the last step group: they are in the reward model and
   * the buffer, and count as learned once a later vote's steps or a `train` intent has run.
   */
  private votesDeferred = 0;
  /** Weights the Arena saved by name (taken again when the log is reduced again). */
  snapshots = new Map<string, { step: number; weights: Map<string, Float32Array> }>();

  constructor(
    private readonly model: ReducerModel,
    private readonly checkpointPolicy: CheckpointPolicy = DEFAULT_CHECKPOINTS,
  ) {}

  /** The learner over the current state (created with the settings in force on first need). */
  get learner(): OnlineLearner {
    this.learnerInstance ??= new OnlineLearner(this.model.policy, this.model.reference, this.settings.trainer, (ids) => this.model.tokenizer.decode(ids));
    return this.learnerInstance;
  }

  get hasLearner(): boolean {
    return this.learnerInstance !== null;
  }

  get policyStep(): number {
    return this.learnerInstance?.trainer.steps ?? 0;
  }

  /** Votes the current weights have learned from (as `ReduceResult.votesTrained`). */
  get votesLearned(): number {
    return this.votesTrained;
  }

  get currentSettings(): LearningSettings {
    return this.settings;
  }

  /**
   * Merges new intents into the log and brings the state up to date with its effective
   * intents. Throws `ReduceError` (leaving the state as it was) for a malformed intent or one
   * that contradicts an intent already reduced under the same `seq`.
   */
  async reduce(req: ReduceRequest, onProgress?: (done: number, total: number) => void, isCancelled: () => boolean = () => false): Promise<ReduceResult> {
    const t0 = performance.now();
    const dropAfter = req.dropAfterSeq;
    if (dropAfter !== undefined && (!Number.isSafeInteger(dropAfter) || dropAfter < -1)) {
      throw new ReduceError('dropAfterSeq must be a whole number ≥ -1');
    }
    // Checked against the log as it will be: a reset forgets all of it, a drop its tail.
    for (const intent of req.intents) this.check(intent, !req.reset && (dropAfter === undefined || intent.seq <= dropAfter));
    if (req.initialSettings !== undefined) this.check({ seq: 0, type: 'settings', settings: req.initialSettings }, false);
    if (req.reset) await this.reset(req.initialSettings);
    else if (dropAfter !== undefined) this.drop(dropAfter);
    this.merge(req.intents);
    const effective = effectiveIntents(this.log);
    // Each intent's key was made once when it was merged: no re-serialising the log per vote.
    const keys = effective.map((intent) => this.bySeq.get(intent.seq)!);
    let common = 0;
    while (common < this.applied.length && common < keys.length && this.applied[common] === keys[common]) common++;
    let restoredAfterSeq: number | null = null;
    if (common < this.applied.length) {
      const checkpoint = await this.restoreAtOrBefore(common);
      restoredAfterSeq = checkpoint === 0 ? -1 : this.appliedSeqs[checkpoint - 1]!;
    }
    const reduced: ReducedIntent[] = [];
    const total = effective.length - this.applied.length;
    for (let i = this.applied.length; i < effective.length; i++) {
      if (isCancelled()) throw new ReduceError('CANCELLED');
      const intent = effective[i]!;
      if (isVote(intent)) await this.maybeCheckpoint(true);
      else if (this.applied.length % this.checkpointPolicy.every === 0 && this.applied.length > 0) await this.maybeCheckpoint(false);
      reduced.push(await this.apply(intent));
      this.applied.push(keys[i]!);
      this.appliedSeqs.push(intent.seq);
      onProgress?.(i + 1 - (effective.length - total), total);
    }
    return this.result(reduced, restoredAfterSeq, t0);
  }

  /** Back to the loaded weights and an empty log, with `initial` settings in force until the log sets its own. */
  async reset(initial: LearningSettings = DEFAULT_LEARNING): Promise<void> {
    this.log = [];
    this.bySeq.clear();
    this.checkpoints = [];
    this.spare = null;
    this.initial = cloneState(initial);
    await this.restoreFresh();
  }

  dispose(): void {
    this.learnerInstance?.dispose();
    this.learnerInstance = null;
    this.checkpoints = [];
    this.snapshots.clear();
  }

  // ---- the log --------------------------------------------------------------------------------

  private check(intent: LogIntent, againstLog = true): void {
    const bad = (m: string): never => {
      throw new ReduceError(`intent ${Number.isInteger(intent?.seq) ? intent.seq : '?'}: ${m}`);
    };
    if (!intent || typeof intent !== 'object') bad('not an object');
    if (!Number.isSafeInteger(intent.seq) || intent.seq < 0) bad('seq must be a whole number ≥ 0');
    // Ids outside this model's vocabulary are not malformed (the log may come from another
    // checkpoint): such an intent is reduced as skipped, with the reason (see `apply`).
    const ids = (x: unknown, what: string) => {
      if (!Array.isArray(x) || x.some((t) => !Number.isInteger(t) || t < 0)) bad(`${what} must be token ids (whole numbers ≥ 0)`);
    };
    switch (intent.type) {
      case 'settings':
        try {
          validateTrainerSettings(intent.settings.trainer);
        } catch (e) {
          bad((e as Error).message);
        }
        if (typeof intent.settings.updateAfterVote !== 'boolean') bad('updateAfterVote must be true or false');
        checkRelabel(intent.settings.relabel, bad);
        break;
      case 'pair':
        ids(intent.aIds, 'aIds');
        ids(intent.bIds, 'bIds');
        if (!['a', 'b', 'tie', 'bothbad'].includes(intent.outcome)) bad('outcome must be a, b, tie or bothbad');
        if (typeof intent.prompt !== 'string') bad('prompt must be text');
        if (intent.critique !== undefined && (typeof intent.critique !== 'string' || intent.critique.length > MAX_CRITIQUE_CHARS)) {
          bad(`a critique is text of at most ${MAX_CRITIQUE_CHARS} characters`);
        }
        if (intent.deferSteps !== undefined && intent.deferSteps !== true) bad('deferSteps is true or absent');
        break;
      case 'principle':
        if (typeof intent.principleId !== 'string' || intent.principleId === '') bad('a principle statement needs a principle id');
        if (!(PRINCIPLE_VERDICTS as readonly string[]).includes(intent.verdict)) bad(`verdict must be one of ${PRINCIPLE_VERDICTS.join(', ')}`);
        break;
      case 'ranking':
        if (!Array.isArray(intent.rankedIds) || intent.rankedIds.length < 2 || intent.rankedIds.length > 64) bad('a ranking holds 2 to 64 completions');
        intent.rankedIds.forEach((r, k) => ids(r, `rankedIds[${k}]`));
        if (typeof intent.prompt !== 'string') bad('prompt must be text');
        break;
      case 'thumbs':
        ids(intent.completionIds, 'completionIds');
        if (typeof intent.desirable !== 'boolean') bad('desirable must be true or false');
        if (typeof intent.prompt !== 'string') bad('prompt must be text');
        break;
      case 'train':
        if (!Number.isInteger(intent.steps) || intent.steps < 1 || intent.steps > 1000) bad('steps must be 1…1000');
        if (intent.catchUp !== undefined && intent.catchUp !== true) bad('catchUp is true or absent');
        break;
      case 'snapshot':
        if (typeof intent.name !== 'string' || intent.name === '') bad('a snapshot needs a name');
        break;
      case 'undo':
        if (!Number.isSafeInteger(intent.targetSeq) || intent.targetSeq >= intent.seq) bad('undo must name an earlier seq');
        break;
      default:
        bad(`unknown intent type ${(intent as { type: unknown }).type}`);
    }
    const known = againstLog ? this.bySeq.get(intent.seq) : undefined;
    if (known !== undefined && known !== intentKey(intent)) bad('a different intent was already reduced under this seq');
  }

  /** Forgets the raw log after `seq`; the next reduce restores state to where the log still agrees. */
  private drop(seq: number): void {
    const kept = this.log.filter((intent) => intent.seq <= seq);
    if (kept.length === this.log.length) return;
    for (const intent of this.log) if (intent.seq > seq) this.bySeq.delete(intent.seq);
    this.log = kept;
  }

  private merge(intents: readonly LogIntent[]): void {
    const fresh = intents.filter((intent) => !this.bySeq.has(intent.seq));
    if (fresh.length === 0) return;
    for (const intent of fresh) this.bySeq.set(intent.seq, intentKey(intent));
    const last = this.log[this.log.length - 1];
    const inOrder = fresh.every((x, i) => (i === 0 ? last === undefined || x.seq > last.seq : x.seq > fresh[i - 1]!.seq));
    this.log = inOrder ? [...this.log, ...fresh] : [...this.log, ...fresh].sort((a, b) => a.seq - b.seq);
  }

  // ---- one intent -----------------------------------------------------------------------------

  private async apply(intent: LogIntent): Promise<ReducedIntent> {
    const base = { seq: intent.seq, type: intent.type };
    switch (intent.type) {
      case 'settings':
        this.settings = cloneState(intent.settings);
        this.learnerInstance?.trainer.reconfigure(this.settings.trainer);
        return { ...base, steps: [] };
      case 'pair':
      case 'ranking':
      case 'thumbs': {
        const promptIds = this.model.tokenizer.encode(intent.prompt);
        const completions = intent.type === 'pair' ? [intent.aIds, intent.bIds] : intent.type === 'ranking' ? intent.rankedIds : [intent.completionIds];
        const tooLong = this.vocabularyProblem(completions) ?? this.contextProblem(promptIds, completions);
        if (tooLong) return { ...base, steps: [], skippedReason: tooLong };
        const learner = this.learner;
        const deferred = intent.type === 'pair' && intent.deferSteps === true;
        const train = this.settings.updateAfterVote && !deferred;
        const r =
          intent.type === 'pair' ? await learner.feedback({ prompt: intent.prompt, promptIds, aIds: intent.aIds, bIds: intent.bIds, outcome: intent.outcome, train })
          : intent.type === 'ranking' ? await learner.feedbackRanking({ prompt: intent.prompt, promptIds, rankedIds: intent.rankedIds, train })
          : await learner.feedbackThumbs({ prompt: intent.prompt, promptIds, completionIds: intent.completionIds, desirable: intent.desirable, train });
        if (deferred) this.votesDeferred++;
        else this.countTrained(1);
        const out: ReducedIntent = { ...base, steps: [...r.steps], rewardModel: r.rewardModel };
        if (r.untrainedReason !== undefined) out.untrainedReason = r.untrainedReason;
        if (intent.type === 'pair' && this.settings.relabel.pairs > 0) out.relabels = await relabelAfterVote(this.syntheticContext, intent.seq, promptIds, out.steps, train);
        if (intent.type === 'pair' && intent.critique !== undefined && intent.critique.trim() !== '') {
          out.critique = await critiqueAfterVote(this.syntheticContext, intent.seq, promptIds, intent.critique, out.steps, train);
        }
        return out;
      }
      case 'principle': {
        const reason = this.learner.statePrinciple(intent.principleId, intent.verdict);
        return reason === null ? { ...base, steps: [] } : { ...base, steps: [], skippedReason: reason };
      }
      case 'train': {
        const learner = this.learner;
        // Whatever it trains, the deferred votes are in the buffer it trains on (as a vote that
        // cannot train yet still counts as learned, below).
        this.countTrained(0);
        if (!learner.trainer.hasExamples()) {
          return { ...base, steps: [], skippedReason: `nothing in the replay buffer can train the "${learner.trainer.currentObjective}" objective yet` };
        }
        return { ...base, steps: await learner.train(intent.steps) };
      }
      case 'snapshot':
        this.snapshots.set(intent.name, { step: this.policyStep, weights: await this.model.policy.readWeights() });
        return { ...base, steps: [] };
      case 'undo':
        return { ...base, steps: [] };
    }
  }

  /** A step group ran (or would have, had the buffer allowed): `votes` more, and every deferred one, are learned. */
  private countTrained(votes: number): void {
    this.votesTrained += votes + this.votesDeferred;
    this.votesDeferred = 0;
  }

  /** What the synthetic-pair drivers (relabelling, critiques) read, as things are now. */
  private get syntheticContext(): SyntheticPairContext {
    return { policy: this.model.policy, eosTokenId: this.model.eosTokenId, learner: this.learner, settings: this.settings };
  }

  private vocabularyProblem(completions: number[][]): string | null {
    const V = this.model.policy.config.vocabSize;
    return completions.some((ids) => ids.some((t) => t >= V)) ? `a completion holds token ids outside this model's vocabulary of ${V} (the log was written with another checkpoint?)` : null;
  }

  private contextProblem(promptIds: number[], completions: number[][]): string | null {
    if (promptIds.length === 0) return 'the prompt encodes to no tokens';
    const longest = Math.max(...completions.map((ids) => ids.length));
    const n = this.model.policy.config.nPositions;
    return promptIds.length + longest > n ? `prompt + completion is ${promptIds.length + longest} tokens, more than the context of ${n}` : null;
  }

  // ---- checkpoints ----------------------------------------------------------------------------

  private async maybeCheckpoint(beforeVote: boolean): Promise<void> {
    if (this.checkpointPolicy.budgetBytes <= 0) return;
    const position = this.applied.length;
    if (this.checkpoints.some((c) => c.position === position)) return;
    const spare = this.spare;
    this.spare = null;
    const learner = this.learnerInstance ? await this.learnerInstance.capture(spare?.learner?.trainer.opt) : null;
    const weights = await this.model.policy.readWeights(spare?.weights);
    let bytes = 0;
    for (const w of weights.values()) bytes += w.byteLength;
    // The reward model's buffered features are shared with the live model, not copied: not counted.
    if (learner) bytes += typedArrayBytes(learner, sharedFeatures) + adamBytes(learner);
    this.checkpoints.push({
      position,
      beforeVote,
      weights,
      learner,
      settings: cloneState(this.settings),
      votesTrained: this.votesTrained,
      votesDeferred: this.votesDeferred,
      snapshots: new Map(this.snapshots),
      bytes,
    });
    this.evict();
  }

  /** Keeps the recent pre-vote checkpoints and the sparse grid, within the memory budget. */
  private evict(): void {
    const { recentVotes, every, budgetBytes } = this.checkpointPolicy;
    const recent = new Set(this.checkpoints.filter((c) => c.beforeVote).slice(-recentVotes));
    this.spare = this.checkpoints.find((c) => !recent.has(c) && c.position % every !== 0) ?? this.spare;
    this.checkpoints = this.checkpoints.filter((c) => recent.has(c) || c.position % every === 0);
    let total = this.checkpoints.reduce((n, c) => n + c.bytes, 0);
    // Over budget: drop the oldest grid checkpoints first, then the oldest recent ones.
    while (total > budgetBytes && this.checkpoints.length > 1) {
      const victim = this.checkpoints.find((c) => !recent.has(c)) ?? this.checkpoints[0]!;
      this.checkpoints = this.checkpoints.filter((c) => c !== victim);
      total -= victim.bytes;
    }
  }

  /** Restores the last checkpoint at or before `position` (else the loaded weights); returns its position. */
  private async restoreAtOrBefore(position: number): Promise<number> {
    let best: Checkpoint | null = null;
    for (const c of this.checkpoints) if (c.position <= position && (best === null || c.position > best.position)) best = c;
    // Checkpoints past the restore point describe a log that no longer is.
    this.checkpoints = this.checkpoints.filter((c) => c.position <= (best?.position ?? 0));
    if (best === null) {
      await this.restoreFresh();
      return 0;
    }
    this.model.policy.writeWeights(best.weights);
    // `restore` copies what it installs, so the checkpoint stays intact for another restore.
    if (best.learner) this.learner.restore(best.learner);
    else {
      this.learnerInstance?.dispose();
      this.learnerInstance = null;
    }
    this.settings = cloneState(best.settings);
    this.votesTrained = best.votesTrained;
    this.votesDeferred = best.votesDeferred;
    this.snapshots = new Map(best.snapshots);
    this.applied = this.applied.slice(0, best.position);
    this.appliedSeqs = this.appliedSeqs.slice(0, best.position);
    return best.position;
  }

  /** The weights as loaded (the reference's), no learner, default settings. */
  private async restoreFresh(): Promise<void> {
    this.model.policy.writeWeights(await this.model.reference.readWeights());
    this.learnerInstance?.dispose();
    this.learnerInstance = null;
    this.settings = cloneState(this.initial);
    this.votesTrained = 0;
    this.votesDeferred = 0;
    this.snapshots = new Map();
    this.applied = [];
    this.appliedSeqs = [];
  }

  private result(reduced: ReducedIntent[], restoredAfterSeq: number | null, t0: number): ReduceResult {
    const learner = this.learnerInstance;
    const summary = learner?.rewardSummary;
    const rewardModel: RewardModelStatus | null = summary
      ? { predictedPAB: null, correct: null, prequentialAccuracy: summary.accuracy, windowAccuracy: summary.windowAccuracy, votesSeen: summary.votes }
      : null;
    return {
      reduced,
      restoredAfterSeq,
      policyStep: this.policyStep,
      votesTrained: this.votesTrained,
      votesDeferred: this.votesDeferred,
      intentsReduced: this.applied.length,
      bufferSize: learner?.trainer.bufferLength ?? 0,
      rewardModel,
      preferences: learner ? learner.preferences : priorPrincipleEstimates(this.model.policy.config),
      explanations: summary && summary.votes > 0 ? learner!.explanations : null,
      collapse: learner?.collapse ?? { recentDistinct2: NaN, recentRepetition: NaN, recentDistinctCompletions: NaN, recentMeanWords: NaN, recentSelfSimilarity: NaN, recentDoubledWords: NaN, window: 0 },
      syntheticPairs: learner?.counts.syntheticPairs ?? 0,
      checkpoints: { count: this.checkpoints.length, bytes: this.checkpoints.reduce((n, c) => n + c.bytes, 0), budgetBytes: this.checkpointPolicy.budgetBytes },
      ms: performance.now() - t0,
    };
  }
}
