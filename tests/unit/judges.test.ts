import { describe, it, expect } from 'vitest';
import { SimulatedAnnotator, type Judgement, type JudgeOutcome } from '../../src/engine/annotators/index.ts';
import { sigmoid } from '../../src/engine/objectives/math.ts';
import {
  JudgeError,
  JudgeInputEncoder,
  OnnxPairwiseJudge,
  OnnxPointwiseJudge,
  OrtQueue,
  PositionAwareJudge,
  agreementWithPerson,
  asAsyncJudge,
  checkSessionSignature,
  cohensKappa,
  combineOrderVerdicts,
  debiasOrderSwap,
  firstPositionRate,
  fitSegmentLengths,
  judgeErrorCode,
  mirrorOutcome,
  packRows,
  parseJudgeManifest,
  positionConsistency,
  readRowScores,
  unswapJudgement,
  verdictFromLogit,
  type AsyncJudge,
  type JudgeSession,
} from '../../src/engine/judges/index.ts';
import type { Int64Input, OutputTensor, ValueInfo } from '../../src/engine/judges/onnx_session.ts';

/** A stand-in judge: prefers the longer answer, plus `bias` logits for whichever is shown first. */
function lengthJudge(bias: number): AsyncJudge & { calls: [string, string][] } {
  const calls: [string, string][] = [];
  return {
    id: 'len',
    calls,
    judge: async (_prompt, a, b) => {
      calls.push([a, b]);
      const d = a.length - b.length;
      const pAB = sigmoid(d + bias);
      const outcome: JudgeOutcome = pAB > 0.5 ? 'a' : pAB < 0.5 ? 'b' : 'tie';
      return { pAB, pTie: 0.1, outcome, scores: { a: a.length, b: b.length }, annotatorId: 'len' };
    },
  };
}

const rejects = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
};

describe('order-swap debiasing and the both-orders verdict', () => {
  it('p = (p_AB + 1 − p_BA)/2', () => {
    // (0.8 + 1 − 0.4)/2 = 1.4/2 = 0.7
    expect(debiasOrderSwap(0.8, 0.4)).toBeCloseTo(0.7, 15);
    // A judge with true p = 0.6 and an additive first-slot lean of 0.1 reports 0.7 and 0.4 + 0.1 = 0.5:
    // (0.7 + 1 − 0.5)/2 = 0.6, the lean removed.
    expect(debiasOrderSwap(0.7, 0.5)).toBeCloseTo(0.6, 15);
    // A pure position judge (always 0.9 for the first slot): (0.9 + 1 − 0.9)/2 = 0.5.
    expect(debiasOrderSwap(0.9, 0.9)).toBeCloseTo(0.5, 15);
    expect(() => debiasOrderSwap(1.2, 0.5)).toThrow(/pAFirst/);
    expect(() => debiasOrderSwap(0.5, Number.NaN)).toThrow(/pBFirst/);
  });

  it('the two orders must agree, otherwise the vote is a tie', () => {
    expect(combineOrderVerdicts('a', 'a')).toBe('a');
    expect(combineOrderVerdicts('b', 'b')).toBe('b');
    expect(combineOrderVerdicts('a', 'b')).toBe('tie');
    expect(combineOrderVerdicts('b', 'a')).toBe('tie');
    expect(combineOrderVerdicts('a', 'tie')).toBe('tie');
    expect(combineOrderVerdicts('bothbad', 'bothbad')).toBe('bothbad');
    expect(combineOrderVerdicts('bothbad', 'a')).toBe('tie');
    expect(mirrorOutcome('a')).toBe('b');
    expect(mirrorOutcome('tie')).toBe('tie');
  });

  it('unswaps a judgement made with b shown first', () => {
    const shown: Judgement = { pAB: 0.8, pTie: 0.2, outcome: 'a', scores: { a: 3, b: 1 }, annotatorId: 'x' };
    const j = unswapJudgement(shown);
    expect(j.pAB).toBeCloseTo(0.2, 15); // P(a ≻ b) = 1 − P(first ≻ second) = 1 − 0.8
    expect(j.outcome).toBe('b');
    expect(j.scores).toEqual({ a: 1, b: 3 });
    expect(j.pTie).toBe(0.2);
  });
});

