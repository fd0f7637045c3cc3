/**
 * KTO — Kahneman–Tversky Optimization (Ethayarajh et al. 2024), for unpaired thumbs-up /
 * thumbs-down feedback, following TRL's KTOTrainer.kto_loss:
 *
 *   z_ref = clamp(mean(log πθ(y'|x) − log π_ref(y'|x)), min = 0), detached
 *   desirable:   L = λ_D · (1 − σ(β·(ℓ − z_ref)))
 *   undesirable: L = λ_U · (1 − σ(β·(z_ref − ℓ)))
 *   loss = mean over all examples of the batch (desirable and undesirable together)
 *
 * where ℓ = log πθ(y|x) − log π_ref(y|x) and (x, y') are MISMATCHED pairs: TRL pairs each
 * prompt with the completion of another example of the batch (a roll by one, see
 * `klMismatchIndices`), so z_ref estimates KL(πθ ‖ π_ref) on completions that were not chosen
 * for their label. z_ref is detached: it is a reference point, not something to optimise.
 */
import { sigmoid } from './math.ts';

export interface KtoBatch {
  /** log πθ(y|x) of each labelled completion (summed over completion tokens). */
  policyLogps: ArrayLike<number>;
  refLogps: ArrayLike<number>;
  /** true = thumbs up (desirable), false = thumbs down. */
  desirable: ArrayLike<boolean>;
  /** Policy / reference log-probs of mismatched (prompt, completion) pairs for z_ref. */
  policyKlLogps?: ArrayLike<number>;
  refKlLogps?: ArrayLike<number>;
}

export interface KtoHyper {
  beta: number;
  /** λ_D, TRL `desirable_weight` (default 1). */
  desirableWeight?: number;
  /** λ_U, TRL `undesirable_weight` (default 1). */
  undesirableWeight?: number;
  /**
   * How z_ref is obtained:
   * - 'mismatched' (default when KL log-probs are given): TRL's estimate from the mismatched pairs;
   * - 'batch' (default otherwise): mean log-ratio of the labelled completions themselves —
   *   the fallback for online thumbs where no extra forward pass on mismatched pairs was run.
   *   It is biased (the policy has been pushed on exactly these completions) but cheap;
   * - a number: a fixed z_ref (e.g. a running estimate kept by the caller, or 0 for tests).
   * Estimates are clamped at 0 as in TRL; a fixed number is used as given.
   */
  klEstimate?: 'mismatched' | 'batch' | number;
}

/** The keys TRL's KTOTrainer logs. Means over an empty group are NaN, as in torch. */
export interface KtoMetrics {
  'rewards/chosen': number;
  'rewards/rejected': number;
  /** TRL: chosen mean − rejected mean with NaN replaced by 0 (nan_to_num). */
  'rewards/margins': number;
  'logps/chosen': number;
  'logps/rejected': number;
  kl: number;
}

export interface KtoResult {
  loss: number;
  losses: Float64Array;
  /** ∂loss/∂ log πθ(y|x) for each labelled completion. No gradient reaches the KL pairs. */
  dPolicy: Float64Array;
  /** The z_ref used. */
  kl: number;
  metrics: KtoMetrics;
}

/**
 * Index of the completion each example is paired with for the KL estimate: example i gets
 * the completion of example i−1 (the last one wraps to the first), TRL's roll by one.
 */
export function klMismatchIndices(n: number): Int32Array {
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = (i - 1 + n) % n;
  return idx;
}

export function ktoLoss(batch: KtoBatch, hyper: KtoHyper): KtoResult {
  const n = batch.policyLogps.length;
  if (n === 0) throw new RangeError('kto: empty batch');
  if (batch.refLogps.length !== n || batch.desirable.length !== n) {
    throw new RangeError('kto: policyLogps, refLogps and desirable must have the same length');
  }
  const { beta } = hyper;
  if (!(beta > 0)) throw new RangeError(`beta must be > 0, got ${beta}`);
  const wD = hyper.desirableWeight ?? 1;
  const wU = hyper.undesirableWeight ?? 1;
  const hasKl = batch.policyKlLogps !== undefined && batch.refKlLogps !== undefined;
  const mode = hyper.klEstimate ?? (hasKl ? 'mismatched' : 'batch');

  let kl: number;
  if (typeof mode === 'number') kl = mode;
  else {
    let s = 0;
    let m = 0;
    if (mode === 'mismatched') {
      if (!hasKl) throw new RangeError("kto: klEstimate 'mismatched' needs policyKlLogps and refKlLogps");
      const p = batch.policyKlLogps!;
      const r = batch.refKlLogps!;
      if (p.length !== r.length || p.length === 0) throw new RangeError('kto: KL log-prob arrays differ or are empty');
      for (let i = 0; i < p.length; i++) s += p[i]! - r[i]!;
      m = p.length;
    } else {
      for (let i = 0; i < n; i++) s += batch.policyLogps[i]! - batch.refLogps[i]!;
      m = n;
    }
    kl = Math.max(0, s / m); // TRL: .mean().clamp(min=0), detached
  }

  const losses = new Float64Array(n);
  const dPolicy = new Float64Array(n);
  let rewC = 0;
  let rewR = 0;
  let lpC = 0;
  let lpR = 0;
  let nC = 0;
  let nR = 0;
  for (let i = 0; i < n; i++) {
    const l = batch.policyLogps[i]! - batch.refLogps[i]!;
    if (batch.desirable[i]) {
      const z = beta * (l - kl);
      losses[i] = wD * (1 - sigmoid(z));
      dPolicy[i] = (-wD * sigmoid(z) * sigmoid(-z) * beta) / n;
      rewC += beta * l;
      lpC += batch.policyLogps[i]!;
      nC++;
    } else {
      const z = beta * (kl - l);
      losses[i] = wU * (1 - sigmoid(z));
      dPolicy[i] = (wU * sigmoid(z) * sigmoid(-z) * beta) / n;
      rewR += beta * l;
      lpR += batch.policyLogps[i]!;
      nR++;
    }
  }
  let loss = 0;
  for (let i = 0; i < n; i++) loss += losses[i]!;
  loss /= n;

  const meanC = nC > 0 ? rewC / nC : NaN;
  const meanR = nR > 0 ? rewR / nR : NaN;
  const metrics: KtoMetrics = {
    'rewards/chosen': meanC,
    'rewards/rejected': meanR,
    'rewards/margins': (Number.isNaN(meanC) ? 0 : meanC) - (Number.isNaN(meanR) ? 0 : meanR),
    'logps/chosen': nC > 0 ? lpC / nC : NaN,
    'logps/rejected': nR > 0 ? lpR / nR : NaN,
    kl,
  };
  return { loss, losses, dPolicy, kl, metrics };
}
