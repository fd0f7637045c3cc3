import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startSyncServer, DEFAULT_SYNC_LIMITS, type SyncServer } from '../../server/sync_server';
import { parseIntValue, textFlag } from '../flags';
import { UsageError, type CliIO } from '../io';

export const serveHelp = `duelbook serve --port P --data DIR [--host 127.0.0.1]
  Sync server for shared live sessions (WebSocket rooms ws://HOST:P/<32 hex characters>).
  Every room is stored as DIR/<room>.yjs, written atomically, and flushed on Ctrl-C / SIGTERM.
  --port 0 lets the system choose a free port (printed). Caps: messages ${DEFAULT_SYNC_LIMITS.maxMessageBytes / 2 ** 20} MiB,
  rooms ${DEFAULT_SYNC_LIMITS.maxRoomBytes / 2 ** 20} MiB, ${DEFAULT_SYNC_LIMITS.messagesPerSecond} messages/s per connection (bursts of ${DEFAULT_SYNC_LIMITS.messageBurst}).`;

function parseDataDir(raw: string | undefined): string {
  if (raw === undefined || raw.length === 0) throw new UsageError('--data is required (an existing directory)');
  let isDir = false;
  try {
    isDir = statSync(raw).isDirectory();
  } catch {
    throw new UsageError(`--data ${JSON.stringify(raw.slice(0, 200))} does not exist`);
  }
  if (!isDir) throw new UsageError(`--data ${JSON.stringify(raw.slice(0, 200))} is not a directory`);
  return resolve(raw);
}

export interface ServeHooks {
  /** Stops the server when aborted (tests); the CLI otherwise stops on SIGINT or SIGTERM. */
  signal?: AbortSignal;
  onListening?: (server: SyncServer) => void;
}

export async function serveCommand(argv: string[], io: CliIO, hooks: ServeHooks = {}): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { port: { type: 'string' }, data: { type: 'string' }, host: { type: 'string' } },
    strict: true,
    allowPositionals: false,
  });
  if (values.port === undefined) throw new UsageError('--port is required');
  // 0 lets the system choose a free port (printed once listening).
  const port = parseIntValue('port', values.port, { min: 0, max: 65535 });
  const dataDir = parseDataDir(values.data);
  const host = textFlag('host', values.host) ?? '127.0.0.1';
  const server = await startSyncServer({ host, port, dataDir, log: (line) => io.stderr(`duelbook serve: ${line}\n`) });
  io.stdout(`duelbook serve: listening on ws://${host}:${server.port}/<room> (rooms in ${dataDir})\n`);
  hooks.onListening?.(server);
  await new Promise<void>((done) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      hooks.signal?.removeEventListener('abort', stop);
      done();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    hooks.signal?.addEventListener('abort', stop, { once: true });
  });
  await server.close();
  io.stdout('duelbook serve: stopped; every room written\n');
  return 0;
}
