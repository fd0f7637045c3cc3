/**
 * The judge worker's logic (src/worker_api/judge.worker.ts only exposes it): loads ONNX judges
 * from URLs or files, keeps them by handle, and answers judge/score requests. One `OrtRuntime`,
 * hence one `OrtQueue`, per worker: every ORT call of every judge loaded here is serialized.
 *
 * Loading checks everything it can before the first real request: judge.json, tokenizer.json,
 * the model's input/output names and types, and one probe run of two rows, which catches an
 * output of the wrong shape.
 */
import { TextTokenizer } from '../tokenizer.ts';
import { DOWNLOAD_CAPS, readCapped } from '../model/fetch_files.ts';
import type { RngSeed } from '../rng.ts';
import { JudgeError, errorMessage } from './errors.ts';
import { parseJudgeManifest, type JudgeKind, type JudgeManifest } from './manifest.ts';
import { createOnnxJudge, type OnnxJudge } from './onnx_judge.ts';
import { OrtRuntime, type ExecutionProvider, type ExecutionProviderPreference, type OrtRuntimeOptions, type WebGpuStatus } from './ort_runtime.ts';
import { POSITION_MODES, PositionAwareJudge } from './position_bias.ts';
import type { ModelJudgement, PositionMode } from './types.ts';
import type { JudgeApi } from './api.ts';

export type JudgeSource =
  /** tokenizer.json and judge.json default to siblings of the model URL. URLs should be absolute. */
  | { kind: 'url'; modelUrl: string; tokenizerUrl?: string; manifestUrl?: string }
  /** Local files: the model's bytes and the text of its tokenizer.json and judge.json. */
  | { kind: 'files'; name: string; model: ArrayBuffer; tokenizer: string; manifest: string };

export interface JudgeLoadOptions {
  /** Default 'auto': WebGPU on a hardware adapter, otherwise wasm. */
  executionProvider?: ExecutionProviderPreference;
  /** Recorded as `annotatorId` on its votes; default the manifest's name. */
  id?: string;
  /** Seed of the 'random' position mode's coin. */
  seed?: RngSeed;
}

export interface JudgeInfo {
  handle: string;
  id: string;
  name: string;
  kind: JudgeKind;
  description: string;
  executionProvider: ExecutionProvider;
  /** Why 'auto' chose wasm, when it did. */
  fallbackReason: string | null;
  maxLength: number;
  inputNames: string[];
  outputName: string;
  modelBytes: number;
  loadMs: number;
}

export interface JudgeRequest {
  prompt: string;
  a: string;
  b: string;
  /** Default 'fixed'. */
  positionMode?: PositionMode;
}

export interface JudgeRuntimeInfo {
  ortVersion: string;
  webgpu: WebGpuStatus;
  queue: { pending: number; completed: number };
  judges: JudgeInfo[];
}

interface LoadedJudge {
  judge: OnnxJudge;
  info: JudgeInfo;
  positioned: Map<PositionMode, PositionAwareJudge>;
  seed: RngSeed;
}

/**
 * GETs a judge file within its byte cap (DOWNLOAD_CAPS: the weights cap for the model, the JSON
 * cap for judge.json and tokenizer.json), so a URL in a shared session cannot fill the worker's
 * memory. The judge loads only when the person starts or steps it in the duel.
 */
async function fetchOrFail(url: string, what: string, cap: number): Promise<Uint8Array> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new JudgeError('FETCH_FAILED', `${what}: GET ${url} failed: ${errorMessage(e)}`);
  }
  if (!res.ok) throw new JudgeError('FETCH_FAILED', `${what}: GET ${url} → ${res.status} ${res.statusText}`);
  // Dev servers and single-page-app hosts answer unknown paths with 200 and their index.html:
  // name that, rather than letting it fail later as a corrupt model or invalid JSON.
  if (/text\/html/i.test(res.headers.get('content-type') ?? '')) {
    void res.body?.cancel().catch(() => undefined);
    throw new JudgeError('FETCH_FAILED', `${what}: GET ${url} returned an HTML page, not ${what} (wrong URL?)`);
  }
  try {
    return await readCapped(res, url, { file: what, cap });
  } catch (e) {
    throw new JudgeError('FETCH_FAILED', errorMessage(e));
  }
}

function parseJsonText(text: string, fileName: string, code: 'BAD_MANIFEST' | 'BAD_TOKENIZER'): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new JudgeError(code, `${fileName} is not valid JSON: ${errorMessage(e)}`);
  }
}

function resolveUrl(url: string, base?: string): string {
  try {
    return new URL(url, base ?? globalThis.location?.href).href;
  } catch {
    throw new JudgeError('BAD_REQUEST', `not a URL: ${url}`);
  }
}

export class JudgeService implements JudgeApi {
  readonly runtime: OrtRuntime;
  private readonly loaded = new Map<string, LoadedJudge>();
  private nextHandle = 1;

  constructor(options: OrtRuntimeOptions = {}) {
    this.runtime = new OrtRuntime(options);
  }

