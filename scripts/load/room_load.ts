/**
 * Load test of `duelbook serve`: simulated annotators (y-websocket clients in this process;
 * they vote on canned pairs and do not train) vote into one room on 127.0.0.1 at a fixed total
 * rate. The server runs as its own process (`node bin/duelbook.mjs serve`), is killed with
 * SIGKILL in the middle and restarted on the same port and data directory; one client goes
 * offline for a while and keeps voting. At the end every vote must be in every replica and in
 * the server's stored file exactly once.
 *
 * Measured: for each vote, the time until every replica that was online held it (p50 / p95 /
 * max, over votes the offline client neither cast nor missed while offline); how long the
 * offline client took to hold everything after reconnecting; the server's resident memory.
 *
 *   npx tsx scripts/load/room_load.ts [RECORD.json]            # the full run (50 clients, 60 s)
 *   npx tsx scripts/load/room_load.ts --small [RECORD.json]    # what npm test runs
 *
 * Everything targets 127.0.0.1, is bounded in clients, votes and time, and stops by itself.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { mulberry32Float } from '../../src/engine/rng.ts';
import { appendEvents, createCell, createIdGenerator, createSession, type NewSessionEvent, type SessionEvent } from '../../src/session/index.ts';
import { appendToRoom, readRoom, roomLog, seedRoom } from '../../src/session/room_doc.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface LoadOptions {
  clients: number;
  /** Votes per second, all clients together. */
  votesPerSecond: number;
  durationMs: number;
  /** When the server is killed (SIGKILL), and how long it stays down before the restart. */
  killAtMs: number;
  downMs: number;
  /** Client 0 is offline over [offlineFromMs, offlineFromMs + offlineForMs) and keeps voting. */
  offlineFromMs: number;
  offlineForMs: number;
  /** How long after the last vote every replica may take to converge. */
  settleTimeoutMs: number;
  seed: number;
}

export const FULL_RUN: LoadOptions = {
  clients: 50,
  votesPerSecond: 10,
  durationMs: 60_000,
  killAtMs: 40_000,
  downMs: 2_000,
  offlineFromMs: 10_000,
  offlineForMs: 20_000,
  settleTimeoutMs: 60_000,
  seed: 1,
};

export const SMALL_RUN: LoadOptions = {
  clients: 6,
  votesPerSecond: 10,
  durationMs: 5_000,
  killAtMs: 3_000,
  downMs: 500,
  offlineFromMs: 500,
  offlineForMs: 1_500,
  settleTimeoutMs: 30_000,
  seed: 1,
};

export interface Quantiles {
  n: number;
  p50: number;
  p95: number;
  max: number;
}

export interface LoadResult {
  options: LoadOptions;
  votesCast: number;
  /** Per replica and in the server's file: votes missing, and entries held more than once. */
  missingInReplicas: number;
  duplicatedInReplicas: number;
  missingOnServer: number;
  duplicatedOnServer: number;
  /** Entries some replica or the server skipped as invalid. */
  problems: number;
  /** ms from a vote's append until every replica online at the time held it. */
  reachAllOnlineMs: Quantiles;
  /** The same, for votes cast while the server was up (from the first sync to the kill, and from the restart on). */
  reachAllWhileServerUpMs: Quantiles;
  /** How long the server was gone: from SIGKILL until the restarted one listened. */
  serverGoneMs: number | null;
  /** ms from the offline client's reconnect until it held every vote cast so far. */
  offlineCatchUpMs: number | null;
  serverRssMiB: { peakFirstLife: number; peakSecondLife: number; atEnd: number };
  wallMs: number;
  machine: { cpus: number; loadAverage1m: number; node: string };
}

function quantiles(values: number[]): Quantiles {
  const s = [...values].sort((a, b) => a - b);
  const at = (q: number) => (s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor(q * s.length))]!);
  return { n: s.length, p50: +at(0.5).toFixed(1), p95: +at(0.95).toFixed(1), max: +(s[s.length - 1] ?? NaN).toFixed(1) };
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, check: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`load test: timed out after ${ms} ms waiting for ${what}`);
    await sleep(20);
  }
}

