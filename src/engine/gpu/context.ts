import type { Bound, GpuKernel, KernelBuffer, Recorder } from '../../kernels/kernel';
import { BufferPool, READBACK_USAGE, STORAGE_USAGE, type PooledBuffer } from './buffer_pool';
import { BufferUsage, MapMode } from './flags';

export type Binding = Bound;

interface PipelineEntry {
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
}

const SHADER_STAGE_COMPUTE = 0x4; // GPUShaderStage.COMPUTE, spelled out for Node
const UNIFORM_SLOT = 256; // minUniformBufferOffsetAlignment is at most 256 everywhere
const UNIFORM_CHUNK = 64 * 1024;
const BIND_GROUP_CACHE = 8192;

/**
 * Per-flush uniform storage. Each dispatch gets its own 256-byte slot: `writeBuffer` runs
 * before the encoder it belongs to, so one shared uniform buffer rewritten between dispatches
 * would leave every dispatch reading the last value. The slots are filled on the host and
 * uploaded with one `writeBuffer` per chunk right before submit; queue ordering makes it safe
 * to reuse the chunks in the next flush.
 */
class UniformRing {
  private chunks: { buffer: GPUBuffer; u32: Uint32Array; i32: Int32Array; f32: Float32Array }[] = [];
  private used = 0;
  private readonly slotsPerChunk = UNIFORM_CHUNK / UNIFORM_SLOT;

  constructor(private readonly device: GPUDevice) {}

  alloc(layout: string, values: ArrayLike<number>): { buffer: GPUBuffer; offset: number; chunk: number } {
    if (values.length !== layout.length) {
      throw new Error(`uniforms: expected ${layout.length} values, got ${values.length}`);
    }
    const chunkIndex = Math.floor(this.used / this.slotsPerChunk);
    const slot = this.used % this.slotsPerChunk;
    this.used++;
    if (chunkIndex === this.chunks.length) {
      const mirror = new ArrayBuffer(UNIFORM_CHUNK);
      this.chunks.push({
        buffer: this.device.createBuffer({
          size: UNIFORM_CHUNK,
          usage: BufferUsage.UNIFORM | BufferUsage.COPY_DST,
          label: 'uniform-ring',
        }),
        u32: new Uint32Array(mirror),
        i32: new Int32Array(mirror),
        f32: new Float32Array(mirror),
      });
    }
    const c = this.chunks[chunkIndex];
    const base = (slot * UNIFORM_SLOT) / 4;
    for (let i = 0; i < layout.length; i++) {
      const ch = layout.charCodeAt(i);
      if (ch === 102 /* f */) c.f32[base + i] = values[i];
      else if (ch === 105 /* i */) c.i32[base + i] = values[i];
      else c.u32[base + i] = values[i];
    }
    return { buffer: c.buffer, offset: slot * UNIFORM_SLOT, chunk: chunkIndex };
  }

  upload(queue: GPUQueue): void {
    let left = this.used;
    for (const c of this.chunks) {
      if (left <= 0) break;
      const n = Math.min(left, this.slotsPerChunk);
      queue.writeBuffer(c.buffer, 0, c.u32.buffer, 0, n * UNIFORM_SLOT);
      left -= n;
    }
    this.used = 0;
  }

  discard(): void {
    this.used = 0;
  }

  destroy(): void {
    for (const c of this.chunks) c.buffer.destroy();
    this.chunks = [];
    this.used = 0;
  }
}

/**
 * Records kernels into one pending command encoder and submits it on `flush()`. Owns the
 * pipeline cache, the buffer pools and the uniform ring of one backend.
 */
