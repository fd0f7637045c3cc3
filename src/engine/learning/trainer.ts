import { buildBatch } from '../batch';
import { referencePass } from './reference_pass';
import type { GPT2Model } from '../model/gpt2';
import { AdamW } from '../optim';
import { Rng } from '../rng';
import { isPairedLossType, pairedObjective, RunningMoments, type PairedLossType } from '../objectives';
import type { StepMetrics, TrainerSettings } from '../../worker_api/engine_api';

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

/** One preference pair with its reference log-probs cached (the reference never changes). */
export interface BufferedPair {
  promptIds: number[];
  chosenIds: number[];
  rejectedIds: number[];
  refChosen: number;
  refRejected: number;
}

export function validateTrainerSettings(s: TrainerSettings): PairedLossType {
  const bad = (m: string) => {
    throw new Error(`trainer: ${m}`);
  };
  if (!isPairedLossType(s.objective)) bad(`unknown objective "${s.objective}"`);
  if (!(s.beta > 0)) bad('beta must be > 0');
  if (!(s.epsilon >= 0 && s.epsilon < 0.5)) bad('epsilon must be in [0, 0.5)');
  if (!(s.lr > 0 && s.lr < 1)) bad('lr must be in (0, 1)');
  if (!Number.isInteger(s.stepsPerVote) || s.stepsPerVote < 0) bad('stepsPerVote must be a non-negative integer');
  if (!Number.isInteger(s.batchSize) || s.batchSize < 1) bad('batchSize must be ≥ 1');
  if (!Number.isInteger(s.bufferSize) || s.bufferSize < 1) bad('bufferSize must be ≥ 1');
  return s.objective as PairedLossType;
}

/**
 * Online DPO-family training: pairs enter a FIFO replay buffer with their reference log-probs
 * computed once; each step trains on the newest pair plus a seeded sample of older ones, so
 * a vote changes the policy at once while earlier votes keep it from forgetting.
 */
export class PreferenceTrainer {
  private readonly buffer: BufferedPair[] = [];
  private readonly opt: AdamW;
  private readonly rng: Rng;
  private readonly bcoRunning = new RunningMoments();
  private objective: PairedLossType;
  steps = 0;

  constructor(
    readonly policy: GPT2Model,
    readonly reference: GPT2Model,
    public settings: TrainerSettings,
  ) {
    this.objective = validateTrainerSettings(settings);
    this.opt = new AdamW(policy, { lr: settings.lr, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, maxGradNorm: settings.maxGradNorm });
    this.rng = new Rng(settings.seed).fork('trainer');
  }

  /** Changes hyperparameters between steps (the optimizer state is kept). */
  reconfigure(settings: TrainerSettings): void {
    this.objective = validateTrainerSettings(settings);
    this.settings = settings;
    this.opt.config = { ...this.opt.config, lr: settings.lr, maxGradNorm: settings.maxGradNorm };
    while (this.buffer.length > settings.bufferSize) this.buffer.shift();
  }

  get bufferLength(): number {
    return this.buffer.length;
  }

  /** Adds a pair (chosen first) after scoring both completions under the frozen reference. */
  async addPair(promptIds: number[], chosenIds: number[], rejectedIds: number[]): Promise<void> {
    const { sums } = await referencePass(this.reference, promptIds, [chosenIds, rejectedIds]);
    this.addScoredPair({ promptIds, chosenIds, rejectedIds, refChosen: sums[0], refRejected: sums[1] });
  }

  /** Adds a pair whose reference log-probs the caller already computed (see referencePass). */
  addScoredPair(pair: BufferedPair): void {
    this.buffer.push(pair);
    while (this.buffer.length > this.settings.bufferSize) this.buffer.shift();
  }

  /** The newest pair and a seeded sample (without replacement) of the rest. */
  private sampleBatch(): BufferedPair[] {
    const n = this.buffer.length;
    const k = Math.min(this.settings.batchSize, n);
    const picked = [n - 1];
    const rest = Array.from({ length: n - 1 }, (_, i) => i);
    for (let i = 0; i < k - 1; i++) {
      const j = i + this.rng.int(rest.length - i);
      [rest[i], rest[j]] = [rest[j], rest[i]];
      picked.push(rest[i]);
    }
    return picked.map((i) => this.buffer[i]);
  }

  /** One optimizer step on a batch from the buffer. */
  async step(): Promise<StepMetrics> {
    if (this.buffer.length === 0) throw new Error('trainer: the replay buffer is empty');
    const t0 = performance.now();
    const pairs = this.sampleBatch();
    const P = pairs.length;
    const seqs = [
      ...pairs.map((p) => [...p.promptIds, ...p.chosenIds]),
      ...pairs.map((p) => [...p.promptIds, ...p.rejectedIds]),
    ];
    const starts = [...pairs, ...pairs].map((p) => p.promptIds.length);
    const batch = buildBatch(seqs, starts);
    const model = this.policy;
    model.zeroGrads();
    const s = model.forward(batch.ids, batch.targets, batch.B, batch.T);
    const lp = await model.backend.read(s.logprobs);
    const sums = new Float64Array(batch.B);
    for (let i = 0; i < lp.length; i++) sums[Math.floor(i / batch.T)] += batch.mask[i] * lp[i];
    const r = pairedObjective(
      this.objective,
      {
        policyChosenLogps: sums.subarray(0, P),
        policyRejectedLogps: sums.subarray(P),
        refChosenLogps: pairs.map((p) => p.refChosen),
        refRejectedLogps: pairs.map((p) => p.refRejected),
        chosenTokenCounts: pairs.map((p) => Math.max(1, p.chosenIds.length)),
        rejectedTokenCounts: pairs.map((p) => Math.max(1, p.rejectedIds.length)),
      },
      { beta: this.settings.beta, labelSmoothing: this.settings.epsilon, bcoRunning: this.bcoRunning },
    );
    // The loss depends on each sequence only through its summed log-prob, so every counted
    // token of sequence b receives the same gradient dL/d(sum_b).
    const dSeq = [...r.dPolicyChosen, ...r.dPolicyRejected];
    const dlp = new Float32Array(batch.B * batch.T);
    for (let i = 0; i < dlp.length; i++) dlp[i] = batch.mask[i] * dSeq[Math.floor(i / batch.T)];
    model.backward(s, dlp);
    model.releaseForward(s);
    const normT = this.opt.apply();
    const [gradNorm] = await model.backend.read(normT);
    model.backend.release(normT);
    this.steps++;
    const m = r.metrics;
    return {
      step: this.steps,
      loss: r.loss,
      rewardsChosen: m['rewards/chosen'],
      rewardsRejected: m['rewards/rejected'],
      rewardsMargins: m['rewards/margins'],
      rewardsAccuracy: m['rewards/accuracies'],
      logpsChosen: m['logps/chosen'],
      logpsRejected: m['logps/rejected'],
      gradNorm,
      stepMs: performance.now() - t0,
    };
  }

  dispose(): void {
    this.opt.dispose();
  }
}
