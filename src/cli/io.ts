import { readFile } from 'node:fs/promises';

/** What a command may touch, injectable so tests run commands in-process. */
export interface CliIO {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  readFile: (path: string) => Promise<string>;
  /** True when stderr is a terminal (progress bars are drawn only then). */
  isTTY: boolean;
}

export const processIO: CliIO = {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  readFile: (p) => readFile(p, 'utf8'),
  isTTY: !!process.stderr.isTTY,
};

export class UsageError extends Error {
  override name = 'UsageError';
}

export function parseNumber(name: string, value: string | undefined, fallback: number, opts: { int?: boolean; min?: number; max?: number } = {}): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || (opts.int && !Number.isInteger(n))) throw new UsageError(`--${name} must be ${opts.int ? 'an integer' : 'a number'}, got "${value}"`);
  if (opts.min !== undefined && n < opts.min) throw new UsageError(`--${name} must be ≥ ${opts.min}`);
  if (opts.max !== undefined && n > opts.max) throw new UsageError(`--${name} must be ≤ ${opts.max}`);
  return n;
}
