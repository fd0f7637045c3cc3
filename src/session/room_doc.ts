/**
 * A shared live session as a Yjs document (a "room"): its layout, how a `SessionDocument` seeds
 * one, and how one is read back into a `SessionDocument`. Pure: no network, no storage, no DOM;
 * the page and the Node sync server both import it.
 *
 * Layout (top-level types of the Y.Doc):
 * - `meta` (Y.Map): `layout` (ROOM_LAYOUT_VERSION) and `metadata` (the session's metadata, one
 *   JSON value; the last writer wins).
 * - `cells` (Y.Map): cell id → the cell as one JSON value (an edit replaces the whole cell; the
 *   last writer wins, as Y.Map decides it). `cellOrder` (Y.Array): cell ids in notebook order;
 *   an id listed twice counts once, where it first appears; a cell missing from the order goes
 *   last, by id.
 * - `log` (Y.Array): the event log, append-only. It holds intents and what they refer to
 *   (prompts, the candidates shown, seeds) and never derived records (`train_step`, `relabel`):
 *   every engine recomputes those from the intents. Each entry is `{id, author, event}`: a
 *   random id, the author's self-declared id, and the event without its `seq`; an undo names its
 *   target by entry id (`targetId`) because a `seq` is only a position in one reader's log.
 *
 * Order: the log's total order is the Y.Array's converged order, which every replica computes
 * the same from the same updates (Yjs's YATA rule; concurrent appends at the same place are
 * ordered by client id). It respects causality for appends: an entry pushed at the end is placed
 * after every entry its author had seen, so a vote always follows the candidates it names.
 * Reading assigns `seq` = position among the entries kept.
 *
 * Exactly once: an entry whose id an earlier entry already has is skipped (a peer that
 * re-sends its offline appends, or a hostile duplicate). Every entry is validated on read
 * with the session's valibot schemas after a JSON round trip (own keys only, so a `__proto__`
 * key or a decoded prototype reaches nothing); a bad one is skipped and reported with its
 * author, never thrown.
 */
import * as v from 'valibot';
import * as Y from 'yjs';
import { createIdGenerator } from './ids.ts';
import { checkEventLog } from './integrity.ts';
import { DERIVED_EVENT_TYPES } from './intents.ts';
import { SESSION_LIMITS } from './limits.ts';
import {
  CellSchema,
  CURRENT_SESSION_VERSION,
  IdSchema,
  SESSION_FORMAT,
  SessionEventSchema,
  SessionMetadataSchema,
  type SessionCell,
  type SessionDocument,
  type SessionEvent,
  type SessionMetadata,
} from './schema.ts';

/** The room layout described above; a room written by a newer layout is refused, not guessed at. */
export const ROOM_LAYOUT_VERSION = 1;
/** A room id: 32 lowercase hex characters (128 random bits); the server and the page check it. */
export const ROOM_ID_PATTERN = /^[0-9a-f]{32}$/;
export const ROOM_KEYS = { meta: 'meta', cells: 'cells', cellOrder: 'cellOrder', log: 'log' } as const;

/**
 * JSON characters one log entry may take: a candidates event at the schema's caps (16
 * candidates × 20 000 characters and 8 192 token ids) is about 1.2 MB of JSON; 2 MiB leaves
 * room and still stops a 100 MB string before the schema walks it.
 */
export const MAX_ROOM_ENTRY_CHARS = 2 * 1024 * 1024;

/** A log entry as stored: the event has no `seq`; an undo has `targetId` instead of `targetSeq`. */
export interface RoomLogEntry {
  id: string;
  author: string;
  event: Record<string, unknown>;
}

export interface RoomProblem {
  /** Where the bad value sits: `log[i]`, `cells["id"]`, `meta.metadata`. */
  where: string;
  /** The entry's author when it named a valid one, else null. */
  author: string | null;
  reason: string;
}

export type RoomReadResult =
  | { ok: true; doc: SessionDocument; problems: RoomProblem[]; entryIds: string[] }
  | { ok: false; error: string };

const newEntryId = createIdGenerator({ length: 16 });

export const roomLog = (ydoc: Y.Doc): Y.Array<unknown> => ydoc.getArray(ROOM_KEYS.log);

/**
 * Writes `doc` into an empty Y.Doc: the inviter's document seeds the room. Derived records are
 * left out; each event gets a fresh id and `author`. Returns the entry ids, in log order.
 */
