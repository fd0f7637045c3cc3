/**
 * The one way a document from outside (a file, a share link, an IndexedDB record) becomes a
 * `SessionDocument`: size check, JSON parse, migration, schema validation, integrity checks.
 * Never throws, never mutates its input, and on failure says what is wrong and where.
 */
import * as v from 'valibot';
import { checkSessionIntegrity } from './integrity.ts';
import { formatSessionIssue, summariseIssues } from './issues.ts';
import { SESSION_LIMITS, formatBytes, formatCount } from './limits.ts';
import { migrate } from './migrate.ts';
import { CURRENT_SESSION_VERSION, SessionDocumentSchema, type SessionDocument } from './schema.ts';

export type SessionParseResult =
  | {
      ok: true;
      doc: SessionDocument;
      /** The version the input was written in; less than the current one when migrated. */
      fromVersion: number;
    }
  | { ok: false; error: string };

export interface SessionParseOptions {
  /** Override the document byte cap (tests use small ones). */
  maxBytes?: number;
}

/** UTF-8 byte length without allocating the encoding when the answer is obvious. */
export function utf8ByteLength(text: string): number {
  // Each UTF-16 code unit encodes to at most 3 UTF-8 bytes, and to at least 1.
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

/**
 * True when the JSON text opens more than `maxDepth` arrays or objects at once. One pass over
 * the text, skipping strings (the bytes version for share links is in share.ts); text that is
 * not JSON is left for `JSON.parse` to refuse.
 */
export function jsonTextNestingExceeds(text: string, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // a backslash escapes the next character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > maxDepth) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

export function tooLargeMessage(bytes: number | null, maxBytes: number): string {
  return bytes === null
    ? `This session is larger than the ${formatBytes(maxBytes)} limit.`
    : `This session is ${formatBytes(bytes)}; the limit is ${formatBytes(maxBytes)}.`;
}

/**
 * Validates a session given as JSON text or as an already-parsed value.
 * The returned document is a fresh object: later edits to it do not touch `input`.
 */
export function parseSessionDocument(input: unknown, options: SessionParseOptions = {}): SessionParseResult {
  const maxBytes = options.maxBytes ?? SESSION_LIMITS.maxDocumentBytes;
  let value: unknown;
  if (typeof input === 'string') {
    // Cheap bound first: a string of n code units is at least n bytes.
    if (input.length > maxBytes) return { ok: false, error: tooLargeMessage(null, maxBytes) };
    const bytes = input.length * 3 <= maxBytes ? input.length : utf8ByteLength(input);
    if (bytes > maxBytes) return { ok: false, error: tooLargeMessage(bytes, maxBytes) };
    if (jsonTextNestingExceeds(input, SESSION_LIMITS.maxJsonDepth)) {
      return { ok: false, error: `This file nests JSON more than ${SESSION_LIMITS.maxJsonDepth} levels deep; a session never does.` };
    }
    try {
      value = JSON.parse(input);
    } catch (error) {
      return { ok: false, error: `This file is not valid JSON (${error instanceof Error ? error.message : String(error)}).` };
    }
  } else {
    const size = measureJson(input, maxBytes);
    if (size === 'unserializable') return { ok: false, error: 'This session cannot be represented as JSON.' };
    if (size === 'too large') return { ok: false, error: tooLargeMessage(null, maxBytes) };
    value = input;
  }

  const precheck = checkCounts(value);
  if (precheck !== null) return { ok: false, error: precheck };

  const migrated = migrate(value);
  if (!migrated.ok) return migrated;
  const afterUpgrade =
    migrated.fromVersion < CURRENT_SESSION_VERSION ? `after upgrading from version ${migrated.fromVersion}, ` : '';

  const parsed = v.safeParse(SessionDocumentSchema, migrated.doc);
  if (!parsed.success) {
    return { ok: false, error: afterUpgrade + summariseIssues(parsed.issues, (issue) => formatSessionIssue(issue)) };
  }
  const integrityProblem = checkSessionIntegrity(parsed.output);
  if (integrityProblem !== null) return { ok: false, error: afterUpgrade + integrityProblem };
  return { ok: true, doc: parsed.output, fromVersion: migrated.fromVersion };
}

/**
 * Rejects oversized arrays before validating their items, so a file with ten million events
 * fails in microseconds instead of after validating all of them.
 */
function checkCounts(value: unknown): string | null {
  if (typeof value !== 'object' || value === null) return null;
  const { cells, events } = value as { cells?: unknown; events?: unknown };
  if (Array.isArray(cells) && cells.length > SESSION_LIMITS.maxCells) {
    return `cells: this session has ${formatCount(cells.length)} cells; the limit is ${formatCount(SESSION_LIMITS.maxCells)}`;
  }
  if (Array.isArray(events) && events.length > SESSION_LIMITS.maxEvents) {
    return `events: this session has ${formatCount(events.length)} events; the limit is ${formatCount(SESSION_LIMITS.maxEvents)}`;
  }
  return null;
}

/** Byte size of `JSON.stringify(value)`, or why it has none. */
function measureJson(value: unknown, maxBytes: number): number | 'too large' | 'unserializable' {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    return 'unserializable';
  }
  if (text === undefined) return 'unserializable';
  if (text.length > maxBytes) return 'too large';
  const bytes = utf8ByteLength(text);
  return bytes > maxBytes ? 'too large' : bytes;
}
