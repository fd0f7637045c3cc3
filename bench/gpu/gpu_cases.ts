/**
 * The Node-only GPU benchmark's cases (issue 15, item 6): our WebGPU kernels and model on
 * whatever adapter the `webgpu` package (Dawn) finds, no browser and no ORT peers. Each row is
 * measured on the device, with the counters that say what a token or a step costs: dispatches,
 * submits and bytes read back.
 *
 * Models: the shipped policy (its files travel with the repository, not in the bundle) and a GPT-2-124M-shaped model with
 * random weights (speed does not depend on the values), made in memory. `smoke` swaps the
 * 124M model for a tiny one and shrinks every size, so the run checks every code path in
 * seconds on SwiftShader.
 */
import type { WebGpuBackend } from '../../src/engine/backends/webgpu';
import { generateTokens } from '../../src/engine/generate';
import { OnlineLearner } from '../../src/engine/learning/online';
import { countParams, type GPT2Config } from '../../src/engine/model/config';
import { GPT2Model } from '../../src/engine/model/gpt2';
import { Rng } from '../../src/engine/rng';
import { median, rate, round, timeInterleaved } from '../timing';
import { BENCH_TRAINER } from '../types';

export type GpuMode = 'full' | 'smoke';

/** One line of the GPU table: ours alone, on the device named in the run's header. */
export interface GpuRow {
  case: string;
  /** Median over `reps` timed repetitions, in `unit`. */
  value: number;
  unit: string;
  model: string;
  shapes: string;
  reps: number;
  /** Per-repetition milliseconds. */
  ms: number[];
  /** Device work per unit (per token, per step, per call), from the backend's counters. */
  per?: { unit: string; dispatches: number; submits: number; bytesRead: number; bytesWritten: number };
  notes: string[];
}

/** A model the cases run: its config, how to build it on the backend, and a prompt. */
export interface BenchModel {
  name: string;
  config: GPT2Config;
  build: () => GPT2Model;
  prompt: number[];
}

export interface GpuSizes {
  reps: number;
  warmup: number;
  decodeNewTokens: number;
  dpoPairs: number;
  dpoPromptLen: number;
  dpoCompletionLen: number;
  /** Matmul repetition target: calls per timed repetition until it holds this many ms. */
  matmulTargetMs: number;
  cube: number[];
}

export function gpuSizes(mode: GpuMode): GpuSizes {
  return mode === 'smoke'
    ? { reps: 1, warmup: 0, decodeNewTokens: 4, dpoPairs: 2, dpoPromptLen: 4, dpoCompletionLen: 4, matmulTargetMs: 0, cube: [67] }
    : { reps: 5, warmup: 1, decodeNewTokens: 64, dpoPairs: 8, dpoPromptLen: 16, dpoCompletionLen: 48, matmulTargetMs: 40, cube: [1024, 4096] };
}

/** GPT-2 small: 12 layers, 12 heads, 768 wide, the 50,257-token vocabulary, 1,024 positions. */
export const GPT2_124M: GPT2Config = { nLayer: 12, nHead: 12, nEmbd: 768, vocabSize: 50257, nPositions: 1024, layerNormEpsilon: 1e-5, eosTokenId: 50256 };
/** The stand-in for it under `smoke` (SwiftShader runs it in seconds). */
export const SMOKE_MODEL: GPT2Config = { nLayer: 2, nHead: 2, nEmbd: 64, vocabSize: 517, nPositions: 64, layerNormEpsilon: 1e-5, eosTokenId: 516 };

export function randomModel(be: WebGpuBackend, name: string, config: GPT2Config): BenchModel {
  const rng = new Rng(`gpu-bench-prompt-${name}`);
  return { name, config, build: () => GPT2Model.randomInit(be, config, 7), prompt: Array.from({ length: 16 }, () => rng.int(config.vocabSize)) };
}

const counters = (be: WebGpuBackend) => ({ dispatches: be.dispatches, submits: be.submits, bytesRead: be.bytesRead, bytesWritten: be.bytesWritten });
function perUnit(be: WebGpuBackend, before: ReturnType<typeof counters>, units: number, unit: string): GpuRow['per'] {
  const now = counters(be);
  return {
    unit,
    dispatches: round((now.dispatches - before.dispatches) / units),
    submits: round((now.submits - before.submits) / units),
    bytesRead: round((now.bytesRead - before.bytesRead) / units),
    bytesWritten: round((now.bytesWritten - before.bytesWritten) / units),
  };
}

