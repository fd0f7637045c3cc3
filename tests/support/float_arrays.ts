/** Seeded inputs and error measures shared by the CPU kernel tests. */
import { Rng } from '../../src/engine/rng';

/** n standard normals (times `scale`) from `rng`, as float32. */
export function randn(rng: Rng, n: number, scale = 1): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = rng.normal() * scale;
  return x;
}

/** max |got - want| / max |want|: the error relative to the size of the result. */
export function relErr(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i] - want[i]);
    // NaN must count as a failure, and NaN > x is false, so test it explicitly.
    diff = Number.isNaN(d) ? Infinity : Math.max(diff, d);
    scale = Math.max(scale, Math.abs(want[i]));
  }
  return scale === 0 ? diff : diff / scale;
}
