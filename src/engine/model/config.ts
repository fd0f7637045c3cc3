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

const positiveInt = v.pipe(v.number(), v.integer(), v.minValue(1));

/** Hugging Face GPT-2 `config.json` keys (a user's checkpoint comes with one of these). */
const HfGpt2ConfigSchema = v.looseObject({
  n_layer: positiveInt,
  n_head: positiveInt,
  n_embd: positiveInt,
  vocab_size: positiveInt,
  n_positions: v.optional(positiveInt),
  n_ctx: v.optional(positiveInt),
  layer_norm_epsilon: v.optional(v.pipe(v.number(), v.minValue(0)), 1e-5),
  eos_token_id: v.optional(v.nullable(v.pipe(v.number(), v.integer(), v.minValue(0))), null),
  activation_function: v.optional(v.string(), 'gelu_new'),
  model_type: v.optional(v.string()),
});

/** Validates a parsed config.json; errors name the offending key. */
export function parseHfGpt2Config(json: unknown): GPT2Config {
  const r = v.safeParse(HfGpt2ConfigSchema, json);
  if (!r.success) {
    const issue = r.issues[0];
    const path = issue.path?.map((p) => String(p.key)).join('.') ?? '(root)';
    throw new Error(`config.json: ${path}: ${issue.message}`);
  }
  const c = r.output;
  if (c.model_type !== undefined && c.model_type !== 'gpt2') {
    throw new Error(`config.json: model_type is "${c.model_type}"; only GPT-2-architecture models are supported`);
  }
  if (!['gelu_new', 'gelu_pytorch_tanh', 'gelu'].includes(c.activation_function)) {
    throw new Error(`config.json: activation_function "${c.activation_function}" is not GPT-2's tanh GELU`);
  }
  if (c.n_embd % c.n_head !== 0) {
    throw new Error(`config.json: n_embd (${c.n_embd}) is not divisible by n_head (${c.n_head})`);
  }
  const nPositions = c.n_positions ?? c.n_ctx;
  if (nPositions === undefined) throw new Error('config.json: n_positions is missing');
  return {
    nLayer: c.n_layer,
    nHead: c.n_head,
    nEmbd: c.n_embd,
    vocabSize: c.vocab_size,
    nPositions,
    layerNormEpsilon: c.layer_norm_epsilon,
    eosTokenId: c.eos_token_id ?? null,
  };
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
