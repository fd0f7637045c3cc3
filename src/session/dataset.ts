/**
 * Datasets as JSON Lines, in the formats the tools researchers already use:
 *
 * - preference pairs `{"prompt", "chosen", "rejected"}`: TRL's standard preference format
 *   (DPOTrainer, RewardTrainer);
 * - thumbs `{"prompt", "completion", "label"}`: TRL's unpaired preference format (KTOTrainer);
 * - rankings `{"prompt", "completions": [best, …, worst]}`;
 * - battles `{"model_a", "model_b", "winner"}` with winner `model_a | model_b | tie |
 *   tie (bothbad)`: Chatbot Arena's battle format, with policy snapshots as the models.
 *
 * Export reads the effective log (undone votes are left out). Import validates each line with
 * valibot and reports the first bad line by number, e.g. `line 7: "chosen" must be a string`.
 * Extra fields in imported rows are ignored, so files with additional columns still load.
 */
import * as v from 'valibot';
import { annotatorOf } from './annotators.ts';
import { appendEvents, effectiveEvents, votesToPreferencePairs, type NewSessionEvent } from './events.ts';
import type { IdGenerator } from './ids.ts';
import { describeValue, formatRowIssue } from './issues.ts';
import { DATASET_LIMITS as L, SESSION_LIMITS, formatBytes, formatCount } from './limits.ts';
import { jsonTextNestingExceeds, utf8ByteLength } from './parse.ts';
import type { PolicySnapshotRef, SessionDocument, SessionEvent } from './schema.ts';
import { safeFileStem } from './serialize.ts';
import { TranscriptIndex } from './transcript.ts';

// ---------------------------------------------------------------------------------------------
// Row schemas

const rowText = () =>
  v.pipe(
    v.string(),
    v.maxLength(L.maxTextChars, (issue) => `is ${formatCount(Number(issue.received))} characters long; the limit is ${formatCount(L.maxTextChars)}`),
  );

const modelName = () =>
  v.pipe(v.string(), v.minLength(1, 'must not be empty'), v.maxLength(L.maxModelNameChars, `must be at most ${L.maxModelNameChars} characters`));

/**
 * Who gave the label: `"human"`, a simulated annotator's id or a judge's id (the vote's
 * `judge`), so a crowd's export can be split by person or fed to `duelbook agreement`. TRL's
 * trainers ignore columns they do not use; Arena's format calls the same column `judge`.
 */
const annotatorColumn = () => v.optional(modelName());

export const PreferencePairRowSchema = v.object({ prompt: rowText(), chosen: rowText(), rejected: rowText(), annotator: annotatorColumn() });

export const ThumbsRowSchema = v.object({ prompt: rowText(), completion: rowText(), label: v.boolean(), annotator: annotatorColumn() });

export const RankingRowSchema = v.object({
  prompt: rowText(),
  completions: v.pipe(
    v.array(rowText()),
    v.minLength(2, 'must hold at least 2 completions'),
    v.maxLength(L.maxRankedCompletions, `must hold at most ${L.maxRankedCompletions} completions`),
  ),
  annotator: annotatorColumn(),
});

export const BATTLE_WINNERS = ['model_a', 'model_b', 'tie', 'tie (bothbad)'] as const;

export const BattleRowSchema = v.object({
  model_a: modelName(),
  model_b: modelName(),
  winner: v.picklist(BATTLE_WINNERS),
  /** Optional Chatbot Arena columns we also write. */
  question_id: v.optional(v.string()),
  judge: v.optional(v.string()),
  tstamp: v.optional(v.number()),
});

export type PreferencePairRow = v.InferOutput<typeof PreferencePairRowSchema>;
export type ThumbsRow = v.InferOutput<typeof ThumbsRowSchema>;
export type RankingRow = v.InferOutput<typeof RankingRowSchema>;
export type BattleRow = v.InferOutput<typeof BattleRowSchema>;

export type DatasetKind = 'preference' | 'thumbs' | 'ranking' | 'battles';

const ROW_SCHEMAS = {
  preference: PreferencePairRowSchema,
  thumbs: ThumbsRowSchema,
  ranking: RankingRowSchema,
  battles: BattleRowSchema,
} as const;

export interface DatasetRowOf {
  preference: PreferencePairRow;
  thumbs: ThumbsRow;
  ranking: RankingRow;
  battles: BattleRow;
}

// ---------------------------------------------------------------------------------------------
// Export

export interface DatasetExportOptions {
  /** Only votes cast in this cell. */
  cellId?: string;
}

/** TRL preference pairs; rankings contribute every ordered pair, ties and thumbs none. */
export function preferencePairRows(doc: SessionDocument, options: DatasetExportOptions = {}): PreferencePairRow[] {
  return votesToPreferencePairs(doc.events, { ...options, rankings: 'all-pairs' }).map((pair) => ({
    prompt: pair.prompt,
    chosen: pair.chosen,
    rejected: pair.rejected,
    annotator: pair.judge,
  }));
}

