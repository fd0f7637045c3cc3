/**
 * The CPU forward comparison (case 6), shared by its Node run (node_cases.ts) and its Chromium
 * run (browser_cases.ts): our CPU backend's `GPT2Model.forward` + log-softmax gather + read
 * against onnxruntime-web's WASM EP on the policy's ONNX export, interleaved, on the same
 * token batch, with the two outputs compared (our log-probs against a log-softmax of ORT's
 * logits at the targets).
 */
import { buildBatch } from '../src/engine/batch';
import type { Backend } from '../src/engine/backend';
import type { GPT2Model } from '../src/engine/model/gpt2';
import { rate, round, timeInterleaved } from './timing';
import type { BenchRow } from './types';

export interface CpuForwardPeer {
  name: string;
  adapter: string;
  /** Logits [B, T, V] for int64 ids [B, T]. */
  logits(ids: BigInt64Array, B: number, T: number): Promise<Float32Array>;
}

export interface CpuForwardCase {
  caseName: string;
  model: GPT2Model;
  backend: Backend;
  forwardIds: number[][];
  peer: CpuForwardPeer;
  adapter: string;
  /** Appended to the shapes column (the model's shape). */
  modelShape: string;
  warmup: number;
  reps: number;
  notes: string[];
  log: (s: string) => void;
}

/**
 * Warm-up passes at least: in Chromium the first 3–5 passes of this forward ran 2–3× slower
 * than the rest, for ours and for ORT alike (the JIT's tiers), so the mode's 0–2 left the
 * median reading warm-up.
 */
const MIN_WARMUP = 5;
/**
 * Timed passes at least: on the shared 2-core development VM single passes swung 1.5–3×
 * with other tenants' load, and 7 left the median (and the ratio) moving by ±15 % run to run.
 */
const MIN_REPS = 15;

export async function cpuForwardRow(c: CpuForwardCase): Promise<BenchRow> {
  const { model, backend: be } = c;
  const warmup = Math.max(c.warmup, MIN_WARMUP);
  const reps = Math.max(c.reps, MIN_REPS);
  const batch = buildBatch(c.forwardIds, c.forwardIds.map(() => 1));
  const { B, T } = batch;
  const ids64 = BigInt64Array.from(batch.ids, (x) => BigInt(x));
  let oursLp: Float32Array = new Float32Array(0);
  let peerLogits: Float32Array = new Float32Array(0);
  const ours = async () => {
    const s = model.forward(batch.ids, batch.targets, B, T);
    oursLp = await be.read(s.logprobs);
    model.releaseForward(s);
  };
  const peer = async () => {
    peerLogits = await c.peer.logits(ids64, B, T);
  };
  const [oursMs, peerMs] = await timeInterleaved([ours, peer], warmup, reps);
  // Same model? Compare our log-probs with a log-softmax of ORT's logits at the targets.
  const V = model.config.vocabSize;
  let diff = 0;
  for (let i = 0; i < B * T; i++) {
    if (!batch.mask[i]) continue;
    let mx = -Infinity;
    for (let v = 0; v < V; v++) mx = Math.max(mx, peerLogits[i * V + v]);
    let z = 0;
    for (let v = 0; v < V; v++) z += Math.exp(peerLogits[i * V + v] - mx);
    diff = Math.max(diff, Math.abs(peerLogits[i * V + batch.targets[i]] - mx - Math.log(z) - oursLp[i]));
  }
  const o = rate(B * T, oursMs);
  const p = rate(B * T, peerMs);
  c.log(`${c.caseName} ${B}×${T}: ours ${round(o, 3)} vs ORT WASM ${round(p, 3)} tokens/s`);
  return {
    group: 6,
    case: c.caseName,
    ours: round(o),
    peer: round(p),
    ratio: round(o / p),
    unit: 'tokens/s',
    better: 'higher',
    adapter: c.adapter,
    peerName: c.peer.name,
    peerAdapter: c.peer.adapter,
    shapes: `${B} sequences × ${T} tokens; ${c.modelShape}`,
    reps,
    warmup,
    oursMs: oursMs.map((x) => round(x)),
    peerMs: peerMs.map((x) => round(x)),
    notes: [
      ...c.notes,
      'ours: GPT2Model.forward + log-softmax gather of targets + read; ORT: logits [B, T, V] (no gather)',
      `max |Δ log-prob| ours vs ORT = ${diff.toExponential(2)}`,
    ],
    agreement: { metric: 'max |Δ log-prob|', value: diff },
  };
}
