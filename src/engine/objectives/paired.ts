/**
 * Paired preference objectives (chosen ≻ rejected), named as TRL's DPOTrainer `loss_type`s.
 *
 * Inputs are per-sequence log-probs summed over completion tokens, from the policy πθ and the
 * frozen reference π_ref. With ℓ = log πθ − log π_ref and Δ = ℓ_c − ℓ_r, each loss is a
 * function of (ℓ_c, ℓ_r) per pair; the batch loss is the mean over pairs (DPOTrainer returns
 * `losses.mean()`), and the returned gradients are ∂(mean loss)/∂(policy log-prob) for every
 * sequence — exactly what the engine's backward pass needs to seed the token log-probs with.
 *
 * Formulas follow `DPOTrainer.dpo_loss` in huggingface/trl (trl/trainer/dpo_trainer.py); the
 * matching TRL line is quoted beside each kernel. Deliberate deviations, all documented:
 * - `sigmoid` here ignores label smoothing; TRL's `sigmoid` with `label_smoothing = ε > 0` is
 *   what we expose as `cdpo` (conservative DPO, Mitchell 2023). This keeps `sigmoid` = plain DPO.
 * - `bco_pair`'s shift δ: see `PairedHyper.bcoRunning`.
 * - `sft` is −mean over the batch of the chosen *sequence* log-prob; TRL's `nll_loss` is a
 *   token-level cross-entropy averaged over all chosen tokens of the batch.
 * - IPO: like TRL, every sequence log-prob (policy AND reference) is divided by its completion
 *   token count before anything else, and TRL applies that division to *all* loss types of a
 *   combined list as soon as "ipo" is in it. We reproduce that, including in the metrics.
 */
import { logSigmoid, sigmoid } from './math.ts';
import { isPairedLossType, type PairedLossType } from './names.ts';
import { RunningMoments } from './running_moments.ts';

export { PAIRED_LOSS_TYPES, isPairedLossType, type PairedLossType } from './names.ts';

export interface PairedBatch {
  /** log πθ(y_c | x), summed over completion tokens, one per pair. */
  policyChosenLogps: ArrayLike<number>;
  policyRejectedLogps: ArrayLike<number>;
  /** log π_ref(y_c | x), same shapes; treated as constants. */
  refChosenLogps: ArrayLike<number>;
  refRejectedLogps: ArrayLike<number>;
  /** Completion token counts; required by `ipo` (TRL averages log-probs per token for IPO). */
  chosenTokenCounts?: ArrayLike<number>;
  rejectedTokenCounts?: ArrayLike<number>;
}

export interface PairedHyper {
  /** β: inverse temperature of the implicit reward β·ℓ (IPO's τ). */
  beta: number;
  /** ε, TRL's `label_smoothing`: used by `cdpo` and `robust` (must be < 0.5 for robust). */
  labelSmoothing?: number;
  /**
   * `bco_pair` reward shift δ (detached; no gradient flows through it).
   * - a `RunningMoments`: TRL behaviour — the batch's mean implicit reward (over chosen and
   *   rejected together) is merged into it *before* the loss, and δ is its running mean. The
   *   caller keeps this object across steps (and saves it with the session) — the choice we
   *   recommend online, because a single small online batch's own mean is a noisy shift.
   * - a number: a fixed δ (used by the gradient checks and by replays that log δ).
   * - omitted: δ = this batch's mean reward, i.e. TRL's value on its very first step.
   */
  bcoRunning?: RunningMoments | number;
  /**
   * TRL's `rpo_alpha` (RPO, Pang et al. 2024 "Iterative Reasoning Preference Optimization"):
   * adds α × the negative log-likelihood of the chosen completions, averaged over all their
   * tokens in the batch, to every pair's loss (TRL: `losses = losses + rpo_alpha * nll_loss`).
   * Needs `chosenTokenCounts`. Absent or 0: off.
   */
  rpoAlpha?: number;
  /**
   * R-DPO's α (length-regularized DPO, Park et al. 2024, "Disentangling Length from Quality in
   * Direct Preference Optimization", arXiv 2403.19159): the sigmoid loss becomes
   * −log σ(β(ℓ_c − ℓ_r) + α(|y_c| − |y_r|)), |y| in completion tokens. It is DPO's loss for the
   * RL objective whose reward is penalised by α|y|: a longer chosen answer starts with part of its
   * margin already given, so the policy is pushed less towards length. The sign follows from that
   * objective (π* ∝ π_ref·exp((r − α|y|)/β), so r = β·ℓ + α|y| + const); some public code
   * subtracts the term instead, which would reward length. `sigmoid` only; needs both token
   * counts. Absent or 0: off.
   */
  lengthAlpha?: number;
}

