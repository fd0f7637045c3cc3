/**
 * What a duel shows of relabelling: after a pairwise vote, the engine's log reducer samples fresh
 * pairs for the same prompt (seeded by the vote), lets the loop's mixture (the reward model
 * weighed against the explanations) label them, and trains
 * the policy on the confident ones as synthetic votes (RLHF Workflow's online iterative DPO with
 * AI feedback; nothing is logged as a vote). The duel only summarises the engine's result.
 *
 * Kept apart on purpose: the duel reaches it through `syntheticAfter` (one call, after a pairwise
 * vote is learned) and the `SyntheticStatus` type alone, so relabelling can move wholly into the
 * engine by deleting this file.
 */
import type { ReduceResult } from '../engine/api';

/** Synthetic pairs the loop's mixture labelled for the policy (never logged as votes). */
export interface SyntheticStatus {
  /** Synthetic pairs in the policy's training data since the model was loaded (the engine's count). */
  pairs: number;
  /** Judged feedback items in it, for comparison (the engine's count). */
  judgedItems: number;
  /** Optimizer steps taken right after synthetic pairs, this page. */
  steps: number;
  /** After the latest vote: pairs tried, accepted, and why the last rejected one was. */
  lastTried: number;
  lastAccepted: number;
  lastRejectedReason: string | null;
}

const emptySynthetic = (): SyntheticStatus => ({ pairs: 0, judgedItems: 0, steps: 0, lastTried: 0, lastAccepted: 0, lastRejectedReason: null });

/**
 * What the engine's relabelling did after the last vote: the status with this vote's pairs and
 * their optimizer steps counted in. Null when it relabelled nothing.
 */
export function syntheticAfter(result: ReduceResult, before: SyntheticStatus | null): SyntheticStatus | null {
  const relabels = result.reduced.flatMap((x) => x.relabels ?? []);
  if (relabels.length === 0) return null;
  const accepted = relabels.filter((r) => r.accepted).length;
  const rejected = relabels.find((r) => !r.accepted);
  const steps = (before ?? emptySynthetic()).steps;
  return {
    pairs: result.syntheticPairs,
    judgedItems: result.votesTrained,
    steps: steps + relabels.reduce((n, r) => n + r.steps, 0),
    lastTried: relabels.length,
    lastAccepted: accepted,
    lastRejectedReason: rejected?.rejectedReason ?? null,
  };
}
