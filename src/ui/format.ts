/** Number formatting shared by the cells. */
import { HUMAN_JUDGE } from '../session/index';

export function formatNumber(x: number | null | undefined, digits = 3): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  if (x !== 0 && (Math.abs(x) >= 1e5 || Math.abs(x) < 1e-3)) return x.toExponential(2);
  return x.toFixed(digits);
}

export function formatPercent(x: number | null | undefined, digits = 1): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  return `${(x * 100).toFixed(digits)}%`;
}

/** 124 000 000 → "124M". */
export function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return String(n);
}

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(1)} MB`;
  if (n >= 1024) return `${(n / 1024).toFixed(0)} KB`;
  return `${n} B`;
}

/** An annotator as the page names them (`annotatorOf`'s ids): "human:Ada" → "Ada", "human" → "you"; judges keep their ids. */
export function annotatorLabel(annotator: string): string {
  if (annotator === HUMAN_JUDGE) return 'you';
  return annotator.startsWith(`${HUMAN_JUDGE}:`) ? annotator.slice(HUMAN_JUDGE.length + 1) : annotator;
}
