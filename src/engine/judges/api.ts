/**
 * The typed contract between the UI thread and the judge worker (onnxruntime-web judges). The
 * worker exposes an object that `satisfies JudgeApi`; the UI holds `Comlink.Remote<JudgeApi>`.
 * Types only. Errors cross as `Error`s whose message starts with a `JudgeErrorCode`
 * ("BAD_MODEL: …"); `judgeErrorCode()` in src/engine/judges/errors.ts reads it.
 */
import type { JudgeErrorCode } from './errors';
import type {
  JudgeInfo,
  JudgeLoadOptions,
  JudgeRequest,
  JudgeRuntimeInfo,
  JudgeSource,
} from './judge_service';
import type { ExecutionProvider, ExecutionProviderPreference } from './ort_runtime';
import type { ModelJudgement, PositionMode } from './types';

export type {
  ExecutionProvider,
  ExecutionProviderPreference,
  JudgeErrorCode,
  JudgeInfo,
  JudgeLoadOptions,
  JudgeRequest,
  JudgeRuntimeInfo,
  JudgeSource,
  ModelJudgement,
  PositionMode,
};

export interface JudgeApi {
  /** Loads and checks a judge (judge.json, tokenizer.json, model signature, one probe run). */
  load(source: JudgeSource, options?: JudgeLoadOptions): Promise<JudgeInfo>;
  /** Judges the pair (a shown first unless the position mode says otherwise). */
  judge(handle: string, request: JudgeRequest): Promise<ModelJudgement>;
  /** Pointwise judges: one score per completion. */
  score(handle: string, prompt: string, completions: string[]): Promise<number[]>;
  unload(handle: string): Promise<void>;
  runtimeInfo(): Promise<JudgeRuntimeInfo>;
}
