/**
 * `TrainerSettings.interpolation` η: the optimizer moves trained weights kept apart and, after
 * every step, the policy is θ_ref + η (θ_trained − θ_ref) (WiSE-FT, Wortsman et al. 2022;
 * LITI in WARP, Ramé et al. 2024). The loss never reads the policy, so the trained weights take
 * exactly the path an uninterpolated trainer's policy takes; checkpoints carry them.
 */
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/engine/backends/cpu';
import { GPT2Model } from '../../src/engine/model/gpt2';
import { DEFAULT_TRAINER, PreferenceTrainer, validateTrainerSettings } from '../../src/engine/learning/trainer';
import type { TrainerSettings } from '../../src/engine/api';
import { OBJECTIVE_WEIGHT_LIMITS } from '../../src/engine/objectives/names';
import { TINY_CONFIG, randomWeights } from '../support/tiny_model';

const V = TINY_CONFIG.vocabSize;
const ids = (n: number, salt: number) => Array.from({ length: n }, (_, t) => (salt * 7 + t * 3 + 1) % (V - 1));

function trainer(interpolation?: number, patch: Partial<TrainerSettings> = {}): PreferenceTrainer {
  const be = new CpuBackend();
  // The policy starts at the reference, as in the playground.
  const policy = new GPT2Model(be, TINY_CONFIG, randomWeights(TINY_CONFIG, 71, 0.1));
  const reference = new GPT2Model(be, TINY_CONFIG, randomWeights(TINY_CONFIG, 71, 0.1));
  const settings = { ...DEFAULT_TRAINER, lr: 1e-2, batchSize: 3, seed: 5, ...(interpolation !== undefined ? { interpolation } : {}), ...patch };
  const t = new PreferenceTrainer(policy, reference, settings);
  for (let i = 0; i < 4; i++) {
    t.add({ kind: 'pair', promptIds: ids(2, i), chosen: { ids: ids(2 + (i % 3), i + 10), ref: -1 - i / 10 }, rejected: { ids: ids(5 - (i % 3), i + 20), ref: -2 + i / 10 } });
  }
  return t;
}

async function expectSameBits(a: Map<string, Float32Array>, b: Map<string, Float32Array>): Promise<void> {
  expect([...a.keys()]).toEqual([...b.keys()]);
  for (const [name, w] of a) expect(w, name).toEqual(b.get(name));
}

/** Largest |policy − (ref + η (trained − ref))| over every parameter. */
function interpolationError(policy: Map<string, Float32Array>, reference: Map<string, Float32Array>, trained: Map<string, Float32Array>, eta: number): number {
  let worst = 0;
  for (const [name, p] of policy) {
    const r = reference.get(name)!;
    const t = trained.get(name)!;
    for (let i = 0; i < p.length; i++) worst = Math.max(worst, Math.abs(p[i]! - (r[i]! + eta * (t[i]! - r[i]!))));
  }
  return worst;
}

