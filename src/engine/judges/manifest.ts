/**
 * `judge.json`: how to feed an ONNX judge and read its answer. It crosses a trust boundary (a
 * URL or a user's file), so it is validated with valibot and every error names the key.
 *
 * {
 *   "kind": "pointwise" | "pairwise",
 *   "max_length": 64,                        // tokens per input row, end-of-text token included
 *   "input_names": {"input_ids": "input_ids", "attention_mask": "attention_mask"},
 *   "output_name": "scores",                 // pointwise: score per row; pairwise: logit P(first ≻ second)
 *   "pad_token_id": 4095,
 *   "eos_token_id": 4095, "append_eos": true, // optional: end every row with eos
 *   "template": "{completion}",              // optional; slots {prompt} {completion} | {prompt} {a} {b}
 *   "temperature": 1,                        // optional: P = σ(Δ / temperature)
 *   "tie_margin": 0                          // optional: |Δ| below this is a tie verdict
 * }
 */
import * as v from 'valibot';
import { JudgeError } from './errors.ts';

export type JudgeKind = 'pointwise' | 'pairwise';

export interface JudgeManifest {
  name: string;
  kind: JudgeKind;
  maxLength: number;
  inputNames: { inputIds: string; attentionMask: string | null };
  outputName: string;
  padTokenId: number;
  eosTokenId: number | null;
  appendEos: boolean;
  template: string;
  temperature: number;
  tieMargin: number;
  description: string;
}

/** Slots each kind's template may use, and must use. */
export const TEMPLATE_SLOTS: Record<JudgeKind, { allowed: readonly string[]; required: readonly string[] }> = {
  pointwise: { allowed: ['prompt', 'completion'], required: ['completion'] },
  pairwise: { allowed: ['prompt', 'a', 'b'], required: ['a', 'b'] },
};

export const DEFAULT_TEMPLATE: Record<JudgeKind, string> = {
  pointwise: '{prompt}\n\n{completion}',
  pairwise: '{prompt}\n\nA: {a}\n\nB: {b}',
};

const tokenId = v.pipe(v.number(), v.integer(), v.minValue(0));
const onnxName = v.pipe(v.string(), v.minLength(1), v.maxLength(256));

const JudgeManifestSchema = v.looseObject({
  format: v.optional(v.literal('duelbook-judge')),
  version: v.optional(v.literal(1)),
  name: v.optional(v.pipe(v.string(), v.maxLength(128))),
  description: v.optional(v.pipe(v.string(), v.maxLength(2000))),
  kind: v.picklist(['pointwise', 'pairwise']),
  max_length: v.pipe(v.number(), v.integer(), v.minValue(2), v.maxValue(8192)),
  input_names: v.strictObject({
    input_ids: onnxName,
    attention_mask: v.optional(v.nullable(onnxName)),
  }),
  output_name: onnxName,
  pad_token_id: tokenId,
  eos_token_id: v.optional(v.nullable(tokenId)),
  append_eos: v.optional(v.boolean(), false),
  template: v.optional(v.pipe(v.string(), v.maxLength(4000))),
  temperature: v.optional(v.pipe(v.number(), v.finite(), v.gtValue(0)), 1),
  tie_margin: v.optional(v.pipe(v.number(), v.finite(), v.minValue(0)), 0),
});

/** Validates a parsed judge.json. */
export function parseJudgeManifest(json: unknown, fileName = 'judge.json'): JudgeManifest {
  const r = v.safeParse(JudgeManifestSchema, json);
  if (!r.success) {
    const issue = r.issues[0];
    const path = issue.path?.map((p) => String(p.key)).join('.') ?? '(root)';
    throw new JudgeError('BAD_MANIFEST', `${fileName}: ${path}: ${issue.message}`);
  }
  const m = r.output;
  if (m.append_eos && (m.eos_token_id === undefined || m.eos_token_id === null)) {
    throw new JudgeError('BAD_MANIFEST', `${fileName}: append_eos is true but eos_token_id is not set`);
  }
  const template = m.template ?? DEFAULT_TEMPLATE[m.kind];
  try {
    parseTemplate(template, m.kind);
  } catch (e) {
    throw new JudgeError('BAD_MANIFEST', `${fileName}: template: ${(e as Error).message}`);
  }
  return {
    name: m.name ?? 'onnx-judge',
    kind: m.kind,
    maxLength: m.max_length,
    inputNames: { inputIds: m.input_names.input_ids, attentionMask: m.input_names.attention_mask ?? null },
    outputName: m.output_name,
    padTokenId: m.pad_token_id,
    eosTokenId: m.eos_token_id ?? null,
    appendEos: m.append_eos,
    template,
    temperature: m.temperature,
    tieMargin: m.tie_margin,
    description: m.description ?? '',
  };
}

export type TemplatePiece = { kind: 'text'; text: string } | { kind: 'slot'; slot: string };

/** Splits "{prompt}\n\n{completion}" into literal text and slots; checks the slots for `kind`. */
export function parseTemplate(template: string, kind: JudgeKind): TemplatePiece[] {
  const pieces: TemplatePiece[] = [];
  const seen = new Set<string>();
  const re = /\{([a-z_]+)\}/g;
  let last = 0;
  for (let m = re.exec(template); m !== null; m = re.exec(template)) {
    if (m.index > last) pieces.push({ kind: 'text', text: template.slice(last, m.index) });
    const slot = m[1]!;
    if (!TEMPLATE_SLOTS[kind].allowed.includes(slot)) {
      throw new Error(`unknown slot {${slot}} for a ${kind} judge (allowed: ${TEMPLATE_SLOTS[kind].allowed.map((s) => `{${s}}`).join(', ')})`);
    }
    if (seen.has(slot)) throw new Error(`slot {${slot}} appears twice`);
    seen.add(slot);
    pieces.push({ kind: 'slot', slot });
    last = m.index + m[0].length;
  }
  if (last < template.length) pieces.push({ kind: 'text', text: template.slice(last) });
  for (const slot of TEMPLATE_SLOTS[kind].required) {
    if (!seen.has(slot)) throw new Error(`a ${kind} judge's template needs the slot {${slot}}`);
  }
  return pieces;
}
