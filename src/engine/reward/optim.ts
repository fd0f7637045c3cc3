/**
 * Small optimisers for the reward heads (host arrays, float64). The policy's AdamW lives in the
 * engine backend; this one only ever sees a few thousand parameters.
 */
export interface AdamWConfig {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Decoupled weight decay (Loshchilov & Hutter): θ ← θ − lr·λ·θ. */
  weightDecay?: number;
}

export interface SgdConfig {
  lr: number;
  momentum?: number;
  /** Plain L2 added to the gradient. */
  weightDecay?: number;
}

export interface ParamOptimizer {
  /** Update `params` in place from `grads` (same length). */
  step(params: Float64Array, grads: Float64Array): void;
}

export class AdamW implements ParamOptimizer {
  private readonly m: Float64Array;
  private readonly v: Float64Array;
  private t = 0;
  private readonly cfg: Required<AdamWConfig>;

  constructor(size: number, cfg: AdamWConfig) {
    this.m = new Float64Array(size);
    this.v = new Float64Array(size);
    this.cfg = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, ...cfg };
  }

  step(params: Float64Array, grads: Float64Array): void {
    this.stepAt(params, grads, null);
  }

  /**
   * A lazy step (TensorFlow's LazyAdam): only the entries in `indices` (ascending, or all when
   * null) are updated; the others keep their value and moments. For a sparse objective whose
   * other entries have no gradient at all, this is the full step at a fraction of its cost.
   */
  stepAt(params: Float64Array, grads: Float64Array, indices: Int32Array | null): void {
    const { lr, beta1, beta2, eps, weightDecay } = this.cfg;
    this.t++;
    const bc1 = 1 - beta1 ** this.t;
    const bc2 = 1 - beta2 ** this.t;
    const n = indices ? indices.length : params.length;
    for (let k = 0; k < n; k++) {
      const i = indices ? indices[k]! : k;
      const g = grads[i]!;
      this.m[i] = beta1 * this.m[i]! + (1 - beta1) * g;
      this.v[i] = beta2 * this.v[i]! + (1 - beta2) * g * g;
      const mHat = this.m[i]! / bc1;
      const vHat = this.v[i]! / bc2;
      params[i] = params[i]! - lr * (mHat / (Math.sqrt(vHat) + eps) + weightDecay * params[i]!);
    }
  }
}

export class Sgd implements ParamOptimizer {
  private readonly velocity: Float64Array;
  private readonly cfg: Required<SgdConfig>;

  constructor(size: number, cfg: SgdConfig) {
    this.velocity = new Float64Array(size);
    this.cfg = { momentum: 0, weightDecay: 0, ...cfg };
  }

  step(params: Float64Array, grads: Float64Array): void {
    const { lr, momentum, weightDecay } = this.cfg;
    for (let i = 0; i < params.length; i++) {
      const g = grads[i]! + weightDecay * params[i]!;
      this.velocity[i] = momentum * this.velocity[i]! + g;
      params[i] = params[i]! - lr * this.velocity[i]!;
    }
  }
}