/** Exactly the keys TRL's DPOTrainer logs for these quantities. */
export interface DpoMetrics {
  'rewards/chosen': number;
  'rewards/rejected': number;
  'rewards/margins': number;
  'rewards/accuracies': number;
  'logps/chosen': number;
  'logps/rejected': number;
}

export interface PairedObjectiveResult {
  /** Mean loss over the batch. */
  loss: number;
  /** Per-pair losses (before the mean). */
  losses: Float64Array;
  /** ∂loss/∂ log πθ(y_c|x) for every pair (of the mean loss, so already divided by B). */
  dPolicyChosen: Float64Array;
  /** ∂loss/∂ log πθ(y_r|x). */
  dPolicyRejected: Float64Array;
  metrics: DpoMetrics;
  /** The bco_pair shift actually used, when bco_pair is among the losses. */
  bcoDelta?: number;
}

/** Per-pair values a kernel sees. Log-ratios are already per-token for IPO. */
interface PairTerms {
  /** ℓ_c = log πθ(y_c) − log π_ref(y_c). */
  lc: number;
  lr: number;
  /** log πθ(y_c) (for sft). */
  policyChosen: number;
  beta: number;
  eps: number;
  bcoDelta: number;
  /** α(|y_c| − |y_r|), added to the sigmoid's logit (R-DPO); 0 when off. */
  lengthShift: number;
}

/** [loss, ∂loss/∂ log πθ(y_c), ∂loss/∂ log πθ(y_r)] for one pair. */
type PairKernel = (t: PairTerms) => [number, number, number];

/** σ'(x) = σ(x)σ(−x). */
function dSigmoid(x: number): number {
  return sigmoid(x) * sigmoid(-x);
}

/**
 * Per-pair kernels. Derivatives use ∂ℓ_c/∂ log πθ(y_c) = 1 and d/dx[−log σ(x)] = −σ(−x).
 */
