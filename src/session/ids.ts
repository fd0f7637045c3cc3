/**
 * Stable ids for cells, prompts, candidates and stored sessions: random base36 strings. The
 * generator is seedable so that tests, fixtures and replays produce the same ids every run;
 * unseeded it draws from `crypto.getRandomValues`.
 */
import { mulberry32 } from '../engine/rng.ts';

export type IdGenerator = () => string;

export interface IdGeneratorOptions {
  /** Any 32-bit integer; the same seed gives the same id sequence. Omit for crypto randomness. */
  seed?: number;
  /** Characters per id (default 10, ≈ 51 bits). */
  length?: number;
}

const BASE36 = '0123456789abcdefghijklmnopqrstuvwxyz';
const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

function cryptoUint32(): () => number {
  const buffer = new Uint32Array(64);
  let index = buffer.length;
  return () => {
    if (index === buffer.length) {
      globalThis.crypto.getRandomValues(buffer);
      index = 0;
    }
    return buffer[index++]!;
  };
}

/**
 * Returns a function producing ids like `k3f9a0zq1m`. The first character is always a letter,
 * so an id is also a valid CSS identifier and DOM id without escaping.
 */
export function createIdGenerator(options: IdGeneratorOptions = {}): IdGenerator {
  const length = options.length ?? 10;
  if (!Number.isInteger(length) || length < 4 || length > 32) {
    throw new RangeError(`id length must be a whole number from 4 to 32, got ${length}`);
  }
  const nextUint32 = options.seed === undefined ? cryptoUint32() : mulberry32(options.seed);
  // Drawing a 32-bit value per character and reducing modulo 36 has a bias of < 1e-8: harmless.
  return () => {
    let id = LETTERS[nextUint32() % LETTERS.length]!;
    for (let i = 1; i < length; i++) id += BASE36[nextUint32() % BASE36.length]!;
    return id;
  };
}
