import type { ForwardState, GPT2Model } from './model/gpt2';

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
 * Rows of padding one extra pass is charged in `lengthGroups`. On the CPU backend a forward +
 * backward of the shipped policy costs about 1 ms per row and no measurable time per pass (the
 * least-squares intercept over nine shapes is below zero: long rows cost more, through
 * attention; `scripts/bench/pass_cost.ts`, `runs/pass_cost.json`). So this charge is a choice:
 * no split is made to save less than a short sequence's rows, and it leaves room for the WebGPU
 * backend's dispatches per pass, which were not measured.
 */
export const GROUP_OVERHEAD_ROWS = 16;
/** Most groups a batch is split into. */
export const MAX_LENGTH_GROUPS = 4;

/**
 * Splits a batch into groups of similar length, so each is padded to its own longest sequence
 * instead of the batch's: sampled completions range from a few tokens to the cap, and one long
 * sequence used to pad all sixteen of a DPO batch to it. Indices sorted longest first (ties by index), cut where Σ count·longest +
 * GROUP_OVERHEAD_ROWS per group is least (dynamic programming over the cut points). Deterministic
 * in the lengths, so a replay groups, and rounds, exactly as the live session did.
 */
export function lengthGroups(lengths: readonly number[], overheadRows = GROUP_OVERHEAD_ROWS, maxGroups = MAX_LENGTH_GROUPS): number[][] {
  const n = lengths.length;
  if (n === 0) return [];
  const order = lengths.map((_, i) => i).sort((a, b) => lengths[b]! - lengths[a]! || a - b);
  // best[g][j]: least cost of the first j sorted sequences in g groups; the first of a group is its longest.
  const best: number[][] = [];
  const cut: number[][] = [];
  for (let g = 0; g <= maxGroups; g++) {
    best.push(new Array<number>(n + 1).fill(Infinity));
    cut.push(new Array<number>(n + 1).fill(0));
  }
  best[0]![0] = 0;
  for (let g = 1; g <= maxGroups; g++) {
    for (let j = 1; j <= n; j++) {
      for (let i = g - 1; i < j; i++) {
        const c = best[g - 1]![i]! + (j - i) * Math.max(1, lengths[order[i]!]!) + overheadRows;
        if (c < best[g]![j]!) {
          best[g]![j] = c;
          cut[g]![j] = i;
        }
      }
    }
  }
  let groups = 1;
  for (let g = 2; g <= maxGroups; g++) if (best[g]![n]! < best[groups]![n]!) groups = g;
  const out: number[][] = [];
  for (let g = groups, j = n; g > 0; g--) {
    const i = cut[g]![j]!;
    out.unshift(order.slice(i, j));
    j = i;
  }
  return out;
}

/** Each sequence's completion log-probs, token by token, and their sum. */
export interface ScoredSequences {
  tokenLogprobs: number[][];
  sums: number[];
}

/**
 * Per-token log-probs of each sequence's completion (token i+1 given tokens ≤ i, for the
 * counted positions), and their sums. One forward pass per length group, no gradients kept.
 */
export async function scoreSequences(
  model: GPT2Model,
  sequences: readonly (readonly number[])[],
  completionStart: readonly number[],
): Promise<ScoredSequences> {
  return (await scoreSequencesUnder([model], sequences, completionStart))[0]!;
}

/** One length group's padded batch and each model's forward pass over it, with its log-probs read. */
interface GroupPass {
  group: number[];
  batch: TokenBatch;
  states: ForwardState[];
  logprobs: Float32Array[];
}

/**
 * Every model's forward pass over each length group of the sequences, all recorded before
 * anything is read and read together: one WebGPU submit for all of them. A row's log-probs do
 * not depend on how long its batch is padded, so the groups change no bit of them.
 */
async function groupedPasses(
  models: readonly GPT2Model[],
  sequences: readonly (readonly number[])[],
  completionStart: readonly number[],
): Promise<GroupPass[]> {
  const parts = lengthGroups(sequences.map((s) => s.length)).map((group) => {
    const batch = buildBatch(group.map((i) => sequences[i]!), group.map((i) => completionStart[i]!));
    return { group, batch, states: models.map((m) => m.forward(batch.ids, batch.targets, batch.B, batch.T)) };
  });
  const read = await Promise.all(parts.map((p) => Promise.all(p.states.map((st, m) => models[m]!.backend.read(st.logprobs)))));
  return parts.map((p, k) => ({ ...p, logprobs: read[k]! }));
}

/**
 * `scoreSequences` under several models (the policy and the reference, on one backend), in one
 * WebGPU submit instead of one round trip per model.
 */
export async function scoreSequencesUnder(
  models: readonly GPT2Model[],
  sequences: readonly (readonly number[])[],
  completionStart: readonly number[],
): Promise<ScoredSequences[]> {
  const parts = await groupedPasses(models, sequences, completionStart);
  return models.map((model, m) => {
    const tokenLogprobs: number[][] = new Array(sequences.length);
    const sums: number[] = new Array(sequences.length);
    for (const { group, batch, states, logprobs } of parts) {
      model.releaseForward(states[m]!);
      const lp = logprobs[m]!;
      group.forEach((index, b) => {
        const row: number[] = [];
        let sum = 0;
        for (let t = 0; t < batch.T; t++) {
          if (batch.mask[b * batch.T + t]) {
            row.push(lp[b * batch.T + t]);
            sum += lp[b * batch.T + t];
          }
        }
        tokenLogprobs[index] = row;
        sums[index] = sum;
      });
    }
    return { tokenLogprobs, sums };
  });
}

/**
 * Forward pass with gradients kept, in `lengthGroups`: each sequence's summed completion
 * log-prob and a `backward` that seeds every counted token of sequence i with dL/d(sum_i). The
 * groups' gradients add up in the model's buffers (zero them first), so the step is the whole
 * batch's without its padding. The losses depend on a sequence only through its summed log-prob.
 */
export async function forwardSummed(
  model: GPT2Model,
  sequences: readonly (readonly number[])[],
  completionStart: readonly number[],
): Promise<{ sums: Float64Array; backward: (dSeq: ArrayLike<number>) => void }> {
  const parts = await groupedPasses([model], sequences, completionStart);
  const sums = new Float64Array(sequences.length);
  for (const { group, batch, logprobs } of parts) {
    const lp = logprobs[0]!;
    for (let i = 0; i < lp.length; i++) sums[group[Math.floor(i / batch.T)]!] += batch.mask[i] * lp[i];
  }
  return {
    sums,
    backward: (dSeq) => {
      for (const { group, batch, states } of parts) {
        const dlp = new Float32Array(batch.B * batch.T);
        for (let i = 0; i < dlp.length; i++) dlp[i] = batch.mask[i] * dSeq[group[Math.floor(i / batch.T)]!];
        model.backward(states[0]!, dlp);
        model.releaseForward(states[0]!);
      }
    },
  };
}
