/** Timing helpers shared by the Node and browser cases (performance.now() exists in both). */

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The ⌊q·n⌋-th order statistic (a lower quantile, no interpolation); NaN for no values. */
export function quantile(values: readonly number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

export type Timed = () => Promise<unknown> | unknown;

/**
 * Runs `warmup` untimed and then `reps` timed calls of every function, interleaved
 * (a, b, a, b, …) so that load from other processes on a shared machine hits all of them
 * alike. Calls never overlap. Returns the per-call milliseconds of each function.
 */
export async function timeInterleaved(fns: readonly Timed[], warmup: number, reps: number): Promise<number[][]> {
  for (let w = 0; w < warmup; w++) for (const f of fns) await f();
  const out = fns.map(() => [] as number[]);
  for (let r = 0; r < reps; r++) {
    for (let i = 0; i < fns.length; i++) {
      const t0 = performance.now();
      await fns[i]();
      out[i].push(performance.now() - t0);
    }
  }
  return out;
}

/** `work` units per median second (e.g. tokens/s, GFLOP/s with work in GFLOP). */
export function rate(work: number, ms: readonly number[]): number {
  return work / (median(ms) / 1000);
}

export function round(x: number, digits = 4): number {
  if (!Number.isFinite(x) || x === 0) return x;
  const p = Math.pow(10, digits - Math.ceil(Math.log10(Math.abs(x))));
  return Math.round(x * p) / p;
}