export const pairedKernels: Readonly<Record<PairedLossType, PairKernel>> = {
  // TRL: losses = -F.logsigmoid(self.beta * logits)   (label_smoothing = 0)
  // R-DPO (lengthShift ≠ 0): −log σ(β·logits + α(|y_c| − |y_r|)), Park et al. 2024 (arXiv 2403.19159).
  sigmoid: ({ lc, lr, beta, lengthShift }) => {
    const z = beta * (lc - lr) + lengthShift;
    const g = -sigmoid(-z) * beta;
    return [-logSigmoid(z), g, -g];
  },
  // TRL sigmoid with label_smoothing ε:
  //   -F.logsigmoid(β·logits)·(1−ε) − F.logsigmoid(−β·logits)·ε
  cdpo: ({ lc, lr, beta, eps }) => {
    const z = beta * (lc - lr);
    const loss = -(1 - eps) * logSigmoid(z) - eps * logSigmoid(-z);
    const g = (-(1 - eps) * sigmoid(-z) + eps * sigmoid(z)) * beta;
    return [loss, g, -g];
  },
  // TRL: (-F.logsigmoid(β·logits)·(1−ε) + F.logsigmoid(−β·logits)·ε) / (1 − 2ε)
  // Unbiased under label noise ε (Chowdhury et al. 2024); can be negative — never clamped.
  robust: ({ lc, lr, beta, eps }) => {
    const z = beta * (lc - lr);
    const k = 1 / (1 - 2 * eps);
    const loss = (-(1 - eps) * logSigmoid(z) + eps * logSigmoid(-z)) * k;
    const g = (-(1 - eps) * sigmoid(-z) - eps * sigmoid(z)) * k * beta;
    return [loss, g, -g];
  },
  // TRL: torch.relu(1 − β·logits). At the kink we take torch's relu'(0) = 0.
  hinge: ({ lc, lr, beta }) => {
    const z = beta * (lc - lr);
    const active = 1 - z > 0;
    return [active ? 1 - z : 0, active ? -beta : 0, active ? beta : 0];
  },
  // TRL: (logits − 1/(2β))², with logits built from per-token-averaged log-probs.
  ipo: ({ lc, lr, beta }) => {
    const r = lc - lr - 1 / (2 * beta);
    return [r * r, 2 * r, -2 * r];
  },
  // TRL: −F.logsigmoid(β·ℓ_c − δ) − F.logsigmoid(−(β·ℓ_r − δ)),  δ = running mean (detached)
  bco_pair: ({ lc, lr, beta, bcoDelta }) => {
    const uc = beta * lc - bcoDelta;
    const ur = beta * lr - bcoDelta;
    return [-logSigmoid(uc) - logSigmoid(-ur), -sigmoid(-uc) * beta, sigmoid(ur) * beta];
  },
  // TRL: −F.logsigmoid(r_c) − 0.5·F.logsigmoid(−r_c) − 0.5·F.logsigmoid(−r_r),  r = β·ℓ
  nca_pair: ({ lc, lr, beta }) => {
    const rc = beta * lc;
    const rr = beta * lr;
    const loss = -logSigmoid(rc) - 0.5 * logSigmoid(-rc) - 0.5 * logSigmoid(-rr);
    const gc = (-sigmoid(-rc) + 0.5 * sigmoid(rc)) * beta;
    const gr = 0.5 * sigmoid(rr) * beta;
    return [loss, gc, gr];
  },
  // TRL: (a − 0.5/β)² + (b + 0.5/β)²,  a = ℓ_c, b = ℓ_r  (hard-label SPPO)
  sppo_hard: ({ lc, lr, beta }) => {
    const a = lc - 0.5 / beta;
    const b = lr + 0.5 / beta;
    return [a * a + b * b, 2 * a, 2 * b];
  },
  // TRL: (1 − F.sigmoid(β·ℓ_c)) + F.sigmoid(β·ℓ_r)   (APO-zero, D'Oosterlinck et al. 2024 eq. 7)
  apo_zero: ({ lc, lr, beta }) => {
    const loss = 1 - sigmoid(beta * lc) + sigmoid(beta * lr);
    return [loss, -dSigmoid(beta * lc) * beta, dSigmoid(beta * lr) * beta];
  },
  // TRL: F.sigmoid(β·ℓ_c) + (1 − F.sigmoid(β·(ℓ_c − ℓ_r)))   (APO-down, eq. 8)
  apo_down: ({ lc, lr, beta }) => {
    const z = beta * (lc - lr);
    const loss = sigmoid(beta * lc) + 1 - sigmoid(z);
    const dz = dSigmoid(z) * beta;
    return [loss, dSigmoid(beta * lc) * beta - dz, dz];
  },
  // Negative log-likelihood of the chosen completion (MPO's generation term).
  sft: ({ policyChosen }) => [-policyChosen, -1, 0],
};

export interface WeightedLoss {
  type: PairedLossType;
  weight: number;
}

