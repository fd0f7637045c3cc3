/**
 * Every op of the WebGPU backend against the CPU reference backend on seeded random inputs.
 *
 * Metric (see support/random.ts): for each output, max|gpu − cpu| / max(max|cpu|, 1e-6)
 * must be ≤ 1e-4. Shapes are small and deliberately not multiples of any workgroup or tile
 * size (SwiftShader is slow, and ragged edges are where kernels break).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Backend, Tensor } from '../../src/engine/backend';
import { CpuBackend } from '../../src/engine/backends/cpu';
import { createWebGpuBackend, type WebGpuBackend } from '../../src/engine/backends/webgpu';
import { splitKPlan } from '../../src/kernels/matmul';
import { sampleRowRef } from '../../src/kernels/reference';
import { maxAbs, relErr, Rng } from './support/random';

const TOL = 1e-4;

let gpu: WebGpuBackend;
const cpu = new CpuBackend({ wasm: false });

beforeAll(async () => {
  gpu = await createWebGpuBackend(navigator.gpu);
});
afterAll(() => gpu?.dispose());
afterEach(() => {
  // Validation and WGSL compilation errors would otherwise only show up as wrong numbers.
  expect(gpu.errors).toEqual([]);
});

/** The same logical tensor on both backends. */
interface Pair {
  g: Tensor;
  c: Tensor;
}

function up(data: Float32Array, shape: number[]): Pair {
  return { g: gpu.upload(data, shape), c: cpu.upload(data, shape) };
}
function upU32(data: Uint32Array, shape: number[]): Pair {
  return { g: gpu.uploadU32(data, shape), c: cpu.uploadU32(data, shape) };
}
function rel(...ps: Pair[]): void {
  for (const p of ps) {
    gpu.release(p.g);
    cpu.release(p.c);
  }
}

/** Runs `f` on both backends, handing it the matching half of each Pair. */
function both<T>(f: (be: Backend, x: (p: Pair) => Tensor) => T): { g: T; c: T } {
  return { g: f(gpu, (p) => p.g), c: f(cpu, (p) => p.c) };
}

/** Reads both halves and checks the metric; returns the CPU values. */
async function expectClose(name: string, p: Pair, tol = TOL): Promise<Float32Array> {
  const [g, c] = await Promise.all([gpu.read(p.g), cpu.read(p.c)]);
  expect(g.length, `${name}: length`).toBe(c.length);
  const e = relErr(g, c);
  expect(e, `${name}: max rel err ${e}`).toBeLessThanOrEqual(tol);
  return c;
}

describe('memory', () => {
  it('upload / read / uploadU32 / readU32 / zeros / clone / write round-trip', async () => {
    const rng = new Rng(1);
    const a = rng.normal(37 * 5);
    const t = gpu.upload(a, [37, 5]);
    expect(t.shape).toEqual([37, 5]);
    expect(t.size).toBe(185);
    expect(Array.from(await gpu.read(t))).toEqual(Array.from(a));

    const ids = rng.ints(23, 50257);
    const u = gpu.uploadU32(ids, [23]);
    expect(u.dtype).toBe('u32');
    expect(Array.from(await gpu.readU32(u))).toEqual(Array.from(ids));
    const uc = gpu.clone(u);
    expect(Array.from(await gpu.readU32(uc))).toEqual(Array.from(ids));

    const z = gpu.zeros([3, 7]);
    expect(Array.from(await gpu.read(z))).toEqual(new Array(21).fill(0));

    const c = gpu.clone(t);
    const b = rng.normal(185);
    gpu.write(t, b);
    expect(Array.from(await gpu.read(t))).toEqual(Array.from(b));
    expect(Array.from(await gpu.read(c))).toEqual(Array.from(a));

    for (const x of [t, u, uc, z, c]) gpu.release(x);
  });

  it('rejects misuse', () => {
    const t = gpu.upload(new Float32Array(4), [4]);
    expect(() => gpu.upload(new Float32Array(3), [4])).toThrow();
    expect(() => gpu.write(t, new Float32Array(5))).toThrow();
    gpu.release(t);
    expect(() => gpu.release(t)).toThrow(/twice/);
    expect(() => gpu.scale(t, 2)).toThrow(/released/);
    const ids = gpu.uploadU32(new Uint32Array(4), [4]);
    expect(() => gpu.gelu(ids)).toThrow(/f32/);
    gpu.release(ids);
  });
});

