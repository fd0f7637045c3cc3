/**
 * Position bias: a judge that sees (a, b) may lean towards whichever answer is shown first.
 * Three ways to show a pair (`PositionMode`):
 * - 'fixed': always a first — cheapest, and the bias goes straight into the vote;
 * - 'random': a seeded coin decides the order — the bias becomes noise, not a systematic lean;
 * - 'both': judge both orders; p = (p_AB + 1 − p_BA)/2 (order-swap debiasing, where p_BA is
 *   P(b ≻ a) with b shown first) and the verdict stands only if both orders agree — if they
 *   disagree the vote is a tie (the policy of MT-Bench's "swap positions" judging,
 *   Zheng et al. 2023).
 */
import type { Judgement, JudgeOutcome } from '../annotators/annotator.ts';
import { Rng, type RngSeed } from '../rng.ts';
import { JudgeError } from './errors.ts';
import type { AsyncJudge, ModelJudgement, OrderedVerdict, PositionMode } from './types.ts';

export const POSITION_MODES: readonly PositionMode[] = ['fixed', 'random', 'both'];

/**
 * Order-swap debiasing: pAFirst = P(a ≻ b) with a shown first, pBFirst = P(b ≻ a) with b shown
 * first. A judge whose only flaw is an additive lean ε towards the first slot reports
 * p + ε and (1 − p) + ε; the average (p + ε + 1 − (1 − p + ε))/2 = p removes it.
 */
export function debiasOrderSwap(pAFirst: number, pBFirst: number): number {
  for (const [name, p] of [['pAFirst', pAFirst], ['pBFirst', pBFirst]] as const) {
    if (!(p >= 0 && p <= 1)) throw new RangeError(`${name} must be a probability in [0, 1], got ${p}`);
  }
  return (pAFirst + 1 - pBFirst) / 2;
}

/** The outcome with a and b exchanged ('tie' and 'bothbad' stay). */
export function mirrorOutcome(o: JudgeOutcome): JudgeOutcome {
  return o === 'a' ? 'b' : o === 'b' ? 'a' : o;
}

/**
 * The 'both' verdict from the two orders' verdicts, both in a/b labels: the same verdict stands;
 * any disagreement (including decisive vs. tie) is a tie.
 */
export function combineOrderVerdicts(aFirst: JudgeOutcome, bFirst: JudgeOutcome): JudgeOutcome {
  return aFirst === bFirst ? aFirst : 'tie';
}

/** A judgement of the pair shown as (b, a), re-expressed for (a, b). */
export function unswapJudgement(shownBFirst: Judgement): Judgement {
  return {
    ...shownBFirst,
    pAB: 1 - shownBFirst.pAB,
    outcome: mirrorOutcome(shownBFirst.outcome),
    scores: { a: shownBFirst.scores.b, b: shownBFirst.scores.a },
  };
}

/** Which order to show the pair in: true = b first. 'both' is handled by the caller. */
export function drawSwap(mode: Exclude<PositionMode, 'both'>, rng: Rng): boolean {
  return mode === 'random' ? rng.next() < 0.5 : false;
}

/** Wraps any judge so that pairs are shown according to a position mode. */
export class PositionAwareJudge implements AsyncJudge {
  readonly id: string;
  private readonly rng: Rng;

  constructor(
    private readonly inner: AsyncJudge,
    readonly mode: PositionMode,
    seed: RngSeed = 0,
  ) {
    if (!POSITION_MODES.includes(mode)) throw new JudgeError('BAD_REQUEST', `unknown position mode "${String(mode)}" (use ${POSITION_MODES.join(', ')})`);
    this.id = inner.id;
    this.rng = new Rng(seed).fork('position');
  }

  async judge(prompt: string, a: string, b: string): Promise<ModelJudgement> {
    if (this.mode !== 'both') {
      const swapped = drawSwap(this.mode, this.rng);
      if (!swapped) return { ...(await this.inner.judge(prompt, a, b)), positionMode: this.mode, swapped: false };
      const j = unswapJudgement(await this.inner.judge(prompt, b, a));
      return { ...j, positionMode: this.mode, swapped: true, critique: j.critique && `(shown B first) ${j.critique}` };
    }
    const ab = await this.inner.judge(prompt, a, b);
    const ba = await this.inner.judge(prompt, b, a);
    const aFirst: OrderedVerdict = { pFirst: ab.pAB, pTie: ab.pTie, outcome: ab.outcome };
    const bFirst: OrderedVerdict = { pFirst: ba.pAB, pTie: ba.pTie, outcome: mirrorOutcome(ba.outcome) };
    const outcome = combineOrderVerdicts(aFirst.outcome, bFirst.outcome);
    const consistent = aFirst.outcome === bFirst.outcome;
    const j: ModelJudgement = {
      pAB: debiasOrderSwap(ab.pAB, ba.pAB),
      // The two orders' tie probabilities, averaged; a disagreement makes the *verdict* a tie.
      pTie: (ab.pTie + ba.pTie) / 2,
      outcome,
      scores: ab.scores,
      annotatorId: ab.annotatorId,
      positionMode: 'both',
      orders: { aFirst, bFirst },
      consistent,
    };
    if (ab.critique !== undefined) {
      j.critique = consistent ? ab.critique : `The two orders disagree (A first: ${aFirst.outcome}, B first: ${bFirst.outcome}), so the vote is a tie. ${ab.critique}`;
    }
    return j;
  }
}
