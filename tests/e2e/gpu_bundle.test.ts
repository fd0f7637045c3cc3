/**
 * The Node-only GPU benchmark, as it will run on a GPU machine (issue 15, item 6): built by
 * scripts/gpu_bundle/build.mjs, unpacked by its run.sh and run with the bundled Node and Dawn,
 * here on Chromium's SwiftShader Vulkan driver. Checks that it fits what may travel, that every
 * case produced finite numbers for both models, and what the counters must say whatever the
 * adapter: greedy decoding submits once and reads back one 4-byte id per token.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { chromeAvailable, MISSING_CHROME } from '../../scripts/chrome.mjs';
import type { GpuRow } from '../../bench/gpu/gpu_cases';
import type { GpuRunMeta } from '../../bench/gpu/gpu_report';
import { runProcess } from '../support/run_process';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'duelbook-gpu-bundle-'));
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (cmd: string, args: string[], env?: NodeJS.ProcessEnv) => runProcess(cmd, args, { cwd: ROOT, env });

describe.skipIf(process.platform !== 'linux' || process.arch !== 'x64')('the Node-only GPU bundle', () => {
  it('builds within the travel limit and runs every case on SwiftShader with the bundled Node', async () => {
    if (!chromeAvailable() || !existsSync(SWIFTSHADER_ICD)) throw new Error(MISSING_CHROME);
    const built = await run(process.execPath, ['scripts/gpu_bundle/build.mjs', '--out', join(dir, 'bundle')]);
    expect(built.code, built.stderr).toBe(0);
    const manifest = JSON.parse(readFileSync(join(dir, 'bundle/manifest.json'), 'utf8')) as { bundleBytes: number; repoBytes: number; limitBytes: number; node: string };
    expect(manifest.bundleBytes + manifest.repoBytes).toBeLessThanOrEqual(manifest.limitBytes);

    // A PATH with the shell tools run.sh uses and no Node: the bundle must bring its own.
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    for (const tool of ['sh', 'tar', 'xz', 'mkdir', 'rm', 'dirname', 'grep', 'ldconfig']) {
      const where = ['/usr/bin', '/bin', '/usr/sbin', '/sbin'].map((d) => join(d, tool)).find((p) => existsSync(p));
      if (where) symlinkSync(where, join(bin, tool));
    }
    const env = { PATH: bin, HOME: process.env.HOME ?? '/tmp', TMPDIR: join(dir, 'tmp'), VK_ICD_FILENAMES: SWIFTSHADER_ICD };
    mkdirSync(env.TMPDIR);
    const t0 = Date.now();
    const r = await run(join(bin, 'sh'), [join(dir, 'bundle/run.sh'), '--smoke', '--out', join(dir, 'out')], env);
    console.log(`[gpu-bundle] smoke run ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    expect(r.stdout).toContain('| case | model | value |');

    const { meta, rows } = JSON.parse(readFileSync(join(dir, 'out/gpu-bench.json'), 'utf8')) as { meta: GpuRunMeta; rows: GpuRow[] };
    expect(meta.node).toBe(`v${manifest.node}`);
    expect(meta.adapter).toMatch(/swiftshader/i);
    expect(meta.software).toBe(true);
    expect(meta.failures).toEqual([]);
    expect(meta.skipped).toEqual([]);
    for (const row of rows) {
      expect(Number.isFinite(row.value) && row.value > 0, `${row.case} ${row.model}: ${row.value}`).toBe(true);
    }
    const models = ['shipped', 'tiny stand-in'];
    for (const m of models) {
      expect(rows.filter((r) => r.case.startsWith('matmul') && r.model === m)).toHaveLength(3);
      const decode = rows.find((r) => r.case === 'decode, greedy' && r.model.startsWith(m));
      const sampled = rows.find((r) => r.case === 'decode, sampled (T 1)' && r.model.startsWith(m));
      const vote = rows.find((r) => r.case.startsWith('one DPO vote') && r.model.startsWith(m));
      expect(decode?.per).toMatchObject({ unit: 'token', submits: 1, bytesRead: 4 });
      expect(decode!.per!.dispatches).toBeGreaterThan(0);
      // The draw on the device: one id back and one uniform up per token, as greedy's id.
      expect(sampled?.per).toMatchObject({ unit: 'token', submits: 1, bytesRead: 4 });
      expect(sampled!.per!.dispatches).toBe(decode!.per!.dispatches);
      expect(vote?.per?.unit).toBe('vote');
      expect(vote!.per!.dispatches).toBeGreaterThan(0);
    }
  });
});
