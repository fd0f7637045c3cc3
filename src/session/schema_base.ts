/**
 * The building blocks of the session schemas (schema_cells.ts, schema.ts): bounded texts, ids,
 * numbers in ranges, seeds. Messages are phrased to follow "path: " (see issues.ts). Only
 * `boundedText`, `IdSchema`, `NameSchema` and `SeedSchema` are part of the session's public
 * surface (re-exported by schema.ts); the rest are for the schema files.
 */
import * as v from 'valibot';
import { SESSION_LIMITS as L, formatCount } from './limits.ts';
import { isFetchableModelUrl } from './url.ts';

const tooLong = (max: number) => (issue: { received: string }) =>
  `is ${formatCount(Number(issue.received))} characters long; the limit is ${formatCount(max)}`;

/** A string of at most `max` characters. */
export const boundedText = (max: number) => v.pipe(v.string(), v.maxLength(max, tooLong(max)));

/** A non-empty string of at most `max` characters. */
export const nonEmptyText = (max: number) =>
  v.pipe(v.string(), v.minLength(1, 'must not be empty'), v.maxLength(max, tooLong(max)));

const ID_PATTERN = /^[A-Za-z0-9_-]+$/;

/** Ids of cells, prompts and candidates: URL- and DOM-safe, 1–64 characters. */
export const IdSchema = v.pipe(
  v.string(),
  v.minLength(1, 'must not be empty'),
  v.maxLength(L.maxIdChars, tooLong(L.maxIdChars)),
  v.regex(ID_PATTERN, 'may only contain letters, digits, "-" and "_"'),
);

/** Short human-readable names: snapshot names, annotator criteria, pair-selection rules. */
export const NameSchema = nonEmptyText(L.maxNameChars);

export const wholeNumber = (min: number, max: number) =>
  v.pipe(
    v.number(),
    v.integer('expected a whole number'),
    v.minValue(min, `must be at least ${formatCount(min)}`),
    v.maxValue(max, `must be at most ${formatCount(max)}`),
  );

export const finiteNumber = () => v.pipe(v.number(), v.finite('expected a finite number'));

export const numberInRange = (min: number, max: number) =>
  v.pipe(
    finiteNumber(),
    v.minValue(min, `must be at least ${min}`),
    v.maxValue(max, `must be at most ${max}`),
  );

export const positiveNumber = (max: number) =>
  v.pipe(finiteNumber(), v.gtValue(0, 'must be greater than 0'), v.maxValue(max, `must be at most ${max}`));

/** RNG seeds are unsigned 32-bit integers: what every seeded PRNG in the engine accepts. */
export const SeedSchema = wholeNumber(0, 0xffff_ffff);

export const ModelUrlSchema = v.pipe(
  v.string(),
  v.maxLength(L.maxUrlChars, tooLong(L.maxUrlChars)),
  v.check(isFetchableModelUrl, 'must be an http(s) URL or a path relative to the app'),
);

/** ISO 8601 timestamps (a function: each schema gets its own instance). */
export function isoTimestampSchema() {
  return v.pipe(v.string(), v.isoTimestamp('expected an ISO 8601 timestamp'));
}
