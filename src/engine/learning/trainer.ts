import { forwardSummed, scoreSequencesUnder, type ScoredSequences } from '../batch';
import type { GPT2Model } from '../model/gpt2';
import { AdamW, DEFAULT_ADAMW, type AdamWConfig, type AdamWState } from '../optim';
import { cloneState } from './clone_state';
import { Rng } from '../rng';
import {
  isTrainerObjective,
  klMismatchIndices,
  ktoLoss,
  lipoLambdaLoss,
  objectiveFamily,
  OBJECTIVE_WEIGHT_LIMITS,
  pairedObjective,
  plackettLuceLoss,
  RunningMoments,
  TRAINER_OBJECTIVES,
  type ObjectiveFamily,
  type PairedLossType,
  type TrainerObjective,
} from '../objectives';
import type { StepMetrics, TrainerSettings } from '../api';

export const DEFAULT_TRAINER: TrainerSettings = {
  objective: 'sigmoid',
  beta: 0.5,
  epsilon: 0.1,
  lr: 1e-4,
  stepsPerVote: 2,
  batchSize: 8,
  bufferSize: 256,
  maxGradNorm: 1,
  seed: 0,
};

// The objective names live in src/engine/objectives/names.ts; re-exported for the trainer's importers.
export {
  LISTWISE_OBJECTIVES,
  TRAINER_OBJECTIVES,
  isTrainerObjective,
  objectiveFamily,
  type ListwiseObjective,
  type ObjectiveFamily,
  type TrainerObjective,
} from '../objectives/names';

/** A completion with its reference log-prob (summed over its tokens), cached once. */
export interface ScoredCompletion {
  ids: number[];
  ref: number;
}

/**
 * Feedback as the replay buffer keeps it: exactly what was said, with reference log-probs
 * cached when it arrived (the reference never changes). Which training examples an item
 * yields depends on the objective at step time (see `PreferenceTrainer.examplesOf`), so
 * switching objectives mid-session reuses everything already collected.
 */
export type BufferedFeedback =
  | { kind: 'pair'; promptIds: number[]; chosen: ScoredCompletion; rejected: ScoredCompletion }
  | { kind: 'thumbs'; promptIds: number[]; completion: ScoredCompletion; desirable: boolean }
  | { kind: 'ranking'; promptIds: number[]; ranked: ScoredCompletion[] };

/** One preference pair with its reference log-probs cached (the legacy pair-only form). */
export interface BufferedPair {
  promptIds: number[];
  chosenIds: number[];
  rejectedIds: number[];
  refChosen: number;
  refRejected: number;
}

/** One unit of a batch: a pair (paired objectives), a labelled completion (KTO), a list (listwise). */
export type TrainingExample =
  | { kind: 'pair'; promptIds: number[]; chosen: ScoredCompletion; rejected: ScoredCompletion }
  | { kind: 'labelled'; promptIds: number[]; completion: ScoredCompletion; desirable: boolean }
  | { kind: 'list'; promptIds: number[]; ranked: ScoredCompletion[] };

export function validateTrainerSettings(s: TrainerSettings): TrainerObjective {
  const bad = (m: string) => {
    throw new Error(`trainer: ${m}`);
  };
  if (!isTrainerObjective(s.objective)) bad(`unknown objective "${s.objective}" (one of ${TRAINER_OBJECTIVES.join(', ')})`);
  if (!(s.beta > 0)) bad('beta must be > 0');
  if (!(s.epsilon >= 0 && s.epsilon < 0.5)) bad('epsilon must be in [0, 0.5)');
  if (!(s.lr > 0 && s.lr < 1)) bad('lr must be in (0, 1)');
  if (!Number.isInteger(s.stepsPerVote) || s.stepsPerVote < 0) bad('stepsPerVote must be a non-negative integer');
  if (!Number.isInteger(s.batchSize) || s.batchSize < 1) bad('batchSize must be ≥ 1');
  if (!Number.isInteger(s.bufferSize) || s.bufferSize < 1) bad('bufferSize must be ≥ 1');
  if (s.interpolation !== undefined && !(s.interpolation > 0 && s.interpolation <= 1)) bad('interpolation must be in (0, 1]');
  for (const name of ['rpoAlpha', 'lengthAlpha'] as const) {
    const { min, max } = OBJECTIVE_WEIGHT_LIMITS[name];
    const x = s[name];
    if (x !== undefined && !(x >= min && x <= max)) bad(`${name} must be in [${min}, ${max}]`);
  }
  if ((s.lengthAlpha ?? 0) > 0 && s.objective !== 'sigmoid') bad('lengthAlpha (R-DPO) needs the sigmoid objective');
  return s.objective as TrainerObjective;
}