describe('buffer pool and hazards', () => {
  it('release returns storage to the pool and liveBytes goes back to its start', async () => {
    const start = gpu.liveBytes();
    const pooledBefore = gpu.pooledBytes();
    const a = gpu.zeros([100, 7]);
    expect(gpu.liveBytes()).toBe(start + 2800);
    const buf = (a as unknown as { buf: object }).buf;
    gpu.release(a);
    expect(gpu.liveBytes()).toBe(start);
    const b = gpu.zeros([99, 7]); // same size bucket: must reuse the released buffer
    expect((b as unknown as { buf: object }).buf).toBe(buf);
    gpu.release(b);
    expect(gpu.liveBytes()).toBe(start);
    expect(gpu.pooledBytes()).toBeGreaterThanOrEqual(pooledBefore);
  });

  it('write() into a tensor that pending commands read does not leak into them', async () => {
    const rng = new Rng(2);
    const a = rng.normal(333);
    const b = rng.normal(333);
    const x = gpu.upload(a, [333]);
    const y = gpu.scale(x, 2); // recorded, not submitted
    gpu.write(x, b); // must land after the scale, not before it
    const z = gpu.scale(x, 3);
    const [yv, zv, xv] = await Promise.all([gpu.read(y), gpu.read(z), gpu.read(x)]);
    expect(relErr(yv, a.map((v) => 2 * v))).toBe(0);
    expect(relErr(zv, b.map((v) => 3 * v))).toBeLessThanOrEqual(1e-7);
    expect(Array.from(xv)).toEqual(Array.from(b));
    // All-zero writes take the clearBuffer path; it must obey the same ordering.
    const u = gpu.scale(x, 1);
    gpu.write(x, new Float32Array(333));
    const [uv, xz] = await Promise.all([gpu.read(u), gpu.read(x)]);
    expect(Array.from(uv)).toEqual(Array.from(b));
    expect(Array.from(xz)).toEqual(new Array(333).fill(0));
    const neg = new Float32Array(333).fill(-0);
    gpu.write(x, neg);
    expect(Object.is((await gpu.read(x))[5], -0)).toBe(true);
    for (const t of [x, y, z, u]) gpu.release(t);
  });

  it('upload() does not reuse a buffer released while pending commands still read it', async () => {
    const rng = new Rng(3);
    const a = rng.normal(500);
    const b = rng.normal(500);
    const x = gpu.upload(a, [500]);
    const y = gpu.scale(x, -1);
    gpu.release(x); // back in the pool while the scale is still only recorded
    const w = gpu.upload(b, [500]); // same bucket: must not take x's buffer via writeBuffer
    expect(Array.from(await gpu.read(y))).toEqual(Array.from(a.map((v) => -v)));
    expect(Array.from(await gpu.read(w))).toEqual(Array.from(b));
    gpu.release(y);
    gpu.release(w);
  });

  it('op outputs may reuse buffers released earlier in the same encoder', async () => {
    const rng = new Rng(4);
    const a = rng.normal(200);
    let x = gpu.upload(a, [200]);
    // Each step releases its input, so the pool hands the same two buffers back and forth
    // inside one pending encoder; every dispatch also needs its own uniform slot.
    for (let i = 1; i <= 40; i++) {
      const y = gpu.scale(x, 1 + i / 100);
      gpu.release(x);
      x = y;
    }
    let expected = Array.from(a);
    for (let i = 1; i <= 40; i++) expected = expected.map((v) => Math.fround(v * Math.fround(1 + i / 100)));
    const before = gpu.submits;
    const got = await gpu.read(x);
    expect(gpu.submits).toBe(before + 1);
    expect(relErr(got, expected)).toBeLessThanOrEqual(1e-6);
    gpu.release(x);
  });

  it('flush() submits once and leaves nothing pending', async () => {
    const x = gpu.zeros([10]);
    const before = gpu.submits;
    gpu.flush();
    expect(gpu.submits).toBe(before + 1);
    gpu.flush();
    expect(gpu.submits).toBe(before + 1);
    expect(Array.from(await gpu.read(x))).toEqual(new Array(10).fill(0));
    gpu.release(x);
  });
});

