/**
 * The browser half of `npm run bench` (cases 1–4, 6 in Chromium, and 7), loaded by bench/page.html in headless
 * Chromium. Node (bench/browser_runner.ts) calls `window.__bench.run(case, config)` and gets
 * rows back. WebGPU is forced: `createWebGpuBackend(navigator.gpu)` directly, never the
 * backend selection (which picks the CPU on SwiftShader).
 *
 * Peers are onnxruntime-web (WebGPU EP and WASM EP). ORT 1.30 breaks when two sessions are
 * created or run at once, so every ORT call here is awaited before the next one starts; ORT
 * creates its own GPUDevice (`ort.env.webgpu.device` once a WebGPU session exists).
 */
import * as ort from 'onnxruntime-web/webgpu';
import { CpuBackend } from '../src/engine/backends/cpu';
import { createWebGpuBackend, type WebGpuBackend } from '../src/engine/backends/webgpu';
import { describeAdapter, isSoftwareAdapter } from '../src/engine/gpu/device';
import { generateTokens } from '../src/engine/generate';
import { buildBatch, scoreSequences } from '../src/engine/batch';
import { OnlineLearner } from '../src/engine/learning/online';
import { buildPolicy, type ModelFiles } from '../src/engine/model/load';
import type { GPT2Model } from '../src/engine/model/gpt2';
import { AdamW, sftStep } from '../src/engine/optim';
import type { Backend } from '../src/engine/backend';
import { Rng } from '../src/engine/rng';
import { startMatmulThreads, stopMatmulThreads } from '../src/kernels/wasm/matmul';
import { cpuForwardRow } from './cpu_forward';
import { median, rate, round, timeInterleaved } from './timing';
import { BENCH_TRAINER, type BenchRow, type BrowserCase, type BrowserConfig, type BrowserEnv } from './types';

const log = (msg: string) => console.log(`[bench] ${msg}`);

// ------------------------------------------------------------------ shared state

let gpuBackend: WebGpuBackend | null = null;
async function gpu(): Promise<WebGpuBackend> {
  if (!gpuBackend) gpuBackend = await createWebGpuBackend(navigator.gpu);
  return gpuBackend;
}

const fileCache = new Map<string, Promise<ArrayBuffer>>();
function fetchBytes(url: string): Promise<ArrayBuffer> {
  let p = fileCache.get(url);
  if (!p) {
    p = fetch(url).then((r) => {
      if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
      return r.arrayBuffer();
    });
    fileCache.set(url, p);
  }
  return p;
}

async function modelFiles(cfg: BrowserConfig): Promise<ModelFiles> {
  const json = async (url: string) => JSON.parse(new TextDecoder().decode(await fetchBytes(url))) as unknown;
  return {
    name: cfg.policy.name,
    config: await json(cfg.files.config),
    tokenizer: await json(cfg.files.tokenizer),
    weights: (await fetchBytes(cfg.files.safetensors)).slice(0),
  };
}

async function loadModel(be: Backend, cfg: BrowserConfig): Promise<GPT2Model> {
  return buildPolicy(be, await modelFiles(cfg)).model;
}

function setupOrt(cfg: BrowserConfig): void {
  ort.env.wasm.numThreads = cfg.ortThreads;
  ort.env.logLevel = 'error';
}

const SESSION_OPTIONS = { logSeverityLevel: 3 as const };

/**
 * The policy's ORT session for an execution provider, created once and kept for the later
 * cases (decode and scoring share it). Creation is awaited before anything else touches ORT,
 * and every run is awaited, so no two ORT calls ever overlap.
 */
const gpt2Sessions = new Map<string, ort.InferenceSession>();
async function gpt2Session(cfg: BrowserConfig, ep: 'webgpu' | 'wasm'): Promise<ort.InferenceSession> {
  const have = gpt2Sessions.get(ep);
  if (have) return have;
  setupOrt(cfg);
  const onnx = new Uint8Array(await fetchBytes(cfg.files.onnx));
  const st = new Uint8Array(await fetchBytes(cfg.files.safetensors));
  const s = await ort.InferenceSession.create(onnx.slice(), {
    ...SESSION_OPTIONS,
    executionProviders: [ep],
    externalData: [{ path: 'model.safetensors', data: st.slice() }],
  });
  gpt2Sessions.set(ep, s);
  return s;
}

