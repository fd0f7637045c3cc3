/**
 * The typed contract between the UI thread and the engine worker. The worker exposes an object
 * that `satisfies EngineApi`; the UI holds `Comlink.Remote<EngineApi>`. Only data types live
 * here: no logic, nothing that imports the engine.
 */

export type BackendPreference = 'auto' | 'webgpu' | 'cpu';

export interface BackendInfo {
  name: 'cpu' | 'webgpu';
  /** Adapter name for WebGPU, or "CPU (TypeScript reference)". */
  label: string;
  /** Why the engine runs on the CPU when it does (null on WebGPU). */
  fallbackReason: string | null;
}

export type ModelSource =
  | { kind: 'url'; url: string }
  | { kind: 'files'; config: string; tokenizer: string; weights: ArrayBuffer; name: string };

export interface LoadProgress {
  phase: 'fetch' | 'parse' | 'upload' | 'ready';
  loaded: number;
  total: number;
}

export interface ModelInfo {
  name: string;
  parameters: number;
  nLayer: number;
  nHead: number;
  nEmbd: number;
  vocabSize: number;
  nPositions: number;
  backend: BackendInfo;
  loadMs: number;
}

export type PolicyRef = 'policy' | 'reference';

export interface GenerateRequest {
  prompt: string;
  numSequences: number;
  maxNewTokens: number;
  temperature: number;
  topK: number;
  topP: number;
  seed: number;
  /** Which weights generate: the trained policy (default) or the frozen reference. */
  policy?: PolicyRef;
}

/** Pull-based streaming: each call to `generateNext` returns everything decoded so far. */
export interface GenerateChunk {
  texts: string[];
  tokenIds: number[][];
  promptIds: number[];
  done: boolean;
}

export interface ScoreRequest {
  prompt: string;
  completions: string[];
  policy?: PolicyRef;
}

export interface ScoreResult {
  /** Sum of completion-token log-probs per completion. */
  sums: number[];
  tokenLogprobs: number[][];
}

export interface WeightsSnapshot {
  name: string;
  step: number;
}

export type EngineErrorCode =
  | 'NO_MODEL'
  | 'LOAD_FAILED'
  | 'BAD_REQUEST'
  | 'UNKNOWN_HANDLE'
  | 'DEVICE_LOST'
  | 'INTERNAL';

/** Errors cross the worker boundary as "CODE: message" (Comlink keeps name and message). */
export function engineErrorCode(e: unknown): EngineErrorCode {
  const m = /^([A-Z_]+): /.exec(e instanceof Error ? e.message : String(e));
  return (m?.[1] as EngineErrorCode) ?? 'INTERNAL';
}

export interface EngineApi {
  /** Loads a model (replacing any loaded one); progress is throttled to ~30 Hz. */
  loadModel(
    source: ModelSource,
    backend: BackendPreference,
    onProgress?: (p: LoadProgress) => void,
  ): Promise<ModelInfo>;
  backendInfo(): Promise<BackendInfo | null>;
  generateStart(req: GenerateRequest): Promise<string>;
  generateNext(handle: string): Promise<GenerateChunk>;
  generateCancel(handle: string): Promise<void>;
  score(req: ScoreRequest): Promise<ScoreResult>;
  /** Saves the current policy weights under a name (host memory). */
  snapshot(name: string): Promise<WeightsSnapshot>;
  restore(name: string): Promise<void>;
  listSnapshots(): Promise<WeightsSnapshot[]>;
  dispose(): Promise<void>;
}
