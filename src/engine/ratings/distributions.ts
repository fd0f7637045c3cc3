/**
 * Random variates the rating machinery needs beyond what `Rng` offers: binomial (for
 * multinomial bootstrap resampling of aggregated counts), gamma and beta (for Thompson
 * sampling). All draw only from the `Rng` they are given, so they replay exactly.
 */
import type { Rng } from '../rng';

/** ln(k!) for k = 0…LOG_FACT_TABLE-1, summed exactly; Stirling beyond. */
const LOG_FACT_TABLE = 256;
const logFactTable = (() => {
  const t = new Float64Array(LOG_FACT_TABLE);
  for (let k = 1; k < LOG_FACT_TABLE; k++) t[k] = t[k - 1]! + Math.log(k);
  return t;
})();

/** ln(k!) for integer k ≥ 0. */
export function logFactorial(k: number): number {
  if (k < LOG_FACT_TABLE) return logFactTable[k]!;
  const x = k + 1;
  // Stirling series for ln Γ(x); at x ≥ 257 the truncation error is far below 1e-15.
  return (x - 0.5) * Math.log(x) - x + 0.5 * Math.log(2 * Math.PI) + 1 / (12 * x) - 1 / (360 * x * x * x);
}

/**
 * Binomial(n, p) variate. Small means use inversion (expected O(np) work); larger ones use
 * Hörmann's (1993) transformed rejection with squeeze (BTRS), O(1) expected work, so a
 * multinomial over a million battles costs one draw per cell rather than one per battle.
 */
export function binomial(rng: Rng, n: number, p: number): number {
  if (!(n >= 0) || !Number.isInteger(n)) throw new RangeError(`binomial: n must be a non-negative integer, got ${n}`);
  if (!(p >= 0 && p <= 1)) throw new RangeError(`binomial: p must be in [0, 1], got ${p}`);
  if (n === 0 || p === 0) return 0;
  if (p === 1) return n;
  if (p > 0.5) return n - binomial(rng, n, 1 - p);
  if (n * p < 10) return binomialInversion(rng, n, p);
  return binomialBtrs(rng, n, p);
}

function binomialInversion(rng: Rng, n: number, p: number): number {
  const q = 1 - p;
  const s = p / q;
  const a = (n + 1) * s;
  // Start at P(X = 0) = q^n; n·p < 10 keeps this well above underflow.
  let r = Math.exp(n * Math.log1p(-p));
  let u = rng.next();
  let x = 0;
  while (u > r) {
    u -= r;
    x++;
    if (x > n) return n; // rounding guard: the total mass summed slightly below 1
    r *= a / x - s;
  }
  return x;
}

function binomialBtrs(rng: Rng, n: number, p: number): number {
  const q = 1 - p;
  const spq = Math.sqrt(n * p * q);
  const b = 1.15 + 2.53 * spq;
  const a = -0.0873 + 0.0248 * b + 0.01 * p;
  const c = n * p + 0.5;
  const vr = 0.92 - 4.2 / b;
  const alpha = (2.83 + 5.1 / b) * spq;
  const lpq = Math.log(p / q);
  const m = Math.floor((n + 1) * p);
  const h = logFactorial(m) + logFactorial(n - m);
  for (;;) {
    const u = rng.next() - 0.5;
    let v = rng.next();
    const us = 0.5 - Math.abs(u);
    const k = Math.floor(((2 * a) / us + b) * u + c);
    if (k < 0 || k > n) continue;
    if (us >= 0.07 && v <= vr) return k;
    v = Math.log((v * alpha) / (a / (us * us) + b));
    // Accept when v ≤ ln f(k)/f(m), computed exactly from log-factorials (Hörmann expands
    // the same ratio with Stirling's series; the table makes the exact form as cheap).
    if (v <= h - logFactorial(k) - logFactorial(n - k) + (k - m) * lpq) return k;
  }
}

/**
 * Multinomial(total, probs) by sequential conditional binomials: cell k gets
 * Binomial(remaining, p_k / remaining mass). `probs` need not be normalised.
 */
export function multinomial(rng: Rng, total: number, probs: ArrayLike<number>, out?: Float64Array): Float64Array {
  const k = probs.length;
  const res = out ?? new Float64Array(k);
  let mass = 0;
  for (let i = 0; i < k; i++) mass += probs[i]!;
  let remaining = total;
  for (let i = 0; i < k; i++) {
    const pi = probs[i]!;
    if (remaining === 0 || pi <= 0) {
      res[i] = 0;
    } else if (i === k - 1 || pi >= mass) {
      res[i] = remaining;
      remaining = 0;
    } else {
      const x = binomial(rng, remaining, Math.min(1, pi / mass));
      res[i] = x;
      remaining -= x;
    }
    mass -= pi;
  }
  return res;
}

/** Gamma(shape, 1) variate (Marsaglia & Tsang 2000; shape < 1 via the u^(1/shape) boost). */
export function gamma(rng: Rng, shape: number): number {
  if (!(shape > 0)) throw new RangeError(`gamma: shape must be > 0, got ${shape}`);
  if (shape < 1) {
    let u = rng.next();
    while (u === 0) u = rng.next();
    return gamma(rng, shape + 1) * Math.pow(u, 1 / shape);
  }
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = rng.normal();
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rng.next();
    if (u < 1 - 0.0331 * x * x * x * x) return d * v;
    if (u > 0 && Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** Beta(a, b) variate as X/(X+Y) with X ~ Gamma(a), Y ~ Gamma(b). */
export function beta(rng: Rng, a: number, b: number): number {
  const x = gamma(rng, a);
  const y = gamma(rng, b);
  return x / (x + y);
}