/**
 * Online preference training: feedback enters a FIFO replay buffer with its reference
 * log-probs computed once; each step trains on the examples of the newest feedback that has
 * any, plus a seeded sample (without replacement) of older examples, so a vote changes the
 * policy at once while earlier votes keep it from forgetting. `batchSize` counts examples:
 * pairs (paired objectives), labelled completions (KTO) or lists (listwise).
 *
 * How each kind of feedback becomes examples, per objective family:
 *
 * | feedback            | paired (sigmoid …)          | unpaired (kto)                     | listwise                      |
 * |---------------------|-----------------------------|------------------------------------|-------------------------------|
 * | pair a ≻ b          | the pair                    | a desirable + b undesirable (TRL's KTO takes paired data this way) | a list of 2 |
 * | thumbs              | a pair with every EARLIER opposite-label thumbs of the same prompt, else nothing | the labelled completion | as paired, as lists of 2 |
 * | ranking of N        | all N(N−1)/2 ordered pairs (TRL-style expansion of a ranking into pairwise data) | best desirable, worst undesirable (the middle has no absolute label) | the whole list |
 *
 * Pairing a thumbs only with earlier thumbs counts every up/down combination exactly once,
 * by the later of its two votes, so "the newest feedback's examples" are exactly the pairs
 * that vote completed.
 */
/** A trainer's state apart from the policy weights (see `PreferenceTrainer.capture`). */
export interface TrainerState {
  buffer: BufferedFeedback[];
  rng: Rng;
  bcoRunning: RunningMoments;
  settings: TrainerSettings;
  steps: number;
  opt: AdamWState;
  optConfig: AdamWConfig;
  /** The trained weights behind an interpolated policy (`settings.interpolation` < 1); absent otherwise. */
  trained?: Map<string, Float32Array>;
}

/** The policy's weight on its trained weights, θ = θ_ref + η (θ_trained − θ_ref); 1 serves the trained weights. */
export const interpolationOf = (s: TrainerSettings): number => s.interpolation ?? 1;

export class PreferenceTrainer {
  private readonly buffer: BufferedFeedback[] = [];
  private readonly opt: AdamW;
  private rng: Rng;
  private bcoRunning = new RunningMoments();
  /** Prompt identity per buffered item, computed once (thumbs pairing compares it often). */
  private readonly promptKeys = new WeakMap<BufferedFeedback, string>();
  private objective: TrainerObjective;
  steps = 0;
  /**
   * The weights the optimizer moves when the policy is interpolated toward the reference
   * (`settings.interpolation` η < 1), else null and the optimizer moves the policy itself.
   * After every step the policy becomes θ_ref + η (θ_trained − θ_ref): WiSE-FT's weight
   * interpolation (Wortsman et al. 2022), which WARP (Ramé et al. 2024) applies to RLHF as
   * LITI. Measured here (sentiment, 30 votes, 10 % flips): the interpolation of a run that
   * collapsed (KL 502, English 0.24 ×) kept a 0.63 win rate at KL 25 with η 0.5, and a
   * fluent run's 0.80 became 0.68 at KL 1.9 with η 0.3 (scripts/sim/runs/interpolation_after_the_fact/):
   * the direction DPO moves in carries the taste, its length carries the damage.
   */
  private trained: GPT2Model | null = null;

