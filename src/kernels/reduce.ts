import body from '../../shaders/reduce.wgsl?raw';
import workgroupReduce from '../../shaders/workgroup_reduce.wgsl?raw';
import { ceilDiv, GpuKernel, grid1d, type Bound, type Recorder, type StorageBinding } from './kernel';

/** The shader with the shared workgroup reductions it calls (WGSL has no includes). */
const src = `${workgroupReduce}\n${body}`;

const WG = 256;
const SX = 64;
const SY = 4;
/** Cap on stage-1 workgroups per gradient (each folds a grid-stride share). */
export const SUMSQ_MAX_GROUPS = 256;

type ReduceOp = 'sum_rows' | 'sumsq_partial' | 'sumsq_final' | 'clip_scale' | 'masked_mean_nll';

const BINDINGS: Record<ReduceOp, StorageBinding[]> = {
  sum_rows: [[1, 'r'], [2, 'w']],
  sumsq_partial: [[1, 'r'], [3, 'w']],
  sumsq_final: [[4, 'r'], [2, 'w']],
  clip_scale: [[5, 'w'], [6, 'r']],
  masked_mean_nll: [[1, 'r'], [7, 'r'], [2, 'w']],
};

class ReduceKernel extends GpuKernel {
  constructor(op: ReduceOp, acc = false) {
    super('reduce', src, op, { WG, SX, SY, ACC: acc }, BINDINGS[op], 'uuf');
  }
}

/** Column sums of [M,N] (bias gradients): SX columns × SY row-walkers per workgroup. */
export class SumRowsKernel extends ReduceKernel {
  private static readonly k = [new SumRowsKernel(false), new SumRowsKernel(true)];
  static get(acc: boolean): SumRowsKernel {
    return this.k[+acc];
  }
  private constructor(acc: boolean) {
    super('sum_rows', acc);
  }
  /** Buffers: a, out. */
  encode(rec: Recorder, M: number, N: number, buffers: readonly Bound[]): void {
    rec.dispatch(this, buffers, [M, N, 0], [ceilDiv(N, SX), 1, 1]);
  }
}

/**
 * clipGradNorm on the device: stage 1 (`partial`) writes per-workgroup sums of squares of
 * each gradient into a partials buffer, stage 2 (`final`) folds them into the norm, stage 3
 * (`scale`) rescales each gradient reading the norm from the device. No readback, no atomics.
 */
export class GradNormKernels {
  static readonly partial = new ReduceKernel('sumsq_partial');
  static readonly final = new ReduceKernel('sumsq_final');
  static readonly scale = new ReduceKernel('clip_scale');

  /** Stage-1 workgroups used for a gradient of n elements. */
  static groupsFor(n: number): number {
    return Math.max(1, Math.min(SUMSQ_MAX_GROUPS, ceilDiv(n, WG)));
  }
  /** Buffers: grad, partials. Writes partials[slot … slot + groupsFor(n) − 1]. */
  static encodePartial(rec: Recorder, n: number, slot: number, buffers: readonly Bound[]): void {
    rec.dispatch(this.partial, buffers, [n, slot, 0], [this.groupsFor(n), 1, 1]);
  }
  /** Buffers: partials, norm. */
  static encodeFinal(rec: Recorder, count: number, buffers: readonly Bound[]): void {
    rec.dispatch(this.final, buffers, [count, 0, 0], [1, 1, 1]);
  }
  /** Buffers: grad (in place), norm. */
  static encodeScale(rec: Recorder, n: number, maxNorm: number, buffers: readonly Bound[]): void {
    rec.dispatch(this.scale, buffers, [n, 0, maxNorm], grid1d(ceilDiv(n, WG), rec.maxGroupsPerDim));
  }
}

/** Masked mean negative log-likelihood in one workgroup. Buffers: logprobs, mask, out[1]. */
export class MaskedMeanNllKernel extends ReduceKernel {
  static readonly instance = new MaskedMeanNllKernel();
  private constructor() {
    super('masked_mean_nll');
  }
  encode(rec: Recorder, n: number, buffers: readonly Bound[]): void {
    rec.dispatch(this, buffers, [n, 0, 0], [1, 1, 1]);
  }
}
