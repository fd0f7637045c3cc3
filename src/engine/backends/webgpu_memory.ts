import type { DType, Tensor } from '../backend';
import { describeAdapter, onDeviceLost, type AcquiredDevice } from '../gpu/device';
import { GpuContext } from '../gpu/context';
import type { PooledBuffer } from '../gpu/buffer_pool';
import { GpuTensor, sizeOf } from '../gpu/tensor';
import type { Bound } from '../../kernels/kernel';

/** True if every element is +0 (bit-exact, so -0 still goes through a real write). */
function allZeroBits(data: Float32Array): boolean {
  const u = new Uint32Array(data.buffer, data.byteOffset, data.length);
  for (let i = 0; i < u.length; i++) if (u[i] !== 0) return false;
  return true;
}

/** `[2,3]`, for error messages. */
export function shapeStr(t: Tensor): string {
  return `[${t.shape.join(',')}]`;
}

/**
 * The memory half of WebGpuBackend (src/engine/backends/webgpu.ts): device-loss state,
 * diagnostics, tensor allocation on the pooled storage of one GpuContext, upload / readback /
 * release, and the checks and bindings every op shares. The ops are in the subclass.
 */
export abstract class WebGpuMemory {
  readonly deviceLabel: string;
  readonly isSoftware: boolean;
  readonly device: GPUDevice;
  readonly ctx: GpuContext;
  private live = 0;
  private lostMessage: string | null = null;
  private readonly unsubscribeLost: () => void;

  constructor(acq: AcquiredDevice) {
    this.device = acq.device;
    this.isSoftware = acq.isSoftware;
    this.deviceLabel = describeAdapter(acq.adapterInfo, acq.isSoftware);
    this.ctx = new GpuContext(acq.device);
    this.unsubscribeLost = onDeviceLost((info) => {
      if (info.device === this.device) this.lostMessage = `${info.reason}: ${info.message}`;
    });
  }

  // ------------------------------------------------------------------ diagnostics

  /** Why the device was lost, or null while it is usable. */
  get lost(): string | null {
    return this.lostMessage;
  }

  /** Validation / shader-compilation errors seen on the device since creation. */
  get errors(): readonly string[] {
    return this.ctx.errors;
  }
  /** Queue submits so far. */
  get submits(): number {
    return this.ctx.submits;
  }
  /** Compute dispatches recorded so far. */
  get dispatches(): number {
    return this.ctx.dispatches;
  }
  /** Bytes read back to the host so far. */
  get bytesRead(): number {
    return this.ctx.bytesRead;
  }
  /** Bytes uploaded from the host so far. */
  get bytesWritten(): number {
    return this.ctx.bytesWritten;
  }
  /** GPU memory held by the tensor pool, live and free. */
  pooledBytes(): number {
    return this.ctx.storage.allocatedBytes();
  }
  /** Frees pooled buffers that no live tensor uses. */
  trimPool(): void {
    this.ctx.trim();
  }

  // ------------------------------------------------------------------ helpers

  protected check(t: Tensor, dtype: DType = 'f32'): GpuTensor {
    if (this.lostMessage) throw new Error(`WebGPU device lost (${this.lostMessage})`);
    if (!(t instanceof GpuTensor)) throw new Error('WebGpuBackend: tensor from another backend');
    if (t.released) throw new Error('WebGpuBackend: use of a released tensor');
    if (t.dtype !== dtype) throw new Error(`WebGpuBackend: expected a ${dtype} tensor, got ${t.dtype}`);
    return t;
  }

  protected alloc(shape: readonly number[], dtype: DType = 'f32', forWrite = false): GpuTensor {
    if (this.lostMessage) throw new Error(`WebGPU device lost (${this.lostMessage})`);
    const size = sizeOf(shape);
    // A buffer about to take a queue.writeBuffer must not be one the pending encoder reads.
    const buf = this.ctx.storage.acquire(Math.max(4, size * 4), forWrite ? this.ctx.epoch : -1);
    this.live += size * 4;
    return new GpuTensor([...shape], dtype, size, buf);
  }

