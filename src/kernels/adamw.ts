import src from '../../shaders/adamw.wgsl?raw';
import { ceilDiv, GpuKernel, grid1d, type Bound, type Recorder } from './kernel';

const WG = 256;

/** The AdamW hyperparameters (same fields as the engine's AdamWHyper). */
export interface AdamWParams {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** 1-based step. */
  step: number;
}

/** Elementwise AdamW; hyperparameters (and float64 bias corrections) in the uniform. */
export class AdamWKernel extends GpuKernel {
  static readonly instance = new AdamWKernel();

  private constructor() {
    super('adamw', src, 'adamw', { WG }, [[1, 'w'], [2, 'r'], [3, 'w'], [4, 'w']], 'ufffffff');
  }

  /** Buffers: param, grad, m, v. */
  encode(rec: Recorder, n: number, h: AdamWParams, buffers: readonly Bound[]): void {
    const bc1 = 1 - Math.pow(h.beta1, h.step);
    const bc2 = 1 - Math.pow(h.beta2, h.step);
    rec.dispatch(
      this,
      buffers,
      [n, h.lr, h.beta1, h.beta2, h.eps, h.weightDecay, bc1, bc2],
      grid1d(ceilDiv(n, WG), rec.maxGroupsPerDim),
    );
  }
}
