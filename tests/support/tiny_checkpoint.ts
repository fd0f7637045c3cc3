import type { ModelSource } from '../../src/engine/api';
import { writeSafetensors } from '../../src/engine/model/safetensors';
import { toHfGpt2Config, gpt2ParamSpecs, type GPT2Config } from '../../src/engine/model/config';
import { randomWeights } from './tiny_model';

/** GPT-2's byte → printable-unicode table (bytes_to_unicode in the original encoder). */
export function bytesToUnicode(): string[] {
  const bs: number[] = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n++);
    }
  }
  const table = new Array<string>(256);
  bs.forEach((b, i) => (table[b] = String.fromCharCode(cs[i])));
  return table;
}

/** A valid Hugging Face byte-level BPE tokenizer.json with the 256 bytes, a few merges and EOS. */
export function byteLevelTokenizerJson(merges: [string, string][] = [['t', 'h'], ['th', 'e'], ['Ġ', 'the']]) {
  const vocab: Record<string, number> = {};
  bytesToUnicode().forEach((ch, i) => (vocab[ch] = i));
  let id = 256;
  for (const [a, b] of merges) vocab[a + b] = id++;
  const eos = id;
  vocab['<|endoftext|>'] = eos;
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [{ id: eos, content: '<|endoftext|>', single_word: false, lstrip: false, rstrip: false, normalized: true, special: true }],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '',
      fuse_unk: false, byte_fallback: false, ignore_merges: false,
      vocab, merges: merges.map(([a, b]) => `${a} ${b}`),
    },
  };
}

/** A random tiny GPT-2 checkpoint (config.json, tokenizer.json, model.safetensors) in memory. */
export function tinyCheckpoint(seed = 1) {
  const tokenizer = byteLevelTokenizerJson();
  const vocabSize = Object.keys(tokenizer.model.vocab).length;
  const config: GPT2Config = { nLayer: 2, nHead: 2, nEmbd: 16, vocabSize, nPositions: 48, layerNormEpsilon: 1e-5, eosTokenId: vocabSize - 1 };
  const weights = randomWeights(config, seed, 0.1);
  const safetensors = writeSafetensors(gpt2ParamSpecs(config).map((s) => ({ name: s.name, shape: s.shape, data: weights.get(s.name)! })));
  return { config, hfConfig: toHfGpt2Config(config), tokenizer, safetensors };
}

/** The tiny checkpoint as the engine loads a model from files (`EngineService.loadModel`). */
export function tinyModelSource(seed = 9): ModelSource {
  const ck = tinyCheckpoint(seed);
  return { kind: 'files', name: 'tiny', config: JSON.stringify(ck.hfConfig), tokenizer: JSON.stringify(ck.tokenizer), weights: ck.safetensors.buffer.slice(0) as ArrayBuffer };
}