export function modelLabel(m: BenchModel): string {
  const c = m.config;
  return `${m.name} (${(countParams(c) / 1e6).toFixed(1)} M params; ${c.nLayer} layers, ${c.nEmbd} wide, vocab ${c.vocabSize})`;
}

// ------------------------------------------------------------------ matmul

interface MatmulShape {
  label: string;
  model: string;
  M: number;
  K: number;
  N: number;
}

function matmulShapes(models: readonly BenchModel[], sizes: GpuSizes): MatmulShape[] {
  const out: MatmulShape[] = [];
  const rows = 2 * sizes.dpoPairs * (sizes.dpoPromptLen + sizes.dpoCompletionLen);
  for (const m of models) {
    const C = m.config.nEmbd;
    out.push(
      { label: 'mlp fc', model: m.name, M: rows, K: C, N: 4 * C },
      { label: 'lm head', model: m.name, M: rows, K: C, N: m.config.vocabSize },
      { label: 'decode lm head (M=1)', model: m.name, M: 1, K: C, N: m.config.vocabSize },
    );
  }
  for (const n of sizes.cube) out.push({ label: `${n}³`, model: '—', M: n, K: n, N: n });
  return out;
}

/**
 * GFLOP/s of our matmul per shape. Correctness first: 64 sampled entries of C against a
 * float64 dot product on the host, so a fast wrong kernel cannot pass.
 */
export async function caseMatmul(be: WebGpuBackend, models: readonly BenchModel[], sizes: GpuSizes): Promise<GpuRow[]> {
  const rows: GpuRow[] = [];
  for (const s of matmulShapes(models, sizes)) {
    const rng = new Rng(`gpu-matmul-${s.M}-${s.K}-${s.N}`);
    const a = new Float32Array(s.M * s.K).map(() => rng.normal());
    const b = new Float32Array(s.K * s.N).map(() => rng.normal());
    const tA = be.upload(a, [s.M, s.K]);
    const tB = be.upload(b, [s.K, s.N]);
    try {
      const tC = be.matmul(tA, tB);
      const c = await be.read(tC);
      be.release(tC);
      let maxErr = 0;
      let maxAbs = 0;
      for (let k = 0; k < 64; k++) {
        const i = rng.int(s.M);
        const j = rng.int(s.N);
        let ref = 0;
        for (let t = 0; t < s.K; t++) ref += a[i * s.K + t]! * b[t * s.N + j]!;
        maxErr = Math.max(maxErr, Math.abs(ref - c[i * s.N + j]!));
        maxAbs = Math.max(maxAbs, Math.abs(ref));
      }
      const relErr = maxErr / Math.max(maxAbs, 1e-30);
      if (!(relErr < 1e-3)) throw new Error(`matmul ${s.model} ${s.label}: sampled entries off by ${relErr.toExponential(2)} (relative)`);
      const calls = async (n: number) => {
        for (let i = 0; i < n; i++) be.release(be.matmul(tA, tB));
        be.flush();
        await be.device.queue.onSubmittedWorkDone();
      };
      await calls(1);
      const t0 = performance.now();
      await calls(1);
      const n = Math.max(1, Math.min(256, Math.ceil(sizes.matmulTargetMs / Math.max(performance.now() - t0, 0.01))));
      const [ms] = await timeInterleaved([() => calls(n)], sizes.warmup, sizes.reps);
      const gflop = (2 * s.M * s.K * s.N) / 1e9;
      rows.push({
        case: `matmul ${s.label}`,
        value: round(rate(gflop * n, ms!)),
        unit: 'GFLOP/s',
        model: s.model,
        shapes: `[${s.M}×${s.K}]·[${s.K}×${s.N}] f32`,
        reps: sizes.reps,
        ms: ms!.map((x) => round(x / n)),
        notes: [`${s.M <= 8 ? 'matvec kernel (M ≤ 8)' : 'tiled matmul kernel'}; ${n} calls per timed repetition, to queue.onSubmittedWorkDone()`, `64 sampled entries within ${relErr.toExponential(1)} (relative) of a float64 host dot product`],
      });
    } finally {
      be.release(tA);
      be.release(tB);
    }
  }
  return rows;
}

// ------------------------------------------------------------------ decode

/**
 * How a decode row samples: greedy (argmax on the device), plain (temperature 1: the draw on
 * the device from one uniform), or the playground's duel default (T 0.8, top-k 50, top-p 0.95:
 * the k largest logits read back).
 */