/** A vote with its prompt and candidates resolved as they were when it was cast. */
interface ResolvedVote {
  vote: Extract<SessionEvent, { type: 'vote' }>;
  prompt: string;
  text: (candidateId: string) => string | undefined;
  snapshot: (candidateId: string) => PolicySnapshotRef | undefined;
}

function* resolvedVotes(doc: SessionDocument, options: DatasetExportOptions): Generator<ResolvedVote> {
  const transcript = new TranscriptIndex();
  for (const event of effectiveEvents(doc.events)) {
    transcript.add(event);
    if (event.type !== 'vote' || (options.cellId !== undefined && event.cellId !== options.cellId)) continue;
    const prompt = transcript.promptText(event.promptId);
    if (prompt === undefined) continue;
    const promptId = event.promptId;
    yield {
      vote: event,
      prompt,
      text: (id) => transcript.candidate(promptId, id)?.text,
      snapshot: (id) => transcript.candidate(promptId, id)?.policySnapshot,
    };
  }
}

/** KTO rows from thumbs votes. */
export function thumbsRows(doc: SessionDocument, options: DatasetExportOptions = {}): ThumbsRow[] {
  const rows: ThumbsRow[] = [];
  for (const { vote, prompt, text } of resolvedVotes(doc, options)) {
    if (vote.kind !== 'thumbs') continue;
    const completion = text(vote.candidate);
    if (completion !== undefined) rows.push({ prompt, completion, label: vote.up, annotator: annotatorOf(vote) });
  }
  return rows;
}

/** Rankings, best first, from rank votes. */
export function rankingRows(doc: SessionDocument, options: DatasetExportOptions = {}): RankingRow[] {
  const rows: RankingRow[] = [];
  for (const { vote, prompt, text } of resolvedVotes(doc, options)) {
    if (vote.kind !== 'rank') continue;
    const completions = vote.order.map(text);
    if (completions.every((c): c is string => c !== undefined)) rows.push({ prompt, completions, annotator: annotatorOf(vote) });
  }
  return rows;
}

/** How a policy snapshot is named as an arena "model". */
export function snapshotModelName(snapshot: PolicySnapshotRef): string {
  return snapshot.name ?? `step-${snapshot.step}`;
}

/**
 * Chatbot Arena battles from pairwise votes. As in Arena, `model_a` is the candidate shown on
 * the left. Votes between two candidates of the same snapshot are not battles and are skipped.
 */
export function battleRows(doc: SessionDocument, options: DatasetExportOptions = {}): BattleRow[] {
  const rows: BattleRow[] = [];
  for (const { vote, snapshot } of resolvedVotes(doc, options)) {
    if (vote.kind !== 'pair') continue;
    const [leftId, rightId] = vote.shownOrder;
    const left = snapshot(leftId);
    const right = snapshot(rightId);
    if (left === undefined || right === undefined) continue;
    const modelA = snapshotModelName(left);
    const modelB = snapshotModelName(right);
    if (modelA === modelB) continue;
    const winnerId = vote.outcome === 'a' ? vote.a : vote.outcome === 'b' ? vote.b : null;
    const winner: BattleRow['winner'] =
      vote.outcome === 'tie'
        ? 'tie'
        : vote.outcome === 'bothbad'
          ? 'tie (bothbad)'
          : winnerId === leftId
            ? 'model_a'
            : 'model_b';
    rows.push({
      model_a: modelA,
      model_b: modelB,
      winner,
      question_id: vote.promptId,
      judge: annotatorOf(vote),
      tstamp: vote.t / 1000,
    });
  }
  return rows;
}

/** One JSON object per line, keys in the order the format documents them, trailing newline. */
export function toJsonl(rows: readonly object[]): string {
  return rows.map((row) => JSON.stringify(row)).join('\n') + (rows.length > 0 ? '\n' : '');
}

/** The dataset of `kind` drawn from the session, as JSONL text. */
export function exportDatasetJsonl(doc: SessionDocument, kind: DatasetKind, options: DatasetExportOptions = {}): string {
  switch (kind) {
    case 'preference':
      return toJsonl(preferencePairRows(doc, options));
    case 'thumbs':
      return toJsonl(thumbsRows(doc, options));
    case 'ranking':
      return toJsonl(rankingRows(doc, options));
    case 'battles':
      return toJsonl(battleRows(doc, options));
  }
}

/** `<title>.<kind>.jsonl`. */
export function datasetFileName(doc: SessionDocument, kind: DatasetKind): string {
  return `${safeFileStem(doc.metadata.title, 'session')}.${kind}.jsonl`;
}

// ---------------------------------------------------------------------------------------------
// Import

export type JsonlParseResult<Row> = { ok: true; rows: Row[] } | { ok: false; error: string };

export interface JsonlParseOptions {
  maxBytes?: number;
  maxRows?: number;
}