describe('PositionAwareJudge modes', () => {
  // "abcd" vs "ab": Δ = 2 characters.
  it("'fixed' shows a first, once", async () => {
    const inner = lengthJudge(1);
    const j = await new PositionAwareJudge(inner, 'fixed').judge('p', 'abcd', 'ab');
    expect(inner.calls).toEqual([['abcd', 'ab']]);
    expect(j.pAB).toBeCloseTo(sigmoid(2 + 1), 15); // Δ + bias
    expect(j.swapped).toBe(false);
    expect(j.positionMode).toBe('fixed');
  });

  it("'random' flips a seeded coin and maps the answer back to a/b", async () => {
    const inner = lengthJudge(1);
    const judge = new PositionAwareJudge(inner, 'random', 42);
    const results = [];
    for (let i = 0; i < 400; i++) results.push(await judge.judge('p', 'abcd', 'ab'));
    const swapped = results.filter((r) => r.swapped);
    // A fair coin: 400 draws, sd = 10, so 200 ± 40 is a 4-sd band.
    expect(swapped.length).toBeGreaterThan(160);
    expect(swapped.length).toBeLessThan(240);
    for (const r of results) {
      // Shown (a, b): σ(2 + 1). Shown (b, a): P(b ≻ a) = σ(−2 + 1), so P(a ≻ b) = 1 − σ(−1).
      expect(r.pAB).toBeCloseTo(r.swapped ? 1 - sigmoid(-1) : sigmoid(3), 12);
      expect(r.outcome).toBe('a');
      expect(r.scores).toEqual({ a: 4, b: 2 });
    }
    // The same seed gives the same orders.
    const again = new PositionAwareJudge(lengthJudge(1), 'random', 42);
    const orders = [];
    for (let i = 0; i < 400; i++) orders.push((await again.judge('p', 'abcd', 'ab')).swapped);
    expect(orders).toEqual(results.map((r) => r.swapped));
  });

  it("'both' debiases p and calls a tie when the orders disagree", async () => {
    // Bias 1 < Δ = 2: both orders pick a.
    const mild = await new PositionAwareJudge(lengthJudge(1), 'both').judge('p', 'abcd', 'ab');
    // p_AB = σ(3), p_BA = σ(−2 + 1) = σ(−1); debiased = (σ(3) + 1 − σ(−1))/2 = (σ(3) + σ(1))/2.
    expect(mild.pAB).toBeCloseTo((sigmoid(3) + sigmoid(1)) / 2, 12);
    expect(mild.outcome).toBe('a');
    expect(mild.consistent).toBe(true);
    expect(mild.orders).toEqual({
      aFirst: { pFirst: sigmoid(3), pTie: 0.1, outcome: 'a' },
      bFirst: { pFirst: sigmoid(-1), pTie: 0.1, outcome: 'a' },
    });
    // Bias 3 > Δ = 2: whoever is shown first wins → a with a first, b with b first → tie.
    const inner = lengthJudge(3);
    const strong = await new PositionAwareJudge(inner, 'both').judge('p', 'abcd', 'ab');
    expect(inner.calls).toEqual([['abcd', 'ab'], ['ab', 'abcd']]);
    expect(strong.orders?.aFirst.outcome).toBe('a');
    expect(strong.orders?.bFirst.outcome).toBe('b');
    expect(strong.outcome).toBe('tie');
    expect(strong.consistent).toBe(false);
    // (σ(5) + 1 − σ(1))/2: still leans to a, the longer answer, once the lean is removed.
    expect(strong.pAB).toBeCloseTo((sigmoid(5) + 1 - sigmoid(1)) / 2, 12);
    expect(strong.pAB).toBeGreaterThan(0.5);
  });

  it('wraps a simulated annotator through the async interface', async () => {
    const annotator = new SimulatedAnnotator({ scorer: { kind: 'length', targetWords: 3 }, noise: { type: 'bt', temperature: 1 }, positionBias: 0.5, seed: 1 });
    const j = await new PositionAwareJudge(asAsyncJudge(annotator, 'sim'), 'both').judge('p', 'one two three', 'one');
    // length scores −|words − 3|: a 0, b −2. p_AB = σ(2 + 0.5), p_BA = σ(−2 + 0.5).
    expect(j.pAB).toBeCloseTo((sigmoid(2.5) + 1 - sigmoid(-1.5)) / 2, 12);
  });

  it('rejects an unknown mode', () => {
    expect(() => new PositionAwareJudge(lengthJudge(0), 'sometimes' as never)).toThrow(/BAD_REQUEST: unknown position mode/);
  });
});