describe('matmul', () => {
  const M = 37;
  const K = 45;
  const N = 29;
  const cases: [boolean, boolean, boolean, boolean][] = [];
  for (const transA of [false, true])
    for (const transB of [false, true])
      for (const bias of [false, true]) for (const into of [false, true]) cases.push([transA, transB, bias, into]);

  for (const rows of [M, 1, 3]) {
    for (const [transA, transB, bias, into] of cases) {
      it(`M=${rows} transA=${transA} transB=${transB} bias=${bias} into=${into}`, async () => {
        const rng = new Rng(100 + rows * 16 + cases.findIndex((c) => c.join() === [transA, transB, bias, into].join()));
        const a = up(rng.normal(rows * K), transA ? [K, rows] : [rows, K]);
        const b = up(rng.normal(K * N), transB ? [N, K] : [K, N]);
        const bi = up(rng.normal(N), [N]);
        const acc = up(rng.normal(rows * N), [rows, N]);
        const out = both((be, x) =>
          be.matmul(x(a), x(b), { transA, transB, bias: bias ? x(bi) : undefined, into: into ? x(acc) : undefined }),
        );
        if (into) {
          expect(out.g).toBe(acc.g);
          await expectClose('into', acc);
        } else {
          expect(out.g.shape).toEqual([rows, N]);
          await expectClose('C', out);
          rel(out);
        }
        rel(a, b, bi, acc);
      });
    }
  }

  it('several tiles in every direction (M=131, K=70, N=130), transB + bias', async () => {
    const rng = new Rng(7);
    const a = up(rng.normal(131 * 70), [131, 70]);
    const b = up(rng.normal(130 * 70), [130, 70]);
    const bi = up(rng.normal(130), [130]);
    const out = both((be, x) => be.matmul(x(a), x(b), { transB: true, bias: x(bi) }));
    await expectClose('C', out);
    rel(a, b, bi, out);
  });

  it('K=1, and M=8 / M=9 on both sides of the matrix–vector cutoff', async () => {
    const rng = new Rng(8);
    const a = up(rng.normal(8), [8, 1]);
    const b = up(rng.normal(29), [1, 29]);
    const out = both((be, x) => be.matmul(x(a), x(b)));
    await expectClose('C K=1', out);
    rel(a, b, out);
    for (const rows of [8, 9]) {
      for (const transB of [false, true]) {
        const a2 = up(rng.normal(rows * 300), [rows, 300]);
        const b2 = up(rng.normal(300 * 45), transB ? [45, 300] : [300, 45]);
        const bi = up(rng.normal(45), [45]);
        const out2 = both((be, x) => be.matmul(x(a2), x(b2), { transB, bias: x(bi) }));
        await expectClose(`C M=${rows} transB=${transB}`, out2);
        rel(a2, b2, bi, out2);
      }
    }
  });

  it('matrix–vector with N ≥ 8192 (wide column blocks)', async () => {
    const rng = new Rng(18);
    const a = up(rng.normal(2 * 33), [2, 33]);
    const b = up(rng.normal(33 * 8200), [33, 8200]);
    const out = both((be, x) => be.matmul(x(a), x(b)));
    await expectClose('C', out);
    rel(a, b, out);
  });

  // Split-K (splitKPlan): a 2-tile output over K = 2,600 runs as 5 slices of 528 (the last
  // ends mid-slab), then an ordered sum that applies bias and accumulate.
  for (const [transA, transB, bias, into] of cases) {
    it(`split-K M=70 N=40 K=2600 transA=${transA} transB=${transB} bias=${bias} into=${into}`, async () => {
      const [rows, cols, depth] = [70, 40, 2600];
      expect(splitKPlan(rows, cols, depth)).toEqual({ slices: 5, kPerSlice: 528 });
      const rng = new Rng(300 + cases.findIndex((c) => c.join() === [transA, transB, bias, into].join()));
      const a = up(rng.normal(rows * depth), transA ? [depth, rows] : [rows, depth]);
      const b = up(rng.normal(depth * cols), transB ? [cols, depth] : [depth, cols]);
      const bi = up(rng.normal(cols), [cols]);
      const acc = up(rng.normal(rows * cols), [rows, cols]);
      const before = gpu.dispatches;
      const out = both((be, x) =>
        be.matmul(x(a), x(b), { transA, transB, bias: bias ? x(bi) : undefined, into: into ? x(acc) : undefined }),
      );
      // The slice pass and the reduce (no copy: nothing aliases).
      expect(gpu.dispatches - before).toBe(2);
      if (into) await expectClose('into', acc);
      else {
        await expectClose('C', out);
        rel(out);
      }
      rel(a, b, bi, acc);
    });
  }

  it('split-K is deterministic: the same inputs give the same bits', async () => {
    const rng = new Rng(31);
    const a = gpu.upload(rng.normal(65 * 3000), [65, 3000]);
    const b = gpu.upload(rng.normal(3000 * 33), [3000, 33]);
    const first = gpu.matmul(a, b);
    const second = gpu.matmul(a, b);
    expect(Array.from(await gpu.read(second))).toEqual(Array.from(await gpu.read(first)));
    for (const t of [a, b, first, second]) gpu.release(t);
  });

  it('into aliasing an input (a += a·b)', async () => {
    const rng = new Rng(9);
    const a = up(rng.normal(6 * 6), [6, 6]);
    const b = up(rng.normal(6 * 6), [6, 6]);
    both((be, x) => be.matmul(x(a), x(b), { into: x(a) }));
    await expectClose('a', a);
    rel(a, b);
  });

  it('rejects incompatible shapes', () => {
    const a = gpu.zeros([3, 4]);
    const b = gpu.zeros([5, 6]);
    expect(() => gpu.matmul(a, b)).toThrow(/incompatible/);
    gpu.release(a);
    gpu.release(b);
  });
});