export function seedRoom(ydoc: Y.Doc, doc: SessionDocument, author: string): string[] {
  if (roomLog(ydoc).length > 0 || ydoc.getMap(ROOM_KEYS.cells).size > 0) throw new Error('room: seedRoom needs an empty Y.Doc');
  const idBySeq = new Map<number, string>();
  const entries: RoomLogEntry[] = [];
  const derived: readonly string[] = DERIVED_EVENT_TYPES;
  for (const event of doc.events) {
    if (derived.includes(event.type)) continue;
    const id = newEntryId();
    idBySeq.set(event.seq, id);
    entries.push(toEntry(event, id, author, idBySeq));
  }
  ydoc.transact(() => {
    const meta = ydoc.getMap(ROOM_KEYS.meta);
    meta.set('layout', ROOM_LAYOUT_VERSION);
    meta.set('metadata', structuredClone(doc.metadata));
    const cells = ydoc.getMap(ROOM_KEYS.cells);
    for (const cell of doc.cells) cells.set(cell.id, structuredClone(cell));
    ydoc.getArray(ROOM_KEYS.cellOrder).push(doc.cells.map((c) => c.id));
    roomLog(ydoc).push(entries);
  });
  return entries.map((e) => e.id);
}

/**
 * Appends events to the room's log (one transaction). `idBySeq` maps the local `seq`s of
 * entries already in the room to their ids, so an undo can name its target; it is extended with
 * the new entries. Derived records are refused: they never enter the shared log.
 */
export function appendToRoom(ydoc: Y.Doc, events: readonly SessionEvent[], author: string, idBySeq: Map<number, string>): string[] {
  const derived: readonly string[] = DERIVED_EVENT_TYPES;
  const entries: RoomLogEntry[] = [];
  for (const event of events) {
    if (derived.includes(event.type)) throw new Error(`room: a ${event.type} event is derived and is not shared`);
    const id = newEntryId();
    idBySeq.set(event.seq, id);
    entries.push(toEntry(event, id, author, idBySeq));
  }
  ydoc.transact(() => roomLog(ydoc).push(entries));
  return entries.map((e) => e.id);
}

function toEntry(event: SessionEvent, id: string, author: string, idBySeq: ReadonlyMap<number, string>): RoomLogEntry {
  const { seq: _seq, ...rest } = structuredClone(event) as SessionEvent & Record<string, unknown>;
  if (event.type === 'undo') {
    const targetId = idBySeq.get(event.targetSeq);
    if (targetId === undefined) throw new Error(`room: undo at seq ${event.seq} targets seq ${event.targetSeq}, which is not in the room`);
    delete rest['targetSeq'];
    rest['targetId'] = targetId;
  }
  return { id, author, event: rest };
}

export interface RoomReadOptions {
  /** Metadata when the room's is missing or invalid (reported). */
  fallbackMetadata?: SessionMetadata;
  now?: number;
}

/** Reads a room back into a `SessionDocument`. Never throws on room content. */
export function readRoom(ydoc: Y.Doc, options: RoomReadOptions = {}): RoomReadResult {
  const meta = ydoc.getMap(ROOM_KEYS.meta);
  const layout = meta.get('layout');
  if (layout !== undefined && layout !== ROOM_LAYOUT_VERSION) {
    return { ok: false, error: `room layout ${safeShow(layout)} is not ${ROOM_LAYOUT_VERSION}: open it with the Duelbook that wrote it` };
  }
  const problems: RoomProblem[] = [];

  let metadata: SessionMetadata;
  const parsedMeta = v.safeParse(SessionMetadataSchema, plainCopy(meta.get('metadata')).value);
  if (parsedMeta.success) metadata = parsedMeta.output;
  else {
    if (meta.has('metadata')) problems.push({ where: 'meta.metadata', author: null, reason: firstIssue(parsedMeta.issues) });
    const at = new Date(options.now ?? Date.now()).toISOString();
    metadata = options.fallbackMetadata ?? { title: 'Shared session', createdAt: at, updatedAt: at, appVersion: 'unknown' };
  }

  const cells = readCells(ydoc, problems);
  const { events, entryIds } = readLog(ydoc, problems);
  return {
    ok: true,
    doc: { format: SESSION_FORMAT, version: CURRENT_SESSION_VERSION, metadata, cells, events },
    problems,
    entryIds,
  };
}

function readCells(ydoc: Y.Doc, problems: RoomProblem[]): SessionCell[] {
  const map = ydoc.getMap(ROOM_KEYS.cells);
  const seen = new Set<string>();
  const ids: string[] = [];
  for (const id of ydoc.getArray(ROOM_KEYS.cellOrder).toArray()) {
    if (typeof id === 'string' && map.has(id) && !seen.has(id)) {
      seen.add(id);
      ids.push(id);
    }
  }
  ids.push(...[...map.keys()].filter((id) => !seen.has(id)).sort());
  const cells: SessionCell[] = [];
  for (const id of ids) {
    if (cells.length >= SESSION_LIMITS.maxCells) {
      problems.push({ where: `cells[${safeShow(id)}]`, author: null, reason: `past the limit of ${SESSION_LIMITS.maxCells} cells` });
      continue;
    }
    const copy = plainCopy(map.get(id));
    const parsed = copy.error === null ? v.safeParse(CellSchema, copy.value) : null;
    if (parsed?.success && parsed.output.id === id) cells.push(parsed.output);
    else {
      const reason = copy.error ?? (parsed && !parsed.success ? firstIssue(parsed.issues) : `its id is not its key`);
      problems.push({ where: `cells[${safeShow(id)}]`, author: null, reason });
    }
  }
  return cells;
}

