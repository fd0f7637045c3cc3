import body from '../../shaders/log_softmax.wgsl?raw';
import workgroupReduce from '../../shaders/workgroup_reduce.wgsl?raw';
import { ceilDiv, GpuKernel, grid1d, type Bound, type Recorder, type StorageBinding } from './kernel';

/** The shader with the shared workgroup reductions it calls (WGSL has no includes). */
const src = `${workgroupReduce}\n${body}`;

const WG = 256;

type RowOp = 'log_softmax_gather' | 'log_softmax_gather_backward' | 'softmax' | 'argmax' | 'topk' | 'sample';

const BINDINGS: Record<RowOp, StorageBinding[]> = {
  // logits, targets, logprobs, lse
  log_softmax_gather: [[1, 'r'], [2, 'r'], [3, 'w'], [4, 'w']],
  // dlogprobs, logits, lse, targets, dlogits
  log_softmax_gather_backward: [[5, 'r'], [1, 'r'], [6, 'r'], [2, 'r'], [7, 'w']],
  // logits, probs
  softmax: [[1, 'r'], [8, 'w']],
  // logits, best (u32)
  argmax: [[1, 'r'], [9, 'w']],
  // logits, values [N, k], indices (u32) [N, k]
  topk: [[1, 'r'], [8, 'w'], [9, 'w']],
  // logits, uniforms [N] (the dlogprobs binding), drawn ids (u32) [N]
  sample: [[1, 'r'], [5, 'r'], [9, 'w']],
};

/**
 * Row kernels over logits [N, V]. Row-wise ones use one 256-thread workgroup per row (V up to
 * 50257: ~200 elements per thread, then a tree); the backward is elementwise over N·V.
 */
export class LogSoftmaxKernel extends GpuKernel {
  private static readonly cache = new Map<RowOp, LogSoftmaxKernel>();

  static get(op: RowOp): LogSoftmaxKernel {
    let k = this.cache.get(op);
    if (!k) this.cache.set(op, (k = new LogSoftmaxKernel(op)));
    return k;
  }

  private constructor(readonly op: RowOp) {
    super('log_softmax', src, op, { WG }, BINDINGS[op], 'uufu');
  }

  /** `k`: entries per row for topk (ignored by the other ops). */
  encode(rec: Recorder, N: number, V: number, buffers: readonly Bound[], temperature = 1, k = 0): void {
    const groups =
      this.op === 'log_softmax_gather_backward'
        ? grid1d(ceilDiv(N * V, WG), rec.maxGroupsPerDim)
        : grid1d(N, rec.maxGroupsPerDim);
    rec.dispatch(this, buffers, [N, V, 1 / temperature, k], groups);
  }
}
