/**
 * The online learner on thumbs, rankings and mixed feedback (CPU backend, tiny random GPT-2).
 *
 * Expected numbers are computed here from the formulas' sources, independently of the trainer:
 * - KTO: TRL `KTOTrainer.kto_loss` (trl/trainer/kto_trainer.py):
 *     kl = (policy_KL_logps − reference_KL_logps).mean().clamp(min=0)   [detached]
 *     chosen_losses   = 1 − σ(β·(ℓ_chosen − kl))
 *     rejected_losses = 1 − σ(β·(kl − ℓ_rejected))
 *     loss = cat(chosen_losses, rejected_losses).mean()
 *   where the KL log-probs are of MISMATCHED (prompt, completion) pairs (TRL's
 *   `_get_kl_dataset` rolls the completions by one within the batch).
 *   At policy = reference, ℓ = 0 and kl = 0, so every loss is 1 − σ(0) = 0.5.
 * - Plackett–Luce: DPO paper (Rafailov et al. 2023) eq. 18, L = −Σ_k [s_k − log Σ_{j≥k} e^{s_j}];
 *   at equal scores it is ln N! (the uniform distribution over N! orders).
 * - LiPO-λ: Liu et al. 2024 eq. 6, L = −Σ_{ψi>ψj} Δij log σ(si − sj),
 *   Δij = |2^ψi − 2^ψj|·|1/log2(1+τi) − 1/log2(1+τj)|.
 */
import { describe, it, expect } from 'vitest';
import { CpuBackend } from '../../src/engine/backends/cpu';
import { GPT2Model } from '../../src/engine/model/gpt2';
import { OnlineLearner, COLLAPSE_WINDOW } from '../../src/engine/learning/online';
import { DEFAULT_TRAINER } from '../../src/engine/learning/trainer';
import { scoreSequences } from '../../src/engine/batch';
import { distinctCompletions, distinctN, doubledWordRate, meanWords, repetitionRate, selfSimilarity } from '../../src/engine/stats';
import { Rng } from '../../src/engine/rng';
import type { TrainerSettings } from '../../src/engine/api';
import { TINY_CONFIG, randomWeights } from '../support/tiny_model';

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

function models(perturb = 0) {
  const be = new CpuBackend();
  const weights = randomWeights(TINY_CONFIG, 8, 0.2);
  const policyWeights = new Map<string, Float32Array>();
  const rng = new Rng(77);
  for (const [name, w] of weights) policyWeights.set(name, w.map((x) => x + perturb * rng.normal()));
  return {
    policy: new GPT2Model(be, TINY_CONFIG, policyWeights),
    reference: new GPT2Model(be, TINY_CONFIG, weights),
  };
}

function learner(settings: Partial<TrainerSettings>, perturb = 0, decode?: (ids: number[]) => string) {
  const { policy, reference } = models(perturb);
  return new OnlineLearner(policy, reference, { ...DEFAULT_TRAINER, lr: 3e-3, stepsPerVote: 1, batchSize: 4, ...settings }, decode);
}

/** log πθ(y|x) − log π_ref(y|x) for each (prompt, completion). */
async function logRatios(l: OnlineLearner, items: [number[], number[]][]): Promise<number[]> {
  const seqs = items.map(([p, c]) => [...p, ...c]);
  const starts = items.map(([p]) => p.length);
  const p = await scoreSequences(l.policy, seqs, starts);
  const r = await scoreSequences(l.reference, seqs, starts);
  return p.sums.map((x, i) => x - r.sums[i]);
}

const P1 = [1, 2, 3];
const P2 = [4, 5];
const GOOD = [6, 7, 8];
const BAD = [9, 10, 11];
const MID = [12, 13];

