/**
 * One file per room under the data directory: `<room>.yjs`, the room's whole state as one Yjs
 * update (`Y.encodeStateAsUpdate`). A write goes to a temporary file in the same directory,
 * is synced, then renamed over the old one, so a crash leaves the old state or the new one,
 * never half of either. Plain files rather than y-leveldb: one room is one small file a person
 * can back up, copy or delete, with no native module and no database lock to hold.
 */
import { existsSync, readFileSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ROOM_ID_PATTERN } from '../session/room_doc.ts';

const SUFFIX = '.yjs';
let tempCounter = 0;

export class RoomFiles {
  constructor(readonly dir: string) {}

  path(room: string): string {
    if (!ROOM_ID_PATTERN.test(room)) throw new Error(`room id ${JSON.stringify(room.slice(0, 40))} is not 32 lowercase hex characters`);
    return join(this.dir, room + SUFFIX);
  }

  /** The stored state, or null for a room never written. Read synchronously: once per room open. */
  read(room: string): Uint8Array | null {
    const file = this.path(room);
    return existsSync(file) ? new Uint8Array(readFileSync(file)) : null;
  }

  async write(room: string, state: Uint8Array): Promise<void> {
    const file = this.path(room);
    const temp = `${file}.tmp-${process.pid}-${++tempCounter}`;
    try {
      const handle = await open(temp, 'wx');
      try {
        await handle.writeFile(state);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, file);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }
}
