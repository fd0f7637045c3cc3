import type { Tensor } from './backend';
import type { GPT2Model } from './model/gpt2';
import { Rng } from './rng';
import { isGreedy, isPlainSampling, sampleToken, sampleTopK, type SamplingParams } from './sampling';

export interface GenerateOptions extends SamplingParams {
  /** Number of continuations of the same prompt decoded together. */
  numSequences: number;
  maxNewTokens: number;
  seed: number;
  /** Generation of a sequence stops after it emits this id (it is not included). */
  eosTokenId: number | null;
}

/** One decoding step: the new token of every sequence (-1 once a sequence has finished). */
export interface GenerateStep {
  step: number;
  tokens: number[];
  done: boolean[];
}

/**
 * Decodes `numSequences` continuations of one prompt with a KV cache, one token per step, as
 * an async generator so callers pull tokens (streaming to the UI, or collecting in the CLI).
 * Greedy decoding takes the argmax on the device, and plain sampling (temperature only) draws
 * there from one uploaded uniform per row (`Backend.sample`); both read back only the ids and
 * feed them to the next step where they are. Top-k sampling reads back each row's k largest
 * logits and their ids (`Backend.topK`); top-p without top-k the whole [B, V] row, once per step.
 *
 * Determinism: sequence b draws from `new Rng(seed).fork('seq' + b)`, so the same seed gives
 * the same tokens whatever the batch size or backend (up to float ties).
 */
export async function* generateTokens(
  model: GPT2Model,
  promptIds: readonly number[],
  opts: GenerateOptions,
): AsyncGenerator<GenerateStep> {
  const be = model.backend;
  const B = opts.numSequences;
  const nPos = model.config.nPositions;
  if (promptIds.length === 0) throw new Error('generate: the prompt is empty (give at least one token)');
  const maxNew = Math.max(0, Math.min(opts.maxNewTokens, nPos - 1));
  // Keep the most recent prompt tokens so prompt + completion fits in the context window.
  const prompt = promptIds.slice(Math.max(0, promptIds.length - (nPos - maxNew)));
  const T0 = prompt.length;
  const cache = model.createKVCache(B, Math.min(nPos, T0 + maxNew));
  const rngs = Array.from({ length: B }, (_, b) => new Rng(opts.seed).fork(`seq${b}`));
  const done = new Array<boolean>(B).fill(false);
  const greedy = isGreedy(opts);
  let logits: Tensor | null = null;
  /** Greedy decoding: the last argmax, on the device until the next step's decode has read it. */
  let greedyIds: Tensor | null = null;
  /** Plain sampling: the last draw, kept on the device the same way. */
  let sampledIds: Tensor | null = null;
  try {
    const first = new Uint32Array(B * T0);
    for (let b = 0; b < B; b++) first.set(prompt, b * T0);
    logits = model.decode(cache, first, T0);
    for (let step = 0; step < maxNew; step++) {
      const current: Tensor = logits;
      let next: number[];
      if (greedy) {
        if (greedyIds) be.release(greedyIds);
        greedyIds = be.argmax(current);
        next = Array.from(await be.readU32(greedyIds));
      } else if (opts.topK > 0 && opts.topK < current.shape[1]!) {
        // Only the k largest logits of each row come back (B·k values and ids, not B·V logits).
        const k = opts.topK;
        const top = be.topK(current, k);
        const [values, ids] = await Promise.all([be.read(top.values), be.readU32(top.ids)]);
        be.release(top.values);
        be.release(top.ids);
        next = rngs.map((rng, b) => sampleTopK(values.subarray(b * k, (b + 1) * k), ids.subarray(b * k, (b + 1) * k), opts, rng));
      } else if (isPlainSampling(opts, current.shape[1]!)) {
        // The draw runs where the logits are, from one uniform per row (each sequence's RNG
        // is drawn once per step, as sampleToken would); the ids stay there for the next step.
        if (sampledIds) be.release(sampledIds);
        sampledIds = be.sample(current, opts.temperature, Float64Array.from(rngs, (rng) => rng.next()));
        next = Array.from(await be.readU32(sampledIds));
      } else {
        const host = await be.read(current);
        const V = current.shape[1];
        next = rngs.map((rng, b) => sampleToken(host.subarray(b * V, (b + 1) * V), opts, rng));
      }
      be.release(current);
      logits = null;
      const tokens = next.map((t, b) => {
        if (done[b]) return -1;
        if (opts.eosTokenId !== null && t === opts.eosTokenId) {
          done[b] = true;
          return -1;
        }
        return t;
      });
      const last = step === maxNew - 1 || done.every(Boolean);
      yield { step, tokens, done: [...done] };
      if (last) return;
      const onDevice = greedyIds ?? sampledIds;
      if (onDevice) {
        // The argmax or draw stays on the device and is fed back as it is (no upload): a
        // finished sequence then decodes its own pick rather than the filler, which changes
        // nothing (its tokens are dropped and the rows do not mix).
        logits = model.decodeIds(cache, onDevice, 1);
        continue;
      }
      // Finished sequences keep decoding a filler token so the batch stays rectangular.
      const feed = new Uint32Array(B);
      for (let b = 0; b < B; b++) feed[b] = tokens[b] >= 0 ? tokens[b] : (opts.eosTokenId ?? 0);
      logits = model.decode(cache, feed, 1);
    }
  } finally {
    // Also reached when the consumer stops pulling early.
    if (logits) be.release(logits);
    if (greedyIds) be.release(greedyIds);
    if (sampledIds) be.release(sampledIds);
    model.releaseKVCache(cache);
  }
}

/** Runs generation to the end and returns each sequence's completion ids. */
export async function generateAll(
  model: GPT2Model,
  promptIds: readonly number[],
  opts: GenerateOptions,
): Promise<number[][]> {
  const out = Array.from({ length: opts.numSequences }, () => [] as number[]);
  for await (const s of generateTokens(model, promptIds, opts)) {
    s.tokens.forEach((t, b) => {
      if (t >= 0) out[b].push(t);
    });
  }
  return out;
}
