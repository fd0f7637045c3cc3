import body from '../../shaders/layer_norm.wgsl?raw';
import workgroupReduce from '../../shaders/workgroup_reduce.wgsl?raw';
import { ceilDiv, GpuKernel, grid1d, type Bound, type Recorder, type StorageBinding } from './kernel';

/** The shader with the shared workgroup reductions it calls (WGSL has no includes). */
const src = `${workgroupReduce}\n${body}`;

const SX = 64;
const SY = 4;

/** Threads per row: a power of two, no wider than the row needs (GPT-2: C=768 → 256). */
function threadsFor(C: number): number {
  let wg = 32;
  while (wg < 256 && wg < C) wg *= 2;
  return wg;
}

type LnOp = 'layer_norm' | 'layer_norm_backward_dx' | 'layer_norm_backward_params';

const BINDINGS: Record<LnOp, StorageBinding[]> = {
  // x, gamma, beta, y, mean, rstd
  layer_norm: [[1, 'r'], [2, 'r'], [3, 'r'], [4, 'w'], [5, 'w'], [6, 'w']],
  // dy, x, gamma, mean, rstd, dx
  layer_norm_backward_dx: [[7, 'r'], [1, 'r'], [2, 'r'], [8, 'r'], [9, 'r'], [10, 'w']],
  // dy, x, mean, rstd, dgamma, dbeta
  layer_norm_backward_params: [[7, 'r'], [1, 'r'], [8, 'r'], [9, 'r'], [11, 'w'], [12, 'w']],
};

/**
 * Layer norm family. Forward and dx: one workgroup per row with shared-memory tree
 * reductions; dgamma/dbeta: column sums over rows, SX columns × SY row-walkers per workgroup.
 */
export class LayerNormKernel extends GpuKernel {
  private static readonly cache = new Map<string, LayerNormKernel>();

  static get(op: LnOp, C: number): LayerNormKernel {
    const wg = op === 'layer_norm_backward_params' ? 64 : threadsFor(C);
    const key = `${op}:${wg}`;
    let k = this.cache.get(key);
    if (!k) this.cache.set(key, (k = new LayerNormKernel(op, wg)));
    return k;
  }

  private constructor(
    readonly op: LnOp,
    wg: number,
  ) {
    super('layer_norm', src, op, { WG: wg, SX, SY }, BINDINGS[op], 'uuf');
  }

  encode(rec: Recorder, N: number, C: number, eps: number, buffers: readonly Bound[]): void {
    const groups =
      this.op === 'layer_norm_backward_params'
        ? ([ceilDiv(C, SX), 1, 1] as const)
        : grid1d(N, rec.maxGroupsPerDim);
    rec.dispatch(this, buffers, [N, C, eps], groups);
  }
}