export class GpuContext implements Recorder {
  readonly queue: GPUQueue;
  readonly storage: BufferPool;
  readonly readback: BufferPool;
  readonly maxGroupsPerDim: number;
  readonly maxStorageBinding: number;
  readonly maxWorkgroupStorage: number;
  /** Validation and shader-compilation messages seen so far (tests assert it stays empty). */
  readonly errors: string[] = [];
  /** Number of the pending encoder; bumped by every submit. */
  epoch = 0;
  /** Submits so far (the decode loop should do one per token). */
  submits = 0;
  /** Compute dispatches recorded so far (what a token or a step costs in kernel launches). */
  dispatches = 0;
  /** Bytes copied back to the host so far (readbacks stall the queue: the fewer, the better). */
  bytesRead = 0;
  /** Bytes written from the host so far (tensor uploads; uniforms are not counted). */
  bytesWritten = 0;

  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private readonly uniforms: UniformRing;
  private readonly modules = new Map<string, GPUShaderModule>();
  private readonly pipelines = new Map<string, PipelineEntry>();
  private readonly layouts = new Map<string, { bgl: GPUBindGroupLayout; pl: GPUPipelineLayout }>();
  private readonly bindGroups = new Map<string, GPUBindGroup>();
  private readonly onError = (ev: Event) => {
    const err = (ev as GPUUncapturedErrorEvent).error;
    // Bounded: an error repeated on every dispatch must not grow memory without limit.
    if (this.errors.length < 100) this.errors.push(err?.message ?? String(err));
  };
  private disposed = false;
  /** Reads whose copy is recorded and that wait for the submit before mapping. */
  private afterSubmit: (() => void)[] = [];
  private flushQueued = false;

  constructor(readonly device: GPUDevice) {
    this.queue = device.queue;
    this.maxStorageBinding = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
    this.maxGroupsPerDim = device.limits.maxComputeWorkgroupsPerDimension;
    this.maxWorkgroupStorage = device.limits.maxComputeWorkgroupStorageSize;
    this.storage = new BufferPool(device, STORAGE_USAGE, 'tensor', this.maxStorageBinding);
    this.readback = new BufferPool(device, READBACK_USAGE, 'readback', device.limits.maxBufferSize);
    this.uniforms = new UniformRing(device);
    // Dawn's Node bindings may lack EventTarget on the device.
    if (typeof device.addEventListener === 'function') device.addEventListener('uncapturederror', this.onError);
  }

  private enc(): GPUCommandEncoder {
    if (this.disposed) throw new Error('WebGPU backend used after dispose()');
    if (!this.encoder) this.encoder = this.device.createCommandEncoder();
    return this.encoder;
  }

  private computePass(): GPUComputePassEncoder {
    if (!this.pass) this.pass = this.enc().beginComputePass();
    return this.pass;
  }

  private endPass(): void {
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
  }

  private pipelineFor(kernel: GpuKernel): PipelineEntry {
    let entry = this.pipelines.get(kernel.key);
    if (entry) return entry;
    let module = this.modules.get(kernel.source);
    if (!module) {
      module = this.device.createShaderModule({ code: kernel.source, label: kernel.family });
      this.modules.set(kernel.source, module);
      this.reportCompilation(module, kernel);
    }
    const layouts = this.layoutFor(kernel);
    const pipeline = this.device.createComputePipeline({
      layout: layouts.pl,
      compute: { module, entryPoint: kernel.entryPoint },
      label: kernel.key,
    });
    entry = { pipeline, layout: layouts.bgl };
    this.pipelines.set(kernel.key, entry);
    return entry;
  }

  private layoutFor(kernel: GpuKernel): { bgl: GPUBindGroupLayout; pl: GPUPipelineLayout } {
    let l = this.layouts.get(kernel.layoutKey);
    if (l) return l;
    const entries: GPUBindGroupLayoutEntry[] = [];
    if (kernel.uniformLayout.length > 0) {
      entries.push({ binding: 0, visibility: SHADER_STAGE_COMPUTE, buffer: { type: 'uniform' } });
    }
    for (const [binding, access] of kernel.bindings) {
      entries.push({
        binding,
        visibility: SHADER_STAGE_COMPUTE,
        buffer: { type: access === 'w' ? 'storage' : 'read-only-storage' },
      });
    }
    const bgl = this.device.createBindGroupLayout({ entries, label: kernel.layoutKey });
    l = { bgl, pl: this.device.createPipelineLayout({ bindGroupLayouts: [bgl] }) };
    this.layouts.set(kernel.layoutKey, l);
    return l;
  }