describe('elementwise and reductions', () => {
  it('add, addInto (also with itself), scale', async () => {
    const rng = new Rng(10);
    const a = up(rng.normal(37 * 29), [37, 29]);
    const b = up(rng.normal(37 * 29), [37, 29]);
    const s = both((be, x) => be.add(x(a), x(b)));
    await expectClose('add', s);
    both((be, x) => be.addInto(x(a), x(b)));
    await expectClose('addInto', a);
    both((be, x) => be.addInto(x(b), x(b)));
    await expectClose('addInto self', b);
    const sc = both((be, x) => be.scale(x(a), -0.37));
    await expectClose('scale', sc);
    rel(a, b, s, sc);
  });

  it('sumRows with and without into', async () => {
    const rng = new Rng(11);
    const a = up(rng.normal(37 * 29), [37, 29]);
    const acc = up(rng.normal(29), [29]);
    const s = both((be, x) => be.sumRows(x(a)));
    await expectClose('sumRows', s);
    const r = both((be, x) => be.sumRows(x(a), x(acc)));
    expect(r.g).toBe(acc.g);
    await expectClose('sumRows into', acc);
    rel(a, acc, s);
  });

  it('gelu and geluBackward (including large |x|)', async () => {
    const rng = new Rng(12);
    const xs = rng.normal(37 * 36, 2);
    xs[0] = 30;
    xs[1] = -30;
    xs[2] = 0;
    xs[3] = 9;
    const x = up(xs, [37, 36]);
    const dy = up(rng.normal(37 * 36), [37, 36]);
    const y = both((be, t) => be.gelu(t(x)));
    await expectClose('gelu', y);
    const dx = both((be, t) => be.geluBackward(t(dy), t(x)));
    await expectClose('geluBackward', dx);
    rel(x, dy, y, dx);
  });
});

describe('layer norm', () => {
  it('forward: y, mean, rstd', async () => {
    const rng = new Rng(20);
    const xs = rng.normal(37 * 36, 3);
    for (let c = 0; c < 36; c++) xs[c] += 100; // a row with a large mean
    const x = up(xs, [37, 36]);
    const g = up(rng.normal(36), [36]);
    const b = up(rng.normal(36), [36]);
    const r = both((be, t) => be.layerNorm(t(x), t(g), t(b), 1e-5));
    await expectClose('y', { g: r.g.y, c: r.c.y });
    await expectClose('mean', { g: r.g.mean, c: r.c.mean });
    await expectClose('rstd', { g: r.g.rstd, c: r.c.rstd });
    rel(x, g, b, { g: r.g.y, c: r.c.y }, { g: r.g.mean, c: r.c.mean }, { g: r.g.rstd, c: r.c.rstd });
  });

  for (const C of [36, 300]) {
    it(`backward: dx, accumulated dgamma and dbeta (C=${C})`, async () => {
      const rng = new Rng(21 + C);
      const x = up(rng.normal(37 * C), [37, C]);
      const g = up(rng.normal(C), [C]);
      const b = up(rng.normal(C), [C]);
      const dy = up(rng.normal(37 * C), [37, C]);
      const dg = up(rng.normal(C), [C]);
      const db = up(rng.normal(C), [C]);
      const f = both((be, t) => be.layerNorm(t(x), t(g), t(b), 1e-5));
      const mean = { g: f.g.mean, c: f.c.mean };
      const rstd = { g: f.g.rstd, c: f.c.rstd };
      const dx = both((be, t) => be.layerNormBackward(t(dy), t(x), t(g), t(mean), t(rstd), t(dg), t(db)));
      await expectClose('dx', dx);
      await expectClose('dgamma', dg);
      await expectClose('dbeta', db);
      rel(x, g, b, dy, dg, db, dx, mean, rstd, { g: f.g.y, c: f.c.y });
    });
  }
});

