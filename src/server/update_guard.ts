/**
 * The server's check of one incoming Yjs update before it touches a room: it must decode, it
 * must be applicable now (no gaps: everything it builds on or deletes is in the room or in the
 * update itself, so nothing waits in Yjs's pending queue to land later unchecked), and it must
 * not delete an entry of the room's log. In a Y.Array of JSON values an entry cannot be changed
 * in place, only deleted and re-inserted, so "no deletion of a log item" is "append-only".
 *
 * Cost: decoding the update, plus one lookup per deleted range in the room's struct store;
 * the room is never copied. Deletions elsewhere (a cell edit replaces the cell's map value,
 * which deletes the old one) are allowed.
 */
import * as Y from 'yjs';
import { ROOM_KEYS } from '../session/room_doc.ts';

type Id = { client: number; clock: number };

/**
 * Why the update is refused, or null when it may be applied. A `gap` is an update that builds
 * on changes the room does not have yet: a y-websocket client sends local edits as soon as its
 * socket opens, before its sync step 2 (computed later, so it holds those edits too); the
 * server drops such an update and keeps the peer. A `violation` closes the peer.
 */
export type UpdateRefusal = { kind: 'gap' | 'violation'; reason: string };

export function checkRoomUpdate(room: Y.Doc, update: Uint8Array): UpdateRefusal | null {
  const gap = (reason: string): UpdateRefusal => ({ kind: 'gap', reason });
  const violation = (reason: string): UpdateRefusal => ({ kind: 'violation', reason });
  let decoded: ReturnType<typeof Y.decodeUpdate>;
  try {
    decoded = Y.decodeUpdate(update);
  } catch {
    return violation('the update does not decode');
  }
  const { structs, ds } = decoded;
  const store = room.store;
  const roomState = (client: number): number => Y.getState(store, client);

  // Where the update's own structs end, per client, after checking they continue the room's.
  const updateEnd = new Map<number, number>();
  for (const s of structs) {
    const { client, clock } = s.id;
    const known = updateEnd.get(client) ?? roomState(client);
    if (clock > known) return gap(`the update skips changes ${client}:${known}…${clock} the room does not have`);
    updateEnd.set(client, Math.max(known, clock + s.length));
  }
  const knownEnd = (client: number): number => updateEnd.get(client) ?? roomState(client);
  const isKnown = (id: Id | null): boolean => id === null || id.clock < knownEnd(id.client);
  for (const s of structs) {
    if (!(s instanceof Y.Item)) continue;
    const parent = s.parent instanceof Y.ID ? s.parent : null;
    if (!isKnown(s.origin) || !isKnown(s.rightOrigin) || !isKnown(parent)) {
      return gap('the update builds on changes the room does not have');
    }
  }

  const log = room.getArray(ROOM_KEYS.log);
  for (const [client, deletes] of ds.clients) {
    const end = knownEnd(client);
    const stored = store.clients.get(client);
    for (const { clock, len } of deletes) {
      if (clock + len > end) return gap('the update deletes changes the room does not have');
      if (stored === undefined || clock >= roomState(client)) continue;
      for (let i = Y.findIndexSS(stored, clock); i < stored.length && stored[i]!.id.clock < clock + len; i++) {
        const struct = stored[i]!;
        if (struct instanceof Y.Item && !struct.deleted && struct.parent === log) {
          return violation('the update deletes or changes a log entry (the log is append-only)');
        }
      }
    }
  }
  return null;
}