  private reportCompilation(module: GPUShaderModule, kernel: GpuKernel): void {
    if (typeof module.getCompilationInfo !== 'function') return;
    module.getCompilationInfo().then(
      (info) => {
        for (const m of info.messages) {
          if (m.type !== 'error') continue;
          const line = kernel.source.split('\n')[m.lineNum - 1] ?? '';
          const msg = `${kernel.family}.wgsl (${kernel.entryPoint}) ${m.lineNum}:${m.linePos}: ${m.message}\n  ${line}`;
          this.errors.push(msg);
          console.error(msg);
        }
      },
      () => {},
    );
  }

  /**
   * Records one dispatch. `buffers[i]` is bound at `kernel.bindings[i]`; `uniforms` fills the
   * kernel's uniform struct (binding 0).
   */
  dispatch(
    kernel: GpuKernel,
    buffers: readonly Bound[],
    uniforms: ArrayLike<number> | null,
    groups: readonly [number, number, number],
  ): void {
    if (groups[0] === 0 || groups[1] === 0 || groups[2] === 0) return;
    const { pipeline, layout } = this.pipelineFor(kernel);
    if (buffers.length !== kernel.bindings.length) {
      throw new Error(`${kernel.key}: expected ${kernel.bindings.length} buffers, got ${buffers.length}`);
    }
    let u: { buffer: GPUBuffer; offset: number; chunk: number } | null = null;
    let key = kernel.layoutKey;
    if (kernel.uniformLayout.length > 0) {
      if (!uniforms) throw new Error(`${kernel.key}: uniforms missing`);
      u = this.uniforms.alloc(kernel.uniformLayout, uniforms);
      key += `|u${u.chunk}:${u.offset}`;
    }
    for (let i = 0; i < buffers.length; i++) {
      const b = buffers[i];
      if (b.bytes > this.maxStorageBinding) {
        throw new Error(`WebGPU: binding of ${b.bytes} bytes exceeds maxStorageBufferBindingSize`);
      }
      b.buf.usedEpoch = this.epoch;
      key += `|${b.buf.id}:${b.bytes}`;
    }
    // A decode step replays the same ops on the same pooled buffers and uniform slots, so
    // most bind groups repeat from token to token; creating one costs more than this lookup.
    let bindGroup = this.bindGroups.get(key);
    if (!bindGroup) {
      const entries: GPUBindGroupEntry[] = [];
      if (u) entries.push({ binding: 0, resource: { buffer: u.buffer, offset: u.offset, size: UNIFORM_SLOT } });
      for (let i = 0; i < buffers.length; i++) {
        entries.push({
          binding: kernel.bindings[i][0],
          resource: { buffer: buffers[i].buf.buffer, offset: 0, size: Math.max(4, buffers[i].bytes) },
        });
      }
      bindGroup = this.device.createBindGroup({ layout, entries });
      if (this.bindGroups.size >= BIND_GROUP_CACHE) this.bindGroups.clear();
      this.bindGroups.set(key, bindGroup);
    }
    const pass = this.computePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(groups[0], groups[1], groups[2]);
    this.dispatches++;
  }

  copy(src: KernelBuffer, dst: KernelBuffer, bytes: number): void {
    if (bytes === 0) return;
    this.endPass();
    src.usedEpoch = this.epoch;
    dst.usedEpoch = this.epoch;
    this.enc().copyBufferToBuffer(src.buffer, 0, dst.buffer, 0, bytes);
  }

