/**
 * What a duel needs to know about its judge, as pure functions: the id its votes record, the
 * default configs offered when a person switches judge, how a judge's scores become thumbs,
 * the speeds an automatic judge can vote at, and short critiques of scored sets.
 */
import type { AnnotatorConfig, JudgeConfig } from '../session/index';
import type { AnnotatorCriterion } from '../engine/api';

export type JudgeKind = JudgeConfig['kind'];

/** The criteria the engine's simulated annotators score by (the engine's list). */
export { ANNOTATOR_CRITERIA, type AnnotatorCriterion } from '../engine/api';

/** The fluency judge shipped in models/judges/fluency (served by the app next to the default model). */
export const SHIPPED_JUDGE_URL = 'models/judges/fluency/model.onnx';

/** What a vote by this judge records as `judge`. */
export function judgeId(judge: JudgeConfig): string {
  switch (judge.kind) {
    case 'human':
      return 'human';
    case 'simulated':
      return judge.annotator.id;
    case 'onnx':
      return judge.id;
  }
}

/** Knobs each criterion needs (passed to the engine in `params`), with usable defaults. */
export function defaultAnnotatorParams(criterion: string): AnnotatorConfig['params'] {
  switch (criterion) {
    case 'length':
      return { targetWords: 12 };
    case 'keyword':
      return { keywords: 'good, happy, love' };
    default:
      return undefined;
  }
}

export function defaultAnnotator(criterion: AnnotatorCriterion = 'sentiment', seed = 1): AnnotatorConfig {
  const params = defaultAnnotatorParams(criterion);
  // AlpacaFarm's simulated labellers flip a quarter of their labels; zero bias is the honest default.
  return { id: `${criterion}-sim`, criterion, labelNoise: 0.25, positionBias: 0, seed, ...(params ? { params } : {}) };
}

/** The config a judge selector switches to (keeping the current one when the kind is unchanged). */
export function defaultJudge(kind: JudgeKind, current?: JudgeConfig): JudgeConfig {
  if (current?.kind === kind) return current;
  switch (kind) {
    case 'human':
      return { kind: 'human' };
    case 'simulated':
      return { kind: 'simulated', annotator: defaultAnnotator() };
    case 'onnx':
      return { kind: 'onnx', id: 'fluency', modelUrl: SHIPPED_JUDGE_URL };
  }
}

/**
 * How a judge's scores become thumbs. A criterion with a meaningful zero or scale gets an
 * absolute bar; a judge whose scores only mean something relative to each other (the
 * length annotator's distance to a target, an ONNX judge's Bradley–Terry score, whose offset
 * is arbitrary) gives a thumbs up to candidates above the median of the prompt's candidates.
 */
export type ThumbsRule =
  /** Up when the score is above `bar` (or equal to it, when `inclusive`). */
  | { kind: 'above'; bar: number; inclusive: boolean; why: string }
  | { kind: 'median'; why: string };

export function thumbsRule(judge: JudgeConfig): ThumbsRule {
  if (judge.kind === 'simulated') {
    switch (judge.annotator.criterion) {
      case 'sentiment':
        return { kind: 'above', bar: 0, inclusive: false, why: 'positive sentiment (AFINN score above 0)' };
      case 'keyword':
        return { kind: 'above', bar: 0, inclusive: false, why: 'mentions at least one keyword' };
      case 'readability':
        // Flesch's own band: 60–70 is "plain English".
        return { kind: 'above', bar: 60, inclusive: true, why: 'Flesch reading ease of at least 60 (plain English)' };
    }
  }
  return { kind: 'median', why: 'scores above the median of this prompt’s candidates' };
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Thumbs for a scored set. 'above': up when the score clears the bar. 'median': up when
 * strictly above the median (so ties at the median get a thumbs down); with a single
 * candidate there is nothing to compare with, so the bar is 0 (σ(score) > ½ for a logit score).
 */
export function thumbsFromScores(scores: readonly number[], rule: ThumbsRule): boolean[] {
  if (rule.kind === 'above') {
    return scores.map((s) => (rule.inclusive ? s >= rule.bar : s > rule.bar));
  }
  const bar = scores.length === 1 ? 0 : median(scores);
  return scores.map((s) => s > bar);
}

/** Delays between an automatic judge's votes: how long each verdict stays highlighted. */
export const JUDGE_SPEEDS: readonly { delayMs: number; label: string }[] = [
  { delayMs: 0, label: 'As fast as possible' },
  { delayMs: 250, label: '4 votes a second' },
  { delayMs: 500, label: '2 votes a second' },
  { delayMs: 1000, label: '1 vote a second' },
  { delayMs: 2000, label: '1 vote every 2 s' },
  { delayMs: 5000, label: '1 vote every 5 s' },
];

export const DEFAULT_JUDGE_DELAY_MS = 1000;

function formatScore(score: number): string {
  if (!Number.isFinite(score)) return String(score);
  const abs = Math.abs(score);
  // Four significant digits: enough for a reader to see why two close candidates were split.
  return abs !== 0 && (abs < 0.01 || abs >= 1000) ? score.toExponential(3) : String(Number(score.toPrecision(4)));
}

/** One line saying what a judge scored each candidate (letters as shown: A, B, C…). */
export function scoresCritique(judgeName: string, scores: readonly number[]): string {
  const parts = scores.map((s, i) => `${candidateLetter(i)} ${formatScore(s)}`);
  return `${judgeName} scores ${parts.join(', ')}`;
}

/** A, B, … Z, then 27, 28… (a duel shows at most 16). */
export function candidateLetter(index: number): string {
  return index < 26 ? String.fromCharCode(65 + index) : String(index + 1);
}