  async load(source: JudgeSource, options: JudgeLoadOptions = {}): Promise<JudgeInfo> {
    const t0 = performance.now();
    let name: string;
    let modelBytes: Uint8Array;
    let tokenizerText: string;
    let manifestText: string;
    if (source.kind === 'url') {
      const modelUrl = resolveUrl(source.modelUrl);
      const tokenizerUrl = resolveUrl(source.tokenizerUrl ?? 'tokenizer.json', modelUrl);
      const manifestUrl = resolveUrl(source.manifestUrl ?? 'judge.json', modelUrl);
      name = modelUrl.split('/').pop() || 'model.onnx';
      const text = new TextDecoder();
      manifestText = text.decode(await fetchOrFail(manifestUrl, 'judge.json', DOWNLOAD_CAPS.jsonBytes));
      tokenizerText = text.decode(await fetchOrFail(tokenizerUrl, 'tokenizer.json', DOWNLOAD_CAPS.jsonBytes));
      modelBytes = await fetchOrFail(modelUrl, name, DOWNLOAD_CAPS.weightsBytes);
    } else if (source.kind === 'files') {
      name = source.name;
      modelBytes = new Uint8Array(source.model);
      tokenizerText = source.tokenizer;
      manifestText = source.manifest;
    } else {
      throw new JudgeError('BAD_REQUEST', `unknown judge source kind "${(source as { kind: unknown }).kind}"`);
    }

    const manifest = parseJudgeManifest(parseJsonText(manifestText, 'judge.json', 'BAD_MANIFEST'));
    let tokenizer: TextTokenizer;
    try {
      tokenizer = new TextTokenizer(parseJsonText(tokenizerText, 'tokenizer.json', 'BAD_TOKENIZER'));
    } catch (e) {
      if (e instanceof JudgeError) throw e;
      throw new JudgeError('BAD_TOKENIZER', errorMessage(e));
    }
    checkTokenIds(manifest, tokenizer.vocabSize);
    if (modelBytes.byteLength === 0) throw new JudgeError('BAD_MODEL', `${name} is empty (0 bytes)`);

    const { provider, fallbackReason } = await this.runtime.resolveProvider(options.executionProvider ?? 'auto');
    const session = await this.runtime.createSession(modelBytes, provider, name);
    const id = options.id ?? manifest.name;
    let judge: OnnxJudge;
    try {
      judge = createOnnxJudge(id, session, tokenizer, manifest, name);
      await probe(judge);
    } catch (e) {
      await session.release().catch(() => undefined);
      throw e;
    }
    const handle = `judge-${this.nextHandle++}`;
    const info: JudgeInfo = {
      handle,
      id,
      name: manifest.name,
      kind: manifest.kind,
      description: manifest.description,
      executionProvider: provider,
      fallbackReason,
      maxLength: manifest.maxLength,
      inputNames: [...session.inputNames],
      outputName: manifest.outputName,
      modelBytes: modelBytes.byteLength,
      loadMs: performance.now() - t0,
    };
    this.loaded.set(handle, { judge, info, positioned: new Map(), seed: options.seed ?? 0 });
    return info;
  }

  private get(handle: string): LoadedJudge {
    const j = this.loaded.get(handle);
    if (!j) throw new JudgeError('UNKNOWN_HANDLE', `no judge loaded as "${handle}"`);
    return j;
  }

  /** P(a ≻ b), P(tie), verdict and critique, showing the pair as the position mode says. */
  async judge(handle: string, request: JudgeRequest): Promise<ModelJudgement> {
    const j = this.get(handle);
    for (const key of ['prompt', 'a', 'b'] as const) {
      if (typeof request[key] !== 'string') throw new JudgeError('BAD_REQUEST', `request.${key} must be a string`);
    }
    const mode = request.positionMode ?? 'fixed';
    if (!POSITION_MODES.includes(mode)) throw new JudgeError('BAD_REQUEST', `unknown position mode "${String(mode)}"`);
    let positioned = j.positioned.get(mode);
    if (!positioned) {
      positioned = new PositionAwareJudge(j.judge, mode, j.seed);
      j.positioned.set(mode, positioned);
    }
    return positioned.judge(request.prompt, request.a, request.b);
  }

  /** Pointwise judges only: one score per completion, in one batch. */
  async score(handle: string, prompt: string, completions: string[]): Promise<number[]> {
    const j = this.get(handle);
    if (j.judge.manifest.kind !== 'pointwise') {
      throw new JudgeError('BAD_REQUEST', `judge "${j.info.name}" is ${j.judge.manifest.kind}: it compares pairs and has no per-completion score`);
    }
    if (!Array.isArray(completions) || completions.length === 0) throw new JudgeError('BAD_REQUEST', 'completions must be a non-empty array');
    return (j.judge as Extract<OnnxJudge, { scoreCompletions: unknown }>).scoreCompletions(prompt, completions);
  }

  async unload(handle: string): Promise<void> {
    const j = this.get(handle);
    this.loaded.delete(handle);
    await j.judge.release();
  }

  async runtimeInfo(): Promise<JudgeRuntimeInfo> {
    return {
      ortVersion: await this.runtime.version(),
      webgpu: await this.runtime.webgpuStatus(),
      queue: { pending: this.runtime.queue.pending, completed: this.runtime.queue.completed },
      judges: [...this.loaded.values()].map((j) => j.info),
    };
  }
}

function checkTokenIds(manifest: JudgeManifest, vocabSize: number): void {
  const ids: [string, number | null][] = [
    ['pad_token_id', manifest.padTokenId],
    ['eos_token_id', manifest.eosTokenId],
  ];
  for (const [key, id] of ids) {
    if (id !== null && id >= vocabSize) {
      throw new JudgeError('BAD_MANIFEST', `judge.json ${key} ${id} is outside the tokenizer's vocabulary (size ${vocabSize})`);
    }
  }
}

/** Two rows through the model: an output that is not one number per row fails here, at load time. */
async function probe(judge: OnnxJudge): Promise<void> {
  if (judge.manifest.kind === 'pointwise') {
    await judge.runRows([judge.encoder.pointwiseRow('', 'Hello.'), judge.encoder.pointwiseRow('', 'A longer probe text.')]);
  } else {
    await judge.runRows([judge.encoder.pairwiseRow('', 'Yes.', 'No.'), judge.encoder.pairwiseRow('', 'No.', 'Yes.')]);
  }
}
