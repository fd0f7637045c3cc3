/**
 * A GPT-2 ONNX graph built from a safetensors checkpoint, for the onnxruntime-web peers when a
 * checkpoint directory has no model.onnx (the generated fallback checkpoint, or a user's
 * `--model DIR`). Same interface as the shipped export (scripts/pretrain/export.py): input
 * `input_ids` int64 [batch, seq] → `logits` float32 [batch, seq, vocab], no KV cache, and the
 * weights are external data pointing into model.safetensors (pass it to ORT as
 * `externalData: [{ path: 'model.safetensors', data }]`).
 *
 * Standard opset-17 operators only: Gather embeddings, LayerNormalization, MatMul+Add
 * (Conv1D layout [in, out] needs no transpose), Split/Reshape/Transpose heads, scaled
 * scores + a sliced causal bias, Softmax, tanh GELU spelled out, tied LM head via Transpose(wte).
 */
import { gpt2ParamSpecs, type GPT2Config } from '../../src/engine/model/config';
import { DT, model, node, tensorExternal, tensorInline, valueInfo, type Msg } from './proto';

interface Located {
  offset: number;
  length: number;
  dtype: string;
}

/** Byte ranges of the tensors in a safetensors file (names without a `transformer.` prefix). */
export function safetensorsOffsets(bytes: Uint8Array): Map<string, Located> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLen))) as Record<
    string,
    { dtype: string; data_offsets: [number, number] }
  >;
  const base = 8 + headerLen;
  const out = new Map<string, Located>();
  for (const [raw, e] of Object.entries(header)) {
    if (raw === '__metadata__') continue;
    const name = raw.startsWith('transformer.') ? raw.slice('transformer.'.length) : raw;
    out.set(name, { offset: base + e.data_offsets[0], length: e.data_offsets[1] - e.data_offsets[0], dtype: e.dtype });
  }
  return out;
}

