/**
 * Running mean/variance of a stream, merged batch by batch (Chan et al. parallel update).
 *
 * This mirrors TRL's `trl.trainer.utils.RunningMoments`, which DPOTrainer uses for the
 * `bco_pair` reward shift δ: it starts at mean 0, var 1, count 1e-24 (so the first update
 * effectively replaces the prior) and each `update(xs)` merges the batch's population
 * moments weighted by the batch size. DPOTrainer feeds it ONE number per step (the batch's
 * mean implicit reward), so δ is the plain average of the per-step batch means.
 *
 * The state is plain data (`toState`/`fromState`) so a session can save and replay it.
 */
export interface RunningMomentsState {
  mean: number;
  var: number;
  count: number;
}

export class RunningMoments {
  mean = 0;
  var = 1;
  /** Tiny non-zero prior count, as TRL: the first batch overwrites the prior almost exactly. */
  count = 1e-24;

  get std(): number {
    return Math.sqrt(this.var);
  }

  /** Merge a batch of values; returns the batch's (mean, population std). */
  update(xs: ArrayLike<number>): { mean: number; std: number } {
    const n = xs.length;
    if (n === 0) return { mean: NaN, std: NaN };
    let batchMean = 0;
    for (let i = 0; i < n; i++) batchMean += xs[i]!;
    batchMean /= n;
    let batchVar = 0;
    for (let i = 0; i < n; i++) batchVar += (xs[i]! - batchMean) ** 2;
    batchVar /= n; // population variance, torch.var_mean(unbiased=False)

    const delta = batchMean - this.mean;
    const total = this.count + n;
    const newSum = batchVar * n;
    // Old sum of squared deviations, re-centred on the merged mean.
    const oldSum = this.var * this.count + ((delta * delta * this.count * n) / total);
    this.mean += (delta * n) / total;
    this.var = (oldSum + newSum) / total;
    this.count = total;
    return { mean: batchMean, std: Math.sqrt(batchVar) };
  }

  toState(): RunningMomentsState {
    return { mean: this.mean, var: this.var, count: this.count };
  }

  static fromState(state: RunningMomentsState): RunningMoments {
    const m = new RunningMoments();
    m.mean = state.mean;
    m.var = state.var;
    m.count = state.count;
    return m;
  }
}