describe('collapse metrics in every feedback result', () => {
  it('count the recent completions that say a word twice in a row', async () => {
    const WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet', 'kilo'];
    const decode = (ids: number[]) => ids.map((t) => WORDS[t % WORDS.length]).join(' ');
    const l = learner({}, 0, decode);
    expect(Number.isNaN(l.collapse.recentDoubledWords)).toBe(true);
    // "foxtrot foxtrot golf" doubles a word; "alpha bravo charlie" does not.
    const first = await l.feedback({ prompt: '', promptIds: P1, aIds: [0, 1, 2], bIds: [5, 5, 6], outcome: 'a', train: false });
    expect(first.collapse.recentDoubledWords).toBe(1 / 2);
    // "alpha bravo alpha" repeats a word, but not in a row.
    const second = await l.feedback({ prompt: '', promptIds: P1, aIds: [0, 1, 0], bIds: [7, 8], outcome: 'b', train: false });
    expect(second.collapse.recentDoubledWords).toBe(1 / 4);
  });

  it('are distinct-2, repetition and the set-level numbers over the last 40 completions given feedback, as decoded text', async () => {
    const decode = (ids: number[]) => ids.map((t) => `w${t}`).join(' ');
    const l = learner({}, 0, decode);
    const rng = new Rng(3);
    const shown: string[] = [];
    let last = null;
    // 25 varied pairs (50 completions), then 10 degenerate ones: the window holds the last 40.
    for (let i = 0; i < 35; i++) {
      const degenerate = i >= 25;
      const a = degenerate ? [5, 5, 5, 5, 5, 5] : Array.from({ length: 5 }, () => rng.int(22));
      const b = degenerate ? [5, 5, 5, 5, 5, 5] : Array.from({ length: 5 }, () => rng.int(22));
      last = await l.feedback({ prompt: '', promptIds: P1, aIds: a, bIds: b, outcome: 'a', train: false });
      shown.push(decode(a), decode(b));
    }
    const window = shown.slice(-COLLAPSE_WINDOW);
    expect(last!.collapse.window).toBe(40);
    expect(last!.collapse.recentDistinct2).toBeCloseTo(distinctN(window, 2), 12);
    expect(last!.collapse.recentRepetition).toBeCloseTo(repetitionRate(window), 12);
    // Half the window is one looping string (seq-rep-4 of "w5 ×6" is 1 − 1/3): repetition
    // is about 1/3 instead of 0, distinct-2 falls.
    expect(last!.collapse.recentRepetition).toBeGreaterThan(0.3);
    expect(last!.collapse.recentDistinct2).toBeLessThan(distinctN(shown.slice(0, 40), 2));
    // The set-level watch over the same window: the 20 degenerate completions are one text
    // (1 + 20 varied distinct of 40), and half the window's pairs of them are identical.
    expect(last!.collapse.recentDistinctCompletions).toBe(distinctCompletions(window));
    expect(last!.collapse.recentDistinctCompletions).toBeCloseTo(21 / 40, 15);
    expect(last!.collapse.recentMeanWords).toBe(meanWords(window));
    expect(last!.collapse.recentMeanWords).toBeCloseTo((20 * 5 + 20 * 6) / 40, 15);
    expect(last!.collapse.recentSelfSimilarity).toBe(selfSimilarity(window));
    expect(last!.collapse.recentSelfSimilarity).toBeGreaterThan(selfSimilarity(shown.slice(0, 40)));
    expect(last!.collapse.recentDoubledWords).toBe(doubledWordRate(window));
    // Thumbs and rankings count their completions too.
    const t = await l.feedbackThumbs({ prompt: '', promptIds: P1, completionIds: GOOD, desirable: true, train: false });
    const r = await l.feedbackRanking({ prompt: '', promptIds: P1, rankedIds: [GOOD, MID, BAD], train: false });
    const after = [...shown, decode(GOOD), decode(GOOD), decode(MID), decode(BAD)].slice(-COLLAPSE_WINDOW);
    expect(t.collapse.window).toBe(40);
    expect(r.collapse.recentDistinct2).toBeCloseTo(distinctN(after, 2), 12);
  });
});