  clear(dst: PooledBuffer, bytes: number): void {
    if (bytes === 0) return;
    this.endPass();
    dst.usedEpoch = this.epoch;
    this.enc().clearBuffer(dst.buffer, 0, bytes);
  }

  /**
   * Host → device write that is ordered after everything recorded so far. A buffer untouched
   * by the pending encoder takes `queue.writeBuffer` directly; otherwise the data goes through
   * a fresh staging buffer and an in-encoder copy, so no extra submit is needed.
   */
  write(dst: PooledBuffer, data: ArrayBufferView, bytes: number): void {
    if (bytes === 0) return;
    this.bytesWritten += bytes;
    if (dst.usedEpoch !== this.epoch || !this.encoder) {
      this.queue.writeBuffer(dst.buffer, 0, data.buffer, data.byteOffset, bytes);
      return;
    }
    const staging = this.storage.acquire(bytes, this.epoch);
    this.queue.writeBuffer(staging.buffer, 0, data.buffer, data.byteOffset, bytes);
    this.copy(staging, dst, bytes);
    this.storage.release(staging);
  }

  /**
   * Copies `bytes` of `src` to the host. The copy is recorded now (so it sees exactly the
   * work recorded so far) and the encoder is submitted in a microtask, so reads issued
   * together (`Promise.all([read(a), read(b)])`) share one submit. `mapAsync` waits for that
   * submit: mapping a buffer that an unsubmitted encoder writes would be a validation error.
   */
  async readBack(src: KernelBuffer, bytes: number): Promise<ArrayBuffer> {
    if (bytes === 0) return new ArrayBuffer(0);
    const staging = this.readback.acquire(bytes);
    this.bytesRead += bytes;
    this.endPass();
    src.usedEpoch = this.epoch;
    this.enc().copyBufferToBuffer(src.buffer, 0, staging.buffer, 0, bytes);
    const submitted = new Promise<void>((resolve) => this.afterSubmit.push(resolve));
    if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(() => {
        this.flushQueued = false;
        if (!this.disposed) this.flush();
      });
    }
    await submitted;
    try {
      await staging.buffer.mapAsync(MapMode.READ, 0, bytes);
      const out = staging.buffer.getMappedRange(0, bytes).slice(0);
      staging.buffer.unmap();
      return out;
    } finally {
      if (!this.disposed) this.readback.release(staging);
    }
  }

  /** True when commands are recorded but not yet submitted. */
  get pending(): boolean {
    return this.encoder !== null;
  }

  flush(): void {
    if (this.encoder) {
      this.endPass();
      const cmd = this.encoder.finish();
      this.encoder = null;
      this.uniforms.upload(this.queue);
      this.queue.submit([cmd]);
      this.epoch++;
      this.submits++;
    }
    this.releaseReads();
  }

  private releaseReads(): void {
    if (this.afterSubmit.length === 0) return;
    const waiting = this.afterSubmit;
    this.afterSubmit = [];
    for (const resolve of waiting) resolve();
  }

  /** Destroys free pooled buffers (after a flush, so none is referenced by pending work). */
  trim(): void {
    this.flush();
    this.storage.trim(-1);
    this.readback.trim(-1);
    this.bindGroups.clear(); // entries of destroyed buffers would never hit again anyway
  }

  dispose(): void {
    if (this.disposed) return;
    this.pass = null;
    this.encoder = null; // dropped unsubmitted
    this.uniforms.discard();
    this.disposed = true;
    if (typeof this.device.removeEventListener === 'function') {
      this.device.removeEventListener('uncapturederror', this.onError);
    }
    this.storage.destroyAll();
    this.readback.destroyAll();
    this.uniforms.destroy();
    this.releaseReads(); // their mapAsync now rejects on the destroyed staging buffers
    this.pipelines.clear();
    this.layouts.clear();
    this.bindGroups.clear();
    this.modules.clear();
  }
}