describe('position consistency and agreement with a person', () => {
  it('consistency = share of pairs with the same verdict in both orders', () => {
    const pairs = [
      { aFirst: 'a', bFirst: 'a' },
      { aFirst: 'b', bFirst: 'b' },
      { aFirst: 'a', bFirst: 'b' }, // first-shown wins both times
      { aFirst: 'tie', bFirst: 'tie' },
    ] as const;
    expect(positionConsistency(pairs)).toBe(3 / 4);
    // Decisive verdicts: a,a,b,b,a,b = 6; first-shown wins: aFirst 'a' (1st, 3rd pair) + bFirst 'b' (2nd, 3rd) = 4 → 4/6.
    expect(firstPositionRate(pairs)).toBeCloseTo(4 / 6, 15);
    expect(positionConsistency([])).toBeNaN();
  });

  it("Cohen's κ on Wikipedia's worked example: p_o 0.7, p_e 0.5, κ 0.4", () => {
    // 50 items: both yes 20, A yes / B no 5, A no / B yes 10, both no 15 (en.wikipedia.org/wiki/Cohen's_kappa).
    // p_o = 35/50 = 0.7; p_e = (25/50)(30/50) + (25/50)(20/50) = 0.3 + 0.2 = 0.5; κ = 0.2/0.5 = 0.4.
    const A = [...Array(20).fill('y'), ...Array(5).fill('y'), ...Array(10).fill('n'), ...Array(15).fill('n')];
    const B = [...Array(20).fill('y'), ...Array(5).fill('n'), ...Array(10).fill('y'), ...Array(15).fill('n')];
    const k = cohensKappa(A, B);
    expect(k.observed).toBeCloseTo(0.7, 15);
    expect(k.expected).toBeCloseTo(0.5, 15);
    expect(k.kappa).toBeCloseTo(0.4, 15);
  });

  it('accuracy and κ of judge votes against a person, ties included', () => {
    const judge: JudgeOutcome[] = ['a', 'a', 'b', 'tie', 'a', 'b'];
    const person: JudgeOutcome[] = ['a', 'b', 'b', 'tie', 'a', 'a'];
    // Same label on items 1, 3, 4, 5 → p_o = 4/6.
    // Judge: a 3, b 2, tie 1; person: a 3, b 2, tie 1 (of 6).
    // p_e = (3·3 + 2·2 + 1·1)/36 = 14/36; κ = (4/6 − 14/36)/(1 − 14/36) = (24 − 14)/(36 − 14) = 10/22.
    const r = agreementWithPerson(judge, person);
    expect(r.n).toBe(6);
    expect(r.accuracy).toBeCloseTo(4 / 6, 15);
    expect(r.expected).toBeCloseTo(14 / 36, 15);
    expect(r.kappa).toBeCloseTo(10 / 22, 15);
  });

  it('κ is 1 for perfect agreement, ≤ 0 for chance-level, undefined when both always say one label', () => {
    expect(cohensKappa(['a', 'b', 'a'], ['a', 'b', 'a']).kappa).toBeCloseTo(1, 15);
    // Always-opposite on a balanced set: p_o = 0, p_e = 0.5 → κ = −1.
    expect(cohensKappa(['a', 'b', 'a', 'b'], ['b', 'a', 'b', 'a']).kappa).toBeCloseTo(-1, 15);
    expect(cohensKappa(['a', 'a'], ['a', 'a']).kappa).toBeNaN();
    expect(() => cohensKappa(['a'], ['a', 'b'])).toThrow(/differ in length/);
  });
});