  constructor(
    readonly policy: GPT2Model,
    readonly reference: GPT2Model,
    public settings: TrainerSettings,
  ) {
    this.objective = validateTrainerSettings(settings);
    this.opt = new AdamW(policy, { ...DEFAULT_ADAMW, lr: settings.lr, maxGradNorm: settings.maxGradNorm });
    this.rng = new Rng(settings.seed).fork('trainer');
    if (interpolationOf(settings) < 1) this.startTrained(null);
  }

  /** The model the optimizer moves: the trained weights behind an interpolated policy, else the policy. */
  private get learning(): GPT2Model {
    return this.trained ?? this.policy;
  }

  /** Starts keeping trained weights apart from the policy: `weights`, or the policy's own as they are. */
  private startTrained(weights: Map<string, Float32Array> | null): void {
    if (this.trained) {
      if (weights) this.trained.writeWeights(weights);
      return;
    }
    this.trained = this.policy.copy();
    if (weights) this.trained.writeWeights(weights);
    this.opt.bind(this.trained);
  }

  /** Stops interpolating: the policy takes the trained weights as they are. */
  private stopTrained(): void {
    if (!this.trained) return;
    const be = this.policy.backend;
    for (const s of this.policy.specs) {
      be.zero(this.policy.p(s.name));
      be.addInto(this.policy.p(s.name), this.trained.p(s.name));
    }
    this.dropTrained();
  }

  /** Lets go of the trained weights; the optimizer moves the policy again. */
  private dropTrained(): void {
    if (!this.trained) return;
    this.trained.dispose();
    this.trained = null;
    this.opt.bind(this.policy);
  }

  /** θ_policy = (1 − η) θ_ref + η θ_trained, tensor by tensor on the backend. */
  private interpolate(): void {
    if (!this.trained) return;
    const eta = interpolationOf(this.settings);
    const be = this.policy.backend;
    for (const s of this.policy.specs) {
      const ref = be.scale(this.reference.p(s.name), 1 - eta);
      const own = be.scale(this.trained.p(s.name), eta);
      const out = this.policy.p(s.name);
      be.zero(out);
      be.addInto(out, ref);
      be.addInto(out, own);
      be.release(ref);
      be.release(own);
    }
  }

  /**
   * Everything a step depends on besides the policy's weights: the buffer (its items are never
   * mutated, so the array is copied, not the items), the minibatch RNG, BCO's running moments,
   * the settings, the step count and AdamW's moments.
   */
  async capture(reuse?: Pick<TrainerState['opt'], 'm' | 'v'>): Promise<TrainerState> {
    return {
      buffer: [...this.buffer],
      rng: cloneState(this.rng),
      bcoRunning: cloneState(this.bcoRunning),
      settings: { ...this.settings },
      steps: this.steps,
      opt: await this.opt.capture(reuse),
      optConfig: { ...this.opt.config },
      ...(this.trained ? { trained: await this.trained.readWeights() } : {}),
    };
  }

  /** Puts back a state captured from this trainer (the policy's weights are restored apart). */
  restore(state: TrainerState): void {
    this.buffer.splice(0, this.buffer.length, ...state.buffer);
    this.rng = cloneState(state.rng);
    this.bcoRunning = cloneState(state.bcoRunning);
    this.settings = { ...state.settings };
    this.objective = validateTrainerSettings(this.settings);
    this.steps = state.steps;
    // Without trained weights in the state, the policy's (restored apart) were the trained ones then.
    if (state.trained) this.startTrained(state.trained);
    else this.dropTrained();
    this.opt.restore(state.opt);
    this.opt.config = { ...state.optConfig };
  }