/**
 * Parses JSONL text into rows of `kind`. Blank lines are skipped (but counted, so line numbers
 * match an editor's). Never throws.
 */
export function parseDatasetJsonl<K extends DatasetKind>(
  text: string,
  kind: K,
  options: JsonlParseOptions = {},
): JsonlParseResult<DatasetRowOf[K]> {
  const maxBytes = options.maxBytes ?? L.maxBytes;
  const maxRows = options.maxRows ?? L.maxRows;
  if (text.length > maxBytes || (text.length * 3 > maxBytes && utf8ByteLength(text) > maxBytes)) {
    return { ok: false, error: `This file is larger than the ${formatBytes(maxBytes)} limit.` };
  }
  const schema = ROW_SCHEMAS[kind];
  const rows: DatasetRowOf[K][] = [];
  const lines = text.split('\n');
  for (const [index, rawLine] of lines.entries()) {
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (line.trim() === '') continue;
    const at = `line ${index + 1}`;
    if (rows.length >= maxRows) return { ok: false, error: `${at}: the file has more than ${formatCount(maxRows)} rows` };
    // A row nests 3 deep (a ranking's list); a line of a million `[` would stall JSON.parse.
    if (jsonTextNestingExceeds(line, SESSION_LIMITS.maxJsonDepth)) {
      return { ok: false, error: `${at}: JSON nested more than ${SESSION_LIMITS.maxJsonDepth} levels deep` };
    }
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      return { ok: false, error: `${at}: not valid JSON` };
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return { ok: false, error: `${at}: expected a JSON object, got ${describeValue(value)}` };
    }
    const parsed = v.safeParse(schema, value);
    if (!parsed.success) return { ok: false, error: `${at}: ${formatRowIssue(parsed.issues[0])}` };
    rows.push(parsed.output as DatasetRowOf[K]);
  }
  if (rows.length === 0) return { ok: false, error: 'The file holds no rows.' };
  return { ok: true, rows };
}

/** Reads a JSONL file (size-checked before reading) and parses it. */
export async function importDatasetFile<K extends DatasetKind>(
  file: Blob,
  kind: K,
  options: JsonlParseOptions = {},
): Promise<JsonlParseResult<DatasetRowOf[K]>> {
  const maxBytes = options.maxBytes ?? L.maxBytes;
  if (file.size > maxBytes) {
    return { ok: false, error: `This file is larger than the ${formatBytes(maxBytes)} limit.` };
  }
  return parseDatasetJsonl(await file.text(), kind, options);
}

// ---------------------------------------------------------------------------------------------
// Into a session

/** The snapshot imported candidates are attributed to: they were not written by the policy. */
export const IMPORTED_SNAPSHOT: PolicySnapshotRef = { step: 0, name: 'dataset' };

export interface AppendDatasetOptions {
  /** The duel cell the imported votes belong to. */
  cellId: string;
  nextId: IdGenerator;
  /** Recorded as the votes' judge (default "dataset"). */
  judge?: string;
  now?: number;
}

/**
 * Appends imported rows to the log as prompt, candidates and vote events, so they train the
 * reward model and the policy like votes cast in the app. Returns a new document; throws a
 * `SessionEditError` (leaving `doc` untouched) if the rows would not fit in the session.
 */
export function appendDatasetRows(
  doc: SessionDocument,
  rows: readonly (PreferencePairRow | ThumbsRow | RankingRow)[],
  options: AppendDatasetOptions,
): SessionDocument {
  const judge = options.judge ?? 'dataset';
  const base = { cellId: options.cellId, ...(options.now === undefined ? {} : { t: options.now }) };
  // Imported texts were not sampled; the sampling block only satisfies the event's shape.
  const sampling = { temperature: 0, topK: 0, topP: 1, maxTokens: 1 };
  const events: NewSessionEvent[] = [];
  for (const row of rows) {
    const promptId = options.nextId();
    events.push({ ...base, type: 'prompt', promptId, text: row.prompt });
    const texts = 'chosen' in row ? [row.chosen, row.rejected] : 'completions' in row ? row.completions : [row.completion];
    const candidates = texts.map((text) => ({ id: options.nextId(), text, policySnapshot: { ...IMPORTED_SNAPSHOT } }));
    events.push({ ...base, type: 'candidates', promptId, candidates, seed: 0, sampling });
    const ids = candidates.map((c) => c.id);
    if ('chosen' in row) {
      const [a, b] = [ids[0]!, ids[1]!];
      events.push({ ...base, type: 'vote', kind: 'pair', promptId, a, b, outcome: 'a', shownOrder: [a, b], judge });
    } else if ('completions' in row) {
      events.push({ ...base, type: 'vote', kind: 'rank', promptId, order: ids, judge });
    } else {
      events.push({ ...base, type: 'vote', kind: 'thumbs', promptId, candidate: ids[0]!, up: row.label, judge });
    }
  }
  return appendEvents(doc, events, options.now);
}
