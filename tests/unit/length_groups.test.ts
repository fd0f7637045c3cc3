import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { CpuBackend } from '../../src/engine/backends/cpu';
import { buildBatch, forwardSummed, lengthGroups, scoreSequences, scoreSequencesUnder } from '../../src/engine/batch';
import { TINY_CONFIG, randomWeights } from '../support/tiny_model';
import { parseHfGpt2Config } from '../../src/engine/model/config';
import { GPT2Model } from '../../src/engine/model/gpt2';
import { readSafetensors } from '../../src/engine/model/safetensors';

const dir = new URL('../golden/tiny_gpt2/', import.meta.url);
const buf = readFileSync(new URL('model.safetensors', dir));

function tinyModel(): GPT2Model {
  const config = parseHfGpt2Config(JSON.parse(readFileSync(new URL('config.json', dir), 'utf8')));
  return GPT2Model.fromCheckpoint(new CpuBackend(), config, readSafetensors(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer).tensors);
}

/** Padded rows a grouping costs, as lengthGroups counts them. */
const cost = (lengths: number[], groups: number[][], overhead: number) =>
  groups.reduce((s, g) => s + g.length * Math.max(1, ...g.map((i) => lengths[i]!)) + overhead, 0);

describe('lengthGroups', () => {
  it('puts one long sequence apart from short ones (the late-session DPO batch)', () => {
    const lengths = [73, 20, 22, 19, 24, 21, 18, 25, 20, 23, 21, 19, 22, 24, 20, 26];
    const groups = lengthGroups(lengths);
    expect(groups[0]).toEqual([0]);
    expect(groups.flat().sort((a, b) => a - b)).toEqual(lengths.map((_, i) => i));
    expect(cost(lengths, groups, 0)).toBeLessThan(0.5 * lengths.length * 73);
  });

  it('keeps equal lengths in one pass, and a single sequence as it is', () => {
    expect(lengthGroups([30, 30, 30, 30])).toEqual([[0, 1, 2, 3]]);
    expect(lengthGroups([5])).toEqual([[0]]);
    expect(lengthGroups([])).toEqual([]);
  });

  it('partitions the batch, longest first, never costing more than one padded batch', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 128 }), { minLength: 1, maxLength: 24 }), fc.integer({ min: 0, max: 200 }), fc.integer({ min: 1, max: 5 }), (lengths, overhead, maxGroups) => {
        const groups = lengthGroups(lengths, overhead, maxGroups);
        expect(groups.length).toBeGreaterThanOrEqual(1);
        expect(groups.length).toBeLessThanOrEqual(maxGroups);
        expect(groups.flat().sort((a, b) => a - b)).toEqual(lengths.map((_, i) => i));
        const flat = groups.flat();
        for (let k = 1; k < flat.length; k++) expect(lengths[flat[k - 1]!]!).toBeGreaterThanOrEqual(lengths[flat[k]!]!);
        expect(cost(lengths, groups, overhead)).toBeLessThanOrEqual(cost(lengths, [lengths.map((_, i) => i)], overhead));
        expect(lengthGroups(lengths, overhead, maxGroups)).toEqual(groups);
      }),
      { numRuns: 300 },
    );
  });
});

describe('forward in length groups', () => {
  // Lengths 3…16 (the tiny model's context), completions starting at 2–4: several groups.
  const sequences = [16, 3, 5, 12, 4, 16, 7, 3].map((n, b) => Array.from({ length: n }, (_, t) => (b * 7 + t * 11 + 1) % 61));
  const starts = [2, 2, 3, 4, 2, 3, 2, 2];

  it('gives each sequence the same log-prob bits as one padded batch, and the same gradient', async () => {
    expect(lengthGroups(sequences.map((s) => s.length)).length).toBeGreaterThan(1);
    const dSeq = sequences.map((_, i) => (i % 2 ? -0.5 : 0.75) * (1 + i / 10));

    const model = tinyModel();
    model.zeroGrads();
    const grouped = await forwardSummed(model, sequences, starts);
    grouped.backward(dSeq);
    const groupedGrads = new Map<string, Float32Array>();
    for (const [name, g] of model.zeroGrads()) groupedGrads.set(name, Float32Array.from(await model.backend.read(g)));

    // The reference: one batch padded to the longest, as the trainer did before.
    model.zeroGrads();
    const batch = buildBatch(sequences, starts);
    const s = model.forward(batch.ids, batch.targets, batch.B, batch.T);
    const lp = await model.backend.read(s.logprobs);
    const sums = new Float64Array(batch.B);
    for (let i = 0; i < lp.length; i++) sums[Math.floor(i / batch.T)] += batch.mask[i] * lp[i];
    const dlp = new Float32Array(batch.B * batch.T);
    for (let i = 0; i < dlp.length; i++) dlp[i] = batch.mask[i] * dSeq[Math.floor(i / batch.T)]!;
    model.backward(s, dlp);
    model.releaseForward(s);

    expect(Array.from(grouped.sums)).toEqual(Array.from(sums));
    let worst = 0;
    for (const [name, g] of model.zeroGrads()) {
      const want = await model.backend.read(g);
      const got = groupedGrads.get(name)!;
      const scale = Math.max(1e-3, ...Array.from(want, Math.abs));
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!) / scale);
    }
    // Only the order in which rows add into a weight's gradient differs.
    expect(worst).toBeLessThan(1e-5);
  });

  it('scores sequences with the same bits as one padded batch', async () => {
    const model = tinyModel();
    const scored = await scoreSequences(model, sequences, starts);
    const batch = buildBatch(sequences, starts);
    const s = model.forward(batch.ids, batch.targets, batch.B, batch.T);
    const lp = await model.backend.read(s.logprobs);
    model.releaseForward(s);
    sequences.forEach((seq, b) => {
      const row: number[] = [];
      for (let t = 0; t < batch.T; t++) if (batch.mask[b * batch.T + t]) row.push(lp[b * batch.T + t]!);
      expect(scored.tokenLogprobs[b]).toEqual(row);
      expect(row.length).toBe(seq.length - starts[b]!);
    });
  });

  it('scores under two models at once exactly as under each alone', async () => {
    const be = new CpuBackend();
    const [policy, reference] = [51, 52].map((seed) => new GPT2Model(be, TINY_CONFIG, randomWeights(TINY_CONFIG, seed)));
    const seqs = [9, 3, 10, 4].map((n, b) => Array.from({ length: n }, (_, t) => (b * 3 + t * 5 + 1) % TINY_CONFIG.vocabSize));
    const starts = [2, 1, 3, 2];
    const [p, r] = await scoreSequencesUnder([policy!, reference!], seqs, starts);
    expect(p).toEqual(await scoreSequences(policy!, seqs, starts));
    expect(r).toEqual(await scoreSequences(reference!, seqs, starts));
    expect(p!.sums).not.toEqual(r!.sums);
  });
});
