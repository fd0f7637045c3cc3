import src from '../../shaders/elementwise.wgsl?raw';
import { ceilDiv, GpuKernel, grid1d, type Bound, type Recorder, type StorageBinding } from './kernel';

const WG = 256;

export type ElementwiseOp = 'add' | 'add_into' | 'scale' | 'gelu' | 'gelu_backward';

const BINDINGS: Record<ElementwiseOp, StorageBinding[]> = {
  add: [[1, 'r'], [2, 'r'], [3, 'w']],
  add_into: [[1, 'r'], [3, 'w']],
  scale: [[1, 'r'], [3, 'w']],
  gelu: [[1, 'r'], [3, 'w']],
  gelu_backward: [[1, 'r'], [2, 'r'], [3, 'w']],
};

/**
 * One thread per element. Buffers, in order: add (a, b, out), add_into (a, out), scale (a, out),
 * gelu (x, out), gelu_backward (dy, x, out).
 */
export class ElementwiseKernel extends GpuKernel {
  private static readonly cache = new Map<ElementwiseOp, ElementwiseKernel>();

  static get(op: ElementwiseOp): ElementwiseKernel {
    let k = this.cache.get(op);
    if (!k) this.cache.set(op, (k = new ElementwiseKernel(op)));
    return k;
  }

  private constructor(readonly op: ElementwiseOp) {
    super('elementwise', src, op, { WG }, BINDINGS[op], 'uf');
  }

  encode(rec: Recorder, n: number, buffers: readonly Bound[], s = 0): void {
    rec.dispatch(this, buffers, [n, s], grid1d(ceilDiv(n, WG), rec.maxGroupsPerDim));
  }
}
