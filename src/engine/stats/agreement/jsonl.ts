/**
 * Annotation JSONL, one `{"item": ID, "annotator": NAME, "label": VALUE}` object per line, and
 * gold JSONL, one `{"item": ID, "label": VALUE}` per line. Strict: every line that is not a JSON
 * object with those fields (item a non-empty string or a finite number, annotator a non-empty
 * string, label a non-empty string or a finite number) is an error naming its line; other fields
 * are ignored. Fields are read as own properties only, so a line cannot borrow `item` from
 * Object.prototype. One annotator labelling one item twice is an error on the later line (the
 * first line is the one kept when the caller skips invalid lines).
 */
import type { AgreementLabel, Annotation, ItemId } from './reliability_data.ts';

export interface LineError {
  line: number;
  message: string;
}

export interface ParsedAnnotations {
  annotations: Annotation[];
  errors: LineError[];
  /** Non-blank lines read. */
  lines: number;
}

function field(record: Record<string, unknown>, name: string): unknown {
  return Object.hasOwn(record, name) ? record[name] : undefined;
}

type Checked<T> = { ok: true; value: T } | { ok: false; error: string };

/** JSON.parse turns 1e400 into Infinity: finite numbers only. */
function itemId(value: unknown): Checked<ItemId> {
  if (typeof value === 'number') return Number.isFinite(value) ? { ok: true, value } : { ok: false, error: '"item" must be a finite number or a non-empty string' };
  if (typeof value === 'string') return value.length > 0 ? { ok: true, value } : { ok: false, error: '"item" must not be empty' };
  return { ok: false, error: value === undefined ? 'missing "item"' : '"item" must be a string or a number' };
}

function label(value: unknown): Checked<AgreementLabel> {
  if (typeof value === 'number') return Number.isFinite(value) ? { ok: true, value } : { ok: false, error: '"label" must be a finite number or a non-empty string' };
  if (typeof value === 'string') return value.length > 0 ? { ok: true, value } : { ok: false, error: '"label" must not be empty' };
  return { ok: false, error: value === undefined ? 'missing "label"' : '"label" must be a string or a number' };
}

/** Shows a user value inside an error message, cut to a readable length. */
function shown(value: ItemId): string {
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** Visits the non-blank lines of `text` as parsed JSON objects; errors for the rest. */
function eachObject(text: string, errors: LineError[], visit: (record: Record<string, unknown>, line: number) => void): number {
  let lines = 0;
  let at = 0;
  let line = 0;
  while (at <= text.length) {
    let end = text.indexOf('\n', at);
    if (end < 0) end = text.length;
    line++;
    const trimmed = text.slice(at, end).trim();
    at = end + 1;
    if (trimmed.length === 0) continue;
    lines++;
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch (e) {
      errors.push({ line, message: `invalid JSON (${(e as Error).message})` });
      continue;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      errors.push({ line, message: 'expected a JSON object' });
      continue;
    }
    visit(value as Record<string, unknown>, line);
  }
  return lines;
}

export function parseAnnotationJsonl(text: string): ParsedAnnotations {
  const annotations: Annotation[] = [];
  const errors: LineError[] = [];
  // annotator → item → the line that labelled it.
  const seen = new Map<string, Map<ItemId, number>>();
  const lines = eachObject(text, errors, (record, line) => {
    const checkedItem = itemId(field(record, 'item'));
    if (!checkedItem.ok) return void errors.push({ line, message: checkedItem.error });
    const item = checkedItem.value;
    const annotator = field(record, 'annotator');
    if (typeof annotator !== 'string' || annotator.length === 0) {
      return void errors.push({ line, message: annotator === undefined ? 'missing "annotator"' : '"annotator" must be a non-empty string' });
    }
    const checkedLabel = label(field(record, 'label'));
    if (!checkedLabel.ok) return void errors.push({ line, message: checkedLabel.error });
    let items = seen.get(annotator);
    if (!items) seen.set(annotator, (items = new Map()));
    const earlier = items.get(item);
    if (earlier !== undefined) {
      return void errors.push({ line, message: `annotator ${shown(annotator)} already labelled item ${shown(item)} on line ${earlier}` });
    }
    items.set(item, line);
    annotations.push({ item, annotator, label: checkedLabel.value });
  });
  return { annotations, errors, lines };
}

export interface ParsedGold {
  gold: Map<ItemId, AgreementLabel>;
  errors: LineError[];
  lines: number;
}

export function parseGoldJsonl(text: string): ParsedGold {
  const gold = new Map<ItemId, AgreementLabel>();
  const lineOf = new Map<ItemId, number>();
  const errors: LineError[] = [];
  const lines = eachObject(text, errors, (record, line) => {
    const checkedItem = itemId(field(record, 'item'));
    if (!checkedItem.ok) return void errors.push({ line, message: checkedItem.error });
    const item = checkedItem.value;
    const checkedLabel = label(field(record, 'label'));
    if (!checkedLabel.ok) return void errors.push({ line, message: checkedLabel.error });
    const earlier = lineOf.get(item);
    if (earlier !== undefined) return void errors.push({ line, message: `item ${shown(item)} already has a gold label on line ${earlier}` });
    lineOf.set(item, line);
    gold.set(item, checkedLabel.value);
  });
  return { gold, errors, lines };
}