  /** Changes hyperparameters between steps (the optimizer state is kept). */
  reconfigure(settings: TrainerSettings): void {
    this.objective = validateTrainerSettings(settings);
    this.settings = settings;
    this.opt.config = { ...this.opt.config, lr: settings.lr, maxGradNorm: settings.maxGradNorm };
    while (this.buffer.length > settings.bufferSize) this.buffer.shift();
    // Turning the interpolation on keeps the policy's weights as the trained ones (the policy
    // moves at the next step); turning it off serves the trained weights from now on.
    if (interpolationOf(settings) < 1) this.startTrained(null);
    else this.stopTrained();
  }

  get family(): ObjectiveFamily {
    return objectiveFamily(this.objective);
  }

  get currentObjective(): TrainerObjective {
    return this.objective;
  }

  /** Feedback items in the replay buffer. */
  get bufferLength(): number {
    return this.buffer.length;
  }

  /** Adds a pair whose reference log-probs the caller already computed (see referencePass). */
  addScoredPair(pair: BufferedPair): void {
    this.add({
      kind: 'pair',
      promptIds: pair.promptIds,
      chosen: { ids: pair.chosenIds, ref: pair.refChosen },
      rejected: { ids: pair.rejectedIds, ref: pair.refRejected },
    });
  }

  /** Adds any feedback item (reference log-probs already cached in it). */
  add(item: BufferedFeedback): void {
    if (item.kind === 'ranking' && item.ranked.length < 2) throw new Error('trainer: a ranking needs at least 2 completions');
    this.buffer.push(item);
    while (this.buffer.length > this.settings.bufferSize) this.buffer.shift();
  }

  /** Training examples the newest buffered item yields under the current objective. */
  newestExampleCount(): number {
    return this.buffer.length === 0 ? 0 : this.examplesOf(this.buffer.length - 1).length;
  }

  /** Whether any buffered item yields an example under the current objective. */
  hasExamples(): boolean {
    for (let i = this.buffer.length - 1; i >= 0; i--) if (this.examplesOf(i).length > 0) return true;
    return false;
  }

  /** The examples buffer item `i` contributes under the current objective (see the class table). */
  examplesOf(i: number): TrainingExample[] {
    const item = this.buffer[i];
    const family = this.family;
    const asPairs = (pairs: { chosen: ScoredCompletion; rejected: ScoredCompletion }[]): TrainingExample[] =>
      family === 'listwise'
        ? pairs.map((p) => ({ kind: 'list', promptIds: item.promptIds, ranked: [p.chosen, p.rejected] }))
        : pairs.map((p) => ({ kind: 'pair', promptIds: item.promptIds, chosen: p.chosen, rejected: p.rejected }));
    switch (item.kind) {
      case 'pair':
        if (family === 'unpaired') {
          return [
            { kind: 'labelled', promptIds: item.promptIds, completion: item.chosen, desirable: true },
            { kind: 'labelled', promptIds: item.promptIds, completion: item.rejected, desirable: false },
          ];
        }
        return asPairs([item]);
      case 'thumbs': {
        if (family === 'unpaired') return [{ kind: 'labelled', promptIds: item.promptIds, completion: item.completion, desirable: item.desirable }];
        const key = this.promptKey(item);
        const pairs: { chosen: ScoredCompletion; rejected: ScoredCompletion }[] = [];
        for (let j = 0; j < i; j++) {
          const other = this.buffer[j];
          if (other.kind !== 'thumbs' || other.desirable === item.desirable || this.promptKey(other) !== key) continue;
          pairs.push(item.desirable ? { chosen: item.completion, rejected: other.completion } : { chosen: other.completion, rejected: item.completion });
        }
        return asPairs(pairs);
      }
      case 'ranking': {
        const r = item.ranked;
        if (family === 'listwise') return [{ kind: 'list', promptIds: item.promptIds, ranked: r }];
        if (family === 'unpaired') {
          return [
            { kind: 'labelled', promptIds: item.promptIds, completion: r[0], desirable: true },
            { kind: 'labelled', promptIds: item.promptIds, completion: r[r.length - 1], desirable: false },
          ];
        }
        const pairs: TrainingExample[] = [];
        for (let a = 0; a < r.length; a++) {
          for (let b = a + 1; b < r.length; b++) pairs.push({ kind: 'pair', promptIds: item.promptIds, chosen: r[a], rejected: r[b] });
        }
        return pairs;
      }
    }
  }

