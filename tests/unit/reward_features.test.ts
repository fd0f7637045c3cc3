/**
 * The reward model's feature vector (src/engine/learning/reference_pass.ts): a bag of the
 * completion's tokens beside its pooled hidden states, laid out as `rewardFeatureBlocks` says.
 */
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/engine/backends/cpu';
import { GPT2Model } from '../../src/engine/model/gpt2';
import { referencePass, rewardFeatureBlocks, rewardFeatureDim } from '../../src/engine/learning/reference_pass';
import { TINY_CONFIG, randomWeights } from '../support/tiny_model';

describe('referencePass features', () => {
  it('lay out the token bag and the pooled states as rewardFeatureBlocks says', async () => {
    const model = new GPT2Model(new CpuBackend({ wasm: false }), TINY_CONFIG, randomWeights(TINY_CONFIG, 3, 0.2));
    const blocks = rewardFeatureBlocks(TINY_CONFIG);
    expect(blocks.reduce((n, b) => n + b.size, 0)).toBe(rewardFeatureDim(TINY_CONFIG));
    const r = await referencePass(model, [1, 2], [[3, 3, 4], []]);
    const f = r.features[0]!;
    expect(f.length).toBe(rewardFeatureDim(TINY_CONFIG));
    const V = TINY_CONFIG.vocabSize;
    // Token bag as frequencies: 3 appears twice in three tokens, 4 once, nothing else.
    expect(f[3]).toBeCloseTo(2 / 3, 6);
    expect(f[4]).toBeCloseTo(1 / 3, 6);
    expect(f.subarray(0, V).reduce((s, x) => s + x, 0)).toBeCloseTo(1, 6);
    // Pooled states follow, finite and not all zero.
    const pooled = f.subarray(V);
    expect(pooled.length).toBe(2 * TINY_CONFIG.nEmbd);
    expect(pooled.some((x) => x !== 0) && pooled.every(Number.isFinite)).toBe(true);
    // An empty completion has an empty bag, and the last prompt position's states.
    expect(r.features[1]!.subarray(0, V).every((x) => x === 0)).toBe(true);
    expect(r.features[1]!.subarray(V).some((x) => x !== 0)).toBe(true);
  });
});
