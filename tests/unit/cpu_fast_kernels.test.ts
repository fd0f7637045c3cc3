/**
 * The CPU backend's fast float32 kernels (src/kernels/cpu_fast.ts, src/kernels/wasm/attention.ts)
 * against the references in src/kernels/reference.ts, which compute in float64. Shapes are not
 * multiples of the matmul's 4×8 register block, and the causal mask is checked at every T.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/engine/rng';
import { randn, relErr as err } from '../support/float_arrays';
import {
  attentionBackwardRef,
  attentionRef,
  geluBackwardRef,
  geluRef,
  logSoftmaxGatherBackwardRef,
  logSoftmaxGatherRef,
  matmulRef,
} from '../../src/kernels/reference';
import { logSoftmaxGatherBackwardWasm, logSoftmaxGatherWasm } from '../../src/kernels/wasm/log_softmax';
import { geluBackwardFast, geluFast, matmulFewRowsNT, tanhRational } from '../../src/kernels/cpu_fast';
import { attentionBackwardWasm, attentionWasm } from '../../src/kernels/wasm/attention';

describe('tanhRational', () => {
  it('is within 3e-7 of Math.tanh on [−12, 12], odd, ±1 far out, and NaN for NaN', () => {
    let worst = 0;
    for (let u = -12; u <= 12; u += 1e-3) worst = Math.max(worst, Math.abs(tanhRational(u) - Math.tanh(u)));
    expect(worst).toBeLessThan(3e-7);
    expect(tanhRational(0)).toBe(0);
    expect(tanhRational(0.3)).toBe(-tanhRational(-0.3));
    expect(Math.abs(tanhRational(50) - 1)).toBeLessThan(3e-7);
    expect(Number.isNaN(tanhRational(Number.NaN))).toBe(true);
  });
});

describe('fast GELU against the reference', () => {
  const rng = new Rng('cpu-fast');
  const x = randn(rng, 4099, 3);
  x[0] = 0;
  x[1] = 40;
  x[2] = -40;

  it('gelu forward and backward', () => {
    const want = new Float32Array(x.length);
    const got = new Float32Array(x.length);
    geluRef(x, want);
    geluFast(x, got);
    expect(err(got, want)).toBeLessThan(2e-6);
    const dy = randn(rng, x.length);
    geluBackwardRef(dy, x, want);
    geluBackwardFast(dy, x, got);
    expect(err(got, want)).toBeLessThan(2e-6);
  });
});

describe('attention on the wasm matmul against attentionRef', () => {
  for (const [B, T, H, C] of [
    [1, 1, 1, 4],
    [2, 7, 3, 18],
    [3, 13, 4, 52],
    [2, 33, 2, 20],
  ]) {
    it(`B=${B} T=${T} H=${H} C=${C}: y, probs (zero above the diagonal) and every gradient`, () => {
      const rng = new Rng(`attn-${B}-${T}-${H}-${C}`);
      const qkv = randn(rng, B * T * 3 * C);
      const yW = new Float32Array(B * T * C);
      const pW = new Float32Array(B * H * T * T);
      const yG = new Float32Array(B * T * C).fill(Number.NaN);
      const pG = new Float32Array(B * H * T * T).fill(Number.NaN);
      attentionRef(qkv, yW, pW, B, T, H, C);
      attentionWasm(qkv, yG, pG, B, T, H, C);
      expect(err(yG, yW)).toBeLessThan(1e-5);
      expect(err(pG, pW)).toBeLessThan(1e-6);
      for (let bh = 0; bh < B * H; bh++) {
        for (let t = 0; t < T; t++) for (let s = t + 1; s < T; s++) expect(pG[bh * T * T + t * T + s]).toBe(0);
      }
      const dy = randn(rng, B * T * C);
      const dW = new Float32Array(B * T * 3 * C);
      const dG = new Float32Array(B * T * 3 * C).fill(Number.NaN);
      attentionBackwardRef(dy, qkv, pW, dW, B, T, H, C);
      attentionBackwardWasm(dy, qkv, pW, dG, B, T, H, C);
      expect(err(dG, dW)).toBeLessThan(1e-5);
    });
  }

  it('gives the same bits on a second call after a larger one (scratch reuse)', () => {
    const rng = new Rng('attn-reuse');
    const small = randn(rng, 2 * 5 * 3 * 8);
    const y1 = new Float32Array(2 * 5 * 8);
    const p1 = new Float32Array(2 * 2 * 25);
    attentionWasm(small, y1, p1, 2, 5, 2, 8);
    const big = randn(rng, 3 * 40 * 3 * 32);
    attentionWasm(big, new Float32Array(3 * 40 * 32), new Float32Array(3 * 4 * 1600), 3, 40, 4, 32);
    const y2 = new Float32Array(2 * 5 * 8);
    attentionWasm(small, y2, new Float32Array(2 * 2 * 25), 2, 5, 2, 8);
    expect(Array.from(y2)).toEqual(Array.from(y1));
  });
});

describe('log-softmax gather in wasm SIMD against the reference', () => {
  for (const [N, V] of [
    [1, 1],
    [3, 7],
    [5, 1001],
    [300, 4099],
  ]) {
    it(`N=${N} V=${V}: log-probs, log-sum-exp and the gradient`, () => {
      const rng = new Rng(`lsm-${N}-${V}`);
      const logits = randn(rng, N * V, 4);
      logits[0] += 30;
      const targets = Uint32Array.from({ length: N }, (_, i) => (i * 389) % V);
      const lpW = new Float32Array(N);
      const lseW = new Float32Array(N);
      const lpG = new Float32Array(N).fill(Number.NaN);
      const lseG = new Float32Array(N).fill(Number.NaN);
      logSoftmaxGatherRef(logits, targets, lpW, lseW, N, V);
      logSoftmaxGatherWasm(logits, targets, lpG, lseG, N, V);
      expect(err(lpG, lpW)).toBeLessThan(1e-6);
      expect(err(lseG, lseW)).toBeLessThan(1e-6);
      const g = randn(rng, N);
      const dW = new Float32Array(N * V);
      const dG = new Float32Array(N * V).fill(Number.NaN);
      logSoftmaxGatherBackwardRef(g, logits, lseW, targets, dW, N, V);
      logSoftmaxGatherBackwardWasm(g, logits, lseW, targets, dG, N, V);
      expect(err(dG, dW)).toBeLessThan(1e-6);
    });
  }

  it('propagates NaN, and a −∞ logit gets probability 0', () => {
    const logits = Float32Array.from([0, Number.NEGATIVE_INFINITY, 1, 2, Number.NaN, 0, 0]);
    const lp = new Float32Array(2);
    const lse = new Float32Array(2);
    logSoftmaxGatherWasm(logits, Uint32Array.from([1, 0]), lp, lse, 1, 4);
    expect(lp[0]).toBe(Number.NEGATIVE_INFINITY);
    logSoftmaxGatherWasm(logits.subarray(3), Uint32Array.from([0]), lp, lse, 1, 4);
    expect(Number.isNaN(lse[0])).toBe(true);
    const d = new Float32Array(4);
    logSoftmaxGatherBackwardWasm(Float32Array.from([1]), logits, Float32Array.from([Math.log(1 + Math.E + Math.E ** 2)]), Uint32Array.from([2]), d, 1, 4);
    expect(Math.abs(d[1])).toBeLessThan(1e-30);
  });
});

describe('matmulFewRowsNT (the LM head while decoding)', () => {
  it('gives matmulRef’s bits for A·Bᵀ, with and without bias and accumulation, N not a multiple of 4', () => {
    const rng = new Rng('few-rows-nt');
    for (const [M, K, N] of [[1, 256, 4096], [2, 37, 4099], [3, 5, 7], [5, 16, 3]] as const) {
      const a = randn(rng, M * K);
      const b = randn(rng, N * K);
      const bias = randn(rng, N);
      for (const withBias of [false, true]) {
        for (const accumulate of [false, true]) {
          const start = randn(rng, M * N);
          const want = start.slice();
          const got = start.slice();
          matmulRef(a, b, want, M, K, N, false, true, withBias ? bias : null, accumulate);
          matmulFewRowsNT(a, b, got, M, K, N, withBias ? bias : null, accumulate);
          expect(got).toEqual(want);
        }
      }
    }
  });
});