describe('judge.json', () => {
  const base = {
    kind: 'pointwise',
    max_length: 8,
    input_names: { input_ids: 'input_ids', attention_mask: 'attention_mask' },
    output_name: 'scores',
    pad_token_id: 0,
  };

  it('parses with defaults', () => {
    const m = parseJudgeManifest(base);
    expect(m.template).toBe('{prompt}\n\n{completion}');
    expect(m.appendEos).toBe(false);
    expect(m.temperature).toBe(1);
    expect(m.inputNames).toEqual({ inputIds: 'input_ids', attentionMask: 'attention_mask' });
  });

  it('errors name the key', () => {
    const { output_name: _, ...noOutput } = base;
    expect(() => parseJudgeManifest(noOutput)).toThrow(/^BAD_MANIFEST: judge\.json: output_name: /);
    expect(() => parseJudgeManifest({ ...base, kind: 'listwise' })).toThrow(/judge\.json: kind: /);
    expect(() => parseJudgeManifest({ ...base, max_length: 1 })).toThrow(/judge\.json: max_length: /);
    expect(() => parseJudgeManifest({ ...base, input_names: { ids: 'x' } })).toThrow(/judge\.json: input_names/);
    expect(() => parseJudgeManifest({ ...base, append_eos: true })).toThrow(/append_eos is true but eos_token_id is not set/);
    expect(() => parseJudgeManifest({ ...base, template: '{prompt} {answer}' })).toThrow(/template: unknown slot \{answer\}/);
    expect(() => parseJudgeManifest({ ...base, kind: 'pairwise', template: '{prompt} {a}' })).toThrow(/needs the slot \{b\}/);
    expect(() => parseJudgeManifest({ ...base, temperature: 0 })).toThrow(/temperature/);
  });
});

describe('input encoding', () => {
  // A stand-in tokenizer: one token per character (its char code).
  const charTokenizer = { encode: (s: string) => [...s].map((c) => c.charCodeAt(0)) };

  it('fits segments by water filling, never cutting short segments for long ones', () => {
    // Cap c: 10 + 3 + min(50, c) ≤ 30 → c = 17.
    expect(fitSegmentLengths([10, 3, 50], [true, true, true], 30)).toEqual([10, 3, 17]);
    // Literal 5 fixed; room 40 → c = 20 each.
    expect(fitSegmentLengths([5, 40, 40], [false, true, true], 45)).toEqual([5, 20, 20]);
    // Room 41: c = 20 uses 40, the one left over goes to the first long segment.
    expect(fitSegmentLengths([5, 40, 40], [false, true, true], 46)).toEqual([5, 21, 20]);
    expect(fitSegmentLengths([3, 4], [true, true], 10)).toEqual([3, 4]);
    expect(() => fitSegmentLengths([12, 4], [false, true], 10)).toThrow(/literal text alone needs 12 tokens/);
  });

  it('pointwise rows: truncated to max_length − 1, then eos', () => {
    const m = parseJudgeManifest({
      kind: 'pointwise', max_length: 5, input_names: { input_ids: 'ids' }, output_name: 's',
      pad_token_id: 0, eos_token_id: 9, append_eos: true, template: '{completion}',
    });
    const enc = new JudgeInputEncoder(m, charTokenizer);
    expect(enc.pointwiseRow('ignored', 'abcdef')).toEqual([97, 98, 99, 100, 9]);
    expect(enc.pointwiseRow('ignored', 'ab')).toEqual([97, 98, 9]);
  });

  it('pairwise rows keep both answers when the prompt is long', () => {
    const m = parseJudgeManifest({
      kind: 'pairwise', max_length: 12, input_names: { input_ids: 'ids' }, output_name: 'logit',
      pad_token_id: 0, template: '{prompt}|{a}|{b}',
    });
    const enc = new JudgeInputEncoder(m, charTokenizer);
    // Literals "|" "|" = 2 tokens; room 10 for lengths (20, 3, 3): c = 4 → prompt 4, a 3, b 3.
    const row = enc.pairwiseRow('PPPPPPPPPPPPPPPPPPPP', 'xyz', 'uvw');
    expect(String.fromCharCode(...row)).toBe('PPPP|xyz|uvw');
  });

  it('packs rows right-padded with a 0/1 mask', () => {
    const p = packRows([[5, 6, 7], [8]], 1);
    expect(p.batch).toBe(2);
    expect(p.seq).toBe(3);
    expect(Array.from(p.inputIds)).toEqual([5n, 6n, 7n, 8n, 1n, 1n]);
    expect(Array.from(p.attentionMask)).toEqual([1n, 1n, 1n, 1n, 0n, 0n]);
    expect(() => packRows([], 0)).toThrow(/BAD_REQUEST: nothing to score/);
  });
});

