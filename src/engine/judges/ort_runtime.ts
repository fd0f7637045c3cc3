/**
 * onnxruntime-web behind the `JudgeSession` interface. Every ORT call — session creation, run,
 * release — goes through one `OrtQueue` (concurrent ORT calls break ORT 1.30 here). ORT is
 * imported lazily, so modules that only need the judge types never load its ~30 MB of wasm.
 *
 * Execution providers: 'webgpu' (ORT creates its own GPUDevice: handing it ours is unreliable
 * in 1.30) and 'wasm' (single-threaded unless told otherwise: without cross-origin isolation
 * there are no wasm threads). A session is created for exactly one EP, so the EP a judge
 * reports is the one it runs on.
 */
import type * as Ort from 'onnxruntime-web';
import { JudgeError } from './errors.ts';
import { OrtQueue } from './ort_queue.ts';
import type { Int64Input, JudgeSession, OutputTensor, ValueInfo } from './onnx_session.ts';

export type ExecutionProvider = 'webgpu' | 'wasm';
export type ExecutionProviderPreference = ExecutionProvider | 'auto';

export interface OrtRuntimeOptions {
  /** Where ORT finds its .wasm/.mjs files (a URL prefix ending in '/'); default: next to the ORT module. */
  wasmPaths?: string;
  /** wasm threads; default 1 (threads need cross-origin isolation). */
  numThreads?: number;
}

export interface WebGpuStatus {
  available: boolean;
  /** Adapter description, when there is one. */
  adapter: string | null;
  /** Software rasterizer (SwiftShader) or fallback adapter: correct but slow. */
  software: boolean;
  reason: string | null;
}

type OrtModule = typeof Ort;

function valueInfo(m: Ort.InferenceSession.ValueMetadata): ValueInfo {
  return m.isTensor ? { name: m.name, isTensor: true, type: m.type, shape: m.shape } : { name: m.name, isTensor: false };
}

class QueuedOrtSession implements JudgeSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata: readonly ValueInfo[];
  readonly outputMetadata: readonly ValueInfo[];

  constructor(
    private readonly ort: OrtModule,
    private readonly session: Ort.InferenceSession,
    private readonly queue: OrtQueue,
    readonly executionProvider: ExecutionProvider,
  ) {
    this.inputNames = [...session.inputNames];
    this.outputNames = [...session.outputNames];
    // Metadata is best-effort: older builds lack it, and the checks treat "unknown" as "fits".
    this.inputMetadata = (session.inputMetadata ?? []).map(valueInfo);
    this.outputMetadata = (session.outputMetadata ?? []).map(valueInfo);
  }

  run(feeds: Record<string, Int64Input>, fetches: readonly string[]): Promise<Record<string, OutputTensor>> {
    return this.queue.run(async () => {
      const ortFeeds: Record<string, Ort.Tensor> = {};
      for (const [name, f] of Object.entries(feeds)) ortFeeds[name] = new this.ort.Tensor('int64', f.data, [...f.dims]);
      const out = await this.session.run(ortFeeds, [...fetches]);
      const result: Record<string, OutputTensor> = {};
      for (const [name, t] of Object.entries(out)) {
        // Outputs live on the CPU by default; getData() also downloads a GPU-located one.
        const data = t.location === 'cpu' ? t.data : await t.getData(true);
        result[name] = { type: t.type, dims: [...t.dims], data };
      }
      for (const t of Object.values(ortFeeds)) t.dispose();
      return result;
    });
  }

  release(): Promise<void> {
    return this.queue.run(() => this.session.release());
  }
}

export class OrtRuntime {
  readonly queue: OrtQueue;
  private ortPromise: Promise<OrtModule> | null = null;

  constructor(
    private readonly options: OrtRuntimeOptions = {},
    queue?: OrtQueue,
  ) {
    this.queue = queue ?? new OrtQueue();
  }

  /** The ORT module, imported and configured once. */
  ort(): Promise<OrtModule> {
    this.ortPromise ??= import('onnxruntime-web').then((ort) => {
      ort.env.wasm.numThreads = this.options.numThreads ?? 1;
      ort.env.wasm.proxy = false;
      if (this.options.wasmPaths !== undefined) ort.env.wasm.wasmPaths = this.options.wasmPaths;
      return ort;
    });
    return this.ortPromise;
  }

  async version(): Promise<string> {
    const ort = await this.ort();
    return ort.env.versions.web ?? ort.env.versions.common;
  }

  /** Whether WebGPU can be used here (asks for an adapter; ORT creates its own device later). */
  async webgpuStatus(): Promise<WebGpuStatus> {
    const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
    if (!gpu) return { available: false, adapter: null, software: false, reason: 'WebGPU is not available in this context (no navigator.gpu)' };
    let adapter: GPUAdapter | null = null;
    try {
      adapter = await gpu.requestAdapter();
    } catch (e) {
      return { available: false, adapter: null, software: false, reason: `requestAdapter failed: ${(e as Error).message}` };
    }
    if (!adapter) return { available: false, adapter: null, software: false, reason: 'no WebGPU adapter' };
    const info = adapter.info;
    const label = [info.vendor, info.architecture, info.description].filter(Boolean).join(' ') || 'unknown adapter';
    const software = /swiftshader/i.test(label) || (info as { isFallbackAdapter?: boolean }).isFallbackAdapter === true;
    return { available: true, adapter: label, software, reason: null };
  }

  /**
   * 'auto' picks WebGPU on a hardware adapter and wasm otherwise (a software adapter is slower
   * than wasm for models this small); the reason is returned when it falls back.
   */
  async resolveProvider(pref: ExecutionProviderPreference): Promise<{ provider: ExecutionProvider; fallbackReason: string | null }> {
    if (pref === 'wasm') return { provider: 'wasm', fallbackReason: null };
    const gpu = await this.webgpuStatus();
    if (pref === 'webgpu') {
      if (!gpu.available) throw new JudgeError('EP_UNAVAILABLE', `WebGPU execution provider requested, but ${gpu.reason}`);
      return { provider: 'webgpu', fallbackReason: null };
    }
    if (!gpu.available) return { provider: 'wasm', fallbackReason: gpu.reason };
    if (gpu.software) return { provider: 'wasm', fallbackReason: `the WebGPU adapter is a software one (${gpu.adapter})` };
    return { provider: 'webgpu', fallbackReason: null };
  }

  /** Creates a session for one EP, through the queue. `what` names the model in errors. */
  async createSession(model: Uint8Array, provider: ExecutionProvider, what: string): Promise<JudgeSession> {
    const ort = await this.ort();
    const session = await this.queue.run(async () => {
      try {
        return await ort.InferenceSession.create(model, { executionProviders: [provider], graphOptimizationLevel: 'all' });
      } catch (e) {
        const msg = (e as Error).message ?? String(e);
        throw new JudgeError(
          'BAD_MODEL',
          `${what} (${model.byteLength} bytes) could not be loaded by onnxruntime-web on ${provider}` +
            `${/protobuf|parse|load model/i.test(msg) ? ' — truncated, or not an ONNX file?' : ''}: ${msg}`,
          { cause: e },
        );
      }
    });
    return new QueuedOrtSession(ort, session, this.queue, provider);
  }
}
