import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { main } from '../../src/cli/main.ts';
import { appendToRoom, seedRoom } from '../../src/session/room_doc.ts';
import { connectClient, duelSession, newRoomId, sessionOf, tempDir, voteEvent, waitFor, type Client } from './serve_support.ts';

const BIN = new URL('../../bin/duelbook.mjs', import.meta.url).pathname;
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

interface Served {
  port: number;
  /** SIGTERM, then the exit code and everything printed. */
  stop: () => Promise<{ code: number | null; out: string }>;
}

/** `node bin/duelbook.mjs serve --port 0 --data DIR` as people run it; resolves once it listens. */
async function serve(dir: string): Promise<Served> {
  const child: ChildProcess = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--data', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  cleanups.push(() => child.exitCode === null && child.kill('SIGKILL'));
  let out = '';
  child.stdout!.on('data', (d) => (out += String(d)));
  child.stderr!.on('data', (d) => (out += String(d)));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await waitFor('the server to listen', () => /listening on ws:\/\/127\.0\.0\.1:\d+\//.test(out), 20_000);
  const port = Number(/127\.0\.0\.1:(\d+)/.exec(out)![1]);
  return {
    port,
    stop: async () => {
      child.kill('SIGTERM');
      return { code: await exited, out };
    },
  };
}

function capture() {
  const io = {
    out: '',
    err: '',
    stdout: (s: string) => void (io.out += s),
    stderr: (s: string) => void (io.err += s),
    readFile: () => Promise.reject(new Error('serve reads no files')),
    isTTY: false,
  };
  return io;
}

describe('duelbook serve', () => {
  it('refuses bad flags with one line naming the flag', async () => {
    const { dir, remove } = tempDir();
    cleanups.push(remove);
    const file = join(dir, 'file.txt');
    writeFileSync(file, 'x');
    const cases: [string[], RegExp][] = [
      [['--data', dir], /--port is required/],
      [['--port', '70000', '--data', dir], /--port must be an integer from 0 to 65535, got 70000/],
      [['--port', '08', '--data', dir], /--port must be an integer/],
      [['--port', '', '--data', dir], /--port must be an integer/],
      [['--port', '1'], /--data is required/],
      [['--port', '1', '--data', join(dir, 'missing')], /--data ".*missing" does not exist/],
      [['--port', '1', '--data', file], /is not a directory/],
      [['--port', '1', '--data', dir, '--hots', 'x'], /Unknown option '--hots'/],
    ];
    for (const [args, message] of cases) {
      const io = capture();
      // A flag wrongly accepted would start a server that waits for a signal: bound the wait.
      const refused = await Promise.race([main(['serve', ...args], io), new Promise((r) => setTimeout(() => r('still running'), 5_000))]);
      expect(refused, args.join(' ')).toBe(2);
      expect(io.err.trim().split('\n')).toHaveLength(1);
      expect(io.err).toMatch(message);
    }
  });

  it('writes every room on SIGTERM before exiting, and a restarted server on the same --data serves it', async () => {
    const { dir, remove } = tempDir();
    cleanups.push(remove);
    const room = newRoomId();
    const first = await serve(dir);
    const { doc, duelId } = duelSession();
    const aliceDoc = new Y.Doc();
    seedRoom(aliceDoc, doc, 'alice');
    const alice: Client = await connectClient(first.port, room, aliceDoc);
    cleanups.push(alice.destroy);
    appendToRoom(alice.doc, [voteEvent(duelId, 'a')], 'alice', new Map());
    // A second client seeing the vote proves the server holds it; the 1 s write delay has not
    // passed, so only the SIGTERM flush can put it on disk.
    const bob = await connectClient(first.port, room);
    cleanups.push(bob.destroy);
    await waitFor('bob to see the vote', () => sessionOf(bob.doc).doc.events.length === 3);
    const stopped = await first.stop();
    expect(stopped.code).toBe(0);
    expect(stopped.out).toMatch(/stopped; every room written/);
    expect(readdirSync(dir)).toEqual([`${room}.yjs`]);
    alice.destroy();
    bob.destroy();

    const second = await serve(dir);
    const carol = await connectClient(second.port, room);
    cleanups.push(carol.destroy);
    await waitFor('carol to receive everything', () => sessionOf(carol.doc).doc.events.length === 3);
    expect(sessionOf(carol.doc).doc).toEqual(sessionOf(aliceDoc).doc);
    carol.destroy();
    expect((await second.stop()).code).toBe(0);
  });
});