export function buildGpt2Onnx(config: GPT2Config, safetensors: Uint8Array, location = 'model.safetensors'): Uint8Array {
  const C = config.nEmbd;
  const H = config.nHead;
  const D = C / H;
  const P = config.nPositions;
  const offsets = safetensorsOffsets(safetensors);
  const inits: Msg[] = [];
  const nodes: Msg[] = [];
  let k = 0;
  const op = (type: string, inputs: string[], attrs: Parameters<typeof node>[4] = {}, nOut = 1): string[] => {
    const id = k++;
    const outs = Array.from({ length: nOut }, (_, i) => `${type.toLowerCase()}_${id}${nOut > 1 ? '_' + i : ''}`);
    nodes.push(node(type, inputs, outs, `${type}_${id}`, attrs));
    return outs;
  };
  const one = (type: string, inputs: string[], attrs: Parameters<typeof node>[4] = {}) => op(type, inputs, attrs)[0];

  for (const s of gpt2ParamSpecs(config)) {
    const at = offsets.get(s.name);
    if (!at) throw new Error(`model.safetensors: missing ${s.name}`);
    if (at.dtype !== 'F32') throw new Error(`model.safetensors: ${s.name} is ${at.dtype}; the bench's ONNX builder reads F32 only`);
    inits.push(tensorExternal(s.name, s.shape, location, at.offset, at.length));
  }
  const f32 = (name: string, dims: number[], values: number[] | Float32Array) => {
    inits.push(tensorInline(name, dims, values instanceof Float32Array ? values : Float32Array.from(values)));
    return name;
  };
  const i64 = (name: string, dims: number[], values: number[]) => {
    inits.push(tensorInline(name, dims, BigInt64Array.from(values.map(BigInt))));
    return name;
  };
  // Additive causal mask for every length up to n_positions; sliced to [seq, seq] per run.
  const causal = new Float32Array(P * P);
  for (let i = 0; i < P; i++) for (let j = i + 1; j < P; j++) causal[i * P + j] = -1e9;
  f32('causal_bias', [P, P], causal);
  f32('attn_scale', [], [1 / Math.sqrt(D)]);
  f32('half', [], [0.5]);
  f32('one_f', [], [1]);
  f32('gelu_c', [], [0.044715]);
  f32('gelu_k', [], [Math.sqrt(2 / Math.PI)]);
  i64('zero_i', [], [0]);
  i64('one_i', [], [1]);
  i64('axis0', [1], [0]);
  i64('starts00', [2], [0, 0]);
  i64('axes01', [2], [0, 1]);
  i64('split_qkv', [3], [C, C, C]);
  i64('heads_shape', [4], [0, 0, H, D]);
  i64('merge_shape', [3], [0, 0, C]);

  // Embeddings: wte[ids] + wpe[0 … seq-1].
  const shape = one('Shape', ['input_ids']);
  const seq = one('Gather', [shape, 'one_i'], { axis: { i: 0 } });
  const pos = one('Range', ['zero_i', seq, 'one_i']);
  let x = one('Add', [one('Gather', ['wte.weight', 'input_ids'], { axis: { i: 0 } }), one('Gather', ['wpe.weight', pos], { axis: { i: 0 } })]);
  const seq1 = one('Unsqueeze', [seq, 'axis0']);
  const ends = one('Concat', [seq1, seq1], { axis: { i: 0 } });
  const bias = one('Slice', ['causal_bias', 'starts00', ends, 'axes01']);

  const ln = (input: string, prefix: string) =>
    one('LayerNormalization', [input, `${prefix}.weight`, `${prefix}.bias`], { axis: { i: -1 }, epsilon: { f: config.layerNormEpsilon } });
  const linear = (input: string, prefix: string) => one('Add', [one('MatMul', [input, `${prefix}.weight`]), `${prefix}.bias`]);

  for (let l = 0; l < config.nLayer; l++) {
    const p = `h.${l}.`;
    const qkv = linear(ln(x, p + 'ln_1'), p + 'attn.c_attn');
    const [q, kk, v] = op('Split', [qkv, 'split_qkv'], { axis: { i: 2 } }, 3);
    const heads = (t: string, perm: number[]) => one('Transpose', [one('Reshape', [t, 'heads_shape'])], { perm: { ints: perm } });
    const qh = heads(q, [0, 2, 1, 3]); // [b, H, s, D]
    const kt = heads(kk, [0, 2, 3, 1]); // [b, H, D, s]
    const vh = heads(v, [0, 2, 1, 3]);
    const scores = one('Add', [one('Mul', [one('MatMul', [qh, kt]), 'attn_scale']), bias]);
    const probs = one('Softmax', [scores], { axis: { i: 3 } });
    const y = one('Reshape', [one('Transpose', [one('MatMul', [probs, vh])], { perm: { ints: [0, 2, 1, 3] } }), 'merge_shape']);
    x = one('Add', [x, linear(y, p + 'attn.c_proj')]);
    const f = linear(ln(x, p + 'ln_2'), p + 'mlp.c_fc');
    const cube = one('Mul', [f, one('Mul', [f, f])]);
    const inner = one('Mul', ['gelu_k', one('Add', [f, one('Mul', ['gelu_c', cube])])]);
    const g = one('Mul', [one('Mul', [f, 'half']), one('Add', ['one_f', one('Tanh', [inner])])]);
    x = one('Add', [x, linear(g, p + 'mlp.c_proj')]);
  }
  const hf = ln(x, 'ln_f');
  const wteT = one('Transpose', ['wte.weight'], { perm: { ints: [1, 0] } });
  nodes.push(node('MatMul', [hf, wteT], ['logits'], 'lm_head'));

  return model({
    graphName: 'duelbook_bench_gpt2',
    nodes,
    initializers: inits,
    inputs: [valueInfo('input_ids', DT.INT64, ['batch', 'seq'])],
    outputs: [valueInfo('logits', DT.FLOAT, ['batch', 'seq', config.vocabSize])],
    opset: 17,
    doc: 'GPT-2 forward built by bench/onnx/gpt2_onnx.ts from model.safetensors (weights as external data); no KV cache',
  });
}
