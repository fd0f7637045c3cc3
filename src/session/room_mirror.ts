/**
 * Keeps one replica's session document and a shared room (room_doc.ts) in step. Pure: a Y.Doc
 * in, documents out; the page connects the Y.Doc to the sync server and the engine.
 *
 * The local document is what the page and the engine see: the room's intents in the room's
 * converged order, with this replica's derived records (`train_step`, `relabel`) between them.
 * The mirror knows which room entry each local intent is (`entryId` ↔ local `seq`).
 *
 * - `push(doc)` after a local edit: intents the room does not have are appended (this replica
 *   is their author); cells and metadata that changed are written (the last writer wins).
 * - `pull(doc)` after a remote update: the room read back and validated. When the room's order
 *   still starts with every local intent, the new entries are appended (`append`). When a
 *   peer's entry landed before intents this replica already has (a concurrent vote, a peer back
 *   from offline), the local log is cut where it first differs and the room's order is
 *   appended from there (`rebase`, with `dropAfterSeq` for the engine, which restores its last
 *   checkpoint before the cut and reduces forward). Derived records of intents before the cut
 *   are kept; those of later intents are dropped and recomputed. An entry this replica holds
 *   that the room lost (deleted or rewritten by a peer) is an error, not a change to follow.
 */
import type * as Y from 'yjs';
import { appendEvents, type NewSessionEvent } from './events.ts';
import { DERIVED_EVENT_TYPES } from './intents.ts';
import { appendToRoom, readRoom, ROOM_KEYS, seedRoom, type RoomProblem } from './room_doc.ts';
import type { SessionCell, SessionDocument, SessionEvent } from './schema.ts';

export type MirrorPull =
  | { kind: 'none'; doc: SessionDocument; problems: RoomProblem[] }
  /** New entries after every local intent (and/or changed cells): nothing to undo. */
  | { kind: 'append'; doc: SessionDocument; appended: number; problems: RoomProblem[] }
  /** The room's order differs from the local log after `dropAfterSeq`: the engine rolls back there. */
  | { kind: 'rebase'; doc: SessionDocument; dropAfterSeq: number; problems: RoomProblem[] }
  | { kind: 'error'; error: string };

const isDerived = (event: SessionEvent): boolean => (DERIVED_EVENT_TYPES as readonly string[]).includes(event.type);

export class RoomMirror {
  /** Local `seq` → room entry id, for every local intent in the room. */
  #idBySeq = new Map<number, string>();
  /** The JSON of each cell and of the metadata as last written to or read from the room. */
  #cellJson = new Map<string, string>();
  #orderJson = '';
  #metadataJson = '';

  constructor(
    readonly ydoc: Y.Doc,
    readonly author: string,
    /** The transaction origin of this replica's writes (so its own updates are not pulled back). */
    readonly origin: unknown = null,
  ) {}

  /** The room is empty: `doc` seeds it (the inviter). */
  seed(doc: SessionDocument): void {
    let ids: string[] = [];
    this.ydoc.transact(() => {
      ids = seedRoom(this.ydoc, doc, this.author);
    }, this.origin);
    const intents = doc.events.filter((e) => !isDerived(e));
    this.#idBySeq = new Map(intents.map((e, i) => [e.seq, ids[i]!]));
    this.#remember(doc);
  }

  /** The room as a document to open (a joiner, or a reload): its intents only, numbered from 0. */
  adopt(): { ok: true; doc: SessionDocument; problems: RoomProblem[] } | { ok: false; error: string } {
    const read = readRoom(this.ydoc);
    if (!read.ok) return read;
    this.#idBySeq = new Map(read.doc.events.map((e, i) => [e.seq, read.entryIds[i]!]));
    this.#remember(read.doc);
    return { ok: true, doc: read.doc, problems: read.problems };
  }

  /** Local `seq` → room entry id (tests and the page's "who voted" read it). */
  entryIdOf(seq: number): string | undefined {
    return this.#idBySeq.get(seq);
  }

