/**
 * The reward model put to use by the online learner (CPU backend, tiny random GPT-2): active
 * pair selection by ensemble disagreement, best-of-n with an optional pessimism term, and
 * relabelling of fresh pairs into the policy's replay buffer as synthetic votes (labelled by the
 * loop's mixture of the reward model and the explanations, src/engine/learning/explanations.ts).
 *
 * Expected values are recomputed here from the reward ensemble's own per-candidate estimates
 * (`preference`, `reward` on the reference pass's features), so each test checks the learner's
 * selection rule and wiring, not the ensemble's arithmetic (tests/unit/reward.test.ts does that).
 */
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/engine/backends/cpu';
import { scoreSequences } from '../../src/engine/batch';
import { OnlineLearner } from '../../src/engine/learning/online';
import { EXPLANATION_LAPSE } from '../../src/engine/learning/explanations';
import { referencePass } from '../../src/engine/learning/reference_pass';
import { DEFAULT_TRAINER } from '../../src/engine/learning/trainer';
import { GPT2Model } from '../../src/engine/model/gpt2';
import { Rng } from '../../src/engine/rng';
import { TINY_CONFIG, randomWeights } from '../support/tiny_model';

function learner(stepsPerVote = 1) {
  const be = new CpuBackend();
  const weights = randomWeights(TINY_CONFIG, 8, 0.2);
  return new OnlineLearner(new GPT2Model(be, TINY_CONFIG, weights), new GPT2Model(be, TINY_CONFIG, weights), {
    ...DEFAULT_TRAINER,
    lr: 3e-3,
    stepsPerVote,
    batchSize: 4,
  });
}

const PROMPT = [1, 2, 3];

/** K distinct seeded completions of 2–5 tokens inside the tiny vocabulary. */
function candidates(k: number, seed: number): number[][] {
  const rng = new Rng(seed);
  return Array.from({ length: k }, (_, i) => [10 + i, ...Array.from({ length: 1 + rng.int(4) }, () => 1 + rng.int(TINY_CONFIG.vocabSize - 2))]);
}

/** A few judged votes so the heads are no longer just their random priors. */
async function someVotes(l: OnlineLearner, n = 4): Promise<void> {
  const c = candidates(2 * n, 99);
  for (let v = 0; v < n; v++) {
    await l.feedback({ prompt: '', promptIds: PROMPT, aIds: c[2 * v]!, bIds: c[2 * v + 1]!, outcome: v % 2 === 0 ? 'a' : 'b', train: false });
  }
}

async function logRatio(l: OnlineLearner, ids: number[]): Promise<number> {
  const seq = [[...PROMPT, ...ids]];
  const p = await scoreSequences(l.policy, seq, [PROMPT.length]);
  const r = await scoreSequences(l.reference, seq, [PROMPT.length]);
  return p.sums[0]! - r.sums[0]!;
}

describe('active pair selection', () => {
  it('returns the pair whose P(i ≻ j) has the largest std over heads, the same on a replay', async () => {
    const l = learner();
    await someVotes(l);
    const cands = candidates(6, 5);
    const pick = await l.selectPair(PROMPT, cands);

    const { features } = await referencePass(l.reference, PROMPT, cands);
    const stds: { i: number; j: number; std: number; pAB: number }[] = [];
    for (let i = 0; i < cands.length; i++) {
      for (let j = i + 1; j < cands.length; j++) {
        const p = l.rewardModel.preference(features[i]!, features[j]!);
        stds.push({ i, j, std: p.std, pAB: p.pAB });
      }
    }
    const best = stds.reduce((a, b) => (b.std > a.std ? b : a));
    // Not a degenerate case: the pairs really differ in disagreement.
    expect(Math.min(...stds.map((s) => s.std))).toBeLessThan(best.std * 0.9);
    expect({ i: pick.i, j: pick.j }).toEqual({ i: best.i, j: best.j });
    expect(pick.std).toBeCloseTo(best.std, 12);
    expect(pick.pAB).toBeCloseTo(best.pAB, 12);

    const again = learner();
    await someVotes(again);
    expect(await again.selectPair(PROMPT, cands)).toEqual(pick);
  });
});

describe('best-of-n with the reward model', () => {
  it('scores every candidate in the order given and picks the highest mean', async () => {
    const l = learner();
    await someVotes(l);
    const cands = candidates(5, 7);
    const pick = await l.bestOfN(PROMPT, cands, 0);
    const { features } = await referencePass(l.reference, PROMPT, cands);
    features.forEach((f, i) => {
      const r = l.rewardModel.reward(f);
      expect(pick.rewards[i]).toBeCloseTo(r.mean, 12);
      expect(pick.stds[i]).toBeCloseTo(r.std, 12);
    });
    expect(pick.index).toBe(pick.rewards.indexOf(Math.max(...pick.rewards)));
    // Reversing the candidates reverses the scores and moves the pick with its candidate.
    const reversed = await l.bestOfN(PROMPT, [...cands].reverse(), 0);
    for (let i = 0; i < cands.length; i++) expect(reversed.rewards[i]).toBeCloseTo(pick.rewards[cands.length - 1 - i]!, 10);
    expect(reversed.index).toBe(cands.length - 1 - pick.index);
  });

  it('pessimism (mean − k·std) passes over a high-mean candidate the heads disagree on', async () => {
    const l = learner();
    await someVotes(l);
    // A candidate set whose plain winner is not also the most certain candidate (else no k could
    // change the pick): the first such among a few seeded draws.
    let cands = candidates(8, 11);
    let plain = await l.bestOfN(PROMPT, cands, 0);
    for (let seed = 12; seed < 40 && plain.stds.indexOf(Math.min(...plain.stds)) === plain.index; seed++) {
      cands = candidates(8, seed);
      plain = await l.bestOfN(PROMPT, cands, 0);
    }
    const leastStd = plain.stds.indexOf(Math.min(...plain.stds));
    expect(leastStd).not.toBe(plain.index);
    // Smallest k at which some candidate's lower bound overtakes the plain winner's.
    let k = Infinity;
    plain.rewards.forEach((m, i) => {
      const dStd = plain.stds[plain.index]! - plain.stds[i]!;
      if (i !== plain.index && dStd > 0) k = Math.min(k, (plain.rewards[plain.index]! - m) / dStd);
    });
    expect(Number.isFinite(k)).toBe(true);
    const below = await l.bestOfN(PROMPT, cands, k * 0.5);
    expect(below.index).toBe(plain.index);
    const above = await l.bestOfN(PROMPT, cands, k * 1.5 + 1e-9);
    expect(above.index).not.toBe(plain.index);
    const lcb = above.rewards.map((m, i) => m - above.pessimism * above.stds[i]!);
    expect(above.index).toBe(lcb.indexOf(Math.max(...lcb)));
    expect(above.stds[above.index]!).toBeLessThan(plain.stds[plain.index]!);
  });
});

