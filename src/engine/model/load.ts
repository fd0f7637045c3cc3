import type { Backend } from '../backend';
import { TextTokenizer } from '../tokenizer';
import { parseHfGpt2Config, type GPT2Config } from './config';
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

/** Builds a policy from checkpoint files, with errors that name the file and the problem. */
export function buildPolicy(backend: Backend, files: ModelFiles): LoadedPolicy {
  const config = parseHfGpt2Config(files.config);
  const tokenizer = new TextTokenizer(files.tokenizer);
  if (tokenizer.vocabSize > config.vocabSize) {
    throw new Error(
      `tokenizer.json has ${tokenizer.vocabSize} tokens but config.json's vocab_size is ${config.vocabSize}`,
    );
  }
  const { tensors } = readSafetensors(files.weights);
  const model = GPT2Model.fromCheckpoint(backend, config, tensors);
  return { name: files.name, config, model, tokenizer, eosTokenId: config.eosTokenId ?? tokenizer.eosTokenId };
}