function checkBatch(batch: PairedBatch, needTokens: boolean): number {
  const n = batch.policyChosenLogps.length;
  const lens = [batch.policyRejectedLogps.length, batch.refChosenLogps.length, batch.refRejectedLogps.length];
  if (lens.some((l) => l !== n)) {
    throw new RangeError(`paired batch: arrays differ in length (${[n, ...lens].join(', ')})`);
  }
  if (n === 0) throw new RangeError('paired batch: empty batch');
  if (needTokens) {
    const c = batch.chosenTokenCounts;
    const r = batch.rejectedTokenCounts;
    if (!c || !r || c.length !== n || r.length !== n) {
      throw new RangeError('ipo, rpoAlpha and lengthAlpha need chosenTokenCounts and rejectedTokenCounts, one per pair');
    }
    for (let i = 0; i < n; i++) {
      if (!(c[i]! > 0) || !(r[i]! > 0)) throw new RangeError('token counts must be positive');
    }
  }
  return n;
}

/**
 * Evaluate one objective, or TRL's weighted combination of several (`loss_type` list with
 * `loss_weights`, e.g. MPO = sigmoid + bco_pair + sft): losses, gradients and the logged
 * rewards are all weighted sums, as in DPOTrainer.get_batch_loss_metrics.
 */