describe('relabelling by the loop\'s mixture (synthetic votes)', () => {
  it('rejects every pair before the reward model has seen a vote', async () => {
    const l = learner();
    const [a, b] = candidates(2, 3);
    const r = await l.relabel({ promptIds: PROMPT, aIds: a!, bIds: b!, minConfidence: 0.5, maxStd: 0.5, train: true });
    expect(r.accepted).toBe(false);
    expect(r.rejectedReason).toMatch(/no votes/);
    expect(r.bufferSize).toBe(0);
  });

  it('below the confidence or agreement bound nothing enters the buffer; above it the pair trains the policy as a synthetic vote', async () => {
    const l = learner(2);
    await someVotes(l);
    const judged = l.trainer.bufferLength;
    expect(judged).toBe(4);
    const [a, b] = candidates(2, 21);
    const votesBefore = l.rewardModel.summary.votes;

    // The label is the loop's own call (the reward model weighed against the explanations, as
    // rewardPredict reports it) without the vote's lapse: reported = lapse/2 + (1 − lapse)·label.
    const reported = await l.rewardPredict(PROMPT, a!, b!);
    const prequentialBefore = l.explained.prequential.summary();

    // A confidence of 1 is never reached by a sigmoid: rejected, buffer unchanged, no steps.
    const low = await l.relabel({ promptIds: PROMPT, aIds: a!, bIds: b!, minConfidence: 1, maxStd: 0.5, train: true });
    expect(reported.pAB).toBeCloseTo(EXPLANATION_LAPSE / 2 + (1 - EXPLANATION_LAPSE) * low.pAB, 12);
    expect(low.accepted).toBe(false);
    expect(low.rejectedReason).toMatch(/confidence/);
    expect(low.confidence).toBeCloseTo(Math.max(low.pAB, 1 - low.pAB), 12);
    expect(low.steps).toEqual([]);
    expect(low.bufferSize).toBe(judged);
    expect(low.syntheticPairs).toBe(0);

    // The mixture is never certain (its models' posteriors and the heads have spread): a zero std bound rejects.
    const split = await l.relabel({ promptIds: PROMPT, aIds: a!, bIds: b!, minConfidence: 0.5, maxStd: 0, train: true });
    expect(split.accepted).toBe(false);
    expect(split.rejectedReason).toMatch(/disagree/);
    expect(split.bufferSize).toBe(judged);

    const chosen = low.preferred === 'a' ? a! : b!;
    const rejected = low.preferred === 'a' ? b! : a!;
    const marginBefore = (await logRatio(l, chosen)) - (await logRatio(l, rejected));
    const ok = await l.relabel({ promptIds: PROMPT, aIds: a!, bIds: b!, minConfidence: 0.5, maxStd: 0.5, train: true });
    expect(ok.accepted).toBe(true);
    expect(ok.preferred).toBe(low.preferred);
    expect(ok.bufferSize).toBe(judged + 1);
    expect(ok.steps).toHaveLength(2);
    expect(ok.syntheticPairs).toBe(1);
    expect(ok.judgedItems).toBe(4);
    // The DPO steps moved the policy towards the mixture's choice.
    const marginAfter = (await logRatio(l, chosen)) - (await logRatio(l, rejected));
    expect(marginAfter).toBeGreaterThan(marginBefore);
    // Neither the reward model nor the explanations learned from their own label.
    expect(l.rewardModel.summary.votes).toBe(votesBefore);
    expect(l.explained.prequential.summary()).toEqual(prequentialBefore);

    // Without train, the pair still enters the buffer, and the counters keep counting.
    const [c, d] = candidates(2, 22);
    const quiet = await l.relabel({ promptIds: PROMPT, aIds: c!, bIds: d!, minConfidence: 0.5, maxStd: 0.5, train: false });
    expect(quiet.accepted).toBe(true);
    expect(quiet.steps).toEqual([]);
    expect(quiet.syntheticPairs).toBe(2);
    const judgedAgain = await l.feedback({ prompt: '', promptIds: PROMPT, aIds: c!, bIds: d!, outcome: 'a', train: false });
    expect(judgedAgain.bufferSize).toBe(judged + 3);
    const counts = await l.relabel({ promptIds: PROMPT, aIds: c!, bIds: d!, minConfidence: 1, maxStd: 0.5, train: false });
    expect(counts.judgedItems).toBe(5);
    expect(counts.syntheticPairs).toBe(2);
  });
});