/** A fake ORT session: the output is f(row) per row, in the shape and type asked for. */
function fakeSession(opts: {
  inputs?: string[];
  outputs?: string[];
  inputMetadata?: ValueInfo[];
  outputMetadata?: ValueInfo[];
  rowValue?: (ids: bigint[]) => number;
  outputDims?: (batch: number) => number[];
  outputType?: string;
}): JudgeSession & { feeds: Record<string, Int64Input>[] } {
  const feeds: Record<string, Int64Input>[] = [];
  return {
    inputNames: opts.inputs ?? ['input_ids', 'attention_mask'],
    outputNames: opts.outputs ?? ['scores'],
    inputMetadata: opts.inputMetadata ?? [],
    outputMetadata: opts.outputMetadata ?? [],
    executionProvider: 'fake',
    feeds,
    async run(f, fetches): Promise<Record<string, OutputTensor>> {
      feeds.push(f);
      const ids = f['input_ids']!;
      const mask = f['attention_mask'];
      const [batch, seq] = ids.dims;
      const values = new Float32Array(batch);
      for (let b = 0; b < batch; b++) {
        const row: bigint[] = [];
        for (let t = 0; t < seq; t++) if (!mask || mask.data[b * seq + t] === 1n) row.push(ids.data[b * seq + t]!);
        values[b] = (opts.rowValue ?? ((r) => r.length))(row);
      }
      const dims = opts.outputDims?.(batch) ?? [batch];
      const data = opts.outputType === 'int64' ? new BigInt64Array(values.length) : values;
      return Object.fromEntries(fetches.map((n) => [n, { type: opts.outputType ?? 'float32', dims, data }]));
    },
    async release() {},
  };
}

const wordTokenizer = { encode: (s: string) => s.split(/\s+/).filter(Boolean).map((w) => w.length) };
const pointwiseManifest = parseJudgeManifest({
  kind: 'pointwise', max_length: 16, input_names: { input_ids: 'input_ids', attention_mask: 'attention_mask' },
  output_name: 'scores', pad_token_id: 0, template: '{completion}', name: 'len-judge',
});

describe('model signature and output checks', () => {
  it('names a missing input, listing what the model has', () => {
    const s = fakeSession({ inputs: ['ids', 'attention_mask'] });
    expect(() => checkSessionSignature(pointwiseManifest, s, 'model.onnx')).toThrow(
      'BAD_MODEL: model.onnx has no input "input_ids" (judge.json input_names.input_ids); the model\'s inputs are "ids", "attention_mask"',
    );
  });

  it('names an input the model needs but judge.json does not feed', () => {
    const s = fakeSession({ inputs: ['input_ids', 'attention_mask', 'token_type_ids'] });
    expect(() => checkSessionSignature(pointwiseManifest, s, 'model.onnx')).toThrow(/needs input "token_type_ids", which judge\.json does not provide/);
  });

  it('names a missing output', () => {
    const s = fakeSession({ outputs: ['logits'] });
    expect(() => checkSessionSignature(pointwiseManifest, s, 'model.onnx')).toThrow(
      'BAD_MODEL: model.onnx has no output "scores" (judge.json output_name); the model\'s outputs are "logits"',
    );
  });

  it('rejects wrong types and shapes from the metadata', () => {
    const floatIds = fakeSession({ inputMetadata: [{ name: 'input_ids', isTensor: true, type: 'float32', shape: ['batch', 'seq'] }] });
    expect(() => checkSessionSignature(pointwiseManifest, floatIds, 'm.onnx')).toThrow(/input "input_ids" has type float32; judges feed int64/);
    const rank3 = fakeSession({ inputMetadata: [{ name: 'input_ids', isTensor: true, type: 'int64', shape: ['b', 's', 1] }] });
    expect(() => checkSessionSignature(pointwiseManifest, rank3, 'm.onnx')).toThrow(/input "input_ids" has shape \[b, s, 1\]; expected \[batch, seq\]/);
    const perToken = fakeSession({ outputMetadata: [{ name: 'scores', isTensor: true, type: 'float32', shape: ['batch', 'seq', 4096] }] });
    expect(() => checkSessionSignature(pointwiseManifest, perToken, 'm.onnx')).toThrow(/output "scores" has shape \[batch, seq, 4096\]; a pointwise judge needs \[batch\] or \[batch, 1\]/);
    const twoLabels = fakeSession({ outputMetadata: [{ name: 'scores', isTensor: true, type: 'float32', shape: ['batch', 2] }] });
    expect(() => checkSessionSignature(pointwiseManifest, twoLabels, 'm.onnx')).toThrow(/shape \[batch, 2\]/);
    const ok = fakeSession({ outputMetadata: [{ name: 'scores', isTensor: true, type: 'float32', shape: ['batch', 1] }] });
    expect(() => checkSessionSignature(pointwiseManifest, ok, 'm.onnx')).not.toThrow();
  });

  it('checks the dims, type and values actually returned', () => {
    const t = (dims: number[], data: unknown, type = 'float32'): Record<string, OutputTensor> => ({ scores: { type, dims, data } });
    expect(Array.from(readRowScores(t([2], new Float32Array([1, 2])), pointwiseManifest, 2, 'm'))).toEqual([1, 2]);
    expect(Array.from(readRowScores(t([2, 1], new Float32Array([1, 2])), pointwiseManifest, 2, 'm'))).toEqual([1, 2]);
    expect(() => readRowScores(t([2, 3], new Float32Array(6)), pointwiseManifest, 2, 'm')).toThrow(
      'BAD_MODEL: m: output "scores" has shape [2, 3] for a batch of 2; a pointwise judge needs [2] or [2, 1]',
    );
    expect(() => readRowScores(t([1], new Float32Array(1)), pointwiseManifest, 2, 'm')).toThrow(/shape \[1\] for a batch of 2/);
    expect(() => readRowScores(t([2], new BigInt64Array(2), 'int64'), pointwiseManifest, 2, 'm')).toThrow(/has type int64; expected float32/);
    expect(() => readRowScores(t([2], new Float32Array([1, Number.NaN])), pointwiseManifest, 2, 'm')).toThrow(/^RUN_FAILED: m: output "scores" row 1 is NaN/);
    expect(() => readRowScores({ logits: { type: 'float32', dims: [2], data: new Float32Array(2) } }, pointwiseManifest, 2, 'm')).toThrow(
      /returned no output "scores"/,
    );
  });
});

