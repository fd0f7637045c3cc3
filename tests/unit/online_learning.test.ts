import { describe, it, expect } from 'vitest';
import { CpuBackend } from '../../src/engine/backends/cpu';
import { GPT2Model } from '../../src/engine/model/gpt2';
import { OnlineLearner } from '../../src/engine/learning/online';
import { DEFAULT_TRAINER } from '../../src/engine/learning/trainer';
import { scoreSequences } from '../../src/engine/batch';
import { TINY_CONFIG, randomWeights } from '../support/tiny_model';

describe('online preference learning (CPU)', () => {
  it('starts at ln 2, then each decisive vote moves the policy towards the chosen completion', async () => {
    const be = new CpuBackend();
    const weights = randomWeights(TINY_CONFIG, 8, 0.2);
    const policy = new GPT2Model(be, TINY_CONFIG, weights);
    const reference = new GPT2Model(be, TINY_CONFIG, weights);
    const learner = new OnlineLearner(policy, reference, { ...DEFAULT_TRAINER, objective: 'sigmoid', beta: 0.5, lr: 3e-3, stepsPerVote: 1, batchSize: 4 });
    const prompt = [1, 2, 3];
    const good = [4, 5, 6];
    const bad = [7, 8, 9];
    const margin = async () => {
      const p = await scoreSequences(policy, [[...prompt, ...good], [...prompt, ...bad]], [3, 3]);
      const r = await scoreSequences(reference, [[...prompt, ...good], [...prompt, ...bad]], [3, 3]);
      return (p.sums[0] - r.sums[0]) - (p.sums[1] - r.sums[1]);
    };
    const first = await learner.feedback({ prompt: '', promptIds: prompt, aIds: bad, bIds: good, outcome: 'b', train: true });
    // Policy = reference at the first step: −log σ(0) = ln 2 (TRL's starting DPO loss).
    expect(first.steps[0].loss).toBeCloseTo(Math.LN2, 6);
    expect(first.steps[0].rewardsMargins).toBeCloseTo(0, 6);
    const margins = [await margin()];
    for (let i = 0; i < 5; i++) {
      const r = await learner.feedback({ prompt: '', promptIds: prompt, aIds: good, bIds: bad, outcome: 'a', train: true });
      expect(r.steps.length).toBe(1);
      margins.push(await margin());
    }
    for (let i = 1; i < margins.length; i++) expect(margins[i]).toBeGreaterThan(margins[i - 1]);
    // A tie is recorded for the reward model but does not train the policy.
    const tie = await learner.feedback({ prompt: '', promptIds: prompt, aIds: good, bIds: bad, outcome: 'tie', train: true });
    expect(tie.steps).toEqual([]);
    expect(tie.rewardModel.votesSeen).toBe(7);
    expect(tie.bufferSize).toBe(6);
    // The reference never moves.
    const refNow = await reference.readWeights();
    for (const [name, w] of weights) expect(Array.from(refNow.get(name)!.subarray(0, 5))).toEqual(Array.from(w.subarray(0, 5)));
  });
});
