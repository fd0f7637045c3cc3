import { describe, it, expect, afterAll } from 'vitest';
import * as Comlink from 'comlink';
import type { JudgeApi, JudgeInfo } from '../../src/engine/judges/api';
import { judgeErrorCode } from '../../src/engine/judges/errors';

// The shipped fluency judge and held-out test-split pairs written beside it by
// scripts/judge/train_judge.py, with the PyTorch scores of the same token rows.
const JUDGE_DIR = new URL('/models/judges/fluency/', location.href).href;

interface HeldoutPair {
  degradation: string;
  real: string;
  degraded: string;
  pytorch_scores: { real: number; degraded: number };
}

function spawnJudgeWorker() {
  const worker = new Worker(new URL('../../src/worker_api/judge.worker.ts', import.meta.url), { type: 'module' });
  return { worker, api: Comlink.wrap<JudgeApi>(worker) };
}

async function fetchBytes(name: string): Promise<ArrayBuffer> {
  const res = await fetch(JUDGE_DIR + name);
  expect(res.ok).toBe(true);
  return res.arrayBuffer();
}

async function fetchText(name: string): Promise<string> {
  const res = await fetch(JUDGE_DIR + name);
  expect(res.ok).toBe(true);
  return res.text();
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected the promise to reject');
}

/** Same-length byte replacement: the protobuf stays valid, every occurrence of the name changes. */
function renameInModel(bytes: ArrayBuffer, from: string, to: string): ArrayBuffer {
  if (from.length !== to.length) throw new Error('names must have the same length');
  const out = new Uint8Array(bytes.slice(0));
  const f = new TextEncoder().encode(from);
  const t = new TextEncoder().encode(to);
  let hits = 0;
  for (let i = 0; i + f.length <= out.length; i++) {
    if (f.every((b, k) => out[i + k] === b)) {
      out.set(t, i);
      hits++;
    }
  }
  if (hits === 0) throw new Error(`"${from}" not found in the model`);
  return out.buffer;
}

