import { readReusing, type Backend, type Tensor } from './backend';
import type { GPT2Model } from './model/gpt2';

export interface AdamWConfig {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** Global gradient-norm clip; 0 disables clipping. */
  maxGradNorm: number;
}

export const DEFAULT_ADAMW: AdamWConfig = { lr: 1e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, maxGradNorm: 1 };

/** AdamW's moments on the host (see `AdamW.capture`). */
export interface AdamWState {
  step: number;
  m: Map<string, Float32Array>;
  v: Map<string, Float32Array>;
}

/**
 * AdamW over a GPT2Model's parameters, moments kept on the model's backend. As in GPT-2/nanoGPT
 * practice, weight decay applies to matrices only (not biases, layer-norm gains, or position
 * embeddings' siblings of rank 1).
 */
export class AdamW {
  private readonly m = new Map<string, Tensor>();
  private readonly v = new Map<string, Tensor>();
  step = 0;

  constructor(
    private model: GPT2Model,
    public config: AdamWConfig,
  ) {
    for (const s of model.specs) {
      this.m.set(s.name, model.backend.zeros(s.shape));
      this.v.set(s.name, model.backend.zeros(s.shape));
    }
  }

  /** Moves another model of the same shapes with these moments (a policy's trained weights kept apart). */
  bind(model: GPT2Model): void {
    if (model.backend !== this.model.backend || model.specs.length !== this.model.specs.length) throw new Error('AdamW.bind: a model of other shapes or on another backend');
    this.model = model;
  }

  private get backend(): Backend {
    return this.model.backend;
  }

  /**
   * Clips the accumulated gradients and applies one update. Returns the pre-clip gradient norm
   * as a device tensor (caller may read it, then must release it).
   */
  apply(lr = this.config.lr): Tensor {
    const be = this.backend;
    const grads = this.model.specs.map((s) => this.model.g(s.name));
    const norm = be.clipGradNorm(grads, this.config.maxGradNorm > 0 ? this.config.maxGradNorm : Infinity);
    this.step++;
    for (const s of this.model.specs) {
      be.adamw(this.model.p(s.name), this.model.g(s.name), this.m.get(s.name)!, this.v.get(s.name)!, {
        lr,
        beta1: this.config.beta1,
        beta2: this.config.beta2,
        eps: this.config.eps,
        weightDecay: s.shape.length === 2 ? this.config.weightDecay : 0,
        step: this.step,
      });
    }
    return norm;
  }

  /** The moments and step count, copied to host memory (a learner checkpoint). */
  async capture(reuse?: Pick<AdamWState, 'm' | 'v'>): Promise<AdamWState> {
    const names = [...this.m.keys()];
    const [m, v] = await Promise.all([
      Promise.all(names.map((n) => readReusing(this.backend, this.m.get(n)!, reuse?.m.get(n)))),
      Promise.all(names.map((n) => readReusing(this.backend, this.v.get(n)!, reuse?.v.get(n)))),
    ]);
    return { step: this.step, m: new Map(names.map((n, i) => [n, m[i]!])), v: new Map(names.map((n, i) => [n, v[i]!])) };
  }

  /** Puts back moments and step count captured from this optimizer. */
  restore(state: AdamWState): void {
    for (const [name, t] of this.m) this.backend.write(t, state.m.get(name)!);
    for (const [name, t] of this.v) this.backend.write(t, state.v.get(name)!);
    this.step = state.step;
  }

  /** Resets the moments (after restoring a snapshot, the old moments no longer apply). */
  reset(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) this.backend.zero(t);
    this.step = 0;
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) this.backend.release(t);
    this.m.clear();
    this.v.clear();
  }
}

/**
 * One supervised step on a right-padded batch: masked mean cross-entropy of next tokens,
 * backward, clip, AdamW. Returns the loss before the update.
 */
export async function sftStep(
  model: GPT2Model,
  opt: AdamW,
  batch: { ids: Uint32Array; targets: Uint32Array; mask: Float32Array; B: number; T: number },
): Promise<{ loss: number; gradNorm: number }> {
  const be = model.backend;
  model.zeroGrads();
  const s = model.forward(batch.ids, batch.targets, batch.B, batch.T);
  const maskT = be.upload(batch.mask, [batch.B * batch.T]);
  const lossT = be.crossEntropy(s.logprobs, maskT);
  be.release(maskT);
  let count = 0;
  for (const m of batch.mask) count += m;
  // d(−Σ mask·lp / count)/d lp = −mask / count
  const dlp = batch.mask.map((m) => (count > 0 ? -m / count : 0));
  model.backward(s, dlp);
  model.releaseForward(s);
  const normT = opt.apply();
  // Issued together: one submit and one round trip on WebGPU.
  const [[loss], [gradNorm]] = await Promise.all([be.read(lossT), be.read(normT)]);
  be.release(lossT);
  be.release(normT);
  return { loss, gradNorm };
}
