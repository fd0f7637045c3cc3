/**
 * The reward model's feature vector (src/engine/learning/reference_pass.ts): bag of tokens, bag
 * of hashed words, pooled hidden states — laid out as `rewardFeatureBlocks` says.
 */
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/engine/backends/cpu';
import { GPT2Model } from '../../src/engine/model/gpt2';
import { WORD_BUCKETS, addWordBag, principleBlockOffset, referencePass, rewardFeatureBlocks, rewardFeatureDim } from '../../src/engine/learning/reference_pass';
import { PRINCIPLE_FEATURE_COUNT, PRINCIPLE_FEATURE_IDS, principleFeatures, principleSpreads } from '../../src/engine/principles';
import { TINY_CONFIG, randomWeights } from '../support/tiny_model';

describe('bag of words', () => {
  it('counts lower-cased words as frequencies, the same word in the same bucket', () => {
    const a = new Float32Array(WORD_BUCKETS);
    addWordBag('Good good, GOOD night', a);
    const nonzero = [...a.entries()].filter(([, x]) => x > 0);
    expect(nonzero).toHaveLength(2);
    expect(nonzero.map(([, x]) => x).sort()).toEqual([0.25, 0.75]);
    const b = new Float32Array(WORD_BUCKETS);
    addWordBag('good', b);
    expect(b.indexOf(1)).toBe(nonzero.find(([, x]) => x === 0.75)![0]);
  });

  it('leaves an empty text as a zero bag', () => {
    const a = new Float32Array(WORD_BUCKETS);
    addWordBag('  ,. ', a);
    expect(a.every((x) => x === 0)).toBe(true);
  });
});

describe('referencePass features', () => {
  it('lay out token bag, word bag and pooled states as rewardFeatureBlocks says', async () => {
    const model = new GPT2Model(new CpuBackend({ wasm: false }), TINY_CONFIG, randomWeights(TINY_CONFIG, 3, 0.2));
    const blocks = rewardFeatureBlocks(TINY_CONFIG);
    expect(blocks.reduce((n, b) => n + b.size, 0)).toBe(rewardFeatureDim(TINY_CONFIG));
    const decode = (ids: number[]) => ids.map((id) => (id % 2 === 0 ? 'even' : 'odd')).join(' ');
    const r = await referencePass(model, [1, 2], [[3, 3, 4], []], decode);
    const f = r.features[0]!;
    expect(f.length).toBe(rewardFeatureDim(TINY_CONFIG));
    const V = TINY_CONFIG.vocabSize;
    // Token bag: 3 appears twice in three tokens, 4 once.
    expect(f[3]).toBeCloseTo(2 / 3, 6);
    expect(f[4]).toBeCloseTo(1 / 3, 6);
    // Word bag of "odd odd even": the same buckets as addWordBag gives.
    const words = new Float32Array(WORD_BUCKETS);
    addWordBag('odd odd even', words);
    expect(Array.from(f.subarray(V, V + WORD_BUCKETS))).toEqual(Array.from(words));
    // Pooled states are there and finite.
    const offset = principleBlockOffset(TINY_CONFIG);
    const pooled = f.subarray(V + WORD_BUCKETS, offset);
    expect(pooled.length).toBe(2 * TINY_CONFIG.nEmbd);
    expect(pooled.some((x) => x !== 0) && pooled.every(Number.isFinite)).toBe(true);
    // Principles of the decoded text, each in spread units, last.
    const principles = f.subarray(offset);
    expect(principles.length).toBe(PRINCIPLE_FEATURE_COUNT);
    const expected = principleFeatures('odd odd even');
    const spreads = principleSpreads();
    expected.forEach((x, k) => expect(principles[k]).toBeCloseTo(x / spreads[k]!, 5));
    // ln(1 + 3 words) / the length spread: the block is not all zeros.
    expect(principles[PRINCIPLE_FEATURE_IDS.indexOf('length')]).toBeCloseTo(Math.log(4) / spreads[PRINCIPLE_FEATURE_IDS.indexOf('length')]!, 5);
    // An empty completion has empty bags and zero principles.
    expect(r.features[1]!.subarray(0, V + WORD_BUCKETS).every((x) => x === 0)).toBe(true);
    expect(r.features[1]!.subarray(offset).every((x) => x === 0)).toBe(true);
  });

  // OnlineLearner.relabel takes the picked pair's pass from diversePair's pass over all the
  // candidates instead of running its own: that is only the same label if a completion's sums and
  // features do not depend on the batch it was scored in (its padding, its neighbours).
  it.each([
    ['the JS kernels', { wasm: false }],
    ['the WASM kernels', { wasm: true }],
    ['the default kernels', {}],
  ] as const)('give each completion the same sums and features, bit for bit, whatever else is in the batch (%s)', async (_, options) => {
    const model = new GPT2Model(new CpuBackend(options), TINY_CONFIG, randomWeights(TINY_CONFIG, 5, 0.2));
    const decode = (ids: number[]) => ids.map((id) => `w${id % 7}`).join(' ');
    const prompt = [1, 2, 3];
    const all = [[4, 5, 6, 7, 8, 9, 10], [11], [12, 13, 14, 15, 16], [17, 18]];
    const together = await referencePass(model, prompt, all, decode);
    const pair = await referencePass(model, prompt, [all[2]!, all[1]!], decode);
    expect(pair.sums).toEqual([together.sums[2], together.sums[1]]);
    expect(Array.from(pair.features[0]!)).toEqual(Array.from(together.features[2]!));
    expect(Array.from(pair.features[1]!)).toEqual(Array.from(together.features[1]!));
  });
});