describe('attention', () => {
  const C = 36;
  const H = 3;
  for (const [B, T] of [[2, 13], [2, 1], [1, 3], [2, 37]] as const) {
    it(`forward and backward B=${B} T=${T}`, async () => {
      const rng = new Rng(30 + T);
      const qkv = up(rng.normal(B * T * 3 * C), [B * T, 3 * C]);
      const dy = up(rng.normal(B * T * C), [B * T, C]);
      const f = both((be, t) => be.attention(t(qkv), { B, T, nHead: H }));
      const y = { g: f.g.y, c: f.c.y };
      const saved = { g: f.g.saved, c: f.c.saved };
      // The CPU keeps the probabilities; WebGPU keeps each row's log-sum-exp and recomputes them.
      expect(f.c.saved.shape).toEqual([B, H, T, T]);
      expect(f.g.saved.shape).toEqual([B, H, T]);
      await expectClose('y', y);
      // log-sum-exp of scale·q·k over keys 0…t, from the same qkv on the host (float64).
      const host = await cpu.read(qkv.c);
      const D = C / H;
      const want = new Float32Array(B * H * T);
      for (let b = 0; b < B; b++) {
        for (let h = 0; h < H; h++) {
          for (let t = 0; t < T; t++) {
            const sc: number[] = [];
            for (let j = 0; j <= t; j++) {
              let dot = 0;
              for (let d = 0; d < D; d++) dot += host[(b * T + t) * 3 * C + h * D + d]! * host[(b * T + j) * 3 * C + C + h * D + d]!;
              sc.push(dot / Math.sqrt(D));
            }
            const mx = Math.max(...sc);
            want[(b * H + h) * T + t] = mx + Math.log(sc.reduce((a, x) => a + Math.exp(x - mx), 0));
          }
        }
      }
      const lse = await gpu.read(saved.g);
      const e = relErr(lse, want);
      expect(e, `log-sum-exp: ${e}`).toBeLessThanOrEqual(TOL);
      // The CPU's rows sum to one, with zeros above the diagonal.
      const pc = await cpu.read(saved.c);
      expect(pc[1]).toBe(T > 1 ? 0 : pc[1]);
      for (let r = 0; r < B * H * T; r++) {
        let s = 0;
        for (let j = 0; j < T; j++) s += pc[r * T + j];
        expect(Math.abs(s - 1)).toBeLessThan(1e-5);
      }
      const dqkv = both((be, t) => be.attentionBackward(t(dy), t(qkv), t(saved), { B, T, nHead: H }));
      await expectClose('dqkv', dqkv);
      // Each third separately, so a small dV cannot hide behind a large dQ.
      const [g, c] = await Promise.all([gpu.read(dqkv.g), cpu.read(dqkv.c)]);
      for (let part = 0; part < 3; part++) {
        const pick = (a: Float32Array) =>
          Array.from({ length: B * T }, (_, r) => Array.from(a.subarray(r * 3 * C + part * C, r * 3 * C + part * C + C))).flat();
        const e = relErr(pick(g), pick(c));
        expect(e, `dqkv part ${part}: ${e}`).toBeLessThanOrEqual(TOL);
      }
      rel(qkv, dy, y, saved, dqkv);
    });
  }

  it('the forward is one dispatch with no [T, T] scratch (D = 64 as the shipped model, T = 70: three row blocks, a ragged key tile)', async () => {
    const [B, T, H2, C2] = [2, 70, 2, 128];
    const rng = new Rng(77);
    const qkv = up(rng.normal(B * T * 3 * C2), [B * T, 3 * C2]);
    const before = { dispatches: gpu.dispatches, live: gpu.liveBytes() };
    const f = both((be, t) => be.attention(t(qkv), { B, T, nHead: H2 }));
    expect(gpu.dispatches - before.dispatches).toBe(1);
    // What the forward holds afterwards is y and the log-sum-exp, nothing of size T².
    expect(gpu.liveBytes() - before.live).toBe((B * T * C2 + B * H2 * T) * 4);
    await expectClose('y', { g: f.g.y, c: f.c.y });
    const dy = up(rng.normal(B * T * C2), [B * T, C2]);
    const dqkv = both((be, t) => be.attentionBackward(t(dy), t(qkv), be === gpu ? f.g.saved : f.c.saved, { B, T, nHead: H2 }));
    await expectClose('dqkv', dqkv);
    rel(qkv, dy, dqkv, { g: f.g.y, c: f.c.y }, { g: f.g.saved, c: f.c.saved });
  });

  it('cached: prefill then single-token steps equal full causal attention', async () => {
    const B = 2;
    const Ttot = 9;
    const T0 = 5;
    const maxT = 16;
    const D = C / H;
    const rng = new Rng(40);
    const full = rng.normal(B * Ttot * 3 * C);
    const rowsOf = (t0: number, t1: number) => {
      const out = new Float32Array(B * (t1 - t0) * 3 * C);
      for (let b = 0; b < B; b++)
        for (let t = t0; t < t1; t++)
          out.set(full.subarray((b * Ttot + t) * 3 * C, (b * Ttot + t + 1) * 3 * C), (b * (t1 - t0) + t - t0) * 3 * C);
      return out;
    };
    const ref = cpu.attention(cpu.upload(full, [B * Ttot, 3 * C]), { B, T: Ttot, nHead: H });
    const yFull = await cpu.read(ref.y);

    const kc = both((be) => be.zeros([B, H, maxT, D]));
    const vc = both((be) => be.zeros([B, H, maxT, D]));
    const got = new Float32Array(B * Ttot * C);
    const place = (y: Float32Array, t0: number, T: number) => {
      for (let b = 0; b < B; b++)
        for (let t = 0; t < T; t++) got.set(y.subarray((b * T + t) * C, (b * T + t + 1) * C), (b * Ttot + t0 + t) * C);
    };
    for (const [t0, T] of [[0, T0], [5, 1], [6, 1], [7, 1], [8, 1]]) {
      const q = up(rowsOf(t0, t0 + T), [B * T, 3 * C]);
      const y = both((be, t) => be.attentionCached(t(q), t(kc), t(vc), { B, T, nHead: H, past: t0, maxT }));
      // Step by step against the CPU cached reference, and assembled against full attention.
      await expectClose(`cached y (past=${t0})`, y);
      place(await gpu.read(y.g), t0, T);
      rel(q, y);
    }
    const e = relErr(got, yFull);
    expect(e, `cached vs full: ${e}`).toBeLessThanOrEqual(TOL);
    await expectClose('kCache', kc);
    await expectClose('vCache', vc);
    rel(kc, vc);
  });

  it('cached: long prefix (several key tiles) and a head size of 64', async () => {
    const B = 1;
    const H2 = 2;
    const C2 = 128; // D = 64, as in GPT-2
    const maxT = 90;
    const rng = new Rng(41);
    const kc = both((be) => be.zeros([B, H2, maxT, C2 / H2]));
    const vc = both((be) => be.zeros([B, H2, maxT, C2 / H2]));
    for (const [past, T] of [[0, 70], [70, 1], [71, 1], [72, 3]]) {
      const q = up(rng.normal(B * T * 3 * C2), [B * T, 3 * C2]);
      const y = both((be, t) => be.attentionCached(t(q), t(kc), t(vc), { B, T, nHead: H2, past, maxT }));
      await expectClose(`cached y (past=${past}, T=${T})`, y);
      rel(q, y);
    }
    rel(kc, vc);
    const qkv = up(rng.normal(2 * 21 * 3 * C2), [2 * 21, 3 * C2]);
    const dy = up(rng.normal(2 * 21 * C2), [2 * 21, C2]);
    const f = both((be, t) => be.attention(t(qkv), { B: 2, T: 21, nHead: H2 }));
    const y = { g: f.g.y, c: f.c.y };
    const saved = { g: f.g.saved, c: f.c.saved };
    await expectClose('y D=64', y);
    const d = both((be, t) => be.attentionBackward(t(dy), t(qkv), t(saved), { B: 2, T: 21, nHead: H2 }));
    await expectClose('dqkv D=64', d);
    rel(qkv, dy, y, saved, d);
  });

  it('cached: rejects overflowing the cache', () => {
    const qkv = gpu.zeros([2, 3 * C]);
    const kc = gpu.zeros([1, H, 4, C / H]);
    const vc = gpu.zeros([1, H, 4, C / H]);
    expect(() => gpu.attentionCached(qkv, kc, vc, { B: 1, T: 2, nHead: H, past: 3, maxT: 4 })).toThrow(/cache/);
    for (const t of [qkv, kc, vc]) gpu.release(t);
  });
});