  private promptKey(item: BufferedFeedback): string {
    let key = this.promptKeys.get(item);
    if (key === undefined) {
      key = item.promptIds.join(',');
      this.promptKeys.set(item, key);
    }
    return key;
  }

  /**
   * The examples of the newest item that has any (all of them, or a seeded sample when they
   * exceed the batch), then a seeded sample without replacement of the older examples.
   */
  private sampleBatch(): TrainingExample[] {
    let newest = this.buffer.length - 1;
    let fresh: TrainingExample[] = [];
    for (; newest >= 0; newest--) {
      fresh = this.examplesOf(newest);
      if (fresh.length > 0) break;
    }
    if (fresh.length === 0) {
      throw new Error(`trainer: nothing in the replay buffer can train the "${this.objective}" objective yet`);
    }
    const B = this.settings.batchSize;
    if (fresh.length > B) {
      shuffleFirst(fresh, B, this.rng);
      return fresh.slice(0, B);
    }
    const rest: TrainingExample[] = [];
    for (let i = 0; i < this.buffer.length; i++) if (i !== newest) rest.push(...this.examplesOf(i));
    const k = Math.min(B - fresh.length, rest.length);
    shuffleFirst(rest, k, this.rng);
    return [...fresh, ...rest.slice(0, k)];
  }

  /** One optimizer step on a batch from the buffer. */
  async step(): Promise<StepMetrics> {
    return (await this.takeSteps(1))[0]!;
  }

  /**
   * `n` optimizer steps. A step's update is recorded and its grad-norm read asked for, and the
   * next step's batch and forward pass are recorded before anything awaits: on WebGPU one submit
   * then carries a step's backward and update and the next step's forward, and no step waits for
   * the previous one's grad norm to come back (its metrics settle with it). The CPU backend runs
   * the same operations in the same order, so the weights are the same bits as step by step.
   */
  async takeSteps(n: number): Promise<StepMetrics[]> {
    const settled: Promise<StepMetrics>[] = [];
    try {
      let running = n > 0 ? this.runObjective() : null;
      for (let k = 0; k < n; k++) {
        const { metrics, t0 } = await running!;
        const normT = this.opt.apply();
        this.interpolate();
        const normRead = this.policy.backend.read(normT);
        this.steps++;
        const step = this.steps;
        running = k + 1 < n ? this.runObjective() : null;
        settled.push(
          normRead.then(([gradNorm]) => {
            this.policy.backend.release(normT);
            return { ...metrics, step, gradNorm: gradNorm!, stepMs: performance.now() - t0 };
          }),
        );
      }
      return await Promise.all(settled);
    } catch (e) {
      // No read is left unawaited behind a failed step.
      await Promise.allSettled(settled);
      throw e;
    }
  }

  /** A batch's forward pass, loss and backward (everything of a step but the update). */
  private async runObjective(): Promise<{ metrics: Omit<StepMetrics, 'step' | 'gradNorm' | 'stepMs'>; t0: number }> {
    if (this.buffer.length === 0) throw new Error('trainer: the replay buffer is empty');
    const t0 = performance.now();
    const examples = this.sampleBatch();
    const family = this.family;
    const metrics =
      family === 'paired' ? await this.pairedStep(examples as Extract<TrainingExample, { kind: 'pair' }>[])
      : family === 'unpaired' ? await this.ktoStep(examples as Extract<TrainingExample, { kind: 'labelled' }>[])
      : await this.listwiseStep(examples as Extract<TrainingExample, { kind: 'list' }>[]);
    return { metrics, t0 };
  }

