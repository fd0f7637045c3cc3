/**
 * Seeded pseudo-random numbers for everything that must replay exactly: sampling, simulated
 * annotators, bootstrap resamples, reward-model initialisation.
 *
 * Generator: xoshiro128** (Blackman & Vigna), 128 bits of state, 32-bit outputs, all in
 * 32-bit integer arithmetic so it behaves identically in every JS engine, in a worker and in
 * Node. The state is seeded through splitmix32 so that nearby seeds (0, 1, 2 …) give unrelated
 * streams.
 *
 * `fork(label)` derives an independent child stream from the *seed path* and the label only,
 * not from how many numbers were drawn so far: `new Rng(7).fork('annotator')` is the same
 * stream no matter what the parent did before. That keeps named sub-streams stable when code
 * that draws from the parent changes, which is what replaying a session log needs.
 *
 * `mulberry32` (below) is the one small single-stream generator for seeded choices that need no
 * forks: stable ids, prompt order and sides on the page, test data, the corpus scripts' shuffles.
 */

/** 32-bit FNV-1a hash of a string (UTF-16 code units), used to turn seeds/labels into ints. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** One splitmix32 step: returns [output, next state]. */
function splitmix32(state: number): [number, number] {
  const next = (state + 0x9e3779b9) | 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  z ^= z >>> 16;
  return [z >>> 0, next];
}

export type RngSeed = number | string;

export class Rng {
  /** Stable textual identity of this stream (seed and fork labels), used by `fork`. */
  readonly seedPath: string;
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  /** Second Box–Muller variate, kept so `normal()` uses both halves of each pair. */
  private spareNormal: number | null = null;

  constructor(seed: RngSeed = 0) {
    this.seedPath = typeof seed === 'number' ? `n:${seed}` : `s:${seed}`;
    let sm = fnv1a(this.seedPath);
    const words: number[] = [];
    for (let i = 0; i < 4; i++) {
      const [out, next] = splitmix32(sm);
      words.push(out);
      sm = next;
    }
    this.s0 = words[0]!;
    this.s1 = words[1]!;
    this.s2 = words[2]!;
    this.s3 = words[3]!;
    // xoshiro must not start from the all-zero state.
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** Next raw 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform float in [0, 1) with 53 bits of resolution (two 32-bit draws). */
  next(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform integer in [0, n). Rejection sampling, so it is unbiased for every n ≤ 2^32. */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > 0x100000000) {
      throw new RangeError(`Rng.int: n must be an integer in [1, 2^32], got ${n}`);
    }
    const limit = 0x100000000 - (0x100000000 % n);
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return x % n;
    }
  }

  /** Standard normal variate (Box–Muller; both variates of a pair are used). */
  normal(): number {
    if (this.spareNormal !== null) {
      const z = this.spareNormal;
      this.spareNormal = null;
      return z;
    }
    let u = 0;
    while (u === 0) u = this.next(); // log(0) guard
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** True with probability p. */
  bernoulli(p: number): boolean {
    return this.next() < p;
  }

  /** Poisson(λ) by inversion (fine for the small λ used in online bagging). */
  poisson(lambda: number): number {
    const l = Math.exp(-lambda);
    let k = 0;
    let p = this.next();
    while (p > l) {
      k++;
      p *= this.next();
    }
    return k;
  }

  /** Independent child stream named by `label`; see the module comment. */
  fork(label: string): Rng {
    return new Rng(`${this.seedPath}/${label}`);
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * mulberry32 (Tommy Ettinger): one 32-bit word of state; each call returns the next unsigned
 * 32-bit integer. Ids, prompt orders and the shipped prompt list were drawn from this exact
 * stream, so it must never change.
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return (z ^ (z >>> 14)) >>> 0;
  };
}

/** mulberry32 as floats in [0, 1): each 32-bit output divided by 2^32. */
export function mulberry32Float(seed: number): () => number {
  const next = mulberry32(seed);
  return () => next() / 4294967296;
}
