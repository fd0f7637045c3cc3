import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { roomLog, seedRoom } from '../../src/session/room_doc.ts';
import { checkRoomUpdate } from '../../src/server/update_guard.ts';
import { duelSession } from './serve_support.ts';

/** The update `edit` makes on a replica of `room`. */
function updateOf(room: Y.Doc, edit: (replica: Y.Doc) => void): Uint8Array {
  const replica = new Y.Doc();
  Y.applyUpdate(replica, Y.encodeStateAsUpdate(room));
  const before = Y.encodeStateVector(replica);
  edit(replica);
  return Y.encodeStateAsUpdate(replica, before);
}

function seeded(): Y.Doc {
  const room = new Y.Doc();
  seedRoom(room, duelSession().doc, 'alice');
  return room;
}

describe('the server’s update guard', () => {
  it('lets appends and cell edits through', () => {
    const room = seeded();
    expect(checkRoomUpdate(room, updateOf(room, (r) => roomLog(r).push([{ id: 'n1', author: 'bob', event: {} }])))).toBeNull();
    const cellId = [...room.getMap('cells').keys()][0]!;
    expect(checkRoomUpdate(room, updateOf(room, (r) => r.getMap('cells').set(cellId, { renamed: true })))).toBeNull();
  });

  it('refuses deleting or replacing a log entry, and a deletion of an entry appended in an earlier update', () => {
    const room = seeded();
    expect(checkRoomUpdate(room, updateOf(room, (r) => roomLog(r).delete(1, 1)))?.kind).toBe('violation');
    const replace = updateOf(room, (r) =>
      r.transact(() => {
        roomLog(r).delete(0, 1);
        roomLog(r).insert(0, [{ id: 'forged', author: 'mallory', event: {} }]);
      }),
    );
    expect(checkRoomUpdate(room, replace)?.kind).toBe('violation');
    Y.applyUpdate(room, updateOf(room, (r) => roomLog(r).push([{ id: 'late', author: 'bob', event: {} }])));
    expect(checkRoomUpdate(room, updateOf(room, (r) => roomLog(r).delete(2, 1)))?.kind).toBe('violation');
    expect(checkRoomUpdate(room, new Uint8Array([1, 2, 3]))?.kind).toBe('violation');
  });

  it('calls an update that builds on changes the room lacks a gap (dropped, not applied)', () => {
    const room = seeded();
    const peer = new Y.Doc();
    Y.applyUpdate(peer, Y.encodeStateAsUpdate(room));
    const sv0 = Y.encodeStateVector(peer);
    roomLog(peer).push([{ id: 'first', author: 'bob', event: {} }]);
    const sv1 = Y.encodeStateVector(peer);
    roomLog(peer).push([{ id: 'second', author: 'bob', event: {} }]);
    const second = Y.encodeStateAsUpdate(peer, sv1);
    expect(checkRoomUpdate(room, second)?.kind).toBe('gap');
    expect(checkRoomUpdate(room, Y.encodeStateAsUpdate(peer, sv0))).toBeNull();
  });
});