async function releaseSessions(): Promise<void> {
  for (const s of gpt2Sessions.values()) await s.release();
  gpt2Sessions.clear();
}

function adapterText(info: GPUAdapterInfo | undefined, software: boolean): string {
  return info ? describeAdapter(info, software) : 'WebGPU: (adapter info unavailable)';
}

/** ORT's own device, named the same way as ours. */
async function ortAdapter(): Promise<string> {
  try {
    const dev = await ort.env.webgpu.device;
    const info = (dev as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
    const sw = info ? /swiftshader|llvmpipe|lavapipe/i.test(`${info.vendor} ${info.architecture} ${info.description}`) : false;
    return adapterText(info, sw);
  } catch {
    return 'WebGPU: (ORT device unknown)';
  }
}

function ortWasmLabel(cfg: BrowserConfig): string {
  return `WASM (SIMD, ${cfg.ortThreads} thread${cfg.ortThreads === 1 ? '' : 's'})`;
}

function baseNotes(gpuLabel: string): string[] {
  const n: string[] = [];
  if (/swiftshader/i.test(gpuLabel)) n.push('SwiftShader: checks that the benchmark runs; not GPU speed');
  return n;
}

function policyNotes(cfg: BrowserConfig): string[] {
  return cfg.policy.note ? [cfg.policy.note] : [];
}

function shapeOf(cfg: BrowserConfig): string {
  const c = cfg.policy.config;
  return `${c.nLayer}L/${c.nHead}H/${c.nEmbd}d, V=${c.vocabSize}, ${cfg.policy.params.toLocaleString('en-US')} params`;
}

function argmaxRow(data: Float32Array, offset: number, V: number): number {
  let best = 0;
  let bv = -Infinity;
  for (let v = 0; v < V; v++) {
    const x = data[offset + v];
    if (x > bv) {
      bv = x;
      best = v;
    }
  }
  return best;
}

function logSoftmaxAt(data: Float32Array, offset: number, V: number, target: number): number {
  let m = -Infinity;
  for (let v = 0; v < V; v++) m = Math.max(m, data[offset + v]);
  let z = 0;
  for (let v = 0; v < V; v++) z += Math.exp(data[offset + v] - m);
  return data[offset + target] - m - Math.log(z);
}

// ------------------------------------------------------------------ case 1: matmul

/** Copies a storage buffer of `device` to the host (ORT's fromGpuBuffer tensors cannot download). */
async function readGpuBuffer(device: GPUDevice, src: GPUBuffer, bytes: number): Promise<Float32Array> {
  const staging = device.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(src, 0, staging, 0, bytes);
  device.queue.submit([enc.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const out = new Float32Array(staging.getMappedRange().slice(0));
  staging.unmap();
  staging.destroy();
  return out;
}

interface MatmulShape {
  label: string;
  M: number;
  K: number;
  N: number;
}

function matmulShapes(cfg: BrowserConfig): MatmulShape[] {
  const c = cfg.shapePolicy.config;
  const C = c.nEmbd;
  const M = cfg.sizes.matmulRows;
  const n = cfg.sizes.matmulCube;
  const all: MatmulShape[] = [
    { label: 'attn qkv', M, K: C, N: 3 * C },
    { label: 'attn proj', M, K: C, N: C },
    { label: 'mlp fc', M, K: C, N: 4 * C },
    { label: 'mlp proj', M, K: 4 * C, N: C },
    { label: 'lm head', M, K: C, N: c.vocabSize },
    { label: 'decode mlp fc (M=1)', M: 1, K: C, N: 4 * C },
    { label: 'decode lm head (M=1)', M: 1, K: C, N: c.vocabSize },
    { label: `${n}³`, M: n, K: n, N: n },
  ];
  if (cfg.mode === 'smoke') return [all[0], all[6], all[7]];
  return all;
}

async function caseMatmul(cfg: BrowserConfig): Promise<BenchRow[]> {
  const be = await gpu();
  setupOrt(cfg);
  const bytes = new Uint8Array(await fetchBytes(cfg.files.matmulOnnx));
  const session = await ort.InferenceSession.create(bytes.slice(), { ...SESSION_OPTIONS, executionProviders: ['webgpu'] });
  const rows: BenchRow[] = [];
  try {
    const ortDev = await ort.env.webgpu.device;
    const peerAdapter = await ortAdapter();
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    const target = cfg.mode === 'smoke' ? 0 : 40; // ms of work per timed repetition
    for (const s of matmulShapes(cfg)) {
      const rng = new Rng(`matmul-${s.M}-${s.K}-${s.N}`);
      const a = new Float32Array(s.M * s.K).map(() => rng.normal());
      const b = new Float32Array(s.K * s.N).map(() => rng.normal());
      const tA = be.upload(a, [s.M, s.K]);
      const tB = be.upload(b, [s.K, s.N]);
      const mk = (n: number) => ortDev.createBuffer({ size: Math.ceil((n * 4) / 16) * 16, usage });
      const gA = mk(a.length);
      const gB = mk(b.length);
      const gC = mk(s.M * s.N);
      ortDev.queue.writeBuffer(gA, 0, a);
      ortDev.queue.writeBuffer(gB, 0, b);
      const oA = ort.Tensor.fromGpuBuffer(gA, { dataType: 'float32', dims: [s.M, s.K] });
      const oB = ort.Tensor.fromGpuBuffer(gB, { dataType: 'float32', dims: [s.K, s.N] });
      const oC = ort.Tensor.fromGpuBuffer(gC, { dataType: 'float32', dims: [s.M, s.N] });
      try {
        // Correctness first: the two must agree before their speed means anything.
        const ours1 = be.matmul(tA, tB);
        const oursC = await be.read(ours1);
        be.release(ours1);
        await session.run({ A: oA, B: oB }, { C: oC });
        const peerC = await readGpuBuffer(ortDev, gC, s.M * s.N * 4);
        let maxAbs = 0;
        let maxDiff = 0;
        for (let i = 0; i < peerC.length; i++) {
          maxAbs = Math.max(maxAbs, Math.abs(peerC[i]));
          maxDiff = Math.max(maxDiff, Math.abs(peerC[i] - oursC[i]));
        }
        // Calibrate how many back-to-back calls one timed repetition holds (≥ target ms).
        const oursCall = async (n: number) => {
          for (let i = 0; i < n; i++) be.release(be.matmul(tA, tB));
          be.flush();
          await be.device.queue.onSubmittedWorkDone();
        };
        const peerCall = async (n: number) => {
          for (let i = 0; i < n; i++) await session.run({ A: oA, B: oB }, { C: oC });
          await ortDev.queue.onSubmittedWorkDone();
        };
        const inner = async (f: (n: number) => Promise<void>) => {
          await f(1);
          const t0 = performance.now();
          await f(1);
          const t = performance.now() - t0;
          return Math.max(1, Math.min(64, Math.ceil(target / Math.max(t, 0.01))));
        };
        const nOurs = await inner(oursCall);
        const nPeer = await inner(peerCall);
        const [oursMs, peerMs] = await timeInterleaved([() => oursCall(nOurs), () => peerCall(nPeer)], cfg.sizes.warmup, cfg.sizes.reps);
        const gflop = (2 * s.M * s.K * s.N) / 1e9;
        const ours = rate(gflop * nOurs, oursMs);
        const peer = rate(gflop * nPeer, peerMs);
        const notes = [...baseNotes(be.deviceLabel)];
        notes.push(
          `${s.M <= 8 ? 'our matvec kernel (M ≤ 8)' : 'our tiled matmul kernel'}; ${nOurs} (ours) / ${nPeer} (ORT) calls per timed repetition, inputs resident on each device, timed to queue.onSubmittedWorkDone()`,
        );
        notes.push(`max |ours − ORT| = ${maxDiff.toExponential(2)} (max |C| = ${maxAbs.toExponential(2)})`);
        if (s.label === 'lm head' || s.label.startsWith('decode lm head')) notes.push('the model runs this product with transB (wte is [V, C]); both sides here multiply plain [M,K]·[K,N]');
        if (cfg.shapePolicy.fallback && !s.label.includes('³')) notes.push(cfg.shapePolicy.note);
        if (!s.label.includes('³')) notes.push(`shapes of ${cfg.shapePolicy.name}`);
        rows.push({
          group: 1,
          case: `matmul ${s.label}`,
          ours: round(ours),
          peer: round(peer),
          ratio: round(ours / peer),
          unit: 'GFLOP/s',
          better: 'higher',
          adapter: be.deviceLabel,
          peerName: 'onnxruntime-web MatMul (WebGPU EP)',
          peerAdapter,
          shapes: `[${s.M}×${s.K}]·[${s.K}×${s.N}] f32`,
          reps: cfg.sizes.reps,
          warmup: cfg.sizes.warmup,
          oursMs: oursMs.map((x) => round(x / nOurs)),
          peerMs: peerMs.map((x) => round(x / nPeer)),
          notes,
          agreement: { metric: 'max |C_ours − C_ORT| / max |C_ORT|', value: maxDiff / Math.max(maxAbs, 1e-30) },
        });
        log(`matmul ${s.label}: ours ${round(ours, 3)} vs ORT ${round(peer, 3)} GFLOP/s`);
      } finally {
        be.release(tA);
        be.release(tB);
        oA.dispose();
        oB.dispose();
        oC.dispose();
        gA.destroy();
        gB.destroy();
        gC.destroy();
      }
    }
  } finally {
    await session.release();
  }
  return rows;
}

// ------------------------------------------------------------------ case 2: decode

async function ortGreedy(session: ort.InferenceSession, prompt: readonly number[], n: number, V: number): Promise<number[]> {
  const ids = [...prompt];
  const out: number[] = [];
  for (let step = 0; step < n; step++) {
    const input = new ort.Tensor('int64', BigInt64Array.from(ids, (x) => BigInt(x)), [1, ids.length]);
    const r = await session.run({ input_ids: input });
    const logits = r.logits;
    const data = (await logits.getData()) as Float32Array;
    const next = argmaxRow(data, (ids.length - 1) * V, V);
    logits.dispose();
    ids.push(next);
    out.push(next);
  }
  return out;
}

function leadingMatch(a: readonly number[], b: readonly number[]): number {
  let k = 0;
  while (k < a.length && k < b.length && a[k] === b[k]) k++;
  return k;
}

function agreement(a: readonly number[], b: readonly number[]): string {
  const k = leadingMatch(a, b);
  return k === a.length && a.length === b.length ? `all ${a.length} greedy tokens identical` : `greedy tokens identical for the first ${k} of ${a.length}`;
}

async function caseDecode(cfg: BrowserConfig): Promise<BenchRow[]> {
  const be = await gpu();
  const model = await loadModel(be, cfg);
  const c = cfg.policy.config;
  const prompt = cfg.decodePrompt;
  const nNew = Math.min(cfg.sizes.decodeNewTokens, c.nPositions - prompt.length);
  const ours = async (): Promise<number[]> => {
    const out: number[] = [];
    const gen = generateTokens(model, prompt, { numSequences: 1, maxNewTokens: nNew, seed: 0, eosTokenId: null, temperature: 0, topK: 0, topP: 1 });
    for await (const s of gen) out.push(s.tokens[0]);
    return out;
  };
  const rows: BenchRow[] = [];
  const shapes = `batch 1, prompt ${prompt.length} + ${nNew} new tokens, greedy; ${shapeOf(cfg)}`;
  try {
    for (const ep of ['webgpu', 'wasm'] as const) {
      const session = await gpt2Session(cfg, ep);
      const peerAdapter = ep === 'webgpu' ? await ortAdapter() : ortWasmLabel(cfg);
      const oursTokens = await ours();
      const peerTokens = await ortGreedy(session, prompt, nNew, c.vocabSize);
      const [oursMs, peerMs] = await timeInterleaved([ours, () => ortGreedy(session, prompt, nNew, c.vocabSize)], cfg.sizes.warmup, cfg.sizes.reps);
      const o = rate(nNew, oursMs);
      const p = rate(nNew, peerMs);
      rows.push({
        group: 2,
        case: `decode vs ORT ${ep === 'webgpu' ? 'WebGPU' : 'WASM'}`,
        ours: round(o),
        peer: round(p),
        ratio: round(o / p),
        unit: 'tokens/s',
        better: 'higher',
        adapter: be.deviceLabel,
        peerName: `onnxruntime-web ${ep === 'webgpu' ? 'WebGPU' : 'WASM'} EP, ONNX export`,
        peerAdapter,
        shapes,
        reps: cfg.sizes.reps,
        warmup: cfg.sizes.warmup,
        oursMs: oursMs.map((x) => round(x)),
        peerMs: peerMs.map((x) => round(x)),
        notes: [
          ...baseNotes(be.deviceLabel),
          ...policyNotes(cfg),
          'ours: generateTokens with the KV cache, argmax on the device, one submit + id readback per token',
          `ORT: the export has no KV cache, so every step re-runs the whole sequence and reads back all [1, seq, V] logits (argmax on the host); ONNX: ${cfg.policy.onnxSource}`,
          'both include the prompt pass; EOS is ignored so both emit exactly the same number of tokens',
          agreement(oursTokens, peerTokens),
        ],
        agreement: { metric: 'leading greedy tokens identical (fraction)', value: leadingMatch(oursTokens, peerTokens) / nNew },
      });
      log(`decode vs ORT ${ep}: ours ${round(o, 3)} vs ${round(p, 3)} tokens/s`);
    }
  } finally {
    model.dispose();
  }
  return rows;
}

// ------------------------------------------------------------------ case 3: scoring

async function caseScoring(cfg: BrowserConfig): Promise<BenchRow[]> {
  const be = await gpu();
  const model = await loadModel(be, cfg);
  const c = cfg.policy.config;
  const seqs = cfg.scorePairs.map((p) => [...p.promptIds, ...p.aIds]);
  const starts = cfg.scorePairs.map((p) => p.promptIds.length);
  const batch = buildBatch(seqs, starts);
  const ours = async () => (await scoreSequences(model, seqs, starts)).sums;
  const peerScore = async (session: ort.InferenceSession): Promise<number[]> => {
    const ids = BigInt64Array.from(batch.ids, (x) => BigInt(x));
    const r = await session.run({ input_ids: new ort.Tensor('int64', ids, [batch.B, batch.T]) });
    const logits = (await r.logits.getData()) as Float32Array;
    r.logits.dispose();
    const sums: number[] = [];
    for (let b = 0; b < batch.B; b++) {
      let s = 0;
      for (let t = 0; t < batch.T; t++) {
        const i = b * batch.T + t;
        if (batch.mask[i]) s += logSoftmaxAt(logits, i * c.vocabSize, c.vocabSize, batch.targets[i]);
      }
      sums.push(s);
    }
    return sums;
  };
  const rows: BenchRow[] = [];
  const tokens = seqs.reduce((n, s) => n + s.length, 0);
  const shapes = `${batch.B} sequences × ${batch.T} tokens (prompt ${starts[0]} + completion ${seqs[0].length - starts[0]}); ${shapeOf(cfg)}`;
  try {
    for (const ep of ['webgpu', 'wasm'] as const) {
      const session = await gpt2Session(cfg, ep);
      const peerAdapter = ep === 'webgpu' ? await ortAdapter() : ortWasmLabel(cfg);
      const a = await ours();
      const b = await peerScore(session);
      const diff = Math.max(...a.map((x, i) => Math.abs(x - b[i])));
      const [oursMs, peerMs] = await timeInterleaved([ours, () => peerScore(session)], cfg.sizes.warmup, cfg.sizes.reps);
      const o = rate(batch.B, oursMs);
      const p = rate(batch.B, peerMs);
      rows.push({
        group: 3,
        case: `scoring vs ORT ${ep === 'webgpu' ? 'WebGPU' : 'WASM'}`,
        ours: round(o),
        peer: round(p),
        ratio: round(o / p),
        unit: 'sequences/s',
        better: 'higher',
        adapter: be.deviceLabel,
        peerName: `onnxruntime-web ${ep === 'webgpu' ? 'WebGPU' : 'WASM'} EP + host log-softmax gather`,
        peerAdapter,
        shapes,
        reps: cfg.sizes.reps,
        warmup: cfg.sizes.warmup,
        oursMs: oursMs.map((x) => round(x)),
        peerMs: peerMs.map((x) => round(x)),
        notes: [
          ...baseNotes(be.deviceLabel),
          ...policyNotes(cfg),
          `ours: scoreSequences (log-softmax gather on the device, reads back [B·T] log-probs); ORT: reads back [B, T, V] logits; ${tokens} real tokens`,
          `max |Δ summed completion log-prob| ours vs ORT = ${diff.toExponential(2)}`,
        ],
        agreement: { metric: 'max |Δ summed completion log-prob|', value: diff },
      });
      log(`scoring vs ORT ${ep}: ours ${round(o, 3)} vs ${round(p, 3)} sequences/s`);
    }
  } finally {
    model.dispose();
  }
  return rows;
}

// ------------------------------------------------------------------ case 4: online DPO step

const TRAINER = BENCH_TRAINER;

async function makeLearner(be: Backend, cfg: BrowserConfig) {
  const policy = await loadModel(be, cfg);
  const reference = await loadModel(be, cfg);
  const learner = new OnlineLearner(policy, reference, TRAINER);
  // Fill the replay buffer without training, so every timed vote trains on a full batch of 8.
  for (const p of cfg.dpoPairs) await learner.feedback({ prompt: '', promptIds: p.promptIds, aIds: p.aIds, bIds: p.bIds, outcome: 'a', train: false });
  let k = 0;
  const vote = async () => {
    const p = cfg.dpoPairs[k++ % cfg.dpoPairs.length];
    const r = await learner.feedback({ prompt: '', promptIds: p.promptIds, aIds: p.aIds, bIds: p.bIds, outcome: k % 2 ? 'a' : 'b', train: true });
    if (r.steps.length !== 1 || !Number.isFinite(r.steps[0].loss)) throw new Error('online: a vote did not take exactly one finite DPO step');
    return r;
  };
  const dispose = () => {
    learner.dispose();
    policy.dispose();
    reference.dispose();
  };
  return { vote, dispose, learner };
}

async function caseOnline(cfg: BrowserConfig): Promise<BenchRow[]> {
  const be = await gpu();
  const cpu = new CpuBackend();
  const g = await makeLearner(be, cfg);
  const h = await makeLearner(cpu, cfg);
  try {
    const [gpuMs, cpuMs] = await timeInterleaved([g.vote, h.vote], cfg.sizes.warmup, cfg.sizes.reps);
    const o = median(gpuMs);
    const p = median(cpuMs);
    const p0 = cfg.dpoPairs[0];
    const T = p0.promptIds.length + Math.max(p0.aIds.length, p0.bIds.length);
    log(`online DPO vote: WebGPU ${round(o, 3)} ms vs CPU ${round(p, 3)} ms`);
    return [
      {
        group: 4,
        case: 'online DPO vote → updated weights',
        ours: round(o),
        peer: round(p),
        ratio: round(o / p),
        unit: 'ms',
        better: 'lower',
        adapter: be.deviceLabel,
        peerName: 'our CPU backend (TypeScript), same page',
        peerAdapter: `CPU: ${navigator.hardwareConcurrency} logical cores (browser main thread)`,
        shapes: `policy + reference forward, backward, AdamW on ${TRAINER.batchSize} pairs = ${2 * TRAINER.batchSize} sequences × ${T} tokens; ${shapeOf(cfg)}`,
        reps: cfg.sizes.reps,
        warmup: cfg.sizes.warmup,
        oursMs: gpuMs.map((x) => round(x)),
        peerMs: cpuMs.map((x) => round(x)),
        notes: [
          ...baseNotes(be.deviceLabel),
          ...policyNotes(cfg),
          'OnlineLearner.feedback (sigmoid DPO, stepsPerVote 1, batchSize 8, buffer pre-filled with 8 pairs): reference pass for the new pair + reward-model update + one policy step; returns once the updated weights exist',
          'ratio = GPU / CPU (below 1: the GPU is faster)',
        ],
      },
    ];
  } finally {
    g.dispose();
    h.dispose();
  }
}

// ------------------------------------------------------------------ case 7: memory

async function caseMemory(cfg: BrowserConfig): Promise<BenchRow[]> {
  const P = cfg.policy.params;
  const mib = (b: number) => b / (1024 * 1024);
  const rows: BenchRow[] = [];
  const p0 = cfg.dpoPairs[0];
  const seqs = cfg.dpoPairs.map((p) => [...p.promptIds, ...p.aIds]);
  const batch = buildBatch(seqs, cfg.dpoPairs.map((p) => p.promptIds.length));
  const label = (await gpu()).deviceLabel;

  // (a) The policy in training: weights, gradients, AdamW moments, after one step.
  {
    const be = await createWebGpuBackend(navigator.gpu);
    const model = await loadModel(be, cfg);
    const opt = new AdamW(model, { lr: 1e-5, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, maxGradNorm: 1 });
    await sftStep(model, opt, batch);
    be.flush();
    const live = be.liveBytes();
    const pooled = be.pooledBytes();
    opt.dispose();
    model.dispose();
    const leak = be.liveBytes();
    be.dispose();
    rows.push({
      group: 7,
      case: 'memory: policy in training',
      ours: round(mib(live)),
      peer: round(mib(P * 16)),
      ratio: round(live / (P * 16)),
      unit: 'MiB',
      better: 'lower',
      adapter: label,
      peerName: 'parameters × 16 B (fp32 weights + grads + AdamW m, v)',
      peerAdapter: '—',
      shapes: `${P.toLocaleString('en-US')} params; one SFT step on ${batch.B} × ${batch.T} tokens`,
      reps: 1,
      warmup: 0,
      notes: [
        ...baseNotes(label),
        ...policyNotes(cfg),
        'a byte count, not a timing: backend.liveBytes() after the model, its gradients and AdamW moments exist and one step ran (activations released)',
        `GPU buffer pool incl. free buffers kept for reuse: ${round(mib(pooled))} MiB; live bytes after disposing everything: ${leak}`,
      ],
    });
  }
  // (b) Online DPO: the same plus the frozen reference the objective needs.
  {
    const be = await createWebGpuBackend(navigator.gpu);
    const g = await makeLearner(be, cfg);
    await g.vote();
    be.flush();
    const live = be.liveBytes();
    const pooled = be.pooledBytes();
    g.dispose();
    const leak = be.liveBytes();
    be.dispose();
    rows.push({
      group: 7,
      case: 'memory: online DPO (policy + reference)',
      ours: round(mib(live)),
      peer: round(mib(P * 20)),
      ratio: round(live / (P * 20)),
      unit: 'MiB',
      better: 'lower',
      adapter: label,
      peerName: 'parameters × 20 B (× 16 for the policy in training + × 4 for the frozen reference)',
      peerAdapter: '—',
      shapes: `${P.toLocaleString('en-US')} params; one DPO vote on ${TRAINER.batchSize} pairs, prompt ${p0.promptIds.length} + completion ${p0.aIds.length}`,
      reps: 1,
      warmup: 0,
      notes: [
        ...baseNotes(label),
        ...policyNotes(cfg),
        'a byte count, not a timing: backend.liveBytes() after OnlineLearner.feedback took one step',
        `GPU buffer pool incl. free buffers kept for reuse: ${round(mib(pooled))} MiB; live bytes after disposing everything: ${leak}`,
      ],
    });
  }
  log(`memory: ${rows.map((r) => `${r.case} ${r.ours} MiB (×${r.ratio})`).join('; ')}`);
  return rows;
}

// ------------------------------------------------------------------ case 6: CPU forward in Chromium

/**
 * Our CPU backend against ORT's WASM EP in the page, each on `ortThreads` threads (ours: the
 * matmul's helper workers; ORT: its pthreads). Runs on the page's main thread like ORT's
 * session, where neither may block, so both spin while their helpers finish.
 */
async function caseCpuForward(cfg: BrowserConfig): Promise<BenchRow[]> {
  const threads = await startMatmulThreads(cfg.ortThreads);
  const backend = new CpuBackend();
  const model = await loadModel(backend, cfg);
  try {
    const session = await gpt2Session(cfg, 'wasm');
    const row = await cpuForwardRow({
      caseName: 'CPU forward vs ORT WASM (Chromium)',
      model,
      backend,
      forwardIds: cfg.forwardIds,
      peer: {
        name: `onnxruntime-web ${ort.env.versions.web ?? ''} WASM EP`,
        adapter: `CPU: ${navigator.hardwareConcurrency} logical cores, Chromium; ${ortWasmLabel(cfg)}`,
        logits: async (ids, B, T) => {
          const r = await session.run({ input_ids: new ort.Tensor('int64', ids, [B, T]) });
          return r.logits.data as Float32Array;
        },
      },
      adapter: `CPU: ${navigator.hardwareConcurrency} logical cores, Chromium; our CPU backend (TypeScript + WebAssembly SIMD, matmul on ${threads} thread${threads === 1 ? '' : 's'})`,
      modelShape: shapeOf(cfg),
      warmup: cfg.sizes.warmup,
      reps: cfg.sizes.reps,
      notes: [
        ...policyNotes(cfg),
        ...(threads === cfg.ortThreads ? [] : [`asked for ${cfg.ortThreads} matmul threads, got ${threads} (is the page cross-origin isolated?)`]),
      ],
      log,
    });
    return [row];
  } finally {
    model.dispose();
    stopMatmulThreads();
  }
}

// ------------------------------------------------------------------ entry points for Node

async function env(): Promise<BrowserEnv> {
  const adapter = await navigator.gpu?.requestAdapter();
  const info = adapter?.info;
  const sw = adapter && info ? isSoftwareAdapter(adapter, info) : false;
  return {
    userAgent: navigator.userAgent,
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
    hardwareConcurrency: navigator.hardwareConcurrency,
    adapter: adapterText(info, sw),
    adapterInfo: {
      vendor: info?.vendor ?? '',
      architecture: info?.architecture ?? '',
      device: info?.device ?? '',
      description: info?.description ?? '',
      isFallbackAdapter: (info as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter ?? null,
    },
    swiftShader: /swiftshader/i.test(`${info?.vendor} ${info?.architecture} ${info?.description}`),
    software: sw,
    ortVersion: ort.env.versions.web ?? ort.env.versions.common ?? 'unknown',
  };
}

const CASES: Record<BrowserCase, (cfg: BrowserConfig) => Promise<BenchRow[]>> = {
  matmul: caseMatmul,
  decode: caseDecode,
  scoring: caseScoring,
  online: caseOnline,
  memory: caseMemory,
  cpu_forward_chromium: caseCpuForward,
};

async function run(name: BrowserCase, cfg: BrowserConfig): Promise<BenchRow[]> {
  if (name === 'cpu_forward_chromium') return CASES[name](cfg);
  if (!navigator.gpu) throw new Error('navigator.gpu is missing: this Chromium has no WebGPU (flags?)');
  const rows = await CASES[name](cfg);
  const be = gpuBackend;
  if (be && be.errors.length > 0) throw new Error(`WebGPU errors during ${name}: ${be.errors.slice(0, 3).join(' | ')}`);
  return rows;
}

declare global {
  interface Window {
    __bench?: { env: typeof env; run: typeof run; releaseSessions: typeof releaseSessions };
  }
}

window.__bench = { env, run, releaseSessions };
document.getElementById('status')!.textContent = 'ready';
