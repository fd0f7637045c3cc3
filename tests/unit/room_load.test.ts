/**
 * The small version of the room load test (scripts/load/room_load.ts; the full run and its
 * committed record are named in the README): simulated annotators vote through a `duelbook
 * serve` process on 127.0.0.1, the server is killed (SIGKILL) and restarted mid-run, one client
 * is offline for a while and keeps voting. No vote may be lost or held twice anywhere.
 */
import { describe, expect, it } from 'vitest';
import { runRoomLoad, SMALL_RUN } from '../../scripts/load/room_load.ts';

describe('room load (small)', () => {
  it('every vote reaches every replica and the server file exactly once through a kill, a restart and an offline client', async () => {
    const r = await runRoomLoad(SMALL_RUN);
    expect(r.votesCast).toBe((SMALL_RUN.durationMs / 1000) * SMALL_RUN.votesPerSecond);
    expect(r.missingInReplicas).toBe(0);
    expect(r.duplicatedInReplicas).toBe(0);
    expect(r.missingOnServer).toBe(0);
    expect(r.duplicatedOnServer).toBe(0);
    expect(r.problems).toBe(0);
    expect(r.offlineCatchUpMs).not.toBeNull();
    expect(r.reachAllOnlineMs.n).toBeGreaterThan(0);
    expect(Number.isFinite(r.reachAllOnlineMs.p95)).toBe(true);
    expect(r.serverRssMiB.peakFirstLife).toBeGreaterThan(0);
    expect(r.serverRssMiB.peakSecondLife).toBeGreaterThan(0);
  }, 120_000);
});