  /** Writes what the local document has and the room does not. Returns the entries appended. */
  push(doc: SessionDocument): number {
    const fresh = doc.events.filter((e) => !isDerived(e) && !this.#idBySeq.has(e.seq));
    const cells = doc.cells.map((c) => [c.id, JSON.stringify(c)] as const);
    const order = JSON.stringify(doc.cells.map((c) => c.id));
    const metadata = JSON.stringify(doc.metadata);
    const changedCells = cells.filter(([id, json]) => this.#cellJson.get(id) !== json);
    const gone = [...this.#cellJson.keys()].filter((id) => !doc.cells.some((c) => c.id === id));
    if (fresh.length === 0 && changedCells.length === 0 && gone.length === 0 && order === this.#orderJson && metadata === this.#metadataJson) return 0;
    this.ydoc.transact(() => {
      if (fresh.length > 0) appendToRoom(this.ydoc, fresh, this.author, this.#idBySeq);
      const map = this.ydoc.getMap(ROOM_KEYS.cells);
      for (const [id, json] of changedCells) map.set(id, JSON.parse(json) as unknown);
      for (const id of gone) map.delete(id);
      if (order !== this.#orderJson) {
        const array = this.ydoc.getArray(ROOM_KEYS.cellOrder);
        array.delete(0, array.length);
        array.push(doc.cells.map((c) => c.id));
      }
      if (metadata !== this.#metadataJson) this.ydoc.getMap(ROOM_KEYS.meta).set('metadata', JSON.parse(metadata) as unknown);
    }, this.origin);
    this.#remember(doc);
    return fresh.length;
  }

  /** Brings the local document up to the room (see the module comment). Never throws on room content. */
  pull(local: SessionDocument): MirrorPull {
    // Local intents not in the room yet go first: a cut must never fall on one the room lacks.
    this.push(local);
    const read = readRoom(this.ydoc, { fallbackMetadata: local.metadata });
    if (!read.ok) return { kind: 'error', error: read.error };
    const room = read.doc;
    const roomIds = read.entryIds;
    const localIntents = local.events.filter((e) => !isDerived(e));
    // The log is append-only (the server refuses deletes and rewrites): an entry this replica
    // holds that the room no longer has was removed by a peer around the server. Ignored: the
    // local log stays as it is, and the caller says the room can no longer be followed.
    const inRoom = new Set(roomIds);
    const removed = localIntents.filter((e) => !inRoom.has(this.#idBySeq.get(e.seq) ?? ''));
    if (removed.length > 0) {
      return { kind: 'error', error: `${removed.length} log ${removed.length === 1 ? 'entry' : 'entries'} this tab holds ${removed.length === 1 ? 'was' : 'were'} removed or rewritten in the room (the log is append-only); this tab keeps its log and stops following the room` };
    }
    // Where the local intents stop matching the room's order.
    let k = 0;
    while (k < localIntents.length && k < roomIds.length && this.#idBySeq.get(localIntents[k]!.seq) === roomIds[k]) k++;

    const sameCells = JSON.stringify(room.cells) === JSON.stringify(local.cells) && JSON.stringify(room.metadata) === JSON.stringify(local.metadata);
    const base = sameCells ? local : { ...local, cells: room.cells, metadata: room.metadata };

    if (k === localIntents.length) {
      if (k === roomIds.length) {
        if (!sameCells) this.#remember(base);
        return sameCells ? { kind: 'none', doc: local, problems: read.problems } : { kind: 'append', doc: base, appended: 0, problems: read.problems };
      }
      const doc = this.#appendFromRoom(base, room.events, roomIds, k);
      return { kind: 'append', doc, appended: roomIds.length - k, problems: read.problems };
    }

    // Cut at the first local intent out of place: keep what precedes it, and the derived records
    // of intents before it (wherever they were logged); the room's order follows.
    const cut = localIntents[k]!.seq;
    const kept = base.events.filter((e) => e.seq < cut || (isDerived(e) && derivedFrom(e) !== null && derivedFrom(e)! < cut));
    for (const e of localIntents.slice(k)) this.#idBySeq.delete(e.seq);
    const doc = this.#appendFromRoom({ ...base, events: kept }, room.events, roomIds, k);
    return { kind: 'rebase', doc, dropAfterSeq: cut - 1, problems: read.problems };
  }

  /** Appends the room's events from index `from` on (room `seq` = index) to `doc`, mapping undo targets. */
  #appendFromRoom(doc: SessionDocument, roomEvents: readonly SessionEvent[], roomIds: readonly string[], from: number): SessionDocument {
    const seqById = new Map([...this.#idBySeq].map(([seq, id]) => [id, seq]));
    const last = doc.events[doc.events.length - 1];
    let next = last === undefined ? 0 : last.seq + 1;
    const events: NewSessionEvent[] = [];
    for (let i = from; i < roomEvents.length; i++) {
      const { seq: _roomSeq, ...event } = roomEvents[i]!;
      const localSeq = next++;
      if (event.type === 'undo') {
        const target = seqById.get(roomIds[(event as { targetSeq: number }).targetSeq]!);
        // readRoom only keeps an undo whose target is an earlier kept entry, so it is mapped.
        if (target === undefined) throw new Error(`room mirror: undo ${roomIds[i]} has no local target`);
        (event as { targetSeq: number }).targetSeq = target;
      }
      seqById.set(roomIds[i]!, localSeq);
      this.#idBySeq.set(localSeq, roomIds[i]!);
      events.push(event as NewSessionEvent);
    }
    const out = events.length === 0 ? doc : appendEvents(doc, events, 0);
    this.#remember(out);
    return out;
  }

  #remember(doc: SessionDocument): void {
    this.#cellJson = new Map(doc.cells.map((c: SessionCell) => [c.id, JSON.stringify(c)]));
    this.#orderJson = JSON.stringify(doc.cells.map((c) => c.id));
    this.#metadataJson = JSON.stringify(doc.metadata);
  }
}

/** The intent a derived record belongs to (`intentSeq`), when it says. */
function derivedFrom(event: SessionEvent): number | null {
  const seq = (event as { intentSeq?: unknown }).intentSeq;
  return typeof seq === 'number' ? seq : null;
}
