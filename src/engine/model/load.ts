import type { Backend } from '../backend';
import { TextTokenizer } from '../tokenizer';
import { estimateParams, parseHfGpt2Config, type GPT2Config } from './config';
import { GPT2Model } from './gpt2';
import { readSafetensors } from './safetensors';

/** The three files of a GPT-2 checkpoint directory, already read (no code in them runs). */
export interface ModelFiles {
  name: string;
  config: unknown;
  tokenizer: unknown;
  weights: ArrayBuffer;
}

export interface LoadedPolicy {
  name: string;
  config: GPT2Config;
  model: GPT2Model;
  tokenizer: TextTokenizer;
  /** End-of-text id: config.json's eos_token_id, else the tokenizer's <|endoftext|>. */
  eosTokenId: number | null;
}

/**
 * Size caps checked before a checkpoint file is read (a model.safetensors linked to /dev/zero
 * once grew to 7 GB). The weights cap holds MAX_PARAMETERS (200 M) even as float64 (1.6 GB)
 * and stays under Node's 2 GiB single-read limit; the JSON caps are loose bounds (the shipped
 * tokenizer.json is 97 KB, its config.json 579 bytes) that only stop a runaway file.
 */
export const MAX_FILE_BYTES: Readonly<Record<'config.json' | 'tokenizer.json' | 'model.safetensors', number>> = {
  'config.json': 16 * 1024 * 1024,
  'tokenizer.json': 64 * 1024 * 1024,
  'model.safetensors': 2 * 1024 * 1024 * 1024 - 1,
};

/** Refuses a model.safetensors larger than its config.json can justify (call before reading it). */
export function checkWeightsFitConfig(bytes: number, config: GPT2Config, shownName = 'model.safetensors'): void {
  const max = maxWeightsBytes(config);
  if (bytes > max) throw new Error(`${shownName}: ${bytes} bytes is more than config.json's shape can fill (at most ${max})`);
}

/** Refuses a checkpoint file above its cap; call it with the size before reading the bytes. */
export function checkModelFileSize(file: keyof typeof MAX_FILE_BYTES, bytes: number, shownName: string = file): void {
  if (bytes > MAX_FILE_BYTES[file]) {
    throw new Error(`${shownName}: ${bytes} bytes is over the ${MAX_FILE_BYTES[file]}-byte limit for ${file}`);
  }
}

/**
 * The largest model.safetensors a config can justify, known before the weights are read: every
 * parameter plus the tensors a Hugging Face file may add (an lm_head copy of wte, a causal-mask
 * buffer per layer), all as float64, the widest dtype read, plus a header allowance (a GPT-2
 * header is about 100 bytes a tensor; 16 MiB leaves room for any __metadata__ seen in practice).
 */
export function maxWeightsBytes(c: GPT2Config): number {
  const values = estimateParams(c) + c.vocabSize * c.nEmbd + c.nLayer * (c.nPositions * c.nPositions + 1);
  return Math.min(MAX_FILE_BYTES['model.safetensors'], 8 + HEADER_ALLOWANCE_BYTES + 8 * values);
}
const HEADER_ALLOWANCE_BYTES = 16 * 1024 * 1024;

/** Text every GPT-2 byte-level BPE tokenizer must encode into several ids and decode back. */
const TOKENIZER_PROBE = 'The cat sat on the mat, 42 times.';

/** Checks tokenizer.json against config.json: every id it can produce is a row of wte. */
function checkTokenizerFitsConfig(tokenizer: TextTokenizer, config: GPT2Config): void {
  if (tokenizer.maxTokenId >= config.vocabSize) {
    throw new Error(
      `tokenizer.json: token id ${tokenizer.maxTokenId} is outside config.json's vocab_size ${config.vocabSize}`,
    );
  }
  let ids: number[];
  let back: string;
  try {
    ids = tokenizer.encode(TOKENIZER_PROBE);
    back = tokenizer.decode(ids, false);
  } catch (e) {
    throw new Error(`tokenizer.json: cannot encode and decode ${JSON.stringify(TOKENIZER_PROBE)} (${(e as Error).message})`);
  }
  if (back !== TOKENIZER_PROBE || new Set(ids).size < 2) {
    throw new Error(
      `tokenizer.json: ${JSON.stringify(TOKENIZER_PROBE)} encodes to [${ids.slice(0, 8)}${ids.length > 8 ? ',…' : ''}] and decodes to ${JSON.stringify(back.slice(0, 60))} (a degenerate tokenizer)`,
    );
  }
}

/** A checkpoint whose files passed every check, not yet on a backend. */
export interface CheckedCheckpoint {
  name: string;
  config: GPT2Config;
  tokenizer: TextTokenizer;
  weights: Map<string, Float32Array>;
}

/**
 * Every check on checkpoint files, with errors that name the file and the problem. Needs no
 * backend, so the engine runs it before it disposes the model it has: a bad file leaves the
 * open session's model in place.
 */
export function checkCheckpoint(files: ModelFiles): CheckedCheckpoint {
  const config = parseHfGpt2Config(files.config);
  const tokenizer = new TextTokenizer(files.tokenizer);
  checkTokenizerFitsConfig(tokenizer, config);
  checkModelFileSize('model.safetensors', files.weights.byteLength);
  checkWeightsFitConfig(files.weights.byteLength, config);
  const { tensors } = readSafetensors(files.weights);
  return { name: files.name, config, tokenizer, weights: GPT2Model.checkpointWeights(config, tensors) };
}

/** Puts a checked checkpoint on a backend. */
export function placePolicy(backend: Backend, checked: CheckedCheckpoint): LoadedPolicy {
  const { name, config, tokenizer } = checked;
  const model = new GPT2Model(backend, config, checked.weights);
  return { name, config, model, tokenizer, eosTokenId: config.eosTokenId ?? tokenizer.eosTokenId };
}

/** Builds a policy from checkpoint files, with errors that name the file and the problem. */
export function buildPolicy(backend: Backend, files: ModelFiles): LoadedPolicy {
  return placePolicy(backend, checkCheckpoint(files));
}