export function pairedObjective(
  lossType: PairedLossType | readonly WeightedLoss[],
  batch: PairedBatch,
  hyper: PairedHyper,
): PairedObjectiveResult {
  const parts: readonly WeightedLoss[] = typeof lossType === 'string' ? [{ type: lossType, weight: 1 }] : lossType;
  if (parts.length === 0) throw new RangeError('pairedObjective: no loss type given');
  for (const p of parts) {
    if (!isPairedLossType(p.type)) throw new RangeError(`unknown paired loss type "${String(p.type)}"`);
  }
  const { beta } = hyper;
  if (!(beta > 0)) throw new RangeError(`beta must be > 0, got ${beta}`);
  const eps = hyper.labelSmoothing ?? 0;
  if (!(eps >= 0 && eps < 1)) throw new RangeError(`labelSmoothing must be in [0, 1), got ${eps}`);
  if (parts.some((p) => p.type === 'robust') && !(eps < 0.5)) {
    throw new RangeError('robust needs labelSmoothing < 0.5 (it divides by 1 − 2ε)');
  }
  const rpoAlpha = hyper.rpoAlpha ?? 0;
  if (!(rpoAlpha >= 0 && Number.isFinite(rpoAlpha))) throw new RangeError(`rpoAlpha must be a finite number ≥ 0, got ${rpoAlpha}`);
  const lengthAlpha = hyper.lengthAlpha ?? 0;
  if (!(lengthAlpha >= 0 && Number.isFinite(lengthAlpha))) throw new RangeError(`lengthAlpha must be a finite number ≥ 0, got ${lengthAlpha}`);
  if (lengthAlpha > 0 && parts.some((p) => p.type !== 'sigmoid')) throw new RangeError('lengthAlpha (R-DPO) is defined for the sigmoid loss only');
  const perToken = parts.some((p) => p.type === 'ipo');
  const n = checkBatch(batch, perToken || rpoAlpha > 0 || lengthAlpha > 0);

  // Effective log-probs: per-token averages when IPO is involved (TRL concatenated_forward).
  const pc = new Float64Array(n);
  const pr = new Float64Array(n);
  const rc = new Float64Array(n);
  const rr = new Float64Array(n);
  const scaleC = new Float64Array(n).fill(1);
  const scaleR = new Float64Array(n).fill(1);
  for (let i = 0; i < n; i++) {
    if (perToken) {
      scaleC[i] = 1 / batch.chosenTokenCounts![i]!;
      scaleR[i] = 1 / batch.rejectedTokenCounts![i]!;
    }
    pc[i] = batch.policyChosenLogps[i]! * scaleC[i]!;
    pr[i] = batch.policyRejectedLogps[i]! * scaleR[i]!;
    rc[i] = batch.refChosenLogps[i]! * scaleC[i]!;
    rr[i] = batch.refRejectedLogps[i]! * scaleR[i]!;
  }

  let bcoDelta = 0;
  const usesBco = parts.some((p) => p.type === 'bco_pair');
  if (usesBco) {
    // Mean over the concatenation (chosen rewards ++ rejected rewards), as TRL.
    let s = 0;
    for (let i = 0; i < n; i++) s += beta * (pc[i]! - rc[i]!) + beta * (pr[i]! - rr[i]!);
    const batchMean = s / (2 * n);
    const running = hyper.bcoRunning;
    if (typeof running === 'number') bcoDelta = running;
    else if (running instanceof RunningMoments) {
      running.update([batchMean]);
      bcoDelta = running.mean;
    } else bcoDelta = batchMean;
  }

  const losses = new Float64Array(n);
  const dC = new Float64Array(n);
  const dR = new Float64Array(n);
  let weightSum = 0;
  for (const p of parts) weightSum += p.weight;
  const terms: PairTerms = { lc: 0, lr: 0, policyChosen: 0, beta, eps, bcoDelta, lengthShift: 0 };
  for (let i = 0; i < n; i++) {
    terms.lc = pc[i]! - rc[i]!;
    terms.lr = pr[i]! - rr[i]!;
    terms.policyChosen = pc[i]!;
    if (lengthAlpha > 0) terms.lengthShift = lengthAlpha * (batch.chosenTokenCounts![i]! - batch.rejectedTokenCounts![i]!);
    let l = 0;
    let gc = 0;
    let gr = 0;
    for (const p of parts) {
      const [li, gci, gri] = pairedKernels[p.type](terms);
      l += p.weight * li;
      gc += p.weight * gci;
      gr += p.weight * gri;
    }
    losses[i] = l;
    // Chain rule through the optional per-token division, and through the batch mean.
    dC[i] = (gc * scaleC[i]!) / n;
    dR[i] = (gr * scaleR[i]!) / n;
  }

  if (rpoAlpha > 0) {
    // TRL's nll_loss: cross-entropy over every chosen token of the batch, one mean (so a long
    // chosen completion weighs by its length), on the raw log-probs even when IPO averages them.
    let tokens = 0;
    let logpSum = 0;
    for (let i = 0; i < n; i++) {
      tokens += batch.chosenTokenCounts![i]!;
      logpSum += batch.policyChosenLogps[i]!;
    }
    const nll = -logpSum / tokens;
    for (let i = 0; i < n; i++) {
      losses[i] += rpoAlpha * nll;
      dC[i] -= rpoAlpha / tokens;
    }
  }

  let loss = 0;
  for (let i = 0; i < n; i++) loss += losses[i]!;
  loss /= n;

  // Metrics as DPOTrainer: rewards = Σ_k w_k·β·ℓ (weights summed over the loss list).
  let sumRc = 0;
  let sumRr = 0;
  let sumAcc = 0;
  let sumPc = 0;
  let sumPr = 0;
  for (let i = 0; i < n; i++) {
    const rewC = weightSum * beta * (pc[i]! - rc[i]!);
    const rewR = weightSum * beta * (pr[i]! - rr[i]!);
    sumRc += rewC;
    sumRr += rewR;
    if (rewC > rewR) sumAcc += 1;
    sumPc += pc[i]!;
    sumPr += pr[i]!;
  }
  const metrics: DpoMetrics = {
    'rewards/chosen': sumRc / n,
    'rewards/rejected': sumRr / n,
    'rewards/margins': (sumRc - sumRr) / n,
    'rewards/accuracies': sumAcc / n,
    'logps/chosen': sumPc / n,
    'logps/rejected': sumPr / n,
  };
  const result: PairedObjectiveResult = { loss, losses, dPolicyChosen: dC, dPolicyRejected: dR, metrics };
  if (usesBco) result.bcoDelta = bcoDelta;
  return result;
}

/** Convenience: plain DPO (TRL `sigmoid`). */
export function dpoSigmoidLoss(batch: PairedBatch, beta: number): PairedObjectiveResult {
  return pairedObjective('sigmoid', batch, { beta });
}
