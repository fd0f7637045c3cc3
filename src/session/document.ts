/**
 * Creating and editing session documents. Every function here is pure: it returns a new
 * document and leaves its argument as it was, so the state layer can keep the previous
 * document for undo and comparison, and a failed edit leaves the open session untouched.
 *
 * Edits are checked against the schema; an edit that would make the document invalid throws a
 * `SessionEditError` (a programming or input error the caller should have prevented, e.g. by
 * enforcing `SESSION_LIMITS` in the form), and the document stays as it was.
 */
import * as v from 'valibot';
import packageJson from '../../package.json';
import type { IdGenerator } from './ids.ts';
import { formatSessionIssue } from './issues.ts';
import { SESSION_LIMITS, formatCount } from './limits.ts';
import {
  CELL_CONFIG_SCHEMAS,
  CURRENT_SESSION_VERSION,
  CellSchema,
  SESSION_FORMAT,
  type CellConfigOf,
  type CellKind,
  type CellOf,
  type SessionCell,
  type SessionDocument,
} from './schema.ts';

export const APP_VERSION: string = packageJson.version;

export class SessionEditError extends Error {
  override name = 'SessionEditError';
}

export interface CreateSessionOptions {
  title?: string;
  /** Epoch milliseconds; defaults to now. */
  now?: number;
  cells?: readonly SessionCell[];
}

/** An empty (or pre-filled) session of the current version. */
export function createSession(options: CreateSessionOptions = {}): SessionDocument {
  const at = new Date(options.now ?? Date.now()).toISOString();
  const doc: SessionDocument = {
    format: SESSION_FORMAT,
    version: CURRENT_SESSION_VERSION,
    metadata: { title: options.title ?? 'Untitled session', createdAt: at, updatedAt: at, appVersion: APP_VERSION },
    cells: [],
    events: [],
  };
  let result = doc;
  for (const cell of options.cells ?? []) result = insertCell(result, cell, undefined, options.now);
  return result;
}

/** Defaults a new cell of each kind starts with: the values TRL and Chatbot Arena use. */
export function defaultCellConfig<K extends CellKind>(kind: K): CellConfigOf<K> {
  const configs: { [Kind in CellKind]: CellConfigOf<Kind> } = {
    policy: { source: { kind: 'default' }, backend: 'auto' },
    prompts: { source: { kind: 'shipped', set: 'default' }, order: 'sequential' },
    duel: {
      mode: 'pairwise',
      candidatesPerPrompt: 2,
      judge: { kind: 'human' },
      sampling: { temperature: 0.8, topK: 50, topP: 0.95, maxTokens: 64 },
      seed: 1,
    },
    // β 0.5, lr 1e-4, 2 steps per vote: the setting measured to learn without collapsing within
    // a few hundred votes on the shipped model (README, "A simulated experiment, measured");
    // lr ≤ 3e-5 barely moves a 4M-parameter policy in 20 votes.
    train: {
      objective: 'sigmoid',
      beta: 0.5,
      epsilon: 0,
      lr: 1e-4,
      stepsPerVote: 2,
      batchSize: 8,
      bufferSize: 1_000,
      updateAfterEveryVote: true,
    },
    arena: { tieModel: 'half', pairSelection: 'uniform', bootstrapRounds: 1_000, seed: 42 },
    simulate: {
      annotator: { id: 'sim-sentiment', criterion: 'sentiment', labelNoise: 0, positionBias: 0, seed: 7 },
      objective: 'sigmoid',
      beta: 0.5,
      lr: 1e-4,
      votes: 200,
      seed: 1,
    },
    note: { text: '' },
  };
  return structuredClone(configs[kind]) as CellConfigOf<K>;
}

/** A new cell with a fresh id and the default config (or the one given). */
export function createCell<K extends CellKind>(
  kind: K,
  nextId: IdGenerator,
  init: { title?: string; config?: CellConfigOf<K> } = {},
): CellOf<K> {
  const cell = { id: nextId(), kind, config: init.config ?? defaultCellConfig(kind) } as CellOf<K>;
  if (init.title !== undefined) cell.title = init.title;
  return validateCell(cell);
}

/**
 * A notebook ready for the core loop: a policy, prompts, a duel between two candidates judged
 * by a person, online DPO after every vote, and an arena over policy snapshots.
 */
export function createStarterSession(nextId: IdGenerator, options: Omit<CreateSessionOptions, 'cells'> = {}): SessionDocument {
  const policy = createCell('policy', nextId, { title: 'Policy' });
  const prompts = createCell('prompts', nextId, { title: 'Prompts' });
  const duel = createCell('duel', nextId, {
    title: 'Duel',
    config: { ...defaultCellConfig('duel'), policyCellId: policy.id, promptsCellId: prompts.id },
  });
  const train = createCell('train', nextId, {
    title: 'Online DPO',
    config: { ...defaultCellConfig('train'), duelCellId: duel.id, policyCellId: policy.id },
  });
  const arena = createCell('arena', nextId, {
    title: 'Arena',
    config: { ...defaultCellConfig('arena'), duelCellId: duel.id },
  });
  return createSession({ ...options, cells: [policy, prompts, duel, train, arena] });
}

