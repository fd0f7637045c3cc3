/**
 * Writing sessions to files and reading them back. The file is the document as pretty JSON with
 * a fixed key order, so exporting the same session twice gives the same bytes and two exports
 * diff cleanly. Events are written one per line: a session can hold 100 000 of them, and a
 * line each keeps the file readable and its diffs meaningful.
 */
import { parseSessionDocument, tooLargeMessage, type SessionParseResult } from './parse.ts';
import { SESSION_LIMITS } from './limits.ts';
import type { SessionDocument } from './schema.ts';

/** Keys that read best first, in this order; any other key follows alphabetically. */
const LEADING_KEYS = [
  'format',
  'version',
  'metadata',
  'id',
  'seq',
  't',
  'cellId',
  'type',
  'kind',
  'title',
  'collapsed',
  'promptId',
  'createdAt',
  'updatedAt',
  'appVersion',
  'config',
  'cells',
  'events',
];
const KEY_RANK = new Map(LEADING_KEYS.map((key, i) => [key, i] as const));

function compareKeys(a: string, b: string): number {
  const ra = KEY_RANK.get(a) ?? LEADING_KEYS.length;
  const rb = KEY_RANK.get(b) ?? LEADING_KEYS.length;
  if (ra !== rb) return ra - rb;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** JSON.stringify's view of a value, with object keys in canonical order. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((item) => (item === undefined ? null : canonical(item)));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort(compareKeys)) {
      const item = (value as Record<string, unknown>)[key];
      if (item !== undefined) out[key] = canonical(item);
    }
    return out;
  }
  return value;
}

/** Compact JSON with canonical key order (for share links and hashing). */
export function stableStringify(value: unknown): string {
  return JSON.stringify(canonical(value));
}

/** The session as a pretty, deterministic JSON file (ending in a newline). */
export function serializeSession(doc: SessionDocument): string {
  const { events, ...rest } = canonical(doc) as Record<string, unknown> & { events: unknown[] };
  // Everything but the events is pretty-printed; `events` is last in key order, so it can be
  // appended as an array with one compact event per line.
  const head = JSON.stringify(rest, null, 2);
  const eventLines = events.map((event) => `    ${JSON.stringify(event)}`);
  const eventsJson = eventLines.length === 0 ? '[]' : `[\n${eventLines.join(',\n')}\n  ]`;
  return `${head.slice(0, -2)},\n  "events": ${eventsJson}\n}\n`;
}

/** `<title>.duelbook.json`, with characters that file systems reject replaced. */
export function sessionFileName(doc: SessionDocument): string {
  return `${safeFileStem(doc.metadata.title, 'session')}.duelbook.json`;
}

export function safeFileStem(title: string, fallback: string): string {
  const stem = title
    .replace(/[\u0000-\u001f\u007f/\\?%*:|"<>]/g, '-')
    .replace(/\s+/g, ' ')
    .trim()
    // Leading dots would hide the file on Unix; trailing dots and spaces are dropped by Windows.
    .replace(/^\.+/, '')
    .replace(/[. ]+$/, '')
    .slice(0, 100)
    .trim();
  return stem === '' ? fallback : stem;
}

/**
 * Reads a session file (a `File`/`Blob` from an input or a drop, or its text): size check
 * before reading, then parse, migrate and validate. Returns a new document or an error; the
 * session that was open is not involved, so a bad file cannot disturb it.
 */
export async function importSession(
  file: Blob | string,
  options: { maxBytes?: number } = {},
): Promise<SessionParseResult> {
  const maxBytes = options.maxBytes ?? SESSION_LIMITS.maxDocumentBytes;
  if (typeof file === 'string') return parseSessionDocument(file, { maxBytes });
  if (file.size > maxBytes) return { ok: false, error: tooLargeMessage(file.size, maxBytes) };
  let text: string;
  try {
    text = await file.text();
  } catch (error) {
    return { ok: false, error: `The file could not be read (${error instanceof Error ? error.message : String(error)}).` };
  }
  return parseSessionDocument(text, { maxBytes });
}