describe('topK', () => {
  // V not a multiple of the 256-thread workgroup; quarter-step values make ties.
  for (const [N, V, k] of [[3, 517, 1], [2, 1000, 7], [3, 4099, 50], [1, 5, 5]] as const) {
    it(`N=${N} V=${V} k=${k}: the CPU's values and indices, largest first, ties to the lower index`, async () => {
      const rng = new Rng(70 + V);
      const data = Float32Array.from(rng.normal(N * V), (x) => Math.round(x * 4) / 4);
      const logits = up(data, [N, V]);
      const t = both((be, x) => be.topK(x(logits), k));
      const [gv, cv, gi, ci] = await Promise.all([gpu.read(t.g.values), cpu.read(t.c.values), gpu.readU32(t.g.ids), cpu.readU32(t.c.ids)]);
      expect(Array.from(gi)).toEqual(Array.from(ci));
      expect(Array.from(gv)).toEqual(Array.from(cv));
      for (let i = 0; i < N; i++) {
        for (let r = 1; r < k; r++) {
          const [a, b] = [cv[i * k + r - 1]!, cv[i * k + r]!];
          expect(a > b || (a === b && ci[i * k + r - 1]! < ci[i * k + r]!)).toBe(true);
        }
      }
      rel(logits, { g: t.g.values, c: t.c.values }, { g: t.g.ids, c: t.c.ids });
    });
  }

  it('refuses k outside 1…V', () => {
    const x = gpu.zeros([2, 9]);
    expect(() => gpu.topK(x, 0)).toThrow(/k=0/);
    expect(() => gpu.topK(x, 10)).toThrow(/k=10/);
    gpu.release(x);
  });
});

