/**
 * `PreferenceTrainer.takeSteps(n)` records each step's update and the next step's forward pass
 * before waiting for the grad norm (issue "Real time": a step no longer waits on the previous
 * one's readback). On the CPU backend the operations and their order are unchanged, so n steps
 * taken together give the same bits as n single steps, for every objective family.
 */
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/engine/backends/cpu';
import { GPT2Model } from '../../src/engine/model/gpt2';
import { DEFAULT_TRAINER, PreferenceTrainer } from '../../src/engine/learning/trainer';
import type { StepMetrics } from '../../src/engine/api';
import { TINY_CONFIG, randomWeights } from '../support/tiny_model';

const V = TINY_CONFIG.vocabSize;
const ids = (n: number, salt: number) => Array.from({ length: n }, (_, t) => (salt * 7 + t * 3 + 1) % (V - 1));

function trainer(objective: string): PreferenceTrainer {
  const be = new CpuBackend();
  const policy = new GPT2Model(be, TINY_CONFIG, randomWeights(TINY_CONFIG, 71, 0.1));
  const reference = new GPT2Model(be, TINY_CONFIG, randomWeights(TINY_CONFIG, 71, 0.1));
  const t = new PreferenceTrainer(policy, reference, { ...DEFAULT_TRAINER, objective: objective as never, lr: 1e-2, batchSize: 3, seed: 5 });
  for (let i = 0; i < 4; i++) {
    const promptIds = ids(2, i);
    const a = ids(2 + (i % 3), i + 10);
    const b = ids(5 - (i % 3), i + 20);
    t.add({ kind: 'pair', promptIds, chosen: { ids: a, ref: -1 - i / 10 }, rejected: { ids: b, ref: -2 + i / 10 } });
  }
  return t;
}

const withoutTime = (ms: StepMetrics[]) => ms.map(({ stepMs: _, ...m }) => m);

describe('PreferenceTrainer.takeSteps', () => {
  for (const objective of ['sigmoid', 'ipo', 'kto', 'plackett_luce']) {
    it(`takes the same steps as one step at a time (${objective})`, async () => {
      const together = trainer(objective);
      const single = trainer(objective);
      const a = await together.takeSteps(3);
      const b: StepMetrics[] = [];
      for (let k = 0; k < 3; k++) b.push(await single.step());
      expect(withoutTime(a)).toEqual(withoutTime(b));
      expect(a.map((m) => m.step)).toEqual([1, 2, 3]);
      expect(a.every((m) => Number.isFinite(m.gradNorm) && m.gradNorm > 0 && m.stepMs >= 0)).toBe(true);
      const [wa, wb] = [await together.policy.readWeights(), await single.policy.readWeights()];
      for (const [name, w] of wa) expect(w, name).toEqual(wb.get(name));
      // The steps moved the policy.
      const start = new GPT2Model(new CpuBackend(), TINY_CONFIG, randomWeights(TINY_CONFIG, 71, 0.1));
      expect((await start.readWeights()).get('h.0.attn.c_attn.weight')).not.toEqual(wa.get('h.0.attn.c_attn.weight'));
    });
  }

  it('reports a failure without leaving reads behind, and takes no step on an empty buffer', async () => {
    const be = new CpuBackend();
    const policy = new GPT2Model(be, TINY_CONFIG, randomWeights(TINY_CONFIG, 72));
    const t = new PreferenceTrainer(policy, policy, { ...DEFAULT_TRAINER });
    await expect(t.takeSteps(2)).rejects.toThrow(/replay buffer is empty/);
    expect(t.steps).toBe(0);
    expect(await t.takeSteps(0)).toEqual([]);
  });
});
