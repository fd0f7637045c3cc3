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

export type ProgressFn = (p: { phase: string; loaded: number; total: number }) => void;

/** Fetches a checkpoint directory over HTTP (the shipped default, or a user's URL), with progress. */
export async function fetchModelFiles(baseUrl: string, onProgress?: ProgressFn, fetchFn: typeof fetch = fetch): Promise<ModelFiles> {
  const base = baseUrl.endsWith('/') ? baseUrl : baseUrl + '/';
  const getJson = async (file: string) => {
    const r = await fetchFn(base + file);
    if (!r.ok) throw new Error(`${file}: HTTP ${r.status} from ${base + file}`);
    try {
      return await r.json();
    } catch {
      throw new Error(`${file}: not valid JSON`);
    }
  };
  const [config, tokenizer] = await Promise.all([getJson('config.json'), getJson('tokenizer.json')]);
  const r = await fetchFn(base + 'model.safetensors');
  if (!r.ok) throw new Error(`model.safetensors: HTTP ${r.status} from ${base}model.safetensors`);
  const total = Number(r.headers.get('content-length') ?? 0);
  if (!r.body) return { name: base, config, tokenizer, weights: await r.arrayBuffer() };
  const reader = r.body.getReader();
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.byteLength;
    onProgress?.({ phase: 'weights', loaded, total });
  }
  const weights = new Uint8Array(loaded);
  let off = 0;
  for (const c of chunks) {
    weights.set(c, off);
    off += c.byteLength;
  }
  return { name: base, config, tokenizer, weights: weights.buffer };
}
