import type { DType, Tensor } from '../backend';
import type { PooledBuffer } from './buffer_pool';

/** A tensor whose storage is a pooled GPUBuffer (possibly larger than the tensor). */
export class GpuTensor implements Tensor {
  released = false;
  constructor(
    readonly shape: readonly number[],
    readonly dtype: DType,
    readonly size: number,
    readonly buf: PooledBuffer,
  ) {}

  /** Bytes the tensor occupies (4 per element, f32 and u32 alike). */
  get bytes(): number {
    return this.size * 4;
  }
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`invalid shape [${shape}]`);
    n *= d;
  }
  return n;
}