describe('sample', () => {
  /** Where u·Σ falls in the float64 CDF of `row` (the tempered weights in id order). */
  function cdfBounds(row: Float32Array, temperature: number, id: number): { lo: number; hi: number; total: number } {
    let max = -Infinity;
    for (const x of row) max = Math.max(max, x);
    let total = 0;
    let lo = 0;
    let hi = 0;
    for (let v = 0; v < row.length; v++) {
      const w = Math.exp((row[v]! - max) / temperature);
      if (v === id) lo = total;
      total += w;
      if (v === id) hi = total;
    }
    return { lo, hi, total };
  }

  // V not a multiple of the 256-thread workgroup (4099: some threads' slices are empty; 5:
  // most are), many rows so the uniforms sweep [0, 1) including its ends.
  for (const [N, V, temperature] of [[300, 517, 1], [200, 4099, 0.7], [64, 5, 1.3], [40, 50257, 1]] as const) {
    it(`N=${N} V=${V} T=${temperature}: the float64 reference's id unless u·Σ is within rounding of a boundary`, async () => {
      const rng = new Rng(900 + V);
      const data = Float32Array.from(rng.normal(N * V), (x) => 3 * x);
      const uniforms = Float64Array.from({ length: N }, (_, i) => (i === 0 ? 0 : i === 1 ? 1 - 2 ** -30 : rng.uniform()));
      const logits = up(data, [N, V]);
      const before = gpu.bytesRead;
      const ids = both((be, x) => be.sample(x(logits), temperature, uniforms));
      const [g, c] = await Promise.all([gpu.readU32(ids.g), cpu.readU32(ids.c)]);
      // Only the ids cross back.
      expect(gpu.bytesRead - before).toBe(N * 4);
      let same = 0;
      for (let i = 0; i < N; i++) {
        const row = data.subarray(i * V, (i + 1) * V);
        expect(c[i]).toBe(sampleRowRef(row, temperature, uniforms[i]!));
        if (g[i] === c[i]) {
          same++;
          continue;
        }
        // A different id must still hold the target up to float32 rounding of the sums.
        const { lo, hi, total } = cdfBounds(row, temperature, g[i]!);
        const target = Math.fround(uniforms[i]!) * total;
        expect(target, `row ${i}: id ${g[i]} vs ${c[i]}`).toBeGreaterThanOrEqual(lo - 1e-5 * total);
        expect(target, `row ${i}: id ${g[i]} vs ${c[i]}`).toBeLessThanOrEqual(hi + 1e-5 * total);
      }
      expect(same).toBeGreaterThanOrEqual(N - 2);
      rel(logits, ids);
    });
  }

  it('refuses a uniform count other than N and a temperature ≤ 0', () => {
    const x = gpu.zeros([2, 9]);
    expect(() => gpu.sample(x, 1, new Float64Array(3))).toThrow(/uniforms/);
    expect(() => gpu.sample(x, 0, new Float64Array(2))).toThrow(/temperature/);
    gpu.release(x);
  });
});

describe('embeddings', () => {
  const V = 101;
  const P = 20;
  const C = 36;
  const B = 2;
  const T = 13;

  it('forward with a position offset', async () => {
    const rng = new Rng(50);
    const ids = upU32(rng.ints(B * T, V), [B * T]);
    const wte = up(rng.normal(V * C), [V, C]);
    const wpe = up(rng.normal(P * C), [P, C]);
    for (const off of [0, 4]) {
      const x = both((be, t) => be.embedding(t(ids), t(wte), t(wpe), B, T, off));
      await expectClose(`x (posOffset ${off})`, x);
      rel(x);
    }
    rel(ids, wte, wpe);
  });

  it('backward scatter-adds repeated ids into existing gradients', async () => {
    const rng = new Rng(51);
    const idv = rng.ints(B * T, 6); // only six distinct ids: many collisions
    idv[3] = V - 1;
    idv[20] = V - 1;
    const ids = upU32(idv, [B * T]);
    const dx = up(rng.normal(B * T * C), [B * T, C]);
    const dwte = up(rng.normal(V * C), [V, C]);
    const dwpe = up(rng.normal(P * C), [P, C]);
    both((be, t) => be.embeddingBackward(t(dx), t(ids), t(dwte), t(dwpe), B, T));
    await expectClose('dwte', dwte);
    await expectClose('dwpe', dwpe);
    rel(ids, dx, dwte, dwpe);
  });

  it('gatherRows with repeated rows', async () => {
    const rng = new Rng(52);
    const x = up(rng.normal(37 * C), [37, C]);
    const rows = upU32(new Uint32Array([36, 0, 5, 5, 12]), [5]);
    const out = both((be, t) => be.gatherRows(t(x), t(rows)));
    expect(out.g.shape).toEqual([5, C]);
    await expectClose('gathered', out);
    rel(x, rows, out);
  });
});

