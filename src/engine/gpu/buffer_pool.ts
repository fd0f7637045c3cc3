import { BufferUsage } from './flags';

/** A pooled GPUBuffer plus the bookkeeping the hazard checks need. */
export interface PooledBuffer {
  readonly buffer: GPUBuffer;
  /** Unique per GPUBuffer, never reused (bind groups are cached by it). */
  readonly id: number;
  /** Bucket size (bytes actually allocated). */
  readonly bytes: number;
  /**
   * The recording epoch that last referenced this buffer. An epoch is one pending command
   * encoder; `queue.writeBuffer` jumps ahead of that encoder's commands, so a buffer touched
   * in the current epoch must not be written with `writeBuffer`.
   */
  usedEpoch: number;
}

const MIN_BYTES = 256;
let nextId = 1;

/**
 * Rounds a request up to the pool's bucket: powers of two below 1 MiB, then quarter steps
 * between powers of two, so a 154 MB embedding wastes at most 25 % instead of 75 %.
 */
export function bucketBytes(bytes: number, maxBytes = Infinity): number {
  const n = Math.max(MIN_BYTES, Math.ceil(bytes / 4) * 4);
  let pow = 1;
  while (pow < n) pow *= 2;
  let bucket = pow;
  if (pow > 1 << 20) {
    const step = pow / 8; // quarter of the lower power of two
    bucket = Math.ceil(n / step) * step;
  }
  // Never let rounding push a legal request over the device limit.
  if (bucket > maxBytes && n <= maxBytes) bucket = n;
  return bucket;
}

/** Size-bucketed free lists of GPUBuffers of one usage. */
export class BufferPool {
  private readonly free = new Map<number, PooledBuffer[]>();
  private readonly all = new Set<PooledBuffer>();
  private allocated = 0;

  constructor(
    private readonly device: GPUDevice,
    private readonly usage: number,
    private readonly label: string,
    private readonly maxBytes: number,
  ) {}

  /**
   * A buffer of at least `bytes`. With `avoidEpoch`, skips buffers referenced by that (still
   * pending) epoch, because the caller is about to `writeBuffer` into it.
   */
  acquire(bytes: number, avoidEpoch = -1): PooledBuffer {
    if (bytes > this.maxBytes) {
      throw new Error(`WebGPU: a ${bytes}-byte buffer exceeds this device's limit of ${this.maxBytes} bytes`);
    }
    const size = bucketBytes(bytes, this.maxBytes);
    const list = this.free.get(size);
    if (list && list.length > 0) {
      if (avoidEpoch < 0) return list.pop()!;
      for (let i = list.length - 1; i >= 0; i--) {
        if (list[i].usedEpoch !== avoidEpoch) {
          const pb = list[i];
          list[i] = list[list.length - 1];
          list.pop();
          return pb;
        }
      }
    }
    const buffer = this.device.createBuffer({ size, usage: this.usage, label: this.label });
    const pb: PooledBuffer = { buffer, id: nextId++, bytes: size, usedEpoch: -1 };
    this.all.add(pb);
    this.allocated += size;
    return pb;
  }

  release(pb: PooledBuffer): void {
    let list = this.free.get(pb.bytes);
    if (!list) {
      list = [];
      this.free.set(pb.bytes, list);
    }
    list.push(pb);
  }

  /** Destroys free buffers not referenced by `pendingEpoch` (pass -1 when nothing is pending). */
  trim(pendingEpoch: number): void {
    for (const [size, list] of this.free) {
      const keep: PooledBuffer[] = [];
      for (const pb of list) {
        if (pb.usedEpoch === pendingEpoch) {
          keep.push(pb);
        } else {
          pb.buffer.destroy();
          this.all.delete(pb);
          this.allocated -= pb.bytes;
        }
      }
      if (keep.length > 0) this.free.set(size, keep);
      else this.free.delete(size);
    }
  }

  /** Bytes of GPU memory this pool holds (live and free). */
  allocatedBytes(): number {
    return this.allocated;
  }

  destroyAll(): void {
    for (const pb of this.all) pb.buffer.destroy();
    this.all.clear();
    this.free.clear();
    this.allocated = 0;
  }
}

export const STORAGE_USAGE = BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST;
export const READBACK_USAGE = BufferUsage.MAP_READ | BufferUsage.COPY_DST;
