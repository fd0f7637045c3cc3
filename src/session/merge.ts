/**
 * Three-way merge of a session edited in two tabs: `base` is what both started from (the
 * stored document this tab last read), `mine` this tab's unsaved document, `theirs` the newer
 * stored one. The merge is deliberately coarse: the title, the cells and the event log are
 * three parts, and each part may change on one side only. Two tabs that both changed the same
 * part (two renames, votes in both) conflict: interleaving two event logs would change what
 * the log means, so that is left to the person, never guessed.
 */
import { parseSessionDocument } from './parse.ts';
import type { SessionDocument } from './schema.ts';

export type MergeResult =
  | { ok: true; doc: SessionDocument; tookTheirs: { cells: boolean; events: boolean } }
  | { ok: false; conflict: string };

function samePart(a: unknown, b: unknown): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

function pick<T>(part: string, base: T, mine: T, theirs: T): { value: T; tookTheirs: boolean } | string {
  if (samePart(mine, base)) return { value: theirs, tookTheirs: !samePart(theirs, base) };
  if (samePart(theirs, base) || samePart(theirs, mine)) return { value: mine, tookTheirs: false };
  return part;
}

export function mergeSessionDocuments(base: SessionDocument, mine: SessionDocument, theirs: SessionDocument): MergeResult {
  const title = pick('the title', base.metadata.title, mine.metadata.title, theirs.metadata.title);
  const cells = pick('the cells', base.cells, mine.cells, theirs.cells);
  const events = pick('the event log', base.events, mine.events, theirs.events);
  const clashes = [title, cells, events].filter((p): p is string => typeof p === 'string');
  if (clashes.length > 0) return { ok: false, conflict: `both tabs changed ${clashes.join(' and ')}` };
  const t = title as { value: string };
  const c = cells as { value: SessionDocument['cells']; tookTheirs: boolean };
  const e = events as { value: SessionDocument['events']; tookTheirs: boolean };
  const updatedAt = mine.metadata.updatedAt > theirs.metadata.updatedAt ? mine.metadata.updatedAt : theirs.metadata.updatedAt;
  const merged: SessionDocument = {
    ...theirs,
    metadata: { ...theirs.metadata, title: t.value, updatedAt },
    cells: c.value,
    events: e.value,
  };
  // Parts from two sides may not fit together (events for a cell the other tab deleted).
  const checked = parseSessionDocument(merged);
  if (!checked.ok) return { ok: false, conflict: `the merged session is not valid (${checked.error})` };
  return { ok: true, doc: checked.doc, tookTheirs: { cells: c.tookTheirs, events: e.tookTheirs } };
}