describe('thumbs', () => {
  it('under a paired objective train nothing alone, say why, and train once a 👍 and a 👎 share a prompt', async () => {
    const l = learner({ objective: 'sigmoid', stepsPerVote: 2 });
    const up = await l.feedbackThumbs({ prompt: '', promptIds: P1, completionIds: GOOD, desirable: true, train: true });
    expect(up.steps).toEqual([]);
    expect(up.untrainedReason).toMatch(/👍 and a 👎 on the same prompt/);
    // The reward model cannot learn from one unpaired label.
    expect(up.rewardModel.votesSeen).toBe(0);
    expect(up.rewardModel.predictedPAB).toBeNull();
    // A 👎 on ANOTHER prompt does not make a pair.
    const other = await l.feedbackThumbs({ prompt: '', promptIds: P2, completionIds: BAD, desirable: false, train: true });
    expect(other.steps).toEqual([]);
    expect(other.rewardModel.votesSeen).toBe(0);
    const [before] = await logRatios(l, [[P1, GOOD]]);
    const [beforeBad] = await logRatios(l, [[P1, BAD]]);
    const down = await l.feedbackThumbs({ prompt: '', promptIds: P1, completionIds: BAD, desirable: false, train: true });
    expect(down.untrainedReason).toBeUndefined();
    expect(down.steps.length).toBe(2);
    // The pair GOOD ≻ BAD at policy = reference: DPO's −log σ(0) = ln 2.
    expect(down.steps[0].loss).toBeCloseTo(Math.LN2, 6);
    expect(down.rewardModel.votesSeen).toBe(1);
    expect(down.rewardModel.predictedPAB).not.toBeNull();
    expect(down.bufferSize).toBe(3);
    const [after] = await logRatios(l, [[P1, GOOD]]);
    const [afterBad] = await logRatios(l, [[P1, BAD]]);
    expect(after - afterBad).toBeGreaterThan(before - beforeBad);
    // train() with only lone thumbs would be an error; here the pair exists, so it trains.
    expect((await l.train(1)).length).toBe(1);
  });

  it('under kto each thumbs trains: loss 0.5 at the reference, up raises and down lowers the log-ratio', async () => {
    const l = learner({ objective: 'kto', beta: 0.5, stepsPerVote: 3 });
    const up = await l.feedbackThumbs({ prompt: '', promptIds: P1, completionIds: GOOD, desirable: true, train: true });
    expect(up.steps.length).toBe(3);
    expect(up.steps[0].loss).toBeCloseTo(0.5, 6);
    expect(up.steps[0].kl).toBe(0);
    const [good] = await logRatios(l, [[P1, GOOD]]);
    expect(good).toBeGreaterThan(0);
    const down = await l.feedbackThumbs({ prompt: '', promptIds: P2, completionIds: BAD, desirable: false, train: true });
    expect(down.steps.length).toBe(3);
    const [bad] = await logRatios(l, [[P2, BAD]]);
    expect(bad).toBeLessThan(0);
    expect(down.steps.every((s) => Number.isFinite(s.loss) && s.loss > 0 && s.loss < 1)).toBe(true);
  });

  it("kto's loss and reference point match TRL's kto_loss with the KL from mismatched pairs", async () => {
    const beta = 0.7;
    // A policy away from the reference, so ℓ ≠ 0 and the mismatched and matched KL differ.
    const l = learner({ objective: 'kto', beta, stepsPerVote: 1, batchSize: 2 }, 0.15);
    await l.feedbackThumbs({ prompt: '', promptIds: P1, completionIds: GOOD, desirable: true, train: false });
    // Expected, before the step: the batch is [newest (P2, BAD, 👎), older (P1, GOOD, 👍)].
    const [lBad, lGood] = await logRatios(l, [[P2, BAD], [P1, GOOD]]);
    // TRL's roll by one: example i is scored with example i−1's completion (0 ← 1, 1 ← 0).
    const mismatched = await logRatios(l, [[P2, GOOD], [P1, BAD]]);
    const kl = Math.max(0, (mismatched[0] + mismatched[1]) / 2);
    const matchedKl = Math.max(0, (lBad + lGood) / 2);
    expect(Math.abs(kl - matchedKl)).toBeGreaterThan(1e-3); // the test can tell the two apart
    const expected = ((1 - sigmoid(beta * (kl - lBad))) + (1 - sigmoid(beta * (lGood - kl)))) / 2;
    const r = await l.feedbackThumbs({ prompt: '', promptIds: P2, completionIds: BAD, desirable: false, train: true });
    expect(r.steps[0].kl).toBeCloseTo(kl, 4);
    expect(r.steps[0].loss).toBeCloseTo(expected, 5);
    expect(r.steps[0].rewardsChosen).toBeCloseTo(beta * lGood, 4);
    expect(r.steps[0].rewardsRejected).toBeCloseTo(beta * lBad, 4);
    expect(r.steps[0].rewardsAccuracy).toBe(((lGood - kl > 0 ? 1 : 0) + (lBad - kl < 0 ? 1 : 0)) / 2);
  });

  it('under a listwise objective an up/down pair of one prompt is a list of two (PL at the reference: ln 2)', async () => {
    const l = learner({ objective: 'plackett_luce', stepsPerVote: 1 });
    const lone = await l.feedbackThumbs({ prompt: '', promptIds: P1, completionIds: BAD, desirable: false, train: true });
    expect(lone.steps).toEqual([]);
    expect(lone.untrainedReason).toMatch(/listwise objective "plackett_luce"/);
    const r = await l.feedbackThumbs({ prompt: '', promptIds: P1, completionIds: GOOD, desirable: true, train: true });
    expect(r.steps[0].loss).toBeCloseTo(Math.LN2, 6);
    expect(l.trainer.examplesOf(1).map((e) => e.kind === 'list' && e.ranked.map((c) => c.ids))).toEqual([[GOOD, BAD]]);
  });

  it('a paired vote under kto becomes one desirable and one undesirable example', async () => {
    const l = learner({ objective: 'kto', stepsPerVote: 1 });
    const r = await l.feedback({ prompt: '', promptIds: P1, aIds: BAD, bIds: GOOD, outcome: 'b', train: true });
    expect(r.steps[0].loss).toBeCloseTo(0.5, 6);
    expect(l.trainer.examplesOf(0)).toEqual([
      expect.objectContaining({ kind: 'labelled', desirable: true, completion: expect.objectContaining({ ids: GOOD }) }),
      expect.objectContaining({ kind: 'labelled', desirable: false, completion: expect.objectContaining({ ids: BAD }) }),
    ]);
  });
});

