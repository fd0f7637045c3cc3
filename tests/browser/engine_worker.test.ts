import { describe, it, expect, afterAll } from 'vitest';
import * as Comlink from 'comlink';
import { type EngineApi, type GenerateRequest, type ModelSource } from '../../src/engine/api';
import { engineErrorCode } from '../../src/state/engine_client';
import { tinyCheckpoint } from '../support/tiny_checkpoint';

function spawnEngine() {
  const worker = new Worker(new URL('../../src/worker_api/engine.worker.ts', import.meta.url), { type: 'module' });
  return { worker, api: Comlink.wrap<EngineApi>(worker) };
}

function tinySource(): ModelSource {
  const ck = tinyCheckpoint(5);
  const weights = ck.safetensors.buffer.slice(0) as ArrayBuffer;
  return { kind: 'files', name: 'tiny', config: JSON.stringify(ck.hfConfig), tokenizer: JSON.stringify(ck.tokenizer), weights };
}

async function runToEnd(api: Comlink.Remote<EngineApi>, req: GenerateRequest) {
  const h = await api.generateStart(req);
  let steps = 0;
  for (;;) {
    const c = await api.generateNext(h);
    steps++;
    if (c.done) return { ...c, steps };
  }
}

const greedy: GenerateRequest = { prompt: 'the cat', numSequences: 2, maxNewTokens: 8, temperature: 0, topK: 0, topP: 1, seed: 1 };

describe('engine worker (Comlink, real Chromium)', () => {
  const workers: Worker[] = [];
  afterAll(() => workers.forEach((w) => w.terminate()));

  it('auto on a software adapter runs on the CPU and says why; streams pull-based generations', async () => {
    const { worker, api } = spawnEngine();
    workers.push(worker);
    const phases: string[] = [];
    const info = await api.loadModel(tinySource(), 'auto', Comlink.proxy((p: { phase: string }) => phases.push(p.phase)));
    expect(info.parameters).toBeGreaterThan(0);
    expect(phases.at(-1)).toBe('ready');
    const adapter = await navigator.gpu?.requestAdapter();
    const software = !adapter || /swiftshader/i.test(`${adapter.info.description} ${adapter.info.vendor} ${adapter.info.architecture}`) || (adapter.info as { isFallbackAdapter?: boolean }).isFallbackAdapter;
    if (software) {
      expect(info.backend.name).toBe('cpu');
      expect(info.backend.fallbackReason).toMatch(/software|not available/);
    }
    const a = await runToEnd(api, { ...greedy, temperature: 1, seed: 7 });
    const b = await runToEnd(api, { ...greedy, temperature: 1, seed: 7 });
    expect(a.tokenIds).toEqual(b.tokenIds);
    expect(a.steps).toBeGreaterThan(1); // streamed one token per pull
    expect(a.texts.length).toBe(2);
    const s = await api.score({ prompt: 'the cat', completions: a.texts });
    expect(s.sums.every((x) => Number.isFinite(x) && x <= 0)).toBe(true);
    // Reference and policy agree before any training.
    const r = await api.score({ prompt: 'the cat', completions: a.texts, policy: 'reference' });
    r.sums.forEach((x, i) => expect(x).toBeCloseTo(s.sums[i], 5));
    await expect(api.generateNext('nope')).rejects.toSatisfy((e: unknown) => engineErrorCode(e) === 'UNKNOWN_HANDLE');
    await expect(api.generateStart({ ...greedy, topP: 0 })).rejects.toSatisfy((e: unknown) => engineErrorCode(e) === 'BAD_REQUEST');
  });

  it('forced WebGPU runs the same model and matches the CPU greedy continuation', async () => {
    const cpu = spawnEngine();
    const gpu = spawnEngine();
    workers.push(cpu.worker, gpu.worker);
    await cpu.api.loadModel(tinySource(), 'cpu');
    const info = await gpu.api.loadModel(tinySource(), 'webgpu');
    expect(info.backend.name).toBe('webgpu');
    expect(info.backend.label).toMatch(/WebGPU/);
    const c = await runToEnd(cpu.api, greedy);
    const g = await runToEnd(gpu.api, greedy);
    expect(g.tokenIds).toEqual(c.tokenIds);
    const sc = await cpu.api.score({ prompt: 'the cat', completions: c.texts });
    const sg = await gpu.api.score({ prompt: 'the cat', completions: c.texts });
    sg.sums.forEach((x, i) => expect(Math.abs(x - sc.sums[i]) / Math.max(1, Math.abs(sc.sums[i]))).toBeLessThan(1e-4));
  });
});
