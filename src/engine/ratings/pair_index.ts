/**
 * A map from an ordered pair of competitor indices to a cell number, as an open-addressing
 * hash table over typed arrays. Aggregating a million battles between ten thousand competitors
 * makes a million cells; a `Map` keyed by a·n + b spent seconds there (measured with
 * `node --cpu-prof` on `duelbook rate`, see scripts/rate/README.md), this spends milliseconds.
 */
export class PairIndex {
  private keyA: Int32Array;
  private keyB: Int32Array;
  private value: Int32Array;
  private mask: number;
  private used = 0;

  constructor(expected = 1024) {
    let cap = 1024;
    while (cap < 2 * expected) cap *= 2;
    this.keyA = new Int32Array(cap).fill(-1);
    this.keyB = new Int32Array(cap);
    this.value = new Int32Array(cap);
    this.mask = cap - 1;
  }

  get size(): number {
    return this.used;
  }

  private slot(a: number, b: number): number {
    // Two multiplicative hashes mixed (a and b are non-negative 31-bit indices).
    let h = Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x7f4a7c15, 0x85ebca77);
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    h ^= h >>> 13;
    let s = h & this.mask;
    while (this.keyA[s] !== -1 && (this.keyA[s] !== a || this.keyB[s] !== b)) s = (s + 1) & this.mask;
    return s;
  }

  /** The value stored for (a, b), or −1. */
  get(a: number, b: number): number {
    const s = this.slot(a, b);
    return this.keyA[s] === -1 ? -1 : this.value[s]!;
  }

  /** Stores v (≥ 0) for (a, b). */
  set(a: number, b: number, v: number): void {
    if (2 * (this.used + 1) > this.keyA.length) this.grow();
    const s = this.slot(a, b);
    if (this.keyA[s] === -1) {
      this.used++;
      this.keyA[s] = a;
      this.keyB[s] = b;
    }
    this.value[s] = v;
  }

  private grow(): void {
    const { keyA, keyB, value } = this;
    const cap = keyA.length * 2;
    this.keyA = new Int32Array(cap).fill(-1);
    this.keyB = new Int32Array(cap);
    this.value = new Int32Array(cap);
    this.mask = cap - 1;
    for (let s = 0; s < keyA.length; s++) {
      if (keyA[s] === -1) continue;
      const t = this.slot(keyA[s]!, keyB[s]!);
      this.keyA[t] = keyA[s]!;
      this.keyB[t] = keyB[s]!;
      this.value[t] = value[s]!;
    }
  }
}
