/**
 * `npm run bench -- --smoke` end to end, so the benchmark cannot rot: every case of the issue
 * (1 matmul … 7 memory) must produce rows with finite, positive numbers, each naming the
 * adapter or CPU it ran on, and the run must write its JSON and print the Markdown table.
 * The numbers themselves are not checked (smoke sizes, 2 repetitions, often SwiftShader).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { chromeAvailable, MISSING_CHROME } from '../../scripts/chrome.mjs';
import type { BenchRow } from '../../bench/types';
import type { RunMeta } from '../../bench/report';
import { runProcess } from '../support/run_process';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const out = mkdtempSync(join(tmpdir(), 'duelbook-bench-'));

afterAll(() => rmSync(out, { recursive: true, force: true }));

const runBench = (args: string[]) => runProcess(process.execPath, ['bin/bench.mjs', ...args], { cwd: ROOT });

describe('npm run bench -- --smoke', () => {
  it('runs every case and reports finite numbers with the adapter named', async () => {
    if (!chromeAvailable()) throw new Error(MISSING_CHROME);
    const t0 = Date.now();
    const r = await runBench(['--smoke', '--out', out]);
    const seconds = (Date.now() - t0) / 1000;
    console.log(`[bench-smoke] ${seconds.toFixed(1)} s`);
    expect(r.code, `bench failed:\n${r.stderr.slice(-4000)}`).toBe(0);

    const files = readdirSync(out).filter((f) => f.endsWith('.json'));
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^\d{4}-\d{2}-\d{2}-[a-z0-9-]+-smoke\.json$/);
    const { meta, rows } = JSON.parse(readFileSync(join(out, files[0]), 'utf8')) as { meta: RunMeta; rows: BenchRow[] };
    expect(meta.failures).toEqual([]);
    expect(meta.adapter).toMatch(/^WebGPU: /);

    for (const group of [1, 2, 3, 4, 5, 6, 7, 8]) {
      expect(rows.filter((x) => x.group === group).length, `case ${group} produced no rows`).toBeGreaterThan(0);
    }
    for (const row of rows) {
      const what = `${row.group} ${row.case}`;
      for (const k of ['case', 'ours', 'peer', 'ratio', 'unit', 'adapter'] as const) expect(row, what).toHaveProperty(k);
      for (const v of [row.ours, row.peer, row.ratio]) {
        expect(Number.isFinite(v), `${what}: ${v}`).toBe(true);
        expect(v, what).toBeGreaterThan(0);
      }
      expect(Math.abs(row.ratio / (row.ours / row.peer) - 1), `${what}: ratio is ours / peer`).toBeLessThan(0.01);
      expect(row.unit.length, what).toBeGreaterThan(0);
      expect(row.adapter, what).toMatch(/^(WebGPU: |CPU: )/);
      expect(row.peerAdapter.length, what).toBeGreaterThan(0);
      expect(row.shapes.length, what).toBeGreaterThan(0);
      if (row.group !== 7) expect(row.oursMs?.length, what).toBe(row.reps);
      if (meta.swiftShader && row.adapter.startsWith('WebGPU')) {
        expect(row.notes, what).toContain('SwiftShader: checks that the benchmark runs; not GPU speed');
      }
    }
    // The generated tiny checkpoint is used in --smoke and must be said so where a model runs.
    expect(meta.policy.fallback).toBe(true);
    for (const row of rows.filter((x) => [2, 3, 4, 6, 7].includes(x.group))) {
      expect(row.notes.some((n) => n.startsWith('FALLBACK')), `${row.case} does not say it ran the fallback`).toBe(true);
    }
    // Ours and the peer computed the same thing where that is checkable (fp32 round-off apart).
    const agreement = (group: number) => rows.filter((x) => x.group === group).map((x) => x.agreement);
    for (const a of [...agreement(1), ...agreement(3), ...agreement(6)]) expect(a?.value).toBeLessThan(1e-3);
    for (const a of agreement(5).filter(Boolean)) expect(a?.value).toBeLessThan(1e-3); // BT ratings, Elo points
    for (const a of agreement(2)) expect(a?.value).toBeGreaterThan(0); // first greedy token at least

    // The Markdown table went to stdout, with the SwiftShader warning when it applies.
    expect(r.stdout).toContain('| # | case | ours | peer | unit | ratio |');
    if (meta.swiftShader) expect(r.stdout).toContain('SwiftShader: checks that the benchmark runs; not GPU speed');
    expect(readdirSync(out).filter((f) => f.endsWith('.md'))).toHaveLength(1);
  });
});
