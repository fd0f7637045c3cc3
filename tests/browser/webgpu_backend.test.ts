/**
 * The WebGPU backend as a whole: device ownership and loss, command recording across many
 * dispatches, and a greedy decode loop that must submit exactly once per token.
 * (Per-op numerics are in kernels.test.ts; the metric there is the same one used here.)
 */
import { describe, expect, it } from 'vitest';
import type { Backend, Tensor } from '../../src/engine/backend';
import { CpuBackend } from '../../src/engine/backends/cpu';
import { createWebGpuBackend, WebGpuBackend } from '../../src/engine/backends/webgpu';
import { acquireDevice, destroyDevice, onDeviceLost } from '../../src/engine/gpu/device';
import { relErr, Rng } from './support/random';

describe('device ownership', () => {
  it('shares one device per worker and requests the adapter limits', async () => {
    const a = await acquireDevice(navigator.gpu);
    const b = await acquireDevice(navigator.gpu);
    expect(b.device).toBe(a.device);
    expect(a.device.limits.maxStorageBufferBindingSize).toBe(a.adapter.limits.maxStorageBufferBindingSize);
    expect(a.device.limits.maxBufferSize).toBe(a.adapter.limits.maxBufferSize);
    expect(a.device.limits.maxComputeWorkgroupStorageSize).toBe(a.adapter.limits.maxComputeWorkgroupStorageSize);
    expect(a.device.limits.maxComputeInvocationsPerWorkgroup).toBe(a.adapter.limits.maxComputeInvocationsPerWorkgroup);
    const info = a.adapterInfo;
    const text = `${info.vendor} ${info.architecture} ${info.device} ${info.description}`.toLowerCase();
    if (text.includes('swiftshader')) expect(a.isSoftware).toBe(true);
  });

  it('many dispatches in one encoder each keep their own uniforms (several uniform chunks)', async () => {
    const gpu = await createWebGpuBackend(navigator.gpu);
    const n = 700; // > 256 slots per 64 KiB uniform chunk
    const x = gpu.upload(new Float32Array([1, 2, 3]), [3]);
    const outs: Tensor[] = [];
    for (let i = 0; i < n; i++) outs.push(gpu.scale(x, i));
    const before = gpu.submits;
    const vals = await Promise.all(outs.map((t) => gpu.read(t)));
    expect(gpu.submits - before).toBe(1); // reads issued together share one submit
    for (let i = 0; i < n; i++) expect(Array.from(vals[i])).toEqual([i, 2 * i, 3 * i]);
    for (const t of [x, ...outs]) gpu.release(t);
    expect(gpu.liveBytes()).toBe(0);
    expect(gpu.errors).toEqual([]);
    gpu.dispose();
  });
});

