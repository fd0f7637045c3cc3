import { buildBatch } from '../batch';
import type { FeatureBlock } from '../reward';
import type { GPT2Model } from '../model/gpt2';
import { PRINCIPLE_FEATURE_COUNT, principleFeatures, principleSpreads } from '../principles';

export interface ReferencePassResult {
  /** Summed completion log-probs under the model, per completion. */
  sums: number[];
  /** Reward-model features, `rewardFeatureDim(config)` each, laid out as `rewardFeatureBlocks`. */
  features: Float32Array[];
}

/** Hash buckets of the bag-of-words block. */
export const WORD_BUCKETS = 4096;

/**
 * The reward model's features of one completion, in five blocks:
 * 1. bag of tokens [V]: how often each vocabulary token occurs in the completion, divided by
 *    its length — a per-token linear reward, the shape of lexicon judges (AFINN's comparative
 *    score is mean word valence) and of many human preferences for wording;
 * 2. bag of words [WORD_BUCKETS]: the same over the decoded text's lower-cased words, hashed
 *    (FNV-1a) into buckets — people and lexicons judge words, and BPE splits some of them;
 * 3. the mean over the completion's positions of the input hidden states (token + position
 *    embeddings) [C];
 * 4. the mean of the final post-ln_f hidden states (what the model makes of them in context) [C];
 * 5. the style principles (`principleFeatures`: length, valence, readability, repetition,
 *    punctuation, numbers) [P], each divided by its typical spread over completions
 *    (`principleSpreads`), so one unit is "as different as two ordinary answers".
 *
 * Why the bags: on 300 noiseless sentiment votes a linear head on blocks 3–4 alone predicted
 * 0.62–0.70 of the last 100 decisive votes; with the bags (and the head refitted after each
 * vote) 0.81–0.83 (scripts/rm/README.md). The 256-dim embeddings of a small model do not put
 * word valence on a linear axis; token and word identities do. Blocks 3–4 are kept for
 * preferences that depend on context.
 *
 * Why the principles: a bag needs a vote on a word before it knows the word; a handful of dense,
 * interpretable text properties that people are known to judge by are learnable from a few votes
 * and are what the "what you seem to prefer" panel shows (scripts/rm/README.md has the panel of
 * tastes they were measured on).
 */
export function rewardFeatureBlocks(config: { nEmbd: number; vocabSize: number }): FeatureBlock[] {
  return [
    // Raw: standardising a count dimension seen once would blow it up to a huge z-score.
    { size: config.vocabSize, standardize: false, scale: 1 },
    { size: WORD_BUCKETS, standardize: false, scale: 1 },
    // Standardised, then scaled down: the hundreds of dense dimensions otherwise drown the sparse
    // counts (a standardised block has norm² ≈ 2C, a bag ≈ 1/distinct tokens). On recorded votes
    // larger scales (0.01 … 1/√(2C)) lost 0.02–0.04 of accuracy to a lexical judge; at 0.005
    // they cost nothing there and are available to judges that need context.
    { size: 2 * config.nEmbd, standardize: true, scale: 0.005 },
    // Already in spread units (fixed, not online: two completions are no estimate of a spread).
    { size: PRINCIPLE_FEATURE_COUNT, standardize: false, scale: PRINCIPLE_BLOCK_SCALE },
  ];
}

/** Scale of the principle block (spread units) in the reward model's features; see scripts/rm/README.md. */
export const PRINCIPLE_BLOCK_SCALE = 1;

/** Offset of the bag-of-words block (WORD_BUCKETS long) in a reward feature vector. */
export function wordBlockOffset(config: { vocabSize: number }): number {
  return config.vocabSize;
}

/** Offset of the principle block in a reward feature vector. */
export function principleBlockOffset(config: { nEmbd: number; vocabSize: number }): number {
  return config.vocabSize + WORD_BUCKETS + 2 * config.nEmbd;
}

/** Length of the reward-model feature vector `referencePass` returns for a model config. */
export function rewardFeatureDim(config: { nEmbd: number; vocabSize: number }): number {
  return config.vocabSize + WORD_BUCKETS + 2 * config.nEmbd + PRINCIPLE_FEATURE_COUNT;
}

/** Adds the hashed bag of lower-cased words of `text` into `out` (length WORD_BUCKETS), as frequencies. */
export function addWordBag(text: string, out: Float32Array): void {
  const words = text.toLowerCase().match(/[a-z0-9']+/g) ?? [];
  for (const w of words) {
    let h = 0x811c9dc5;
    for (let i = 0; i < w.length; i++) {
      h ^= w.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
    out[(h >>> 0) % WORD_BUCKETS] += 1 / words.length;
  }
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
  /** Token ids → text for the bag of words; without it the words are the token ids themselves. */
  decode: (ids: number[]) => string = (ids) => ids.join(' '),
): Promise<ReferencePassResult> {
  const be = model.backend;
  const seqs = completions.map((c) => [...promptIds, ...c]);
  const batch = buildBatch(seqs, seqs.map(() => promptIds.length));
  const s = model.forward(batch.ids, batch.targets, batch.B, batch.T);
  // Issued together so WebGPU copies all three in one submit and one round trip.
  const [lp, input, hidden] = await Promise.all([be.read(s.logprobs), be.read(s.blocks[0].x), be.read(s.lnf.y)]);
  model.releaseForward(s);
  const C = model.config.nEmbd;
  const V = model.config.vocabSize;
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
    const W = WORD_BUCKETS;
    const f = new Float32Array(V + W + 2 * C + PRINCIPLE_FEATURE_COUNT);
    for (const id of completions[b]) f[id] += 1;
    for (let i = 0; i < V; i++) f[i] /= Math.max(1, completions[b].length);
    const text = decode([...completions[b]]);
    addWordBag(text, f.subarray(V, V + W));
    addPrinciples(text, f.subarray(V + W + 2 * C));
    for (let t = from; t < to; t++) {
      const off = (b * batch.T + t) * C;
      for (let c = 0; c < C; c++) {
        f[V + W + c] += input[off + c];
        f[V + W + C + c] += hidden[off + c];
      }
    }
    // Means over the completion (an empty one keeps zero bags and the last prompt state).
    for (let i = V + W; i < V + W + 2 * C; i++) f[i] /= to - from;
    features.push(f);
  }
  return { sums, features };
}

/** Writes the style principles of `text` into `out` (length P), in spread units. */
export function addPrinciples(text: string, out: Float32Array): void {
  const values = principleFeatures(text);
  const spreads = principleSpreads();
  for (let k = 0; k < PRINCIPLE_FEATURE_COUNT; k++) out[k] = values[k]! / spreads[k]!;
}
