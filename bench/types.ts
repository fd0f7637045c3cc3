/** Types shared by the Node and browser halves of `npm run bench`. */
import type { TrainerSettings } from '../src/engine/api';
import type { GPT2Config } from '../src/engine/model/config';

export type Mode = 'full' | 'quick' | 'smoke';

/** One line of the report: ours against its peer, measured in the same run. */
export interface BenchRow {
  /** Case number in the issue (1 matmul … 7 memory). */
  group: number;
  case: string;
  /** Median of `reps` timed repetitions (after `warmup`), in `unit`. */
  ours: number;
  peer: number;
  /** ours / peer. Whether above 1 is good depends on `better`. */
  ratio: number;
  unit: string;
  better: 'higher' | 'lower';
  /** Where ours ran: WebGPU adapter (GPUAdapter.info) or the CPU. */
  adapter: string;
  /** What the peer is and where it ran. */
  peerName: string;
  peerAdapter: string;
  shapes: string;
  reps: number;
  warmup: number;
  /** Raw timings (ms) per repetition, for anyone who wants the spread. */
  oursMs?: number[];
  peerMs?: number[];
  notes: string[];
  /** Where the two outputs were compared: how far apart they are (same inputs, same model). */
  agreement?: { metric: string; value: number };
}

export interface PolicyInfo {
  name: string;
  fallback: boolean;
  config: GPT2Config;
  params: number;
  onnxSource: string;
  /** Said in the notes of every row that runs the policy (empty when nothing to say). */
  note: string;
}

/** Sizes per mode; see sizes.ts. */
export interface Sizes {
  reps: number;
  warmup: number;
  /** Rows M of the policy-shaped matmuls (one training batch: 2·pairs sequences × tokens). */
  matmulRows: number;
  /** Edge of the cube case (1024 → 1024³). */
  matmulCube: number;
  decodePromptLen: number;
  decodeNewTokens: number;
  /** Scoring: 8 pairs of prompt + completion. */
  scorePairs: number;
  scorePromptLen: number;
  scoreCompletionLen: number;
  /** Online DPO step. */
  dpoPairs: number;
  dpoPromptLen: number;
  dpoCompletionLen: number;
  rmVotes: number;
  rmHeldOut: number;
  btCompetitors: number;
  btBattles: number;
  cpuForwardBatch: number;
  cpuForwardSeq: number;
  /** Votes of the page-level loop (case 8), read for 1 s each. */
  pageVotes: number;
}

/** What the browser page is asked to run. */
export interface BrowserConfig {
  mode: Mode;
  sizes: Sizes;
  /** The model the model cases run (the policy, or the tiny stand-in of --quick on a software adapter). */
  policy: PolicyInfo;
  /** The policy whose shapes the matmul case uses (the real one even when a stand-in runs). */
  shapePolicy: PolicyInfo;
  /** URLs (served by the runner) of the policy files. */
  files: { config: string; tokenizer: string; safetensors: string; onnx: string; matmulOnnx: string };
  decodePrompt: number[];
  scorePairs: { promptIds: number[]; aIds: number[]; bIds: number[] }[];
  dpoPairs: { promptIds: number[]; aIds: number[]; bIds: number[] }[];
  /** Sequences of the CPU forward (case 6), as in Node. */
  forwardIds: number[][];
  /** ORT's WASM threads, and our CPU backend's matmul threads in the Chromium CPU forward. */
  ortThreads: number;
}

export type BrowserCase = 'matmul' | 'decode' | 'scoring' | 'online' | 'memory' | 'cpu_forward_chromium';
export const BROWSER_CASES: readonly BrowserCase[] = ['matmul', 'decode', 'scoring', 'online', 'memory', 'cpu_forward_chromium'];
export type NodeCase = 'vote' | 'reward' | 'ratings' | 'cpu_forward';
export const NODE_CASES: readonly NodeCase[] = ['vote', 'reward', 'ratings', 'cpu_forward'];
/** The playground itself in Chromium, beside the same loop in Node (bench/page_latency.ts). */
export type PageCase = 'page';
export const PAGE_CASES: readonly PageCase[] = ['page'];
/** Every case, in the order a run takes them. */
export const ALL_CASES: readonly (NodeCase | BrowserCase | PageCase)[] = [...NODE_CASES, ...BROWSER_CASES, ...PAGE_CASES];

/** What the page reports besides rows. */
export interface BrowserEnv {
  userAgent: string;
  crossOriginIsolated: boolean;
  hardwareConcurrency: number;
  adapter: string;
  adapterInfo: { vendor: string; architecture: string; device: string; description: string; isFallbackAdapter: boolean | null };
  swiftShader: boolean;
  /** A CPU rasteriser (SwiftShader, llvmpipe, or isFallbackAdapter). */
  software: boolean;
  ortVersion: string;
}

/** The trainer of every one-vote timing (browser case 4, the GPU bench): sigmoid DPO, one step on 8 pairs. */
export const BENCH_TRAINER: TrainerSettings = { objective: 'sigmoid', beta: 0.1, epsilon: 0, lr: 1e-5, stepsPerVote: 1, batchSize: 8, bufferSize: 256, maxGradNorm: 1, seed: 0 };
