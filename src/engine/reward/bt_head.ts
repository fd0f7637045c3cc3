/**
 * A linear Bradley–Terry reward head r(x, y) = wᵀφ + b on (standardised) feature vectors.
 *
 * Pair loss, for a pair whose first item is preferred with probability `label`
 * (1 = a clear win, 0.5 = a tie used as a soft label):
 *
 *   u = r_c − r_r − margin
 *   L = −label·log σ(u) − (1 − label)·log σ(−u) + c·(r_c + r_r)²
 *
 * With label = 1 this is TRL RewardTrainer's `-logsigmoid(rewards_chosen - rewards_rejected -
 * margin)` plus its `center_rewards_coefficient · mean((r_c + r_r)²)` term (Eisenstein et al.
 * 2023), which pins the otherwise free offset of BT rewards near zero so they stay comparable
 * across refits and heads (b would drift freely without it: it cancels in r_c − r_r).
 *
 * Parameters are packed as [w₀ … w_{d−1}, b] so one optimiser step updates everything.
 */
import { logSigmoid, sigmoid } from '../objectives/math.ts';

export interface TrainingPair {
  /** Standardised features of the preferred (or first, for ties) completion. */
  chosen: Float64Array;
  rejected: Float64Array;
  /** Probability that `chosen` is better: 1 for a decisive vote, 0.5 for a tie. */
  label: number;
  /** Required reward gap (TRL `margin`); 0 for ties. */
  margin: number;
}

export class BradleyTerryHead {
  readonly dim: number;
  /** [w, b], length dim + 1. */
  readonly params: Float64Array;

  constructor(dim: number, params?: Float64Array) {
    this.dim = dim;
    this.params = params ?? new Float64Array(dim + 1);
    if (this.params.length !== dim + 1) throw new RangeError('params must have length dim + 1');
  }

  get bias(): number {
    return this.params[this.dim]!;
  }

  /** r = wᵀx + b for an already-standardised feature vector. */
  score(x: ArrayLike<number>): number {
    let s = this.params[this.dim]!;
    for (let i = 0; i < this.dim; i++) s += this.params[i]! * x[i]!;
    return s;
  }

  /**
   * Loss of one pair times `weight`, with its gradient ADDED into `grad` (length dim + 1).
   * Returns the weighted loss.
   */
  accumulatePairGrad(pair: TrainingPair, centerCoef: number, weight: number, grad: Float64Array): number {
    const rc = this.score(pair.chosen);
    const rr = this.score(pair.rejected);
    const u = rc - rr - pair.margin;
    const y = pair.label;
    const sum = rc + rr;
    const loss = -y * logSigmoid(u) - (1 - y) * logSigmoid(-u) + centerCoef * sum * sum;
    const dU = sigmoid(u) - y; // d/du of the cross-entropy
    const dRc = weight * (dU + 2 * centerCoef * sum);
    const dRr = weight * (-dU + 2 * centerCoef * sum);
    for (let i = 0; i < this.dim; i++) grad[i] += dRc * pair.chosen[i]! + dRr * pair.rejected[i]!;
    grad[this.dim] += dRc + dRr;
    return weight * loss;
  }
}
