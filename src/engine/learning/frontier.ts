/**
 * Reading a simulation's outcome the way the learning issue's bar does: a win rate alone can be
 * won by collapse, so a run only counts as learning when the win is significant AND the policy
 * stayed fluent (close to the reference in KL, English words and bigram variety).
 */
import type { RunVerdict, SimulationFluency } from '../api';

/** The fluency bar: what "staying fluent" means for the verdict (issue #7). */
export const FLUENCY_BAR = {
  /** Mean sequence KL(π‖π_ref) in nats on the evaluation samples. */
  maxKl: 40,
  /** Policy English-word rate ≥ this × the reference's. */
  minEnglishRatio: 0.9,
  /** Policy distinct-2 ≥ this × the reference's. */
  minDistinct2Ratio: 0.8,
} as const;

export interface VerdictInput {
  win_rate_ci: readonly [number, number];
  kl: number;
  fluency: SimulationFluency;
}

/** Which of the fluency checks a run fails (empty = fluent). */
export function fluencyFailures(run: VerdictInput): string[] {
  const f = run.fluency;
  const out: string[] = [];
  if (!(run.kl <= FLUENCY_BAR.maxKl)) out.push(`KL ${run.kl.toFixed(1)} > ${FLUENCY_BAR.maxKl} nats`);
  if (f.policy_english_rate !== null && f.reference_english_rate !== null && f.policy_english_rate < FLUENCY_BAR.minEnglishRatio * f.reference_english_rate) {
    out.push(`English-word rate ${f.policy_english_rate.toFixed(3)} < ${FLUENCY_BAR.minEnglishRatio} × reference ${f.reference_english_rate.toFixed(3)}`);
  }
  if (!(f.policy_distinct2 >= FLUENCY_BAR.minDistinct2Ratio * f.reference_distinct2)) {
    out.push(`distinct-2 ${f.policy_distinct2.toFixed(3)} < ${FLUENCY_BAR.minDistinct2Ratio} × reference ${f.reference_distinct2.toFixed(3)}`);
  }
  return out;
}

/**
 * - learning: the win rate's 95 % interval is above ½ and the policy is fluent;
 * - no learning: fluent, but the interval includes ½ (or lies below it);
 * - collapse: it wins, but by leaving fluency behind (repeated words, KL blow-up);
 * - degraded: it lost fluency without winning.
 */
export function runVerdict(run: VerdictInput): RunVerdict {
  const fluent = fluencyFailures(run).length === 0;
  const wins = run.win_rate_ci[0] > 0.5;
  if (fluent) return wins ? 'learning' : 'no learning';
  return wins ? 'collapse' : 'degraded';
}
