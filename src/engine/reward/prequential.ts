/**
 * Prequential ("predict, then learn") evaluation of a preference model (Dawid 1984): each vote
 * is scored with the model as it was BEFORE seeing that vote, so the running accuracy is an
 * honest held-out estimate that needs no separate test set — the headline number of the
 * reward-model cell.
 *
 * A prediction P(a≻b) > ½ that matches the vote counts 1, a mismatch 0, and exactly ½ counts
 * ½ (the expected score of a coin flip, so an untrained model sits at 0.5, not 0 or 1).
 * Ties and "both bad" votes have no winner: they are counted but not scored.
 */
export type DecisiveOutcome = 'a' | 'b';

export interface PrequentialSummary {
  /** Decisive votes scored so far. */
  count: number;
  /** Accuracy over all scored votes (NaN before the first). */
  accuracy: number;
  /** Accuracy over the last `windowSize` scored votes. */
  windowAccuracy: number;
  windowSize: number;
  /** Mean −log P(observed winner), nats; the calibration-aware companion of accuracy. */
  logLoss: number;
  /** Votes seen without a winner (ties, both bad). */
  unscored: number;
}

/** Score of one prediction: 1 right, 0 wrong, ½ for an exact ½. */
export function predictionScore(pA: number, outcome: DecisiveOutcome): number {
  if (pA === 0.5) return 0.5;
  return (pA > 0.5) === (outcome === 'a') ? 1 : 0;
}

/** Mean of `scores[from:to]` (NaN when empty). */
export function prequentialAccuracy(scores: ArrayLike<number>, from = 0, to = scores.length): number {
  const lo = Math.max(0, from < 0 ? scores.length + from : from);
  const hi = Math.min(scores.length, to);
  if (hi <= lo) return NaN;
  let s = 0;
  for (let i = lo; i < hi; i++) s += scores[i]!;
  return s / (hi - lo);
}

export class PrequentialTracker {
  readonly windowSize: number;
  /** Per scored vote: 1, 0 or ½, in order. */
  readonly scores: number[] = [];
  private logLossSum = 0;
  private unscoredCount = 0;

  constructor(windowSize = 50) {
    if (!Number.isInteger(windowSize) || windowSize <= 0) throw new RangeError('windowSize must be a positive integer');
    this.windowSize = windowSize;
  }

  /** Record a prediction made before the model learned from this vote. Returns its score. */
  record(pA: number, outcome: DecisiveOutcome): number {
    const s = predictionScore(pA, outcome);
    this.scores.push(s);
    const pWinner = outcome === 'a' ? pA : 1 - pA;
    this.logLossSum += -Math.log(Math.max(pWinner, 1e-12));
    return s;
  }

  recordUnscored(): void {
    this.unscoredCount++;
  }

  summary(): PrequentialSummary {
    const n = this.scores.length;
    return {
      count: n,
      accuracy: prequentialAccuracy(this.scores),
      windowAccuracy: prequentialAccuracy(this.scores, -this.windowSize),
      windowSize: this.windowSize,
      logLoss: n > 0 ? this.logLossSum / n : NaN,
      unscored: this.unscoredCount,
    };
  }
}
