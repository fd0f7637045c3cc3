/**
 * Errors of the judge runtime. They cross the worker boundary as plain `Error`s whose message
 * starts with a code ("BAD_MODEL: …"), because Comlink keeps only `message` and `name`; the
 * code is what callers branch on, the rest is for the person reading it.
 */
export type JudgeErrorCode =
  /** The ONNX file cannot be loaded, or its inputs/outputs/shapes are not what judge.json says. */
  | 'BAD_MODEL'
  /** judge.json is missing, not JSON, or fails validation. */
  | 'BAD_MANIFEST'
  /** tokenizer.json is missing or not a usable Hugging Face tokenizer. */
  | 'BAD_TOKENIZER'
  /** A URL could not be fetched. */
  | 'FETCH_FAILED'
  /** The requested execution provider is not available (e.g. WebGPU without an adapter). */
  | 'EP_UNAVAILABLE'
  | 'UNKNOWN_HANDLE'
  | 'BAD_REQUEST'
  /** onnxruntime failed while running a loaded model, or produced non-finite scores. */
  | 'RUN_FAILED'
  | 'INTERNAL';

export class JudgeError extends Error {
  readonly code: JudgeErrorCode;
  constructor(code: JudgeErrorCode, message: string, options?: { cause?: unknown }) {
    super(`${code}: ${message}`, options);
    this.name = 'JudgeError';
    this.code = code;
  }
}

/** The code of an error thrown by the judge runtime (also after it crossed a worker boundary). */
export function judgeErrorCode(e: unknown): JudgeErrorCode {
  if (e instanceof JudgeError) return e.code;
  const m = /^([A-Z_]+): /.exec(e instanceof Error ? e.message : String(e));
  return (m?.[1] as JudgeErrorCode | undefined) ?? 'INTERNAL';
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