describe('greedy decode loop', () => {
  // A one-block GPT-2-shaped model with random weights, run token by token with the KV cache.
  const V = 101;
  const C = 36;
  const H = 3;
  const D = C / H;
  const maxT = 16;
  const B = 1;

  function weights(be: Backend) {
    const rng = new Rng(99);
    return {
      wte: be.upload(rng.normal(V * C, 0.5), [V, C]),
      wpe: be.upload(rng.normal(maxT * C, 0.1), [maxT, C]),
      g1: be.upload(rng.normal(C, 0.1).map((v) => 1 + v), [C]),
      b1: be.upload(rng.normal(C, 0.1), [C]),
      wqkv: be.upload(rng.normal(C * 3 * C, 0.2), [C, 3 * C]),
      bqkv: be.upload(rng.normal(3 * C, 0.1), [3 * C]),
      wproj: be.upload(rng.normal(C * C, 0.2), [C, C]),
      bproj: be.upload(rng.normal(C, 0.1), [C]),
      gf: be.upload(rng.normal(C, 0.1).map((v) => 1 + v), [C]),
      bf: be.upload(rng.normal(C, 0.1), [C]),
    };
  }

  /** One decode step; returns the next-token ids (u32 [B]) and logits, releasing the rest. */
  function step(be: Backend, w: ReturnType<typeof weights>, ids: Tensor, kc: Tensor, vc: Tensor, pos: number, T: number) {
    const x = be.embedding(ids, w.wte, w.wpe, B, T, pos);
    const ln = be.layerNorm(x, w.g1, w.b1, 1e-5);
    const qkv = be.matmul(ln.y, w.wqkv, { bias: w.bqkv });
    const att = be.attentionCached(qkv, kc, vc, { B, T, nHead: H, past: pos, maxT });
    const h = be.matmul(att, w.wproj, { bias: w.bproj, into: x }); // residual: x += att·W + b
    const lf = be.layerNorm(h, w.gf, w.bf, 1e-5);
    const last = be.uploadU32(new Uint32Array([T - 1]), [1]);
    const hl = be.gatherRows(lf.y, last);
    const logits = be.matmul(hl, w.wte, { transB: true });
    const next = be.argmax(logits);
    for (const t of [ln.y, ln.mean, ln.rstd, qkv, att, x, lf.y, lf.mean, lf.rstd, last, hl]) be.release(t);
    return { next, logits };
  }

  async function generate(be: Backend, prompt: number[], n: number, onToken?: () => void) {
    const w = weights(be);
    const kc = be.zeros([B, H, maxT, D]);
    const vc = be.zeros([B, H, maxT, D]);
    let ids = be.uploadU32(new Uint32Array(prompt), [B * prompt.length]);
    let pos = 0;
    let T = prompt.length;
    const out: number[] = [];
    const logits: Float32Array[] = [];
    for (let i = 0; i < n; i++) {
      const r = step(be, w, ids, kc, vc, pos, T);
      be.release(ids);
      const [l, id] = await Promise.all([be.read(r.logits), be.readU32(r.next)]);
      logits.push(l);
      out.push(id[0]);
      onToken?.();
      be.release(r.logits);
      ids = r.next; // stays on the device: the next step embeds it without an upload
      pos += T;
      T = 1;
    }
    be.release(ids);
    for (const t of [kc, vc, ...Object.values(w)]) be.release(t);
    return { out, logits };
  }

  it('matches the CPU backend token for token, with one submit per token', async () => {
    const gpu = await createWebGpuBackend(navigator.gpu);
    const cpu = new CpuBackend({ wasm: false });
    const prompt = [5, 17, 99, 3];
    const ref = await generate(cpu, prompt, 8);
    let last = gpu.submits;
    const perToken: number[] = [];
    const got = await generate(gpu, prompt, 8, () => {
      perToken.push(gpu.submits - last);
      last = gpu.submits;
    });
    expect(got.out).toEqual(ref.out);
    for (let i = 0; i < ref.logits.length; i++) {
      const e = relErr(got.logits[i], ref.logits[i]);
      expect(e, `logits of token ${i}: ${e}`).toBeLessThanOrEqual(1e-4);
    }
    // The logits and id reads share the step's single submit; uploads never submit.
    expect(perToken).toEqual(new Array(8).fill(1));
    expect(gpu.liveBytes()).toBe(0);
    expect(gpu.errors).toEqual([]);
    gpu.dispose();
  });
});

describe('device loss', () => {
  it('notifies listeners, fails later ops clearly, and the next acquire gets a fresh device', async () => {
    const first = await acquireDevice(navigator.gpu);
    const gpu = new WebGpuBackend(first);
    const t = gpu.upload(new Float32Array([1, 2]), [2]);
    const lost = new Promise<{ reason: string }>((resolve) => onDeviceLost(resolve));
    await destroyDevice();
    expect((await lost).reason).toBe('destroyed');
    expect(() => gpu.scale(t, 2)).toThrow(/device lost/);
    const second = await acquireDevice(navigator.gpu);
    expect(second.device).not.toBe(first.device);
    const gpu2 = new WebGpuBackend(second);
    const u = gpu2.upload(new Float32Array([1, 2]), [2]);
    expect(Array.from(await gpu2.read(gpu2.scale(u, 3)))).toEqual([3, 6]);
    gpu2.dispose();
    gpu.dispose();
  });
});