describe('rankings', () => {
  it('plackett_luce: ln 3! at the reference, the reward model sees the N−1 adjacent pairs, and the order is learned', async () => {
    const l = learner({ objective: 'plackett_luce', beta: 0.5, stepsPerVote: 4, lr: 5e-3 });
    const r = await l.feedbackRanking({ prompt: '', promptIds: P1, rankedIds: [GOOD, MID, BAD], train: true });
    expect(r.steps.length).toBe(4);
    expect(r.steps[0].loss).toBeCloseTo(Math.log(6), 6);
    expect(r.rewardModel.votesSeen).toBe(2);
    expect(r.bufferSize).toBe(1);
    const [g, m, b] = await logRatios(l, [[P1, GOOD], [P1, MID], [P1, BAD]]);
    expect(g).toBeGreaterThan(m);
    expect(m).toBeGreaterThan(b);
    expect(r.steps.at(-1)!.loss).toBeLessThan(r.steps[0].loss);
  });

  it("plackett_luce's loss and metrics match the formula on an independent scoring", async () => {
    const beta = 0.6;
    const l = learner({ objective: 'plackett_luce', beta, stepsPerVote: 1 }, 0.15);
    const ranked = [GOOD, MID, BAD, [14, 15, 16, 17]];
    const lr = await logRatios(l, ranked.map((c) => [P1, c] as [number[], number[]]));
    const s = lr.map((x) => beta * x);
    let expected = 0;
    for (let k = 0; k < s.length - 1; k++) expected -= s[k] - Math.log(s.slice(k).reduce((acc, x) => acc + Math.exp(x), 0));
    let agree = 0;
    for (let a = 0; a < 4; a++) for (let b = a + 1; b < 4; b++) if (s[a] > s[b]) agree++;
    const r = await l.feedbackRanking({ prompt: '', promptIds: P1, rankedIds: ranked, train: true });
    expect(r.steps[0].loss).toBeCloseTo(expected, 5);
    expect(r.steps[0].rewardsChosen).toBeCloseTo(s[0], 5);
    expect(r.steps[0].rewardsRejected).toBeCloseTo(s[3], 5);
    expect(r.steps[0].rewardsMargins).toBeCloseTo(s[0] - s[3], 5);
    expect(r.steps[0].rewardsAccuracy).toBe(agree / 6);
  });

  it('lipo_lambda at the reference: Σ Δij·ln 2 with ranks by index (ties)', async () => {
    const l = learner({ objective: 'lipo_lambda', stepsPerVote: 1 });
    const r = await l.feedbackRanking({ prompt: '', promptIds: P1, rankedIds: [GOOD, MID, BAD], train: true });
    // ψ = (2, 1, 0), τ = (1, 2, 3): Δ01 = 2·(1 − 1/log2 3), Δ02 = 3·(1 − 1/2), Δ12 = 1·(1/log2 3 − 1/2).
    const inv3 = 1 / Math.log2(3);
    const expected = (2 * (1 - inv3) + 3 * 0.5 + (inv3 - 0.5)) * Math.LN2;
    expect(r.steps[0].loss).toBeCloseTo(expected, 6);
  });

  it('under sigmoid a ranking trains on its pairs (ln 2 at the reference); under kto on best 👍 / worst 👎', async () => {
    const paired = learner({ objective: 'sigmoid', stepsPerVote: 1, batchSize: 8 });
    const r = await paired.feedbackRanking({ prompt: '', promptIds: P1, rankedIds: [GOOD, MID, BAD], train: true });
    expect(r.steps[0].loss).toBeCloseTo(Math.LN2, 6);
    expect(paired.trainer.examplesOf(0).map((e) => e.kind === 'pair' && [e.chosen.ids, e.rejected.ids])).toEqual([
      [GOOD, MID],
      [GOOD, BAD],
      [MID, BAD],
    ]);
    const kto = learner({ objective: 'kto', stepsPerVote: 1 });
    const k = await kto.feedbackRanking({ prompt: '', promptIds: P1, rankedIds: [GOOD, MID, BAD], train: true });
    expect(k.steps[0].loss).toBeCloseTo(0.5, 6);
    expect(kto.trainer.examplesOf(0).map((e) => e.kind === 'labelled' && [e.completion.ids, e.desirable])).toEqual([
      [GOOD, true],
      [BAD, false],
    ]);
  });
});

