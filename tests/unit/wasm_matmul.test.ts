import { afterAll, describe, it, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
// @ts-expect-error: a plain .mjs dev script without type declarations
import { compileMatmulVariants } from '../../scripts/wasm_variants.mjs';
import { Rng } from '../../src/engine/rng';
import { randn, relErr } from '../support/float_arrays';
import { matmulRef } from '../../src/kernels/reference';
import { matmulThreads, matmulWasm, startMatmulThreads, stopMatmulThreads, wasmSimdAvailable, wasmMatmulMemoryBytes } from '../../src/kernels/wasm/matmul';
import { MATMUL_SIMD_BASE64, MATMUL_SIMD_SHARED_BASE64 } from '../../src/kernels/wasm/matmul_simd_bytes';

const root = fileURLToPath(new URL('../..', import.meta.url));

interface Case {
  M: number;
  K: number;
  N: number;
  transA: boolean;
  transB: boolean;
  bias: boolean;
  accumulate: boolean;
}

/** One case's seeded inputs: A, B, the bias (or null) and the starting contents of out. */
function inputs(c: Case, seed: number) {
  const rng = new Rng(seed);
  const a = randn(rng, c.M * c.K);
  const b = randn(rng, c.K * c.N);
  const bias = c.bias ? randn(rng, c.N) : null;
  const start = randn(rng, c.M * c.N);
  return { a, b, bias, start };
}

/** Runs one case through both implementations on the same seeded inputs; returns the error. */
function compare(c: Case, seed: number): number {
  const { a, b, bias, start } = inputs(c, seed);
  const want = start.slice();
  const got = c.accumulate ? start.slice() : new Float32Array(c.M * c.N).fill(Number.NaN);
  matmulRef(a, b, want, c.M, c.K, c.N, c.transA, c.transB, bias, c.accumulate);
  matmulWasm(a, b, got, c.M, c.K, c.N, c.transA, c.transB, bias, c.accumulate);
  return relErr(got, want);
}

const SIZES: Array<[number, number, number]> = [
  [1, 1, 1],
  [5, 7, 3],
  [37, 45, 29],
  [130, 67, 259],
  // K over one 256-wide slice (with a ragged last slice) and exact multiples of the blocks.
  [12, 600, 16],
  [8, 256, 24],
];

describe('matmulWasm (SIMD128) against matmulRef', () => {
  it('is available in this Node', () => {
    expect(wasmSimdAvailable()).toBe(true);
  });

  for (const [M, K, N] of SIZES) {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        it(`${M}x${K}x${N} transA=${transA} transB=${transB}, with and without bias/accumulate`, () => {
          let seed = M * 1_000_003 + K * 1009 + N * 7 + (transA ? 2 : 0) + (transB ? 1 : 0);
          for (const bias of [false, true]) {
            for (const accumulate of [false, true]) {
              const err = compare({ M, K, N, transA, transB, bias, accumulate }, seed++);
              expect(err, `bias=${bias} accumulate=${accumulate}`).toBeLessThanOrEqual(1e-5);
            }
          }
        });
      }
    }
  }

  it('K = 0 gives zeros, the bias, or out unchanged (+ bias), like the reference', () => {
    for (const bias of [false, true]) {
      for (const accumulate of [false, true]) {
        expect(compare({ M: 6, K: 0, N: 10, transA: false, transB: true, bias, accumulate }, 99)).toBe(0);
      }
    }
  });

  it('writes nothing outside out[0, M*N)', () => {
    const rng = new Rng('bounds');
    const out = new Float32Array(5 * 9 + 3).fill(7);
    matmulWasm(randn(rng, 5 * 4), randn(rng, 4 * 9), out, 5, 4, 9, false, false, null, false);
    expect(Array.from(out.subarray(45))).toEqual([7, 7, 7]);
  });

  it('reuses its memory, and stale data from a larger call does not leak into a padded one', () => {
    // A big call whose inputs are NaN leaves NaN all over the memory, padding areas included.
    const M = 130;
    const K = 300;
    const N = 259;
    const nan = new Float32Array(M * K * 4).fill(Number.NaN);
    matmulWasm(nan, nan, new Float32Array(M * N), M, K, N, false, false, null, false);
    const bytes = wasmMatmulMemoryBytes();
    expect(bytes).toBeGreaterThan(0);
    for (let t = 0; t < 3; t++) {
      expect(compare({ M: 37, K: 45, N: 29, transA: t === 1, transB: t === 2, bias: true, accumulate: t === 0 }, t))
        .toBeLessThanOrEqual(1e-5);
    }
    // Smaller calls fit, so the memory did not grow.
    expect(wasmMatmulMemoryBytes()).toBe(bytes);
  });

  it('rejects arrays that are too short', () => {
    expect(() =>
      matmulWasm(new Float32Array(5), new Float32Array(6), new Float32Array(6), 2, 3, 2, false, false, null, false),
    ).toThrow(RangeError);
  });
});

