import { buildBatch } from '../batch';
import type { GPT2Model } from '../model/gpt2';

export interface ReferencePassResult {
  /** Summed completion log-probs under the model, per completion. */
  sums: number[];
  /**
   * Reward-model features, [2C] each: the mean over the completion's positions of the input
   * hidden states (token + position embeddings: which words were used) followed by the mean of
   * the final post-ln_f hidden states (what the model makes of them in context).
   */
  features: Float32Array[];
}

/** Length of the reward-model feature vector `referencePass` returns for a model config. */
export function rewardFeatureDim(config: { nEmbd: number }): number {
  return 2 * config.nEmbd;
}

/**
 * One forward pass of prompt + completion under a (frozen) model, giving both what the trainer
 * caches (reference log-probs) and what the reward model reads (pooled hidden states), so a
 * vote costs one reference pass, not two.
 */
export async function referencePass(
  model: GPT2Model,
  promptIds: readonly number[],
  completions: readonly (readonly number[])[],
): Promise<ReferencePassResult> {
  const be = model.backend;
  const seqs = completions.map((c) => [...promptIds, ...c]);
  const batch = buildBatch(seqs, seqs.map(() => promptIds.length));
  const s = model.forward(batch.ids, batch.targets, batch.B, batch.T);
  // Issued together so WebGPU copies all three in one submit and one round trip.
  const [lp, input, hidden] = await Promise.all([be.read(s.logprobs), be.read(s.blocks[0].x), be.read(s.lnf.y)]);
  model.releaseForward(s);
  const C = model.config.nEmbd;
  const sums: number[] = [];
  const features: Float32Array[] = [];
  for (let b = 0; b < batch.B; b++) {
    let sum = 0;
    for (let t = 0; t < batch.T; t++) sum += batch.mask[b * batch.T + t] * lp[b * batch.T + t];
    sums.push(sum);
    // Positions whose input token belongs to the completion; the last prompt position for an
    // empty completion (its state is what the model would continue from).
    const from = completions[b].length > 0 ? promptIds.length : promptIds.length - 1;
    const to = seqs[b].length;
    const f = new Float32Array(2 * C);
    for (let t = from; t < to; t++) {
      const off = (b * batch.T + t) * C;
      for (let c = 0; c < C; c++) {
        f[c] += input[off + c];
        f[C + c] += hidden[off + c];
      }
    }
    for (let c = 0; c < 2 * C; c++) f[c] /= to - from;
    features.push(f);
  }
  return { sums, features };
}