  /**
   * Forward pass with gradients kept: returns each sequence's summed completion log-prob and a
   * `backward` that seeds every counted token of sequence b with dL/d(sum_b) — the losses
   * depend on a sequence only through its summed log-prob.
   */
  private async forwardSums(seqs: number[][], starts: number[]): Promise<{ sums: Float64Array; backward: (dSeq: ArrayLike<number>) => void }> {
    this.learning.zeroGrads();
    return forwardSummed(this.learning, seqs, starts);
  }

  private async pairedStep(pairs: Extract<TrainingExample, { kind: 'pair' }>[]): Promise<Omit<StepMetrics, 'step' | 'gradNorm' | 'stepMs'>> {
    const P = pairs.length;
    const seqs = [...pairs.map((p) => [...p.promptIds, ...p.chosen.ids]), ...pairs.map((p) => [...p.promptIds, ...p.rejected.ids])];
    const { sums, backward } = await this.forwardSums(seqs, [...pairs, ...pairs].map((p) => p.promptIds.length));
    const r = pairedObjective(
      this.objective as PairedLossType,
      {
        policyChosenLogps: sums.subarray(0, P),
        policyRejectedLogps: sums.subarray(P),
        refChosenLogps: pairs.map((p) => p.chosen.ref),
        refRejectedLogps: pairs.map((p) => p.rejected.ref),
        chosenTokenCounts: pairs.map((p) => Math.max(1, p.chosen.ids.length)),
        rejectedTokenCounts: pairs.map((p) => Math.max(1, p.rejected.ids.length)),
      },
      { beta: this.settings.beta, labelSmoothing: this.settings.epsilon, bcoRunning: this.bcoRunning, rpoAlpha: this.settings.rpoAlpha ?? 0, lengthAlpha: this.settings.lengthAlpha ?? 0 },
    );
    backward([...r.dPolicyChosen, ...r.dPolicyRejected]);
    const m = r.metrics;
    return {
      loss: r.loss,
      rewardsChosen: m['rewards/chosen'],
      rewardsRejected: m['rewards/rejected'],
      rewardsMargins: m['rewards/margins'],
      rewardsAccuracy: m['rewards/accuracies'],
      logpsChosen: m['logps/chosen'],
      logpsRejected: m['logps/rejected'],
    };
  }

  /**
   * KTO as TRL's KTOTrainer computes it: the reference point z_ref is the batch mean of
   * log πθ − log π_ref on MISMATCHED (prompt, completion) pairs — prompt i with the completion
   * of example i−1 (`klMismatchIndices`) — clamped at 0 and detached, so those pairs are
   * scored without gradients (policy and reference, each step: they change with the batch).
   * With a batch of one the "mismatched" pair is the example itself (TRL needs batches > 1
   * for a real estimate; online, the replay buffer usually supplies them).
   */
  private async ktoStep(items: Extract<TrainingExample, { kind: 'labelled' }>[]): Promise<Omit<StepMetrics, 'step' | 'gradNorm' | 'stepMs'>> {
    const n = items.length;
    const nPos = this.learning.config.nPositions;
    const mismatch = klMismatchIndices(n);
    // A prompt with another example's completion can exceed the context: truncate the
    // completion, as TRL truncates to max_length.
    const klSeqs = items.map((it, i) => [...it.promptIds, ...items[mismatch[i]].completion.ids].slice(0, nPos));
    const klStarts = items.map((it) => it.promptIds.length);
    // Both models' passes in one submit on WebGPU.
    const [policyKl, refKl] = (await scoreSequencesUnder([this.learning, this.reference], klSeqs, klStarts)) as [ScoredSequences, ScoredSequences];
    const { sums, backward } = await this.forwardSums(
      items.map((it) => [...it.promptIds, ...it.completion.ids]),
      items.map((it) => it.promptIds.length),
    );
    const r = ktoLoss(
      {
        policyLogps: sums,
        refLogps: items.map((it) => it.completion.ref),
        desirable: items.map((it) => it.desirable),
        policyKlLogps: policyKl.sums,
        refKlLogps: refKl.sums,
      },
      { beta: this.settings.beta },
    );
    backward(r.dPolicy);
    // TRL's KTOTrainer logs no accuracy; ours is the share of examples on the side of the
    // reference point their label asks for (β(ℓ − z_ref) > 0 for 👍, < 0 for 👎).
    let right = 0;
    items.forEach((it, i) => {
      const above = sums[i] - it.completion.ref - r.kl;
      if (it.desirable ? above > 0 : above < 0) right++;
    });
    const m = r.metrics;
    return {
      loss: r.loss,
      rewardsChosen: m['rewards/chosen'],
      rewardsRejected: m['rewards/rejected'],
      rewardsMargins: m['rewards/margins'],
      rewardsAccuracy: right / n,
      logpsChosen: m['logps/chosen'],
      logpsRejected: m['logps/rejected'],
      kl: r.kl,
    };
  }

