/** Small seeded randomness for UI decisions that must replay the same way (prompt order, sides). */
import { mulberry32Float } from '../engine/rng';

/** mulberry32 floats in [0, 1) (src/engine/rng.ts: the one implementation). */
export { mulberry32Float as seededRandom } from '../engine/rng';

/** A seeded Fisher–Yates permutation of 0…n-1. */
export function seededPermutation(n: number, seed: number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  const random = mulberry32Float(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/** Mixes a base seed and a counter into a new unsigned 32-bit seed. */
export function deriveSeed(base: number, counter: number): number {
  let h = (base ^ 0x9e3779b9) >>> 0;
  h = Math.imul(h ^ (counter + 0x7f4a7c15), 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}
