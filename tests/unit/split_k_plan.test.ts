/**
 * The split-K plan of the tiled GEMM (src/kernels/matmul.ts). The kernel itself is checked
 * against the CPU on WebGPU in tests/browser/kernels.test.ts; this pins what the plan promises
 * the kernel: slices cover K exactly once, each but the last ends on a k-slab boundary, and a
 * GEMM that already fills the device, or has a short K, is not split.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SPLIT_K_MAX_SLICES, SPLIT_K_MIN_K, SPLIT_K_TARGET_GROUPS, splitKPlan } from '../../src/kernels/matmul';

const TK = 16;
const TILE = 64;

describe('splitKPlan', () => {
  it('covers K with slices that start on the k slab and never overlap', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1, max: 200_000 }), (M, N, K) => {
        const { slices, kPerSlice } = splitKPlan(M, N, K);
        expect(slices).toBeGreaterThanOrEqual(1);
        expect(slices).toBeLessThanOrEqual(SPLIT_K_MAX_SLICES);
        if (slices === 1) {
          expect(kPerSlice).toBe(K);
          return;
        }
        expect(kPerSlice % TK).toBe(0);
        // Every slice has work and together they reach exactly past K.
        expect((slices - 1) * kPerSlice).toBeLessThan(K);
        expect(slices * kPerSlice).toBeGreaterThanOrEqual(K);
        expect(K / slices).toBeGreaterThanOrEqual(SPLIT_K_MIN_K / 2);
        const tiles = Math.ceil(M / TILE) * Math.ceil(N / TILE);
        expect(tiles).toBeLessThan(SPLIT_K_TARGET_GROUPS);
      }),
      { numRuns: 2000 },
    );
  });

  it('splits the LM head input gradient, not the forward or a full output', () => {
    // Shipped model (models/default: d = 256, vocabulary 4,096), a 16-row batch of 40 tokens:
    // dX [640 × 256] over K = 4,096 is 40 tiles, so it runs as 7 slices.
    expect(splitKPlan(640, 256, 4096)).toEqual({ slices: 7, kPerSlice: 592 });
    // GPT-2-124M shape (d = 768, vocabulary 50,257), 8 × 128 rows: 192 tiles, 2 slices.
    expect(splitKPlan(1024, 768, 50257)).toEqual({ slices: 2, kPerSlice: 25136 });
    // The logits [640 × 4,096] over K = 256, and a weight gradient [256 × 1,024] over 640 rows.
    expect(splitKPlan(640, 4096, 256).slices).toBe(1);
    expect(splitKPlan(256, 1024, 640).slices).toBe(1);
    // Enough tiles already.
    expect(splitKPlan(2048, 2048, 100_000).slices).toBe(1);
  });
});
