/**
 * One interface for every judge. The simulated annotators (`Judge` in ../annotators) answer at
 * once; model judges run onnxruntime-web in a worker and answer later, so the common shape is
 * the asynchronous one: `judge(prompt, a, b) → Promise<Judgement>` with a shown first.
 */
import type { Judge, Judgement, JudgeOutcome } from '../annotators/annotator.ts';

export type { Judgement, JudgeOutcome };

export interface AsyncJudge {
  /** What votes by this judge record as their judge (`Judgement.annotatorId`). */
  readonly id: string;
  /** P(a ≻ b), P(tie) and a verdict for the pair shown as (a first, b second). */
  judge(prompt: string, a: string, b: string): Promise<Judgement>;
}

/** How a judge is shown the two answers (see position_bias.ts). */
export type PositionMode = 'fixed' | 'random' | 'both';

/** One order's verdict, kept on judgements that looked at the pair more than once. */
export interface OrderedVerdict {
  /** P(first shown ≻ second shown). */
  pFirst: number;
  pTie: number;
  /** The verdict in a/b labels (not positions). */
  outcome: JudgeOutcome;
}

/** A `Judgement` with what a position-aware or model judge adds. */
export interface ModelJudgement extends Judgement {
  positionMode?: PositionMode;
  /** 'random': whether b was shown first. */
  swapped?: boolean;
  /** 'both': the verdicts with a first and with b first, and whether they agree. */
  orders?: { aFirst: OrderedVerdict; bFirst: OrderedVerdict };
  consistent?: boolean;
}

/** Lifts a synchronous judge (simulated annotator, pool) into the async interface. */
export function asAsyncJudge(judge: Judge, id: string): AsyncJudge {
  return {
    id,
    judge: async (prompt, a, b) => judge.judge(prompt, a, b),
  };
}
