/**
 * What a judge needs from an ONNX session, and the checks that turn a model that does not fit
 * its judge.json into an error naming the problem (instead of an opaque ORT failure later).
 * The interface is ORT-free so the judges and the checks run in Node tests with a fake session.
 */
import { JudgeError } from './errors.ts';
import type { JudgeManifest } from './manifest.ts';

export interface Int64Input {
  data: BigInt64Array;
  dims: readonly [number, number];
}

export interface OutputTensor {
  type: string;
  dims: readonly number[];
  data: unknown;
}

/** ORT's `InferenceSession.ValueMetadata`, as far as the checks use it. */
export interface ValueInfo {
  name: string;
  isTensor: boolean;
  type?: string;
  /** Numbers for fixed dims, strings for symbolic ones; empty when unknown. */
  shape?: readonly (number | string)[];
}

export interface JudgeSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** Empty when the runtime does not report metadata. */
  readonly inputMetadata: readonly ValueInfo[];
  readonly outputMetadata: readonly ValueInfo[];
  /** The execution provider the session was created for ('webgpu' | 'wasm' | a test name). */
  readonly executionProvider: string;
  run(feeds: Record<string, Int64Input>, fetches: readonly string[]): Promise<Record<string, OutputTensor>>;
  release(): Promise<void>;
}

const list = (names: readonly string[]) => (names.length ? names.map((n) => `"${n}"`).join(', ') : '(none)');
const shapeText = (dims: readonly (number | string)[]) => `[${dims.join(', ')}]`;

/**
 * Checks the session's inputs and outputs against the manifest: every configured name exists,
 * every input the model needs is provided, the types are int64 in / float32 out, and the output's
 * rank can be [batch] or [batch, 1]. `what` names the model in messages (e.g. "model.onnx").
 */
export function checkSessionSignature(manifest: JudgeManifest, session: JudgeSession, what: string): void {
  const provided = [manifest.inputNames.inputIds, manifest.inputNames.attentionMask].filter((n): n is string => n !== null);
  for (const [key, name] of [
    ['input_ids', manifest.inputNames.inputIds],
    ['attention_mask', manifest.inputNames.attentionMask],
  ] as const) {
    if (name !== null && !session.inputNames.includes(name)) {
      throw new JudgeError(
        'BAD_MODEL',
        `${what} has no input "${name}" (judge.json input_names.${key}); the model's inputs are ${list(session.inputNames)}`,
      );
    }
  }
  const missing = session.inputNames.filter((n) => !provided.includes(n));
  if (missing.length > 0) {
    throw new JudgeError(
      'BAD_MODEL',
      `${what} needs input ${list(missing)}, which judge.json does not provide (it feeds ${list(provided)})`,
    );
  }
  if (!session.outputNames.includes(manifest.outputName)) {
    throw new JudgeError(
      'BAD_MODEL',
      `${what} has no output "${manifest.outputName}" (judge.json output_name); the model's outputs are ${list(session.outputNames)}`,
    );
  }
  for (const info of session.inputMetadata) {
    if (!provided.includes(info.name)) continue;
    if (!info.isTensor) throw new JudgeError('BAD_MODEL', `${what}: input "${info.name}" is not a tensor`);
    if (info.type !== undefined && info.type !== 'int64') {
      throw new JudgeError('BAD_MODEL', `${what}: input "${info.name}" has type ${info.type}; judges feed int64 token ids`);
    }
    if (info.shape && info.shape.length > 0 && info.shape.length !== 2) {
      throw new JudgeError('BAD_MODEL', `${what}: input "${info.name}" has shape ${shapeText(info.shape)}; expected [batch, seq]`);
    }
  }
  const out = session.outputMetadata.find((o) => o.name === manifest.outputName);
  if (out) {
    if (!out.isTensor) throw new JudgeError('BAD_MODEL', `${what}: output "${out.name}" is not a tensor`);
    if (out.type !== undefined && out.type !== 'float32') {
      throw new JudgeError('BAD_MODEL', `${what}: output "${out.name}" has type ${out.type}; expected float32`);
    }
    const s = out.shape ?? [];
    const fits = s.length === 0 || s.length === 1 || (s.length === 2 && (s[1] === 1 || typeof s[1] === 'string'));
    if (!fits) {
      throw new JudgeError(
        'BAD_MODEL',
        `${what}: output "${out.name}" has shape ${shapeText(s)}; a ${manifest.kind} judge needs [batch] or [batch, 1] (one ${manifest.kind === 'pointwise' ? 'score' : 'logit'} per row)`,
      );
    }
  }
}

/**
 * Reads one number per row from the output, checking what the metadata could not: the actual
 * dims ([batch] or [batch, 1]), the type, and that every value is finite.
 */
export function readRowScores(outputs: Record<string, OutputTensor>, manifest: JudgeManifest, batch: number, what: string): Float64Array {
  const name = manifest.outputName;
  const t = outputs[name];
  if (!t) throw new JudgeError('BAD_MODEL', `${what} returned no output "${name}" (it returned ${list(Object.keys(outputs))})`);
  const d = t.dims;
  const fits = (d.length === 1 && d[0] === batch) || (d.length === 2 && d[0] === batch && d[1] === 1);
  if (!fits) {
    throw new JudgeError(
      'BAD_MODEL',
      `${what}: output "${name}" has shape ${shapeText(d)} for a batch of ${batch}; a ${manifest.kind} judge needs [${batch}] or [${batch}, 1]`,
    );
  }
  if (t.type !== 'float32' || !(t.data instanceof Float32Array)) {
    throw new JudgeError('BAD_MODEL', `${what}: output "${name}" has type ${t.type}; expected float32`);
  }
  const scores = Float64Array.from(t.data);
  const bad = scores.findIndex((x) => !Number.isFinite(x));
  if (bad >= 0) throw new JudgeError('RUN_FAILED', `${what}: output "${name}" row ${bad} is ${scores[bad]}`);
  return scores;
}
