/** The benchmark's outputs: a JSON file with every row and a Markdown table (printed and saved). */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchRow, Mode } from './types';

export interface RunMeta {
  mode: Mode;
  startedAt: string;
  finishedAt: string;
  durationS: number;
  /** The WebGPU adapter the browser cases ran on, or null if none ran. */
  adapter: string | null;
  swiftShader: boolean;
  cpu: string;
  loadAverage: { start: number[]; end: number[] };
  chromium: string | null;
  ortVersion: string | null;
  ortThreads: number;
  crossOriginIsolated: boolean | null;
  policy: { name: string; fallback: boolean; params: number; onnx: string; note: string };
  /** Set when the WebGPU model cases ran a stand-in (--quick on a software adapter). */
  gpuPolicy: { name: string; fallback: boolean; params: number; onnx: string; note: string } | null;
  reps: number;
  warmup: number;
  command: string;
  failures: string[];
}

export const SWIFTSHADER_NOTE = 'SwiftShader: checks that the benchmark runs; not GPU speed';

export function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a >= 1e4) return Math.round(x).toLocaleString('en-US');
  if (a >= 100) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  if (a === 0) return '0';
  return x.toPrecision(3);
}

export function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** `<date>-<adapter>` with a counter when a run of the same day and adapter already exists. */
export function resultPath(dir: string, meta: RunMeta): string {
  const date = meta.startedAt.slice(0, 10);
  const slug = (meta.adapter ?? 'cpu-only')
    .replace(/^WebGPU:\s*/, '')
    .replace(/\(software\)/, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60) || 'unknown-adapter';
  const suffix = meta.mode === 'full' ? '' : `-${meta.mode}`;
  let p = join(dir, `${date}-${slug}${suffix}.json`);
  for (let k = 2; existsSync(p); k++) p = join(dir, `${date}-${slug}${suffix}-${k}.json`);
  return p;
}

/** 1a, 1b, … 2a: the case number and a letter per row within it. */
function rowIds(rows: readonly BenchRow[]): string[] {
  const seen = new Map<number, number>();
  return rows.map((r) => {
    const k = seen.get(r.group) ?? 0;
    seen.set(r.group, k + 1);
    return `${r.group}${String.fromCharCode(97 + (k % 26))}`;
  });
}

export function markdown(rows: readonly BenchRow[], meta: RunMeta): string {
  const out: string[] = [];
  out.push(`## Duelbook bench (${meta.mode}) — ${meta.startedAt.replace('T', ' ').slice(0, 16)} UTC`);
  out.push('');
  if (meta.swiftShader) out.push(`> **${SWIFTSHADER_NOTE}.** Every WebGPU number below ran on a CPU rasteriser.`, '');
  if (meta.policy.fallback) out.push(`> **${meta.policy.note}.** Model cases measured a random tiny GPT-2, not the shipped policy.`, '');
  if (meta.gpuPolicy) out.push(`> **${meta.gpuPolicy.note}.**`, '');
  out.push(`- WebGPU adapter: ${meta.adapter ?? '(browser cases not run)'}`);
  out.push(`- ${meta.cpu}; load average at start ${meta.loadAverage.start.map((x) => x.toFixed(2)).join(' / ')}, at end ${meta.loadAverage.end.map((x) => x.toFixed(2)).join(' / ')}`);
  if (meta.chromium) out.push(`- ${meta.chromium}; onnxruntime-web ${meta.ortVersion ?? '?'}, WASM threads ${meta.ortThreads}, cross-origin isolated: ${meta.crossOriginIsolated ? 'yes' : 'no'}`);
  out.push(`- Policy: ${meta.policy.name} (${meta.policy.params.toLocaleString('en-US')} params); ONNX for the peers: ${meta.policy.onnx}`);
  if (meta.gpuPolicy) out.push(`- WebGPU model cases ran: ${meta.gpuPolicy.name} (${meta.gpuPolicy.params.toLocaleString('en-US')} params)`);
  out.push(
    `- Each timed row: median of ${meta.reps} repetitions after ${meta.warmup} warm-up, ours and its peer interleaved in this run. ` +
      'ratio = ours / peer; read it with the "better" column (higher-is-better units: ratio > 1 means ours wins; ms and MiB: ratio < 1 means ours wins). ' +
      'Compare ratios only within one run.',
  );
  out.push('');
  out.push('| # | case | ours | peer | unit | ratio | better | ours ran on | peer (ran on) | shapes |');
  out.push('|---|---|---:|---:|---|---:|---|---|---|---|');
  const ids = rowIds(rows);
  rows.forEach((r, i) => {
    out.push(
      `| ${ids[i]} | ${cell(r.case)} | ${fmt(r.ours)} | ${fmt(r.peer)} | ${r.unit} | ${fmt(r.ratio)} | ${r.better} | ${cell(r.adapter)} | ${cell(r.peerName)} (${cell(r.peerAdapter)}) | ${cell(r.shapes)} |`,
    );
  });
  out.push('');
  out.push('Notes:');
  rows.forEach((r, i) => {
    const notes = r.notes.filter((n) => n !== SWIFTSHADER_NOTE && n !== meta.policy.note && n !== meta.gpuPolicy?.note);
    if (notes.length) out.push(`- ${ids[i]} ${cell(r.case)}: ${notes.map(cell).join('; ')}`);
  });
  if (meta.failures.length) {
    out.push('', '**Failures:**');
    for (const f of meta.failures) out.push(`- ${cell(f)}`);
  }
  out.push('', `(${meta.durationS.toFixed(0)} s; \`${meta.command}\`)`);
  return out.join('\n');
}

export function writeResults(dir: string, rows: readonly BenchRow[], meta: RunMeta): { json: string; md: string } {
  mkdirSync(dir, { recursive: true });
  const json = resultPath(dir, meta);
  writeFileSync(json, JSON.stringify({ meta, rows }, null, 2) + '\n');
  const md = json.replace(/\.json$/, '.md');
  writeFileSync(md, markdown(rows, meta) + '\n');
  return { json, md };
}