function readLog(ydoc: Y.Doc, problems: RoomProblem[]): { events: SessionEvent[]; entryIds: string[] } {
  const seqById = new Map<string, number>();
  const events: SessionEvent[] = [];
  const entryIds: string[] = [];
  const raw = roomLog(ydoc).toArray();
  for (const [i, value] of raw.entries()) {
    const where = `log[${i}]`;
    const entry = checkEntry(value);
    if ('reason' in entry) {
      problems.push({ where, author: entry.author, reason: entry.reason });
      continue;
    }
    if (seqById.has(entry.id)) {
      problems.push({ where, author: entry.author, reason: `duplicate of entry ${entry.id}: applied once` });
      continue;
    }
    if (events.length >= SESSION_LIMITS.maxEvents) {
      problems.push({ where, author: entry.author, reason: `past the limit of ${SESSION_LIMITS.maxEvents} events` });
      continue;
    }
    const seq = events.length === 0 ? 0 : events[events.length - 1]!.seq + 1;
    const body: Record<string, unknown> = { ...entry.event, seq };
    if (body['type'] === 'undo') {
      const targetSeq = typeof body['targetId'] === 'string' ? seqById.get(body['targetId']) : undefined;
      if (targetSeq === undefined) {
        problems.push({ where, author: entry.author, reason: 'undo names no earlier entry (targetId)' });
        continue;
      }
      delete body['targetId'];
      body['targetSeq'] = targetSeq;
    }
    const parsed = v.safeParse(SessionEventSchema, body);
    if (!parsed.success) {
      problems.push({ where, author: entry.author, reason: `event: ${firstIssue(parsed.issues)}` });
      continue;
    }
    if ((DERIVED_EVENT_TYPES as readonly string[]).includes(parsed.output.type)) {
      problems.push({ where, author: entry.author, reason: `a ${parsed.output.type} event is derived and is not shared` });
      continue;
    }
    seqById.set(entry.id, seq);
    events.push(parsed.output);
    entryIds.push(entry.id);
  }
  // Whole-log rules (votes name shown candidates, candidates follow their prompt): an entry
  // that breaks one is dropped and reported; the check resumes where it stopped.
  let from = 0;
  for (;;) {
    const problem = checkEventLog(events, from);
    if (problem === null) break;
    const index = Number(/^events\[(\d+)\]/.exec(problem)?.[1] ?? NaN);
    if (!Number.isInteger(index) || index < from || index >= events.length) {
      problems.push({ where: 'log', author: null, reason: problem });
      events.length = from;
      entryIds.length = from;
      break;
    }
    const id = entryIds[index]!;
    const author = (raw.find((r) => (r as RoomLogEntry | null)?.id === id) as RoomLogEntry | undefined)?.author ?? null;
    problems.push({ where: `log entry ${id}`, author, reason: problem.replace(/^events\[\d+\]\./, '') });
    events.splice(index, 1);
    entryIds.splice(index, 1);
    from = index;
  }
  return { events, entryIds };
}

const AuthorSchema = IdSchema;
const EntryShapeSchema = v.object({ id: IdSchema, author: AuthorSchema, event: v.record(v.string(), v.unknown()) });

/** The entry as a fresh plain object, or why it is not one (with its author when it names one). */
function checkEntry(value: unknown): RoomLogEntry | { author: string | null; reason: string } {
  const copy = plainCopy(value);
  const author = authorOf(value);
  if (copy.error !== null) return { author, reason: copy.error };
  const parsed = v.safeParse(EntryShapeSchema, copy.value);
  if (!parsed.success) return { author, reason: `entry: ${firstIssue(parsed.issues)}` };
  return parsed.output;
}

function authorOf(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || !Object.hasOwn(value, 'author')) return null;
  const author = (value as { author: unknown }).author;
  return v.is(AuthorSchema, author) ? author : null;
}

/**
 * A JSON round trip of a value from the Y.Doc: only own enumerable keys survive, `__proto__`
 * becomes an ordinary key, and the size is bounded before anything walks the value.
 */
function plainCopy(value: unknown): { value: unknown; error: string | null } {
  if (value instanceof Y.AbstractType) return { value: undefined, error: 'a Yjs type where a JSON value belongs' };
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    return { value: undefined, error: 'not representable as JSON' };
  }
  if (text === undefined) return { value: undefined, error: 'missing' };
  if (text.length > MAX_ROOM_ENTRY_CHARS) return { value: undefined, error: `${text.length} JSON characters; the limit is ${MAX_ROOM_ENTRY_CHARS}` };
  return { value: JSON.parse(text) as unknown, error: null };
}

function firstIssue(issues: readonly v.BaseIssue<unknown>[]): string {
  const issue = issues[0];
  if (!issue) return 'invalid';
  const path = issue.path?.map((p) => String(p.key)).join('.') ?? '';
  return (path ? `${path}: ` : '') + issue.message.slice(0, 200);
}

function safeShow(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}