  protected b(t: GpuTensor): Bound {
    return { buf: t.buf, bytes: t.bytes };
  }

  /**
   * Binding for an input of an op that also writes caller-owned tensors: WebGPU forbids one
   * buffer being both read-only and writable in a dispatch, so an aliased input is copied.
   */
  protected input(t: GpuTensor, written: readonly GpuTensor[], temps: PooledBuffer[]): Bound {
    if (!written.some((w) => w.buf === t.buf)) return this.b(t);
    const tmp = this.ctx.storage.acquire(Math.max(4, t.bytes));
    this.ctx.copy(t.buf, tmp, t.bytes);
    temps.push(tmp);
    return { buf: tmp, bytes: t.bytes };
  }

  protected done(temps: PooledBuffer[]): void {
    for (const p of temps) this.ctx.storage.release(p);
  }

  protected distinctOutputs(op: string, ts: readonly GpuTensor[]): void {
    for (let i = 0; i < ts.length; i++) {
      for (let j = i + 1; j < ts.length; j++) {
        if (ts[i].buf === ts[j].buf) throw new Error(`${op}: two written tensors share storage`);
      }
    }
  }

  // ------------------------------------------------------------------ memory

  upload(data: Float32Array, shape: readonly number[]): Tensor {
    const n = sizeOf(shape);
    if (data.length !== n) throw new Error(`upload: ${data.length} values for shape [${shape}]`);
    const t = this.alloc(shape, 'f32', true);
    this.ctx.write(t.buf, data, t.bytes);
    return t;
  }

  uploadU32(data: Uint32Array, shape: readonly number[]): Tensor {
    const n = sizeOf(shape);
    if (data.length !== n) throw new Error(`uploadU32: ${data.length} ids for shape [${shape}]`);
    const t = this.alloc(shape, 'u32', true);
    this.ctx.write(t.buf, data, t.bytes);
    return t;
  }

  zeros(shape: readonly number[]): Tensor {
    const t = this.alloc(shape);
    this.ctx.clear(t.buf, t.bytes);
    return t;
  }

  zero(t: Tensor): void {
    const g = this.check(t, t.dtype);
    this.ctx.clear(g.buf, g.bytes);
  }

  write(t: Tensor, data: Float32Array): void {
    const g = this.check(t);
    if (data.length !== g.size) throw new Error(`write: ${data.length} values into ${shapeStr(g)}`);
    // Zeroing gradients and optimizer moments this way would otherwise ship every byte over
    // the bus (and, for tensors pending work reads, through a same-size staging buffer).
    if (allZeroBits(data)) this.ctx.clear(g.buf, g.bytes);
    else this.ctx.write(g.buf, data, g.bytes);
  }

  clone(t: Tensor): Tensor {
    const src = this.check(t, t.dtype);
    const out = this.alloc(src.shape, src.dtype);
    this.ctx.copy(src.buf, out.buf, src.bytes);
    return out;
  }

  async read(t: Tensor): Promise<Float32Array> {
    const g = this.check(t);
    return new Float32Array(await this.ctx.readBack(g.buf, g.bytes));
  }

  async readU32(t: Tensor): Promise<Uint32Array> {
    const g = this.check(t, 'u32');
    return new Uint32Array(await this.ctx.readBack(g.buf, g.bytes));
  }

  release(t: Tensor): void {
    if (!(t instanceof GpuTensor)) throw new Error('WebGpuBackend: tensor from another backend');
    if (t.released) throw new Error('WebGpuBackend: tensor released twice');
    t.released = true;
    this.live -= t.bytes;
    // Safe even if pending commands still use it: later users are recorded after them, and
    // writeBuffer skips buffers stamped with the pending epoch.
    this.ctx.storage.release(t.buf);
  }

  flush(): void {
    this.ctx.flush();
  }

  liveBytes(): number {
    return this.live;
  }

  dispose(): void {
    this.unsubscribeLost();
    this.ctx.dispose();
    this.live = 0;
  }
}
