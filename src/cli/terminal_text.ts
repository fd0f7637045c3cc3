/**
 * Text from a user's file (model names, flag values) printed to a terminal. A name may hold
 * escape sequences that move the cursor, retitle the window or hide the rows after it, or
 * Unicode direction overrides that make one name read as another. Those characters are shown
 * as `\xNN` / `\uNNNN` escapes instead; every other character is printed as it is.
 */

/**
 * C0 controls (tab and newline included: either would break a table row), DEL, C1 controls,
 * the line and paragraph separators, and the bidirectional marks, embeddings, overrides and
 * isolates (U+061C, U+200E–U+200F, U+202A–U+202E, U+2066–U+2069).
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;

function hex(ch: string, width: number): string {
  return ch.charCodeAt(0).toString(16).padStart(width, '0');
}

/** `text` with every unsafe character written as an escape (`\x1b`, `\u202e`). */
export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, (ch) => (ch.charCodeAt(0) < 0x100 ? `\\x${hex(ch, 2)}` : `\\u${hex(ch, 4)}`));
}

/** JSON with the same characters escaped as `\uNNNN`: still valid JSON that parses to the same value. */
export function terminalSafeJson(value: unknown): string {
  // JSON.stringify already escapes C0; the others can only occur inside strings, where \u escapes are exact.
  return JSON.stringify(value).replace(UNSAFE, (ch) => `\\u${hex(ch, 4)}`);
}
