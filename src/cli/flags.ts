/**
 * Strict parsing of command-line flag values, shared by every command so that one rule holds
 * everywhere: a value is accepted only if it is exactly what the flag means, and anything else
 * is a one-line UsageError that names the flag. No value is coerced (`Number("")` is 0,
 * `Number(" 1 ")` is 1, `"1,,2".split(',')` has an empty item: each of those is an error here).
 */
import { UsageError } from './io';

export interface IntBounds {
  min: number;
  max: number;
}

export interface NumberBounds {
  min: number;
  max: number;
  /** Reject the bounds themselves (an open interval end). */
  minExclusive?: boolean;
  maxExclusive?: boolean;
}

/** A decimal number as people type it: optional sign, digits with an optional fraction, optional exponent. */
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

function flagName(name: string): string {
  return name.startsWith('-') ? name : `--${name}`;
}

/** Shows a rejected value inside an error line, with control characters escaped. */
function shown(raw: string): string {
  return JSON.stringify(raw.length > 40 ? `${raw.slice(0, 37)}...` : raw);
}

/**
 * An integer in its canonical decimal form (what `String(n)` prints: no sign on zero, no '+',
 * no leading zeros, no exponent, no spaces) and inside [min, max], which must be safe integers.
 */
export function parseIntValue(name: string, raw: string, bounds: IntBounds): number {
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || String(n) !== raw) {
    throw new UsageError(`${flagName(name)} must be an integer from ${bounds.min} to ${bounds.max}, got ${shown(raw)}`);
  }
  if (n < bounds.min || n > bounds.max) throw new UsageError(`${flagName(name)} must be an integer from ${bounds.min} to ${bounds.max}, got ${raw}`);
  return n;
}

/** `parseIntValue`, or the fallback when the flag was not given. */
export function intFlag(name: string, raw: string | undefined, fallback: number, bounds: IntBounds): number {
  return raw === undefined ? fallback : parseIntValue(name, raw, bounds);
}

function describeRange(b: NumberBounds): string {
  return `${b.minExclusive ? '(' : '['}${b.min}, ${b.max}${b.maxExclusive ? ')' : ']'}`;
}

/** A finite decimal number inside the bounds (no NaN, Infinity, hex, empty string or spaces). */
export function parseNumberValue(name: string, raw: string, bounds: NumberBounds): number {
  const n = DECIMAL.test(raw) ? Number(raw) : NaN;
  if (!Number.isFinite(n)) throw new UsageError(`${flagName(name)} must be a number in ${describeRange(bounds)}, got ${shown(raw)}`);
  const low = bounds.minExclusive ? n <= bounds.min : n < bounds.min;
  const high = bounds.maxExclusive ? n >= bounds.max : n > bounds.max;
  if (low || high) throw new UsageError(`${flagName(name)} must be a number in ${describeRange(bounds)}, got ${raw}`);
  return n;
}

export function numberFlag(name: string, raw: string | undefined, fallback: number, bounds: NumberBounds): number {
  return raw === undefined ? fallback : parseNumberValue(name, raw, bounds);
}

/** Comma-separated items, none of them empty (surrounding spaces are trimmed); at least one item. */
export function parseListValue(name: string, raw: string): string[] {
  const items = raw.split(',').map((s) => s.trim());
  const empty = items.findIndex((s) => s.length === 0);
  if (empty >= 0) {
    throw new UsageError(
      raw.trim().length === 0
        ? `${flagName(name)} must list at least one item, got ${shown(raw)}`
        : `${flagName(name)}: item ${empty + 1} is empty in ${shown(raw)}`,
    );
  }
  return items;
}

/** Comma-separated canonical integers, each inside the bounds. */
export function parseIntListValue(name: string, raw: string, bounds: IntBounds): number[] {
  return parseListValue(name, raw).map((item, k) => {
    try {
      return parseIntValue(name, item, bounds);
    } catch {
      throw new UsageError(`${flagName(name)}: item ${k + 1} (${shown(item)}) is not an integer from ${bounds.min} to ${bounds.max}`);
    }
  });
}

/** One of a fixed set of words (compared as whole strings, never as object keys). */
export function choiceFlag<T extends string>(name: string, raw: string | undefined, fallback: T, choices: readonly T[]): T {
  if (raw === undefined) return fallback;
  if (!(choices as readonly string[]).includes(raw)) {
    const listed = choices.length === 2 ? `${choices[0]} or ${choices[1]}` : `one of ${choices.join(', ')}`;
    throw new UsageError(`${flagName(name)} must be ${listed}, got ${shown(raw)}`);
  }
  return raw as T;
}

export function onOffFlag(name: string, raw: string | undefined, fallback: boolean): boolean {
  if (raw === undefined) return fallback;
  if (raw !== 'on' && raw !== 'off') throw new UsageError(`${flagName(name)} must be on or off, got ${shown(raw)}`);
  return raw === 'on';
}

/** A free-text value that must not be empty (a path, a name). */
export function textFlag(name: string, raw: string | undefined): string | undefined {
  if (raw !== undefined && raw.length === 0) throw new UsageError(`${flagName(name)} must not be empty`);
  return raw;
}

/** Bounds every seed flag shares: any safe integer. */
export const SEED_BOUNDS: IntBounds = { min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER };

/** `--seed`: an integer in canonical form, or any other non-empty text (the RNG takes both); 0 when absent. */
export function seedFlag(raw: string | undefined): number | string {
  if (raw === undefined) return 0;
  if (/^[+-]?\d+$/.test(raw)) return parseIntValue('seed', raw, SEED_BOUNDS);
  if (raw.length === 0) throw new UsageError('--seed must not be empty');
  return raw;
}