describe('PreferenceTrainer with an interpolated policy', () => {
  it('η = 1 is the trainer without interpolation, bit for bit', async () => {
    const plain = trainer();
    const one = trainer(1);
    expect(await plain.takeSteps(3)).toHaveLength(3);
    await one.takeSteps(3);
    await expectSameBits(await plain.policy.readWeights(), await one.policy.readWeights());
    expect((await one.capture()).trained).toBeUndefined();
  });

  it('trains the same weights as without it and serves θ_ref + η (θ_trained − θ_ref)', async () => {
    const plain = trainer();
    const half = trainer(0.5);
    const a = await plain.takeSteps(3);
    const b = await half.takeSteps(3);
    // Same losses: the objective reads the trained weights and the reference, never the policy.
    expect(b.map((m) => m.loss)).toEqual(a.map((m) => m.loss));
    const trained = (await half.capture()).trained!;
    await expectSameBits(trained, await plain.policy.readWeights());
    const policy = await half.policy.readWeights();
    const reference = await half.reference.readWeights();
    expect(interpolationError(policy, reference, trained, 0.5)).toBeLessThan(1e-6);
    // …and the policy did move, half as far as the trained weights.
    const moved = (w: Map<string, Float32Array>) => Math.max(...[...w].map(([n, x]) => Math.max(...x.map((v, i) => Math.abs(v - reference.get(n)![i]!)))));
    expect(moved(policy)).toBeGreaterThan(0);
    expect(moved(policy)).toBeCloseTo(moved(trained) / 2, 5);
  });

  it('a checkpoint restores the trained weights, so steps after a restore repeat exactly', async () => {
    const t = trainer(0.3);
    await t.takeSteps(2);
    const state = await t.capture();
    const policyThen = await t.policy.readWeights();
    const after = await t.takeSteps(2);
    const weightsAfter = await t.policy.readWeights();
    t.policy.writeWeights(policyThen);
    t.restore(state);
    const again = await t.takeSteps(2);
    expect(again.map((m) => m.loss)).toEqual(after.map((m) => m.loss));
    await expectSameBits(await t.policy.readWeights(), weightsAfter);
  });

  it('turned off, the policy takes the trained weights and goes on as the plain trainer', async () => {
    const plain = trainer();
    const t = trainer(0.5);
    await plain.takeSteps(2);
    await t.takeSteps(2);
    t.reconfigure({ ...t.settings, interpolation: 1 });
    await expectSameBits(await t.policy.readWeights(), await plain.policy.readWeights());
    await plain.takeSteps(1);
    await t.takeSteps(1);
    await expectSameBits(await t.policy.readWeights(), await plain.policy.readWeights());
    expect((await t.capture()).trained).toBeUndefined();
  });

  it('turned on mid-session, it keeps the policy as the trained weights and interpolates from the next step', async () => {
    const plain = trainer();
    const t = trainer();
    await plain.takeSteps(2);
    await t.takeSteps(2);
    t.reconfigure({ ...t.settings, interpolation: 0.25 });
    await expectSameBits(await t.policy.readWeights(), await plain.policy.readWeights());
    await plain.takeSteps(1);
    await t.takeSteps(1);
    const trained = (await t.capture()).trained!;
    await expectSameBits(trained, await plain.policy.readWeights());
    expect(interpolationError(await t.policy.readWeights(), await t.reference.readWeights(), trained, 0.25)).toBeLessThan(1e-6);
  });

  it('refuses η outside (0, 1]', () => {
    for (const interpolation of [0, -0.5, 1.5, Number.NaN]) {
      expect(() => validateTrainerSettings({ ...DEFAULT_TRAINER, interpolation }), String(interpolation)).toThrow(/interpolation/);
    }
  });

  it('R-DPO’s α reaches the loss: pairs of unequal length train other weights, α 0 the same bits', async () => {
    // The helper's pairs are 2–4 tokens chosen against 3–5 rejected: lengths differ.
    const [plain, zero, rdpo] = [trainer(), trainer(undefined, { lengthAlpha: 0 }), trainer(undefined, { lengthAlpha: 0.5 })];
    const [a, b, c] = [await plain.takeSteps(2), await zero.takeSteps(2), await rdpo.takeSteps(2)];
    expect(b.map((m) => m.loss)).toEqual(a.map((m) => m.loss));
    await expectSameBits(await zero.policy.readWeights(), await plain.policy.readWeights());
    expect(c[0]!.loss).not.toBe(a[0]!.loss);
    expect(await rdpo.policy.readWeights()).not.toEqual(await plain.policy.readWeights());
  });

  it('refuses R-DPO’s α outside [0, 10] and with another objective than sigmoid', () => {
    expect(OBJECTIVE_WEIGHT_LIMITS.lengthAlpha).toEqual({ min: 0, max: 10 });
    expect(() => validateTrainerSettings({ ...DEFAULT_TRAINER, lengthAlpha: 10 })).not.toThrow();
    for (const lengthAlpha of [-0.1, 10.01, 11, Number.NaN]) {
      expect(() => validateTrainerSettings({ ...DEFAULT_TRAINER, lengthAlpha }), String(lengthAlpha)).toThrow(/lengthAlpha must be in/);
    }
    expect(() => validateTrainerSettings({ ...DEFAULT_TRAINER, objective: 'sigmoid', lengthAlpha: 0.1 })).not.toThrow();
    expect(() => validateTrainerSettings({ ...DEFAULT_TRAINER, objective: 'ipo', lengthAlpha: 0.1 })).toThrow(/needs the sigmoid objective/);
  });
});