describe('ONNX judges over a session', () => {
  it('pointwise: feeds ids and mask, P(a ≻ b) = σ(s_a − s_b)', async () => {
    // Score = number of tokens; "a b c" has 3 words, "a" has 1.
    const session = fakeSession({});
    const judge = new OnnxPointwiseJudge('len', session, wordTokenizer, pointwiseManifest);
    const j = await judge.judge('prompt', 'aa bbb c', 'a');
    expect(j.scores).toEqual({ a: 3, b: 1 });
    expect(j.pAB).toBeCloseTo(sigmoid(2), 7);
    expect(j.outcome).toBe('a');
    expect(j.pTie).toBe(0);
    expect(j.annotatorId).toBe('len');
    expect(j.critique).toMatch(/len-judge: scores A 3\.00, B 1\.00 → prefers A/);
    const feed = session.feeds[0]!;
    expect(feed['input_ids']!.dims).toEqual([2, 3]);
    expect(Array.from(feed['input_ids']!.data)).toEqual([2n, 3n, 1n, 1n, 0n, 0n]); // word lengths, pad 0
    expect(Array.from(feed['attention_mask']!.data)).toEqual([1n, 1n, 1n, 1n, 0n, 0n]);
    expect(await judge.scoreCompletions('', ['x', 'x x', 'x x x x'])).toEqual([1, 2, 4]);
  });

  it('pointwise: [batch, 1] outputs work, wrong output shapes fail with the shape named', async () => {
    const col = new OnnxPointwiseJudge('c', fakeSession({ outputDims: (b) => [b, 1] }), wordTokenizer, pointwiseManifest);
    expect(await col.scoreCompletions('', ['x', 'x x'])).toEqual([1, 2]);
    const wide = new OnnxPointwiseJudge('w', fakeSession({ outputDims: (b) => [b, 2] }), wordTokenizer, pointwiseManifest);
    const e = await rejects(wide.judge('', 'x', 'y'));
    expect(judgeErrorCode(e)).toBe('BAD_MODEL');
    expect((e as Error).message).toMatch(/output "scores" has shape \[2, 2\] for a batch of 2/);
  });

  it('a model error during run is RUN_FAILED naming the EP', async () => {
    const s = fakeSession({});
    s.run = async () => {
      throw new Error('boom');
    };
    const e = await rejects(new OnnxPointwiseJudge('x', s, wordTokenizer, pointwiseManifest).judge('', 'a', 'b'));
    expect((e as Error).message).toBe('RUN_FAILED: model.onnx (fake): boom');
  });

  it('tie_margin turns small differences into tie verdicts', () => {
    expect(verdictFromLogit(0.2, 1, 0.5)).toEqual({ pAB: sigmoid(0.2), pTie: 1, outcome: 'tie' });
    expect(verdictFromLogit(-0.7, 1, 0.5)).toEqual({ pAB: sigmoid(-0.7), pTie: 0, outcome: 'b' });
    expect(verdictFromLogit(2, 4).pAB).toBeCloseTo(sigmoid(0.5), 15);
  });

  it('pairwise cross-encoder: one row per order; position modes apply', async () => {
    const manifest = parseJudgeManifest({
      kind: 'pairwise', max_length: 32, input_names: { input_ids: 'input_ids', attention_mask: 'attention_mask' },
      output_name: 'scores', pad_token_id: 0, template: '{a} {b}',
    });
    // Token = word length + 1 (never the pad id 0); the literal " " encodes to no tokens, so a row is
    // the first answer's tokens followed by the second's.
    const tokenizer = { encode: (s: string) => s.split(/\s+/).filter(Boolean).map((w) => w.length + 1) };
    // A pure position judge: logit 1.5 for whichever answer is shown first.
    const rows: number[][] = [];
    const session = fakeSession({
      rowValue: (row) => {
        rows.push(row.map(Number));
        return 1.5;
      },
    });
    const judge = new OnnxPairwiseJudge('pair', session, tokenizer, manifest);
    const fixed = await judge.judge('', 'one two', 'three');
    expect(fixed.pAB).toBeCloseTo(sigmoid(1.5), 7);
    expect(fixed.outcome).toBe('a');
    expect(fixed.scores.a - fixed.scores.b).toBeCloseTo(1.5, 6); // σ(scores.a − scores.b) = pAB
    expect(rows).toEqual([[4, 4, 6]]); // "one two" then "three"
    const both = await new PositionAwareJudge(judge, 'both').judge('', 'one two', 'three');
    expect(rows.slice(1)).toEqual([[4, 4, 6], [6, 4, 4]]);
    expect(both.outcome).toBe('tie'); // each order prefers its first answer
    expect(both.consistent).toBe(false);
    expect(both.pAB).toBeCloseTo(0.5, 7); // (σ(1.5) + 1 − σ(1.5))/2
  });

  it('a judge of the wrong kind for its manifest is refused', () => {
    expect(() => new OnnxPairwiseJudge('x', fakeSession({}), wordTokenizer, pointwiseManifest)).toThrow(/kind is "pointwise", not "pairwise"/);
  });
});