describe('output log-probs', () => {
  for (const [N, V] of [[26, 101], [3, 5000], [2, 50257]] as const) {
    it(`logSoftmaxGather and backward N=${N} V=${V}`, async () => {
      const rng = new Rng(60 + V);
      const logits = up(rng.normal(N * V, 4), [N, V]);
      const tg = upU32(rng.ints(N, V), [N]);
      const dlp = up(rng.normal(N), [N]);
      const f = both((be, t) => be.logSoftmaxGather(t(logits), t(tg)));
      const lp = { g: f.g.logprobs, c: f.c.logprobs };
      const lse = { g: f.g.lse, c: f.c.lse };
      await expectClose('logprobs', lp);
      await expectClose('lse', lse);
      const d = both((be, t) => be.logSoftmaxGatherBackward(t(dlp), t(logits), t(lse), t(tg)));
      await expectClose('dlogits', d);
      rel(logits, tg, dlp, lp, lse, d);
    });
  }

  it('crossEntropy with a mask, and with an empty mask', async () => {
    const rng = new Rng(61);
    const lp = up(rng.floats(300, -8, 0), [300]);
    const m = new Float32Array(300);
    for (let i = 0; i < 300; i++) m[i] = rng.uniform() < 0.6 ? 1 : 0;
    const mask = up(m, [300]);
    const ce = both((be, t) => be.crossEntropy(t(lp), t(mask)));
    expect(ce.g.shape).toEqual([1]);
    await expectClose('ce', ce);
    const empty = up(new Float32Array(300), [300]);
    const ce0 = both((be, t) => be.crossEntropy(t(lp), t(empty)));
    expect(Array.from(await gpu.read(ce0.g))).toEqual(Array.from(await cpu.read(ce0.c)));
    rel(lp, mask, ce, empty, ce0);
  });

  it('softmax with temperature', async () => {
    const rng = new Rng(62);
    const logits = up(rng.normal(7 * 1001, 3), [7, 1001]);
    for (const temp of [1, 0.7, 2.5]) {
      const p = both((be, t) => be.softmax(t(logits), temp));
      await expectClose(`softmax T=${temp}`, p);
      rel(p);
    }
    rel(logits);
  });

  it('argmax, lowest index on ties', async () => {
    const rng = new Rng(63);
    const N = 9;
    const V = 3001;
    const l = rng.normal(N * V);
    l[0 * V + 2999] = 50; // last columns
    l[1 * V + 7] = 50; // a tie: 7 must win over 2000
    l[1 * V + 2000] = 50;
    l[2 * V + 0] = 50;
    for (let v = 0; v < V; v++) l[3 * V + v] = -1; // all equal → 0
    const logits = up(l, [N, V]);
    const a = both((be, t) => be.argmax(t(logits)));
    expect(a.g.dtype).toBe('u32');
    const [g, c] = await Promise.all([gpu.readU32(a.g), cpu.readU32(a.c)]);
    expect(Array.from(g)).toEqual(Array.from(c));
    expect(Array.from(g.subarray(0, 4))).toEqual([2999, 7, 0, 0]);
    rel(logits, a);
  });
});

describe('optimizer', () => {
  it('adamw over 3 steps', async () => {
    const rng = new Rng(70);
    const n = 1000;
    const p = up(rng.normal(n), [n]);
    const m = up(new Float32Array(n), [n]);
    const v = up(new Float32Array(n), [n]);
    for (let step = 1; step <= 3; step++) {
      const g = up(rng.normal(n), [n]);
      both((be, t) =>
        be.adamw(t(p), t(g), t(m), t(v), { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1, step }),
      );
      await expectClose(`param step ${step}`, p);
      await expectClose(`m step ${step}`, m);
      await expectClose(`v step ${step}`, v);
      rel(g);
    }
    rel(p, m, v);
  });

  for (const clips of [true, false]) {
    it(`clipGradNorm ${clips ? 'clips' : 'does not clip'}`, async () => {
      const rng = new Rng(clips ? 71 : 72);
      const sizes = [37 * 29, 29, 70000, 1];
      const gs = sizes.map((n) => up(rng.normal(n, 0.01), [n]));
      // Global norm ≈ 0.01·√(Σ n) ≈ 2.7: clip at 1, or leave alone at 10.
      const maxNorm = clips ? 1 : 10;
      const before = await Promise.all(gs.map((p) => cpu.read(p.c)));
      const nrm = both((be, t) => be.clipGradNorm(gs.map(t), maxNorm));
      const c = await expectClose('norm', nrm);
      expect(c[0] > maxNorm).toBe(clips);
      for (let i = 0; i < gs.length; i++) {
        const after = await expectClose(`grad ${i}`, gs[i]);
        if (!clips) expect(Array.from(await gpu.read(gs[i].g))).toEqual(Array.from(before[i]));
        else expect(maxAbs(after)).toBeLessThan(maxAbs(before[i]));
      }
      rel(nrm, ...gs);
    });
  }
});

describe('device', () => {
  it('labels the adapter', () => {
    expect(gpu.name).toBe('webgpu');
    expect(gpu.deviceLabel).toMatch(/^WebGPU: /);
    expect(typeof gpu.isSoftware).toBe('boolean');
  });

  it('liveBytes is back to zero once every test released what it made', () => {
    // Every test above releases its tensors; anything left is a leak in the backend's books.
    expect(gpu.liveBytes()).toBe(0);
  });
});
