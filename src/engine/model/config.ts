import * as v from 'valibot';

/** GPT-2 architecture hyperparameters, in our names. */
export interface GPT2Config {
  nLayer: number;
  nHead: number;
  nEmbd: number;
  vocabSize: number;
  nPositions: number;
  layerNormEpsilon: number;
  eosTokenId: number | null;
}

/**
 * Limits checked before anything is allocated from a config (a hostile `n_layer: 1e9` once ran
 * for 93 s and ran out of memory). The parameter cap admits GPT-2 small (124 M) and refuses
 * GPT-2 medium (355 M): float32 weights, gradients, two AdamW moments and the frozen reference
 * are five copies, 2.5 GB at 124 M and 7.1 GB at 355 M. The per-field caps are far above any
 * GPT-2 and only stop values that overflow the arithmetic below them.
 */
export const MAX_PARAMETERS = 200_000_000;
const FIELD_MAX = { n_layer: 1024, n_head: 1024, n_embd: 65_536, vocab_size: 4_194_304, n_positions: 1_048_576 } as const;

const positiveInt = v.pipe(v.number(), v.integer(), v.minValue(1));
const dimension = (max: number) => v.pipe(positiveInt, v.maxValue(max));
const tokenId = v.optional(v.nullable(v.pipe(v.number(), v.integer(), v.minValue(0))), null);

/** Hugging Face GPT-2 `config.json` keys (a user's checkpoint comes with one of these). */
const HfGpt2ConfigSchema = v.looseObject({
  n_layer: dimension(FIELD_MAX.n_layer),
  n_head: dimension(FIELD_MAX.n_head),
  n_embd: dimension(FIELD_MAX.n_embd),
  vocab_size: dimension(FIELD_MAX.vocab_size),
  n_positions: v.optional(dimension(FIELD_MAX.n_positions)),
  n_ctx: v.optional(dimension(FIELD_MAX.n_positions)),
  layer_norm_epsilon: v.optional(v.pipe(v.number(), v.minValue(0)), 1e-5),
  eos_token_id: tokenId,
  bos_token_id: tokenId,
  pad_token_id: tokenId,
  activation_function: v.optional(v.string(), 'gelu_new'),
  model_type: v.optional(v.string()),
});

/**
 * Hugging Face GPT2Config fields that change what the network computes, with the one value
 * this engine computes. Any other value is refused by name instead of being silently ignored.
 * Not listed, because they do not change the function a checkpoint computes here:
 * `reorder_and_upcast_attn` (only moves the 1/√d scale and upcasts to float32 — this engine is
 * float32 throughout), the dropout rates (training-time noise; the DPO family runs with dropout
 * off, as TRL's `disable_dropout` does), `summary_*` (a classification head we do not load),
 * `initializer_range`, `use_cache`, `architectures`, `task_specific_params`, `_name_or_path`.
 */
const UNIMPLEMENTED_UNLESS: ReadonlyArray<[key: string, honoured: unknown, why: string]> = [
  ['tie_word_embeddings', true, 'the LM head here is the token embedding, tied'],
  ['scale_attn_by_inverse_layer_idx', false, 'attention scores are scaled by 1/√head_dim only'],
  ['scale_attn_weights', true, 'attention scores are always scaled by 1/√head_dim'],
  ['add_cross_attention', false, 'this is a decoder-only model without cross-attention'],
  ['is_encoder_decoder', false, 'this is a decoder-only model'],
];

function fail(msg: string): never {
  throw new Error(`config.json: ${msg}`);
}

/** GPT-2's parameter count from the config alone, in closed form (no per-tensor list). */
export function estimateParams(c: { nLayer: number; nEmbd: number; vocabSize: number; nPositions: number }): number {
  const C = c.nEmbd;
  return (c.vocabSize + c.nPositions) * C + c.nLayer * (12 * C * C + 13 * C) + 2 * C;
}