describe('threaded matmul', () => {
  afterAll(() => stopMatmulThreads());

  // Shapes over the threading threshold (2^24 multiply-adds), with ragged M and N, every
  // transpose, bias and accumulate; plus one under it, which stays on the calling thread.
  const CASES: Case[] = [
    { M: 517, K: 300, N: 131, transA: false, transB: false, bias: true, accumulate: false },
    { M: 130, K: 257, N: 1030, transA: true, transB: true, bias: false, accumulate: true },
    { M: 1001, K: 64, N: 264, transA: false, transB: true, bias: true, accumulate: true },
    { M: 37, K: 45, N: 29, transA: true, transB: false, bias: false, accumulate: false },
  ];
  function run(c: Case, seed: number): Float32Array {
    const { a, b, bias, start: out } = inputs(c, seed);
    matmulWasm(a, b, out, c.M, c.K, c.N, c.transA, c.transB, bias, c.accumulate);
    return out;
  }

  it('gives the same bits on 1, 2, 3 and 4 threads, and matches the reference', async () => {
    stopMatmulThreads();
    const one = CASES.map((c, i) => run(c, 100 + i));
    CASES.forEach((c, i) => expect(compare(c, 100 + i)).toBeLessThanOrEqual(1e-5));
    for (const threads of [2, 3, 4]) {
      expect(await startMatmulThreads(threads)).toBe(threads);
      expect(matmulThreads()).toBe(threads);
      CASES.forEach((c, i) => {
        const got = run(c, 100 + i);
        expect(Buffer.from(got.buffer).equals(Buffer.from(one[i].buffer)), `${threads} threads, case ${i}`).toBe(true);
      });
    }
    stopMatmulThreads();
    expect(matmulThreads()).toBe(1);
    CASES.forEach((c, i) => expect(Buffer.from(run(c, 100 + i).buffer).equals(Buffer.from(one[i].buffer))).toBe(true));
  });

  it('starts one thread when asked for one, and rejects a bad count', async () => {
    expect(await startMatmulThreads(1)).toBe(1);
    expect(matmulThreads()).toBe(1);
    await expect(startMatmulThreads(0)).rejects.toThrow(RangeError);
    await expect(startMatmulThreads(1.5)).rejects.toThrow(RangeError);
  });
});

describe('committed wasm bytes', () => {
  it('match the .wat compiled with wabt, on a plain and on a shared memory', async () => {
    const { plain, shared } = await compileMatmulVariants();
    expect(Buffer.from(plain).toString('base64')).toBe(MATMUL_SIMD_BASE64);
    expect(Buffer.from(shared).toString('base64')).toBe(MATMUL_SIMD_SHARED_BASE64);
    expect(WebAssembly.validate(plain)).toBe(true);
    expect(WebAssembly.validate(shared)).toBe(true);
  });

  it('match what scripts/build_wasm.mjs writes (its --check mode)', () => {
    // Throws (non-zero exit) when the generated TS file differs from what the script would write.
    const stdout = execFileSync(process.execPath, [`${root}scripts/build_wasm.mjs`, '--check'], { encoding: 'utf8' });
    expect(stdout).toContain('up to date');
  });
});
