import type { GPT2Model } from './model/gpt2';

/** A right-padded batch of token sequences, with the positions whose next token counts. */
export interface TokenBatch {
  B: number;
  T: number;
  ids: Uint32Array;
  /** targets[b·T + t] = ids[b·T + t + 1] (0 past the end). */
  targets: Uint32Array;
  /** 1 where position t predicts a completion token (index ≥ completionStart[b]). */
  mask: Float32Array;
  lengths: number[];
}

/**
 * Packs sequences (prompt + completion ids) into a right-padded batch. Position t predicts
 * token t+1, and counts when that token belongs to the completion, i.e. t+1 ≥ completionStart.
 * Right padding needs no attention mask: causality keeps pads out of real positions.
 */
export function buildBatch(sequences: readonly (readonly number[])[], completionStart: readonly number[], T?: number): TokenBatch {
  const B = sequences.length;
  const len = Math.max(1, ...sequences.map((s) => s.length));
  const width = T ?? len;
  if (width < len) throw new Error(`buildBatch: a sequence of ${len} tokens does not fit T = ${width}`);
  const ids = new Uint32Array(B * width);
  const targets = new Uint32Array(B * width);
  const mask = new Float32Array(B * width);
  sequences.forEach((seq, b) => {
    const start = Math.max(1, completionStart[b]);
    for (let t = 0; t < seq.length; t++) ids[b * width + t] = seq[t];
    for (let t = 0; t + 1 < seq.length; t++) {
      targets[b * width + t] = seq[t + 1];
      if (t + 1 >= start) mask[b * width + t] = 1;
    }
  });
  return { B, T: width, ids, targets, mask, lengths: sequences.map((s) => s.length) };
}

/**
 * Per-token log-probs of each sequence's completion (token i+1 given tokens ≤ i, for the
 * counted positions), and their sums. One forward pass, no gradients kept.
 */
export async function scoreSequences(
  model: GPT2Model,
  sequences: readonly (readonly number[])[],
  completionStart: readonly number[],
): Promise<{ tokenLogprobs: number[][]; sums: number[] }> {
  const batch = buildBatch(sequences, completionStart);
  const s = model.forward(batch.ids, batch.targets, batch.B, batch.T);
  const lp = await model.backend.read(s.logprobs);
  model.releaseForward(s);
  const tokenLogprobs: number[][] = [];
  const sums: number[] = [];
  for (let b = 0; b < batch.B; b++) {
    const row: number[] = [];
    let sum = 0;
    for (let t = 0; t < batch.T; t++) {
      if (batch.mask[b * batch.T + t]) {
        row.push(lp[b * batch.T + t]);
        sum += lp[b * batch.T + t];
      }
    }
    tokenLogprobs.push(row);
    sums.push(sum);
  }
  return { tokenLogprobs, sums };
}