/** Validates a parsed config.json; errors name the offending key. */
export function parseHfGpt2Config(json: unknown): GPT2Config {
  const r = v.safeParse(HfGpt2ConfigSchema, json);
  if (!r.success) {
    const issue = r.issues[0];
    const path = issue.path?.map((p) => String(p.key)).join('.') ?? '(root)';
    fail(`${path}: ${issue.message}`);
  }
  const c = r.output;
  if (c.model_type !== undefined && c.model_type !== 'gpt2') {
    fail(`model_type is "${c.model_type}"; only GPT-2-architecture models are supported`);
  }
  // "gelu" is the exact erf GELU in Hugging Face's ACT2FN; the kernels compute the tanh form.
  if (!['gelu_new', 'gelu_pytorch_tanh'].includes(c.activation_function)) {
    fail(`activation_function "${c.activation_function}" is not implemented (only GPT-2's tanh GELU, "gelu_new")`);
  }
  const raw = json as Record<string, unknown>;
  for (const [key, honoured, why] of UNIMPLEMENTED_UNLESS) {
    if (raw[key] !== undefined && raw[key] !== honoured) {
      fail(`${key}: ${JSON.stringify(raw[key])} is not implemented (${why}; only ${JSON.stringify(honoured)} is)`);
    }
  }
  if (raw.n_inner !== undefined && raw.n_inner !== null && raw.n_inner !== 4 * c.n_embd) {
    fail(`n_inner: ${JSON.stringify(raw.n_inner)} is not implemented (the MLP width here is 4·n_embd = ${4 * c.n_embd})`);
  }
  if (c.n_embd % c.n_head !== 0) {
    fail(`n_embd (${c.n_embd}) is not divisible by n_head (${c.n_head})`);
  }
  const nPositions = c.n_positions ?? c.n_ctx;
  if (nPositions === undefined) fail('n_positions is missing');
  for (const key of ['eos_token_id', 'bos_token_id', 'pad_token_id'] as const) {
    const id = c[key];
    if (id !== null && id >= c.vocab_size) fail(`${key} ${id} is outside the vocabulary (vocab_size ${c.vocab_size})`);
  }
  const config: GPT2Config = {
    nLayer: c.n_layer,
    nHead: c.n_head,
    nEmbd: c.n_embd,
    vocabSize: c.vocab_size,
    nPositions,
    layerNormEpsilon: c.layer_norm_epsilon,
    eosTokenId: c.eos_token_id ?? null,
  };
  const params = estimateParams(config);
  if (params > MAX_PARAMETERS) {
    fail(
      `n_layer ${c.n_layer}, n_embd ${c.n_embd}, vocab_size ${c.vocab_size}, n_positions ${nPositions} make ${params.toExponential(2)} parameters; the limit is ${MAX_PARAMETERS.toExponential(0)}`,
    );
  }
  return config;
}

export function toHfGpt2Config(c: GPT2Config): Record<string, unknown> {
  return {
    model_type: 'gpt2',
    n_layer: c.nLayer,
    n_head: c.nHead,
    n_embd: c.nEmbd,
    vocab_size: c.vocabSize,
    n_positions: c.nPositions,
    n_ctx: c.nPositions,
    layer_norm_epsilon: c.layerNormEpsilon,
    eos_token_id: c.eosTokenId,
    activation_function: 'gelu_new',
  };
}

export interface ParamSpec {
  name: string;
  shape: number[];
}

/** Every trainable tensor, with Hugging Face GPT-2 names and Conv1D ([in, out]) layout. */
export function gpt2ParamSpecs(c: GPT2Config): ParamSpec[] {
  const C = c.nEmbd;
  const specs: ParamSpec[] = [
    { name: 'wte.weight', shape: [c.vocabSize, C] },
    { name: 'wpe.weight', shape: [c.nPositions, C] },
  ];
  for (let i = 0; i < c.nLayer; i++) {
    const p = `h.${i}.`;
    specs.push(
      { name: p + 'ln_1.weight', shape: [C] },
      { name: p + 'ln_1.bias', shape: [C] },
      { name: p + 'attn.c_attn.weight', shape: [C, 3 * C] },
      { name: p + 'attn.c_attn.bias', shape: [3 * C] },
      { name: p + 'attn.c_proj.weight', shape: [C, C] },
      { name: p + 'attn.c_proj.bias', shape: [C] },
      { name: p + 'ln_2.weight', shape: [C] },
      { name: p + 'ln_2.bias', shape: [C] },
      { name: p + 'mlp.c_fc.weight', shape: [C, 4 * C] },
      { name: p + 'mlp.c_fc.bias', shape: [4 * C] },
      { name: p + 'mlp.c_proj.weight', shape: [4 * C, C] },
      { name: p + 'mlp.c_proj.bias', shape: [C] },
    );
  }
  specs.push({ name: 'ln_f.weight', shape: [C] }, { name: 'ln_f.bias', shape: [C] });
  return specs;
}

export function countParams(c: GPT2Config): number {
  return gpt2ParamSpecs(c).reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
}