  /**
   * Plackett–Luce or LiPO-λ on whole rankings (best first). Metrics in DPO's terms: "chosen"
   * is each list's best, "rejected" its worst, and the accuracy is the share of ordered pairs
   * (i ranked above j) whose implicit rewards agree — DPO's accuracy for lists of two.
   */
  private async listwiseStep(lists: Extract<TrainingExample, { kind: 'list' }>[]): Promise<Omit<StepMetrics, 'step' | 'gradNorm' | 'stepMs'>> {
    const seqs: number[][] = [];
    const starts: number[] = [];
    const offsets: number[] = [];
    for (const l of lists) {
      offsets.push(seqs.length);
      for (const c of l.ranked) {
        seqs.push([...l.promptIds, ...c.ids]);
        starts.push(l.promptIds.length);
      }
    }
    const { sums, backward } = await this.forwardSums(seqs, starts);
    const beta = this.settings.beta;
    const examples = lists.map((l, b) => {
      const n = l.ranked.length;
      return {
        policyLogps: sums.subarray(offsets[b], offsets[b] + n),
        refLogps: l.ranked.map((c) => c.ref),
        labels: l.ranked.map((_, k) => n - 1 - k),
      };
    });
    const r = this.objective === 'lipo_lambda' ? lipoLambdaLoss(examples, { beta }) : plackettLuceLoss(examples, { beta });
    const dSeq = new Float64Array(seqs.length);
    r.dPolicy.forEach((g, b) => dSeq.set(g, offsets[b]));
    backward(dSeq);
    let chosen = 0;
    let rejected = 0;
    let lpChosen = 0;
    let lpRejected = 0;
    let agree = 0;
    let ordered = 0;
    for (const ex of examples) {
      const n = ex.policyLogps.length;
      const s = Array.from({ length: n }, (_, k) => beta * (ex.policyLogps[k] - ex.refLogps[k]));
      chosen += s[0];
      rejected += s[n - 1];
      lpChosen += ex.policyLogps[0];
      lpRejected += ex.policyLogps[n - 1];
      for (let a = 0; a < n; a++) {
        for (let b = a + 1; b < n; b++) {
          ordered++;
          if (s[a] > s[b]) agree++;
        }
      }
    }
    const L = lists.length;
    return {
      loss: r.loss,
      rewardsChosen: chosen / L,
      rewardsRejected: rejected / L,
      rewardsMargins: (chosen - rejected) / L,
      rewardsAccuracy: agree / ordered,
      logpsChosen: lpChosen / L,
      logpsRejected: lpRejected / L,
    };
  }

  dispose(): void {
    this.dropTrained();
    this.opt.dispose();
  }
}

/** Seeded partial Fisher–Yates: moves a uniform sample of k elements to the front, in place. */
function shuffleFirst<T>(xs: T[], k: number, rng: Rng): void {
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(xs.length - i);
    [xs[i], xs[j]] = [xs[j], xs[i]];
  }
}

