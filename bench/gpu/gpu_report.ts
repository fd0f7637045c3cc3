/** The GPU benchmark's table (Markdown), from its rows and the run's facts. */
import { cell, fmt, SWIFTSHADER_NOTE } from '../report';
import type { GpuMode, GpuRow } from './gpu_cases';

export interface GpuRunMeta {
  mode: GpuMode;
  startedAt: string;
  durationS: number;
  adapter: string;
  software: boolean;
  node: string;
  cpu: string;
  loadAverage: number[];
  models: string[];
  reps: number;
  warmup: number;
  command: string;
  failures: string[];
  /** Cases not started because the time budget was spent. */
  skipped: string[];
}

export function gpuMarkdown(rows: readonly GpuRow[], meta: GpuRunMeta): string {
  const out: string[] = [];
  out.push(`## Duelbook GPU bench, Node + Dawn (${meta.mode}) — ${meta.startedAt.replace('T', ' ').slice(0, 16)} UTC`, '');
  if (meta.software) out.push(`> **${SWIFTSHADER_NOTE}.** This adapter is a CPU rasteriser.`, '');
  out.push(`- Adapter: ${meta.adapter}`);
  out.push(`- Node ${meta.node}; ${meta.cpu}; load average ${meta.loadAverage.map((x) => x.toFixed(2)).join(' / ')}`);
  out.push(`- Models: ${meta.models.join('; ')}`);
  out.push(`- Each row: median of ${meta.reps} repetitions after ${meta.warmup} warm-up. Ours only (no peers on this machine). Per-unit device work from the backend's counters, one untimed repetition.`, '');
  out.push('| case | model | value | unit | dispatches | submits | bytes read | bytes written | per | shapes |');
  out.push('|---|---|---:|---|---:|---:|---:|---:|---|---|');
  for (const r of rows) {
    const p = r.per;
    out.push(
      `| ${cell(r.case)} | ${cell(r.model)} | ${fmt(r.value)} | ${r.unit} | ${p ? fmt(p.dispatches) : ''} | ${p ? fmt(p.submits) : ''} | ${p ? fmt(p.bytesRead) : ''} | ${p ? fmt(p.bytesWritten) : ''} | ${p?.unit ?? ''} | ${cell(r.shapes)} |`,
    );
  }
  out.push('', 'Notes:');
  for (const r of rows) out.push(`- ${cell(r.case)} (${cell(r.model)}): ${r.notes.map(cell).join('; ')}`);
  if (meta.skipped.length) out.push('', `**Skipped for time:** ${meta.skipped.join(', ')}`);
  if (meta.failures.length) {
    out.push('', '**Failures:**');
    for (const f of meta.failures) out.push(`- ${cell(f.split('\n')[0]!)}`);
  }
  out.push('', `(${meta.durationS.toFixed(0)} s; \`${meta.command}\`)`);
  return out.join('\n');
}