describe('ONNX judges in the judge worker (onnxruntime-web, real Chromium)', () => {
  const { worker, api } = spawnJudgeWorker();
  afterAll(() => worker.terminate());

  it('the fluency judge runs on wasm and WebGPU, both EPs agree, and it prefers real text', async () => {
    const pairs = (JSON.parse(await fetchText('heldout_pairs.json')) as { pairs: HeldoutPair[] }).pairs;
    expect(pairs.length).toBeGreaterThanOrEqual(10);
    const texts = pairs.flatMap((p) => [p.real, p.degraded]);
    const pytorch = pairs.flatMap((p) => [p.pytorch_scores.real, p.pytorch_scores.degraded]);

    // Both loads are requested at once: the worker's ORT queue creates the sessions one after the other.
    const source = { kind: 'url' as const, modelUrl: JUDGE_DIR + 'model.onnx' };
    const [wasm, gpu]: JudgeInfo[] = await Promise.all([
      api.load(source, { executionProvider: 'wasm', id: 'fluency-wasm' }),
      api.load(source, { executionProvider: 'webgpu', id: 'fluency-webgpu' }),
    ]);
    expect(wasm.executionProvider).toBe('wasm');
    expect(gpu.executionProvider).toBe('webgpu');
    expect(wasm.kind).toBe('pointwise');
    expect(wasm.inputNames).toEqual(['input_ids', 'attention_mask']);

    const [sWasm, sGpu] = await Promise.all([api.score(wasm.handle, '', texts), api.score(gpu.handle, '', texts)]);
    const maxEpDiff = Math.max(...sWasm.map((s, i) => Math.abs(s - sGpu[i]!)));
    const maxTorchDiff = Math.max(...sWasm.map((s, i) => Math.abs(s - pytorch[i]!)));
    console.log(`fluency judge, ${texts.length} texts: max |wasm − webgpu| = ${maxEpDiff.toExponential(2)}, max |wasm − PyTorch| = ${maxTorchDiff.toExponential(2)}`);
    expect(maxEpDiff).toBeLessThan(1e-3);
    expect(maxTorchDiff).toBeLessThan(1e-3);

    const realWins = pairs.filter((_, i) => sWasm[2 * i]! > sWasm[2 * i + 1]!).length;
    expect(realWins / pairs.length).toBeGreaterThan(0.5);

    // Through the AsyncJudge shape: a pointwise judge's two orders always agree.
    const p = pairs[0]!;
    const j = await api.judge(gpu.handle, { prompt: 'Say something.', a: p.real, b: p.degraded, positionMode: 'both' });
    expect(j.annotatorId).toBe('fluency-webgpu');
    expect(j.consistent).toBe(true);
    expect(j.scores.a).toBeCloseTo(sGpu[0]!, 4);
    expect(j.pAB).toBeCloseTo(1 / (1 + Math.exp(-(sGpu[0]! - sGpu[1]!))), 4);
    expect(j.critique).toMatch(/^fluency: scores A/);

    const info = await api.runtimeInfo();
    expect(info.judges.map((x) => x.executionProvider).sort()).toEqual(['wasm', 'webgpu']);
    expect(info.queue.pending).toBe(0);
    await api.unload(wasm.handle);
    await api.unload(gpu.handle);
    expect(judgeErrorCode(await rejection(api.score(wasm.handle, '', ['x'])))).toBe('UNKNOWN_HANDLE');
  });

  it('malformed models fail at load with an error naming the problem', async () => {
    const model = await fetchBytes('model.onnx');
    const tokenizer = await fetchText('tokenizer.json');
    const manifest = await fetchText('judge.json');

    const renamed = await rejection(
      api.load({ kind: 'files', name: 'renamed.onnx', model: renameInModel(model, 'scores', 'scorez'), tokenizer, manifest }, { executionProvider: 'wasm' }),
    );
    expect(judgeErrorCode(renamed)).toBe('BAD_MODEL');
    expect(renamed.message).toContain('renamed.onnx has no output "scores" (judge.json output_name); the model\'s outputs are "scorez"');

    const truncated = await rejection(
      api.load({ kind: 'files', name: 'truncated.onnx', model: model.slice(0, Math.floor(model.byteLength / 2)), tokenizer, manifest }, { executionProvider: 'wasm' }),
    );
    expect(judgeErrorCode(truncated)).toBe('BAD_MODEL');
    expect(truncated.message).toMatch(/^BAD_MODEL: truncated\.onnx \(\d+ bytes\) could not be loaded by onnxruntime-web on wasm/);

    const wrongInput = JSON.stringify({ ...JSON.parse(manifest), input_names: { input_ids: 'ids', attention_mask: 'attention_mask' } });
    const noInput = await rejection(api.load({ kind: 'files', name: 'model.onnx', model, tokenizer, manifest: wrongInput }, { executionProvider: 'wasm' }));
    expect(noInput.message).toContain('model.onnx has no input "ids" (judge.json input_names.input_ids)');

    const badTokenizer = await rejection(api.load({ kind: 'files', name: 'model.onnx', model, tokenizer: '{"nope": 1}', manifest }, { executionProvider: 'wasm' }));
    expect(judgeErrorCode(badTokenizer)).toBe('BAD_TOKENIZER');

    const missing = await rejection(api.load({ kind: 'url', modelUrl: JUDGE_DIR + 'missing.onnx' }, { executionProvider: 'wasm' }));
    expect(judgeErrorCode(missing)).toBe('FETCH_FAILED');
    // Vite's dev server answers an unknown path with its index.html (200); other hosts with a 404.
    expect(missing.message).toMatch(/missing\.onnx: GET \S+missing\.onnx (→ 404|returned an HTML page)/);
    console.log([renamed, truncated, noInput, badTokenizer, missing].map((e) => e.message).join('\n'));

    // Nothing was left loaded by the failures, and the queue is idle.
    const info = await api.runtimeInfo();
    expect(info.judges).toEqual([]);
    expect(info.queue.pending).toBe(0);
  });
});
