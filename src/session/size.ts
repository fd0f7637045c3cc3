/**
 * How big a document is as JSON, cheaply enough to check on every append. Without this check
 * the app could build a session it can no longer open (the byte cap in `parse.ts` would refuse
 * it on the next load), so edits are refused before that point instead.
 *
 * The events part dominates and only ever grows by appending, so its size is memoised per
 * events array: `appendEvents` derives the new size from the old one plus the new events.
 */
import { SESSION_LIMITS } from './limits.ts';
import { utf8ByteLength } from './parse.ts';
import type { SessionDocument, SessionEvent } from './schema.ts';

const eventsBytesMemo = new WeakMap<readonly SessionEvent[], number>();

/**
 * Room kept below the byte cap for what the pretty file format adds to compact JSON (an
 * indentation and a line break per event, indentation of the cells).
 */
export const PRETTY_PRINT_HEADROOM_BYTES = 2 * 1024 * 1024;

/** The largest compact-JSON size an edit may produce. */
export const MAX_EDITABLE_DOCUMENT_BYTES = SESSION_LIMITS.maxDocumentBytes - PRETTY_PRINT_HEADROOM_BYTES;

/** UTF-8 bytes of one event as compact JSON, plus the comma separating it from the next. */
export function eventBytes(event: SessionEvent): number {
  return utf8ByteLength(JSON.stringify(event)) + 1;
}

export function eventsBytes(events: readonly SessionEvent[]): number {
  let bytes = eventsBytesMemo.get(events);
  if (bytes === undefined) {
    bytes = 2;
    for (const event of events) bytes += eventBytes(event);
    eventsBytesMemo.set(events, bytes);
  }
  return bytes;
}

/** Records the size of an events array built by appending to one whose size is known. */
export function rememberAppendedEventsBytes(
  previous: readonly SessionEvent[],
  next: readonly SessionEvent[],
  appendedBytes: number,
): number {
  const bytes = eventsBytes(previous) + appendedBytes;
  eventsBytesMemo.set(next, bytes);
  return bytes;
}

/** Bytes of everything but the events (metadata and cells: small next to a long log). */
export function bytesWithoutEvents(doc: SessionDocument): number {
  const { events: _events, ...rest } = doc;
  return utf8ByteLength(JSON.stringify(rest)) + '"events":'.length;
}

/** Approximate UTF-8 size of the document as compact JSON (exact up to a few bytes). */
export function estimateDocumentBytes(doc: SessionDocument): number {
  return bytesWithoutEvents(doc) + eventsBytes(doc.events);
}