describe('OrtQueue', () => {
  it('runs tasks one at a time, in call order, and keeps going after a failure', async () => {
    const queue = new OrtQueue();
    let running = 0;
    let maxRunning = 0;
    const order: number[] = [];
    const task = (i: number, ms: number, fail = false) => async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      await new Promise((r) => setTimeout(r, ms));
      order.push(i);
      running--;
      if (fail) throw new Error(`task ${i} failed`);
      return i;
    };
    // Later tasks are shorter: without the queue they would finish first and overlap.
    const results = [queue.run(task(0, 30)), queue.run(task(1, 20, true)), queue.run(task(2, 10)), queue.run(task(3, 1))];
    expect(queue.pending).toBe(4);
    const settled = await Promise.allSettled(results);
    expect(maxRunning).toBe(1);
    expect(order).toEqual([0, 1, 2, 3]);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect((settled[1] as PromiseRejectedResult).reason.message).toBe('task 1 failed');
    expect(queue.pending).toBe(0);
    expect(queue.completed).toBe(4);
  });

  it('JudgeError messages carry their code across a structured clone', () => {
    const e = new JudgeError('BAD_MODEL', 'x');
    expect(e.message).toBe('BAD_MODEL: x');
    expect(judgeErrorCode(new Error(e.message))).toBe('BAD_MODEL');
    expect(judgeErrorCode(new Error('no code here'))).toBe('INTERNAL');
  });
});