/** Inserts `cell` at `index` (default: at the end). */
export function insertCell(doc: SessionDocument, cell: SessionCell, index?: number, now?: number): SessionDocument {
  if (doc.cells.length >= SESSION_LIMITS.maxCells) {
    throw new SessionEditError(`A session holds at most ${formatCount(SESSION_LIMITS.maxCells)} cells.`);
  }
  const valid = validateCell(cell);
  if (doc.cells.some((existing) => existing.id === valid.id)) {
    throw new SessionEditError(`A cell with id "${valid.id}" already exists.`);
  }
  const at = index === undefined ? doc.cells.length : clampIndex(index, doc.cells.length);
  const cells = [...doc.cells.slice(0, at), valid, ...doc.cells.slice(at)];
  return touch({ ...doc, cells }, now);
}

export interface CellPatch<K extends CellKind = CellKind> {
  title?: string | undefined;
  collapsed?: boolean | undefined;
  config?: CellConfigOf<K>;
}

/** Replaces a cell's title, collapsed flag or config. A key set to `undefined` removes it. */
export function updateCell<K extends CellKind>(
  doc: SessionDocument,
  cellId: string,
  patch: CellPatch<K>,
  now?: number,
): SessionDocument {
  const index = indexOfCell(doc, cellId);
  const current = doc.cells[index]!;
  const next: Record<string, unknown> = { ...current };
  for (const key of ['title', 'collapsed', 'config'] as const) {
    if (!(key in patch)) continue;
    if (patch[key] === undefined) {
      if (key === 'config') throw new SessionEditError('A cell must have a config.');
      delete next[key];
    } else next[key] = patch[key];
  }
  const valid = validateCell(next);
  const cells = doc.cells.map((cell, i) => (i === index ? valid : cell));
  return touch({ ...doc, cells }, now);
}

/** Removes a cell. Its events stay in the log: the log is append-only. */
export function removeCell(doc: SessionDocument, cellId: string, now?: number): SessionDocument {
  const index = indexOfCell(doc, cellId);
  return touch({ ...doc, cells: doc.cells.filter((_, i) => i !== index) }, now);
}

/** Moves a cell to position `toIndex` (clamped to the list). */
export function moveCell(doc: SessionDocument, cellId: string, toIndex: number, now?: number): SessionDocument {
  const from = indexOfCell(doc, cellId);
  const cells = [...doc.cells];
  const [cell] = cells.splice(from, 1);
  cells.splice(clampIndex(toIndex, cells.length), 0, cell!);
  return touch({ ...doc, cells }, now);
}

export function renameSession(doc: SessionDocument, title: string, now?: number): SessionDocument {
  if (title.length > SESSION_LIMITS.maxTitleChars) {
    throw new SessionEditError(`A title may be at most ${SESSION_LIMITS.maxTitleChars} characters.`);
  }
  return touch({ ...doc, metadata: { ...doc.metadata, title } }, now);
}

export function findCell<K extends CellKind>(doc: SessionDocument, cellId: string, kind?: K): CellOf<K> | undefined {
  const cell = doc.cells.find((c) => c.id === cellId);
  if (cell === undefined || (kind !== undefined && cell.kind !== kind)) return undefined;
  return cell as CellOf<K>;
}

/** Sets `metadata.updatedAt` (and the writing app version). */
export function touch(doc: SessionDocument, now: number = Date.now()): SessionDocument {
  return { ...doc, metadata: { ...doc.metadata, updatedAt: new Date(now).toISOString(), appVersion: APP_VERSION } };
}

/**
 * Prompts from a pasted text area: separated by one or more blank lines, so a prompt may span
 * several lines. Surrounding whitespace is trimmed and empty prompts dropped.
 */
export function splitPastedPrompts(text: string): string[] {
  return text
    .split(/\r?\n[ \t]*\r?\n/)
    .map((prompt) => prompt.trim())
    .filter((prompt) => prompt !== '');
}

function validateCell<C>(cell: C): C & SessionCell {
  const result = v.safeParse(CellSchema, cell);
  if (!result.success) throw new SessionEditError(formatSessionIssue(result.issues[0], 'cell'));
  return result.output as C & SessionCell;
}

function indexOfCell(doc: SessionDocument, cellId: string): number {
  const index = doc.cells.findIndex((cell) => cell.id === cellId);
  if (index === -1) throw new SessionEditError(`No cell has id "${cellId}".`);
  return index;
}

function clampIndex(index: number, length: number): number {
  return Math.max(0, Math.min(length, Math.trunc(index)));
}

/** The config schema for a kind, for forms that validate a draft config field by field. */
export function cellConfigSchema<K extends CellKind>(kind: K): (typeof CELL_CONFIG_SCHEMAS)[K] {
  return CELL_CONFIG_SCHEMAS[kind];
}
