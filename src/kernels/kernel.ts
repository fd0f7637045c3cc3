/**
 * Base class of every GPU kernel: one WGSL entry point of one shader family, specialised by
 * compile-time constants. The constants are prepended to the family's source as WGSL `const`
 * declarations (WGSL has no preprocessor, and `override`s cannot size private arrays), so
 * each specialisation is its own shader module and pipeline, cached under `key`.
 */

export type ConstValue = number | boolean;

/** What a kernel needs of a buffer: the GPUBuffer, and the epoch stamp the recorder keeps. */
export interface KernelBuffer {
  readonly buffer: GPUBuffer;
  /** Unique per GPUBuffer, never reused (bind groups are cached by it). */
  readonly id: number;
  usedEpoch: number;
}

/** A buffer bound to a dispatch, with the byte range (from 0) the kernel may touch. */
export interface Bound {
  buf: KernelBuffer;
  bytes: number;
}

/**
 * The command recorder kernels encode into (implemented by src/engine/gpu/context.ts; the
 * interface lives here so kernels do not import from the engine layer above them).
 */
export interface Recorder {
  readonly maxGroupsPerDim: number;
  /** maxComputeWorkgroupStorageSize of the device, for kernels that size their tiles. */
  readonly maxWorkgroupStorage: number;
  dispatch(
    kernel: GpuKernel,
    buffers: readonly Bound[],
    uniforms: ArrayLike<number> | null,
    groups: readonly [number, number, number],
  ): void;
}

/** Binding 0 of every kernel that takes scalars is a uniform struct of 4-byte fields. */
export type UniformField = 'u' | 'i' | 'f';

/**
 * A storage binding: its number and whether the shader declares it `read` or `read_write`.
 * Layouts are explicit (not 'auto') so a binding the specialised shader never touches, like
 * the bias of a bias-less matmul, is still legal to bind and layouts are shared.
 */
export type StorageBinding = readonly [binding: number, access: 'r' | 'w'];

export abstract class GpuKernel {
  /** Pipeline-cache key: family, entry point and every specialisation constant. */
  readonly key: string;
  /** Complete WGSL (constants header + family source). */
  readonly source: string;

  constructor(
    readonly family: string,
    familySource: string,
    readonly entryPoint: string,
    consts: Readonly<Record<string, ConstValue>>,
    /** Storage bindings in the order `dispatch` receives buffers. */
    readonly bindings: readonly StorageBinding[],
    /** One letter per uniform field (empty: the kernel has no uniform binding). */
    readonly uniformLayout: string,
  ) {
    const header = Object.keys(consts)
      .sort()
      .map((k) => `const ${k} = ${literal(consts[k])};`)
      .join('\n');
    this.source = `${header}\n${familySource}`;
    this.key = `${family}/${entryPoint}{${header.replace(/\n/g, ' ')}}`;
    this.layoutKey =
      (uniformLayout.length > 0 ? 'u0' : '') + bindings.map(([b, a]) => `,${a}${b}`).join('');
  }

  /** Bind-group-layout cache key. */
  readonly layoutKey: string;
}

function literal(v: ConstValue): string {
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) {
    throw new Error(`kernel constant ${v} is not a u32`);
  }
  return `${v}u`;
}

/** Workgroup counts for a 1-D problem, folded into y when x would exceed the device limit. */
export function grid1d(groups: number, maxPerDim: number): [number, number, number] {
  if (groups <= maxPerDim) return [Math.max(groups, 0), 1, 1];
  const y = Math.ceil(groups / maxPerDim);
  const x = Math.ceil(groups / y);
  if (y > maxPerDim) throw new Error(`WebGPU: ${groups} workgroups exceed the dispatch limit`);
  return [x, y, 1];
}

export function ceilDiv(a: number, b: number): number {
  return Math.floor((a + b - 1) / b);
}