/** The server as a child process; resolves once it prints that it listens. */
async function startServer(port: number, dataDir: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [join(ROOT, 'bin/duelbook.mjs'), 'serve', '--port', String(port), '--host', '127.0.0.1', '--data', dataDir], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const deadline = Date.now() + 30_000;
  while (!/listening|ws:\/\//i.test(out)) {
    if (child.exitCode !== null) throw new Error(`load test: the server exited (${child.exitCode}): ${out.slice(0, 500)}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`load test: the server did not start within 30 s: ${out.slice(0, 500)}`);
    }
    await sleep(50);
  }
  return child;
}

/** Resident memory of a process in MiB (Linux /proc), or NaN where it cannot be read. */
function rssMiB(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
    return +(kb / 1024).toFixed(1);
  } catch {
    return NaN;
  }
}

async function stopGracefully(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(10_000)]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

const PAIRS = 12;

export async function runRoomLoad(options: LoadOptions): Promise<LoadResult> {
  const t0 = performance.now();
  // Every y-websocket provider in Node adds a process exit listener.
  process.setMaxListeners(Math.max(process.getMaxListeners(), options.clients + 10));
  const loadAverage1m = +os.loadavg()[0]!.toFixed(2);
  // The run's choices (who votes, on which pair, the outcome) repeat for a seed.
  const random = mulberry32Float(options.seed);
  const dataDir = mkdtempSync(join(os.tmpdir(), 'duelbook-load-'));
  const room = randomBytes(16).toString('hex');
  const port = await freePort();
  let server = await startServer(port, dataDir);
  const rss = { peakFirstLife: 0, peakSecondLife: 0, atEnd: NaN };
  let life: 'peakFirstLife' | 'peakSecondLife' = 'peakFirstLife';
  const rssTimer = setInterval(() => {
    const v = rssMiB(server.pid);
    if (Number.isFinite(v)) rss[life] = Math.max(rss[life], v);
  }, 250);

  // The room's seed: a duel with canned pairs every vote names.
  const duel = createCell('duel', createIdGenerator({ seed: 1 }));
  const seedEvents: NewSessionEvent[] = [];
  for (let k = 0; k < PAIRS; k++) {
    seedEvents.push(
      { type: 'prompt', cellId: duel.id, promptId: `p${k}`, text: `Canned prompt ${k}` },
      {
        type: 'candidates',
        cellId: duel.id,
        promptId: `p${k}`,
        seed: k,
        sampling: { temperature: 1, topK: 0, topP: 1, maxTokens: 16 },
        candidates: [
          { id: `a${k}`, text: `First answer ${k}`, policySnapshot: { step: 0 } },
          { id: `b${k}`, text: `Second answer ${k}`, policySnapshot: { step: 0 } },
        ],
      },
    );
  }
  const seedDoc = appendEvents(createSession({ title: 'Load', now: 0, cells: [duel] }), seedEvents, 0);

  interface Sim {
    name: string;
    doc: Y.Doc;
    provider: WebsocketProvider;
    idBySeq: Map<number, string>;
    arrival: Map<string, number>;
  }
  const sims: Sim[] = [];
  const sentAt = new Map<string, number>();
  const sentBy = new Map<string, number>();
  let offline: { from: number; to: number | null } | null = null;
  let catchUpMs: number | null = null;

  try {
    for (let i = 0; i < options.clients; i++) {
      const doc = new Y.Doc();
      const arrival = new Map<string, number>();
      roomLog(doc).observe((event) => {
        const now = performance.now();
        for (const delta of event.changes.delta) {
          for (const value of (delta.insert as unknown[] | undefined) ?? []) {
            const id = (value as { id?: unknown }).id;
            if (typeof id === 'string' && !arrival.has(id)) arrival.set(id, now);
          }
        }
      });
      const provider = new WebsocketProvider(`ws://127.0.0.1:${port}`, room, doc, {
        WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
        disableBc: true,
        maxBackoffTime: 500,
      });
      sims.push({ name: `annotator-${String(i).padStart(2, '0')}`, doc, provider, idBySeq: new Map(), arrival });
    }
    await waitFor('every client to sync', () => sims.every((s) => s.provider.synced), 30_000);
    sims[0]!.doc.transact(() => seedRoom(sims[0]!.doc, seedDoc, sims[0]!.name));
    const seedCount = roomLog(sims[0]!.doc).length;
    await waitFor('the seed to reach every client', () => sims.every((s) => roomLog(s.doc).length === seedCount), 30_000);

    const start = performance.now();
    const interval = 1000 / options.votesPerSecond;
    const total = Math.floor((options.durationMs / 1000) * options.votesPerSecond);
    let killed = false;
    let restarted = false;
    let killedAt = Infinity;
    let restartedAt = Infinity;
    for (let v = 0; v < total; v++) {
      const due = start + v * interval;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const elapsed = performance.now() - start;
      if (!killed && elapsed >= options.killAtMs) {
        killed = true;
        killedAt = performance.now();
        server.kill('SIGKILL');
        setTimeout(() => {
          life = 'peakSecondLife';
          void startServer(port, dataDir).then((s) => {
            server = s;
            restarted = true;
            restartedAt = performance.now();
          });
        }, options.downMs);
      }
      const client0 = sims[0]!.provider;
      if (offline === null && elapsed >= options.offlineFromMs) {
        offline = { from: performance.now(), to: null };
        client0.disconnect();
      } else if (offline && offline.to === null && elapsed >= options.offlineFromMs + options.offlineForMs) {
        offline.to = performance.now();
        void client0.connect();
      }
      const who = Math.floor(random() * sims.length);
      const sim = sims[who]!;
      const k = Math.floor(random() * PAIRS);
      const outcome = (['a', 'b', 'tie'] as const)[Math.floor(random() * 3)]!;
      const event: SessionEvent = {
        seq: 1_000_000 + v,
        t: Date.now(),
        type: 'vote',
        kind: 'pair',
        cellId: duel.id,
        promptId: `p${k}`,
        a: `a${k}`,
        b: `b${k}`,
        outcome,
        shownOrder: [`a${k}`, `b${k}`],
        judge: sim.name,
      };
      const [id] = appendToRoom(sim.doc, [event], sim.name, sim.idBySeq);
      sentAt.set(id!, performance.now());
      sentBy.set(id!, who);
    }
    await waitFor('the server to restart', () => restarted || !killed, 30_000);
    if (offline && offline.to === null) {
      offline.to = performance.now();
      void sims[0]!.provider.connect();
    }
    const ids = [...sentAt.keys()];
    await waitFor('every vote in every replica', () => sims.every((s) => ids.every((id) => s.arrival.has(id))), options.settleTimeoutMs);
    if (offline?.to) {
      const reconnect = offline.to;
      const before = ids.filter((id) => sentAt.get(id)! < reconnect);
      catchUpMs = +(Math.max(...before.map((id) => sims[0]!.arrival.get(id)!)) - reconnect).toFixed(1);
    }

    // Latency to every replica online at the time (the offline client's own offline votes and
    // its receipts while offline are its catch-up, reported on its own).
    const latencies: number[] = [];
    const whileUp: number[] = [];
    for (const id of ids) {
      const sent = sentAt.get(id)!;
      const wasOffline = offline !== null && sent >= offline.from && sent < (offline.to ?? Infinity);
      if (wasOffline && sentBy.get(id) === 0) continue;
      let last = sent;
      for (const [i, s] of sims.entries()) {
        if (i === 0 && wasOffline) continue;
        last = Math.max(last, s.arrival.get(id)!);
      }
      latencies.push(last - sent);
      if (sent < killedAt || sent >= restartedAt) whileUp.push(last - sent);
    }

    // Exactly once, everywhere: every replica's log and the server's file.
    let missingInReplicas = 0;
    let duplicatedInReplicas = 0;
    let problems = 0;
    const countIn = (doc: Y.Doc): { missing: number; duplicated: number } => {
      const raw = roomLog(doc).toArray() as { id?: string }[];
      const seen = new Map<string, number>();
      for (const entry of raw) if (typeof entry?.id === 'string') seen.set(entry.id, (seen.get(entry.id) ?? 0) + 1);
      const read = readRoom(doc);
      if (read.ok) problems += read.problems.length;
      else problems++;
      return { missing: ids.filter((id) => !seen.has(id)).length, duplicated: [...seen.values()].filter((n) => n > 1).length };
    };
    for (const s of sims) {
      const c = countIn(s.doc);
      missingInReplicas += c.missing;
      duplicatedInReplicas += c.duplicated;
    }
    // Let the server write what it holds, then read its file as a fresh process would.
    rss.atEnd = rssMiB(server.pid);
    for (const s of sims) s.provider.destroy();
    await stopGracefully(server);
    const stored = new Y.Doc();
    Y.applyUpdate(stored, new Uint8Array(readFileSync(join(dataDir, `${room}.yjs`))));
    const onServer = countIn(stored);

    return {
      options,
      votesCast: ids.length,
      missingInReplicas,
      duplicatedInReplicas,
      missingOnServer: onServer.missing,
      duplicatedOnServer: onServer.duplicated,
      problems,
      reachAllOnlineMs: quantiles(latencies),
      reachAllWhileServerUpMs: quantiles(whileUp),
      serverGoneMs: Number.isFinite(restartedAt) ? Math.round(restartedAt - killedAt) : null,
      offlineCatchUpMs: catchUpMs,
      serverRssMiB: rss,
      wallMs: Math.round(performance.now() - t0),
      machine: { cpus: os.cpus().length, loadAverage1m, node: process.version },
    };
  } finally {
    clearInterval(rssTimer);
    for (const s of sims) {
      s.provider.destroy();
      s.doc.destroy();
    }
    if (server.exitCode === null) server.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const small = args.includes('--small');
  const record = args.find((a) => !a.startsWith('--'));
  const result = await runRoomLoad(small ? SMALL_RUN : FULL_RUN);
  const text = JSON.stringify(result, null, 2);
  if (record) writeFileSync(record, `${text}\n`);
  console.log(text);
  process.exit(0);
}
