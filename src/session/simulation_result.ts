/**
 * A Simulate cell's stored result: the worker's summary of a run, thinned to the schema's
 * limits (`StoredSimulationResultSchema`) and kept on the cell beside its config, so a reload,
 * an export or a share link shows the curves without running the simulation again.
 */
import { SET_DIVERSITY_KEYS } from '../engine/learning/frontier.ts';
import * as v from 'valibot';
import { SessionEditError, touch } from './document.ts';
import { formatSessionIssue } from './issues.ts';
import { SESSION_LIMITS as L } from './limits.ts';
import { StoredSimulationResultSchema, type SessionDocument, type StoredSimulationResult } from './schema.ts';

/**
 * A summary as `boundSimulationResult` takes it: the engine's `SimulationSummary` (whose fields
 * the stored schema is checked against) or a result already stored (nullable numbers, optional
 * fluency and verdict, and optional set-level diversity numbers in both).
 */
export type SimulationSummaryLike = Omit<StoredSimulationResult, 'completedAt'>;

const finiteOrNull = (x: number | null): number | null => (x !== null && Number.isFinite(x) ? x : null);

/**
 * The listed optional numbers of `from` that it has, non-finite ones as null; a field it lacks
 * (a result stored before the field existed) stays absent rather than turning into null.
 */
function optionalNumbers<T extends object, K extends keyof T & string>(from: T, keys: readonly K[]): Partial<Record<K, number | null>> {
  const out: Partial<Record<K, number | null>> = {};
  for (const k of keys) {
    const x: unknown = from[k];
    if (typeof x === 'number' || x === null) out[k] = finiteOrNull(x);
  }
  return out;
}

function clip(text: string): string {
  return text.length <= L.maxSimulationSampleChars ? text : `${text.slice(0, L.maxSimulationSampleChars - 1)}…`;
}

/** Up to `max` indices of `n`, evenly spread, always keeping the first and the last. */
function evenIndices(n: number, max: number): number[] {
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  return Array.from({ length: max }, (_, k) => Math.round((k * (n - 1)) / (max - 1)));
}

/**
 * A summary as the document can hold it: the curves thinned to at most
 * `SESSION_LIMITS.maxSimulationPoints` evenly spaced points (first and last kept), the first
 * `maxSimulationSamples` samples with texts clipped to `maxSimulationSampleChars`, and
 * non-finite losses and margins as null (JSON has no NaN).
 */
export function boundSimulationResult(summary: SimulationSummaryLike, completedAt: number = Date.now()): StoredSimulationResult {
  const series = evenIndices(summary.series.length, L.maxSimulationPoints).map((i) => {
    const p = summary.series[i]!;
    return {
      vote: p.vote,
      loss: finiteOrNull(p.loss),
      margin: finiteOrNull(p.margin),
      rmPrequentialAccuracy: finiteOrNull(p.rmPrequentialAccuracy),
      recentDistinct2: finiteOrNull(p.recentDistinct2),
      recentRepetition: finiteOrNull(p.recentRepetition),
      ...optionalNumbers(p, ['recentDistinctCompletions', 'recentMeanWords', 'recentSelfSimilarity', 'recentDoubledWords']),
    };
  });
  const samples = summary.samples.slice(0, L.maxSimulationSamples).map((s) => ({ prompt: clip(s.prompt), policy: clip(s.policy), reference: clip(s.reference) }));
  return {
    completedAt: new Date(completedAt).toISOString(),
    win_rate: summary.win_rate,
    win_rate_ci: [summary.win_rate_ci[0], summary.win_rate_ci[1]],
    wins: summary.wins,
    losses: summary.losses,
    ties: summary.ties,
    kl: summary.kl,
    rm_prequential_accuracy: finiteOrNull(summary.rm_prequential_accuracy),
    rm_prequential_accuracy_last100: finiteOrNull(summary.rm_prequential_accuracy_last100),
    ...(summary.rm_fixed_pairs_accuracy !== undefined ? { rm_fixed_pairs_accuracy: finiteOrNull(summary.rm_fixed_pairs_accuracy) } : {}),
    ...(summary.rm_fixed_pairs !== undefined ? { rm_fixed_pairs: summary.rm_fixed_pairs } : {}),
    ...(summary.synthetic_pairs !== undefined ? { synthetic_pairs: summary.synthetic_pairs } : {}),
    votes: summary.votes,
    decisive_votes: summary.decisive_votes,
    optimizer_steps: summary.optimizer_steps,
    seconds: summary.seconds,
    ...(summary.fluency
      ? {
          fluency: {
            policy_english_rate: finiteOrNull(summary.fluency.policy_english_rate),
            reference_english_rate: finiteOrNull(summary.fluency.reference_english_rate),
            policy_distinct2: finiteOrNull(summary.fluency.policy_distinct2),
            reference_distinct2: finiteOrNull(summary.fluency.reference_distinct2),
            policy_repetition: finiteOrNull(summary.fluency.policy_repetition),
            reference_repetition: finiteOrNull(summary.fluency.reference_repetition),
            ...optionalNumbers(summary.fluency, SET_DIVERSITY_KEYS),
            ...optionalNumbers(summary.fluency, ['policy_doubled_words', 'reference_doubled_words']),
          },
        }
      : {}),
    ...(summary.verdict ? { verdict: summary.verdict } : {}),
    series,
    samples,
  };
}

/**
 * Stores (or, with `undefined`, clears) a Simulate cell's result. Throws SessionEditError, and
 * leaves the document as it was, when the cell is not a Simulate cell or the result breaks a
 * limit (pass it through `boundSimulationResult` first).
 */
export function setSimulationResult(doc: SessionDocument, cellId: string, result: StoredSimulationResult | undefined, now?: number): SessionDocument {
  const index = doc.cells.findIndex((c) => c.id === cellId);
  const cell = doc.cells[index];
  if (!cell) throw new SessionEditError(`No cell has id "${cellId}".`);
  if (cell.kind !== 'simulate') throw new SessionEditError(`Cell "${cellId}" is a ${cell.kind} cell, not a Simulate cell.`);
  let next: typeof cell;
  if (result === undefined) {
    const { result: _dropped, ...rest } = cell;
    next = rest;
  } else {
    const parsed = v.safeParse(StoredSimulationResultSchema, result);
    if (!parsed.success) throw new SessionEditError(formatSessionIssue(parsed.issues[0], 'result'));
    next = { ...cell, result: parsed.output };
  }
  return touch({ ...doc, cells: doc.cells.map((c, i) => (i === index ? next : c)) }, now);
}
