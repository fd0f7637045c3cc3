/**
 * Reading a simulation's outcome the way the learning issue's bar does: a win rate alone can be
 * won by collapse, so a run only counts as learning when the win is significant AND the policy
 * stayed fluent (close to the reference in KL, English words and bigram variety) AND diverse as
 * a set (most completions distinct, not much shorter than the reference's).
 */
import type { RunVerdict, SimulationFluency } from '../api';
import { distinctCompletions, distinctN, doubledWordRate, englishWordRate, meanWords, repetitionRate, selfSimilarity } from '../stats';

/** The fluency bar: what "staying fluent" means for the verdict (issues #7 and #11). */
export const FLUENCY_BAR = {
  /** Mean sequence KL(π‖π_ref) in nats on the evaluation samples. */
  maxKl: 40,
  /** Policy English-word rate ≥ this × the reference's. */
  minEnglishRatio: 0.9,
  /** Policy distinct-2 ≥ this × the reference's. */
  minDistinct2Ratio: 0.8,
  /**
   * Share of the policy's evaluation completions that are distinct (80 of 100): an absolute
   * bar, since the reference's is ~0.99 and mode collapse is what it catches.
   */
  minDistinctCompletions: 0.8,
  /** Policy mean length in words ≥ this × the reference's (a collapse onto one short phrase fails). */
  minMeanWordsRatio: 0.5,
} as const;

export interface VerdictInput {
  win_rate_ci: readonly [number, number];
  kl: number;
  fluency: SimulationFluency;
}

/** The set-level diversity fields of SimulationFluency (one list: the stored result and the re-verdict script read it too). */
export const SET_DIVERSITY_KEYS = [
  'policy_distinct_completions',
  'reference_distinct_completions',
  'policy_mean_words',
  'reference_mean_words',
  'policy_self_similarity',
  'reference_self_similarity',
] as const satisfies readonly (keyof SimulationFluency)[];

/** The set-level diversity half of SimulationFluency, from the evaluation completions. */
export type SetDiversity = Pick<SimulationFluency, (typeof SET_DIVERSITY_KEYS)[number]>;

/** Distinct completions, mean length and self-similarity of the policy's and the reference's texts. */
export function setDiversity(policyTexts: readonly string[], referenceTexts: readonly string[]): SetDiversity {
  return {
    policy_distinct_completions: distinctCompletions(policyTexts),
    reference_distinct_completions: distinctCompletions(referenceTexts),
    policy_mean_words: meanWords(policyTexts),
    reference_mean_words: meanWords(referenceTexts),
    policy_self_similarity: selfSimilarity(policyTexts),
    reference_self_similarity: selfSimilarity(referenceTexts),
  };
}

/** Every fluency number of a run's evaluation samples (English-word rate only with a word list). */
export function evaluationFluency(policyTexts: readonly string[], referenceTexts: readonly string[], englishWords?: ReadonlySet<string>): SimulationFluency {
  return {
    policy_english_rate: englishWords ? englishWordRate(policyTexts, englishWords) : null,
    reference_english_rate: englishWords ? englishWordRate(referenceTexts, englishWords) : null,
    policy_distinct2: distinctN(policyTexts, 2),
    reference_distinct2: distinctN(referenceTexts, 2),
    policy_repetition: repetitionRate(policyTexts),
    reference_repetition: repetitionRate(referenceTexts),
    ...setDiversity(policyTexts, referenceTexts),
    policy_doubled_words: doubledWordRate(policyTexts),
    reference_doubled_words: doubledWordRate(referenceTexts),
  };
}

const fmt = (x: number | null | undefined, d = 3): string => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(d) : 'n/a');

/** The bar's checks, in the order they are reported; the last two are issue #11's set-level rules. */
export const FLUENCY_CHECKS = ['kl', 'english', 'distinct2', 'distinct_completions', 'mean_words'] as const;
export type FluencyCheck = (typeof FLUENCY_CHECKS)[number];

export interface FluencyFailure {
  check: FluencyCheck;
  message: string;
}

/**
 * The fluency checks a run fails, named (empty = fluent). A number that is missing or NaN fails
 * its check (nothing measured is not evidence of fluency), except the English-word rate, which
 * is null where no word list was given (the browser worker) and then skipped.
 */
export function failedFluencyChecks(run: VerdictInput): FluencyFailure[] {
  const f = run.fluency;
  const out: FluencyFailure[] = [];
  if (!(run.kl <= FLUENCY_BAR.maxKl)) out.push({ check: 'kl', message: `KL ${fmt(run.kl, 1)} > ${FLUENCY_BAR.maxKl} nats` });
  if (f.policy_english_rate !== null && f.reference_english_rate !== null && f.policy_english_rate < FLUENCY_BAR.minEnglishRatio * f.reference_english_rate) {
    out.push({ check: 'english', message: `English-word rate ${f.policy_english_rate.toFixed(3)} < ${FLUENCY_BAR.minEnglishRatio} × reference ${f.reference_english_rate.toFixed(3)}` });
  }
  if (!(f.policy_distinct2 >= FLUENCY_BAR.minDistinct2Ratio * f.reference_distinct2)) {
    out.push({ check: 'distinct2', message: `distinct-2 ${fmt(f.policy_distinct2)} < ${FLUENCY_BAR.minDistinct2Ratio} × reference ${fmt(f.reference_distinct2)}` });
  }
  if (!(f.policy_distinct_completions >= FLUENCY_BAR.minDistinctCompletions)) {
    out.push({ check: 'distinct_completions', message: `distinct completions ${fmt(f.policy_distinct_completions, 2)} < ${FLUENCY_BAR.minDistinctCompletions}` });
  }
  if (!(f.policy_mean_words >= FLUENCY_BAR.minMeanWordsRatio * f.reference_mean_words)) {
    out.push({ check: 'mean_words', message: `mean length ${fmt(f.policy_mean_words, 2)} words < ${FLUENCY_BAR.minMeanWordsRatio} × reference ${fmt(f.reference_mean_words, 2)}` });
  }
  return out;
}

/** Which of the fluency checks a run fails, as messages (empty = fluent). */
export function fluencyFailures(run: VerdictInput): string[] {
  return failedFluencyChecks(run).map((x) => x.message);
}

/** The verdict a significant (or not) win and a fluent (or not) policy make. */
export function verdictOf(wins: boolean, fluent: boolean): RunVerdict {
  if (fluent) return wins ? 'learning' : 'no learning';
  return wins ? 'collapse' : 'degraded';
}

/**
 * - learning: the win rate's 95 % interval is above ½ and the policy is fluent;
 * - no learning: fluent, but the interval includes ½ (or lies below it);
 * - collapse: it wins, but by leaving fluency behind (repeated words, KL blow-up, the same
 *   short completion for most prompts);
 * - degraded: it lost fluency without winning.
 */
export function runVerdict(run: VerdictInput): RunVerdict {
  return verdictOf(run.win_rate_ci[0] > 0.5, failedFluencyChecks(run).length === 0);
}
