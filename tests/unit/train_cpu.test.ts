import { describe, it, expect } from 'vitest';
import { CpuBackend } from '../../src/engine/backends/cpu';
import { GPT2Model } from '../../src/engine/model/gpt2';
import { AdamW, sftStep } from '../../src/engine/optim';
import { TINY_CONFIG, randomBatch } from '../support/tiny_model';

describe('training on the CPU backend', () => {
  it('AdamW overfits a fixed batch: loss falls by at least 90% in 200 steps', async () => {
    const be = new CpuBackend();
    const model = GPT2Model.randomInit(be, TINY_CONFIG, 1);
    const opt = new AdamW(model, { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, maxGradNorm: 1 });
    const batch = randomBatch(TINY_CONFIG, [10, 8, 9], 10, 3);
    const losses: number[] = [];
    for (let i = 0; i < 200; i++) losses.push((await sftStep(model, opt, batch)).loss);
    console.log(`overfit: loss ${losses[0].toFixed(4)} → ${losses[199].toFixed(4)}`);
    expect(losses[0]).toBeGreaterThan(2.5); // ≈ ln 23 at initialisation
    expect(losses[199]).toBeLessThanOrEqual(0.1 * losses[0]);
  });
});