export type DecodeSampling = 'greedy' | 'plain' | 'playground';
const DECODE_SAMPLING: Record<DecodeSampling, { temperature: number; topK: number; topP: number; note: string }> = {
  greedy: { temperature: 0, topK: 0, topP: 1, note: 'argmax on the device, one id read back per token' },
  plain: { temperature: 1, topK: 0, topP: 1, note: 'the draw on the device (Backend.sample): one uniform up, one id back per token' },
  playground: { temperature: 0.8, topK: 50, topP: 0.95, note: 'top-k on the device: 50 values and ids back per token, top-p on the host' },
};

/** Decoding with the KV cache, batch 1: tokens/s and the device work per token. */
export async function caseDecode(be: WebGpuBackend, m: BenchModel, sizes: GpuSizes, sampling: DecodeSampling = 'greedy'): Promise<GpuRow> {
  const model = m.build();
  const { note, ...params } = DECODE_SAMPLING[sampling];
  try {
    const nNew = Math.min(sizes.decodeNewTokens, m.config.nPositions - m.prompt.length);
    const decode = async () => {
      let n = 0;
      for await (const s of generateTokens(model, m.prompt, { numSequences: 1, maxNewTokens: nNew, seed: 0, eosTokenId: null, ...params })) n += s.tokens.length;
      if (n !== nNew) throw new Error(`decode: ${n} tokens instead of ${nNew}`);
    };
    await decode();
    const before = counters(be);
    await decode();
    const per = perUnit(be, before, nNew, 'token');
    const [ms] = await timeInterleaved([decode], sizes.warmup, sizes.reps);
    return {
      case: `decode, ${sampling === 'greedy' ? 'greedy' : sampling === 'plain' ? 'sampled (T 1)' : 'sampled (T 0.8, top-k 50, top-p 0.95)'}`,
      value: round(rate(nNew, ms!)),
      unit: 'tokens/s',
      model: modelLabel(m),
      shapes: `batch 1, prompt ${m.prompt.length} + ${nNew} new tokens (prompt pass included)`,
      reps: sizes.reps,
      ms: ms!.map((x) => round(x)),
      per,
      notes: [`generateTokens: KV cache, ${note}`],
    };
  } finally {
    model.dispose();
  }
}

// ------------------------------------------------------------------ one DPO vote


/**
 * One vote → updated weights (`OnlineLearner.feedback`, as the browser bench's online case):
 * the reference pass for the new pair, the reward-model update and one sigmoid-DPO step on a
 * full minibatch (the buffer is filled first, without training).
 */
export async function caseDpoVote(be: WebGpuBackend, m: BenchModel, sizes: GpuSizes): Promise<GpuRow> {
  const policy = m.build();
  const reference = m.build();
  const rng = new Rng(`gpu-dpo-${m.name}`);
  const ids = (n: number) => Array.from({ length: n }, () => rng.int(m.config.vocabSize - 1));
  const pairs = Array.from({ length: sizes.dpoPairs }, () => ({ promptIds: ids(sizes.dpoPromptLen), aIds: ids(sizes.dpoCompletionLen), bIds: ids(sizes.dpoCompletionLen) }));
  const settings = { ...BENCH_TRAINER, batchSize: sizes.dpoPairs };
  const learner = new OnlineLearner(policy, reference, settings);
  try {
    for (const p of pairs) await learner.feedback({ prompt: '', ...p, outcome: 'a', train: false });
    let k = 0;
    const vote = async () => {
      const p = pairs[k++ % pairs.length]!;
      const r = await learner.feedback({ prompt: '', ...p, outcome: k % 2 ? 'a' : 'b', train: true });
      if (r.steps.length !== 1 || !Number.isFinite(r.steps[0]!.loss)) throw new Error('dpo: a vote did not take exactly one finite step');
    };
    await vote();
    const before = counters(be);
    await vote();
    const per = perUnit(be, before, 1, 'vote');
    const [ms] = await timeInterleaved([vote], sizes.warmup, sizes.reps);
    return {
      case: 'one DPO vote → updated weights',
      value: round(median(ms!)),
      unit: 'ms',
      model: modelLabel(m),
      shapes: `${settings.batchSize} pairs = ${2 * settings.batchSize} sequences × ${sizes.dpoPromptLen + sizes.dpoCompletionLen} tokens; policy + reference`,
      reps: sizes.reps,
      ms: ms!.map((x) => round(x)),
      per,
      notes: ['OnlineLearner.feedback: reference pass + reward-model update + one sigmoid-DPO step (AdamW, grad-norm clip 1); returns once the updated weights exist'],
    };
  } finally {
    learner.dispose();
    policy.dispose();
    reference.dispose();
  }
}
