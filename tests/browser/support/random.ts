/** Seeded inputs and the error metric of the kernel tests. */
import { mulberry32Float } from '../../../src/engine/rng';

export class Rng {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32Float(seed);
  }
  uniform(): number {
    return this.next();
  }
  /** n floats uniform in [lo, hi). */
  floats(n: number, lo = -1, hi = 1): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * this.next();
    return out;
  }
  /** n standard normal floats (Box–Muller) times `scale`. */
  normal(n: number, scale = 1): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const u = Math.max(this.next(), 1e-12);
      const v = this.next();
      out[i] = scale * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }
    return out;
  }
  /** n integers uniform in [0, max). */
  ints(n: number, max: number): Uint32Array {
    const out = new Uint32Array(n);
    for (let i = 0; i < n; i++) out[i] = Math.floor(this.next() * max);
    return out;
  }
}

/**
 * The kernel tests' error metric: max |gpu − cpu| / max(max |cpu|, 1e-6), i.e. the worst
 * absolute error relative to the largest magnitude of the reference output. Returns
 * Infinity on a length mismatch or a NaN/Inf in one output but not the other.
 */
export function relErr(gpu: ArrayLike<number>, cpu: ArrayLike<number>): number {
  if (gpu.length !== cpu.length) return Infinity;
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < cpu.length; i++) {
    const g = gpu[i];
    const c = cpu[i];
    if (!Number.isFinite(g) || !Number.isFinite(c)) {
      if (Object.is(g, c)) continue;
      return Infinity;
    }
    maxDiff = Math.max(maxDiff, Math.abs(g - c));
    maxRef = Math.max(maxRef, Math.abs(c));
  }
  return maxDiff / Math.max(maxRef, 1e-6);
}

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}
