/**
 * What the "what you seem to prefer" panel says, from the engine's principle estimates: one row
 * per axis in words (which way the reward model leans, how sure it is, what the person said),
 * and what the Duel says a person's critique was understood as. Plain functions over the
 * engine's results and the log: no Svelte, unit-tested in Node.
 */
import type { CritiqueReading, PrincipleEstimate, PrincipleVerdict } from '../engine/api';
import { PRINCIPLE_AXES, isPrincipleId, principleById, type PrincipleAxis } from '../engine/principles/index';
import { HUMAN_JUDGE, lastUndoable, type SessionEvent } from '../session/index';

export { PRINCIPLE_VERDICTS, type PrincipleVerdict } from '../engine/api';

export interface PreferenceRow {
  axis: string;
  /** What the axis measures ("answer length"). */
  axisLabel: string;
  /** Reward per spread (> 0 prefers more of the axis's feature) and its 95 % interval. */
  weight: number;
  low: number;
  high: number;
  /** The way the weight leans, in words: a pole's label, or "more/less X" on a one-pole axis. */
  leaning: string;
  /** The principle "Yes" confirms: the leaning pole; null when no pole says it (or no lean yet). */
  confirmId: string | null;
  /** The principle "No" rejects; rejecting pins the axis's weight to 0 whichever pole it names. */
  rejectId: string | null;
  /** The interval excludes 0: the model is fairly sure of the direction. */
  likely: boolean;
  /** σ(|weight|): how often, other things equal, the answer one spread further the leaning way wins. */
  winChance: number;
  /** What the person said about this axis, and the sentence that shows it. */
  stated: { principleId: string; verdict: Exclude<PrincipleVerdict, 'clear'>; text: string } | null;
}

const AXES: ReadonlyMap<string, PrincipleAxis> = new Map(PRINCIPLE_AXES.map((a) => [a.id, a]));

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** A principle id's label ("shorter answers"), or the id itself when this Duelbook does not know it. */
export function principleLabel(principleId: string): string {
  return isPrincipleId(principleId) ? principleById(principleId).label : principleId;
}

/** "you said: yes, shorter answers". */
export function statedText(principleId: string, verdict: Exclude<PrincipleVerdict, 'clear'>): string {
  return `you said: ${verdict === 'confirm' ? 'yes' : 'no'}, ${principleLabel(principleId)}`;
}

/** One panel row per estimate, in the engine's order (strongest first). */
export function preferenceRows(estimates: readonly PrincipleEstimate[] | null): PreferenceRow[] {
  return (estimates ?? []).map(preferenceRow);
}

export function preferenceRow(estimate: PrincipleEstimate): PreferenceRow {
  const axis = AXES.get(estimate.axis);
  const poles = axis?.poles ?? [];
  const axisLabel = axis?.label ?? estimate.axis;
  const sign = Math.sign(estimate.weight);
  let leaning: string;
  let confirmId: string | null = null;
  let rejectId: string | null = null;
  if (sign === 0 || Number.isNaN(sign)) {
    leaning = `no lean yet on ${axisLabel}`;
  } else if (poles.length === 1) {
    // One pole ("less repetition"): the other way has no principle to confirm, but "No" still
    // pins the weight to 0, as rejecting the lean would.
    const pole = poles[0]!;
    leaning = `${sign > 0 ? 'more' : 'less'} ${axisLabel}`;
    confirmId = pole.direction === sign ? pole.id : null;
    rejectId = pole.id;
  } else {
    const pole = poles.find((p) => p.direction === sign);
    leaning = pole?.label ?? `${sign > 0 ? 'more' : 'less'} ${axisLabel}`;
    confirmId = pole?.id ?? null;
    rejectId = pole?.id ?? null;
  }
  const stated = estimate.stated ? { ...estimate.stated, text: statedText(estimate.stated.principleId, estimate.stated.verdict) } : null;
  return {
    axis: estimate.axis,
    axisLabel,
    weight: estimate.weight,
    low: estimate.low,
    high: estimate.high,
    leaning,
    confirmId,
    rejectId,
    likely: estimate.low > 0 || estimate.high < 0,
    winChance: sigmoid(Math.abs(estimate.weight)),
    stated,
  };
}

/** The half-width of the panel's weight scale: every interval fits, and at least ±2 so small weights read small. */
export function weightScale(rows: readonly PreferenceRow[]): number {
  let max = 2;
  for (const r of rows) max = Math.max(max, Math.abs(r.low), Math.abs(r.high));
  return Number.isFinite(max) ? Math.ceil(max) : 2;
}

/** The critique of a duel's last vote and what it was understood as. */
export interface ShownCritique {
  /** The vote that carried it. */
  seq: number;
  critique: string;
  /** Null until the engine has reduced the vote. */
  reading: CritiqueReading | null;
}

/**
 * The critique of `cellId`'s last effective vote when a person cast it as a pairwise vote (the
 * only critiques the engine reads), with the engine's reading of it; null otherwise.
 */
export function lastCritique(events: readonly SessionEvent[], cellId: string, readings: ReadonlyMap<number, CritiqueReading>): ShownCritique | null {
  const vote = lastUndoable(events, cellId);
  if (!vote || vote.type !== 'vote' || vote.kind !== 'pair' || vote.judge !== HUMAN_JUDGE) return null;
  const critique = vote.critique?.trim() ?? '';
  if (critique === '') return null;
  return { seq: vote.seq, critique, reading: readings.get(vote.seq) ?? null };
}

/** What the Duel says under a vote with a critique, from the engine's reading of it. */
export function critiqueSentence(shown: ShownCritique & { reading: CritiqueReading }): string {
  const { understood, syntheticPairs } = shown.reading;
  // The engine's sentence already says "not understood: why" for a critique nothing matched.
  const read = understood.startsWith('not understood') ? understood : `understood as ${understood}`;
  const trained = syntheticPairs > 0 ? `; ${syntheticPairs} synthetic ${syntheticPairs === 1 ? 'pair' : 'pairs'} from it trained the policy` : '';
  return `Your critique “${shown.critique}”: ${read}${trained}.`;
}