describe('replay', () => {
  async function run(seed: number) {
    const l = learner({ objective: 'sigmoid', seed, stepsPerVote: 2, batchSize: 3 });
    await l.feedback({ prompt: '', promptIds: P1, aIds: GOOD, bIds: BAD, outcome: 'a', train: true });
    await l.feedbackThumbs({ prompt: '', promptIds: P2, completionIds: MID, desirable: true, train: true });
    await l.feedbackThumbs({ prompt: '', promptIds: P2, completionIds: BAD, desirable: false, train: true });
    await l.feedbackRanking({ prompt: '', promptIds: P1, rankedIds: [MID, GOOD, BAD], train: true });
    l.trainer.reconfigure({ ...l.trainer.settings, objective: 'kto' });
    await l.feedbackThumbs({ prompt: '', promptIds: P1, completionIds: [16, 17], desirable: false, train: true });
    await l.feedback({ prompt: '', promptIds: P2, aIds: GOOD, bIds: MID, outcome: 'b', train: true });
    l.trainer.reconfigure({ ...l.trainer.settings, objective: 'plackett_luce' });
    await l.feedbackRanking({ prompt: '', promptIds: P2, rankedIds: [BAD, MID, GOOD, [18]], train: true });
    await l.train(2);
    return { weights: await l.policy.readWeights(), rm: l.rewardModel.summary, steps: l.trainer.steps };
  }

  it('the same mixed feedback sequence gives bit-identical weights and reward model', async () => {
    const a = await run(5);
    const b = await run(5);
    const c = await run(6);
    const initial = randomWeights(TINY_CONFIG, 8, 0.2);
    expect(a.steps).toBe(2 + 2 + 2 + 2 + 2 + 2 + 2);
    expect(b.rm).toEqual(a.rm);
    let differsFromInitial = false;
    let differsFromOtherSeed = false;
    for (const [name, w] of a.weights) {
      expect(Array.from(b.weights.get(name)!)).toEqual(Array.from(w));
      if (w.some((x, i) => x !== initial.get(name)![i])) differsFromInitial = true;
      if (w.some((x, i) => x !== c.weights.get(name)![i])) differsFromOtherSeed = true;
    }
    expect(differsFromInitial).toBe(true);
    // The trainer's batch sampling is seeded: another seed samples other batches.
    expect(differsFromOtherSeed).toBe(true);
  });
});
