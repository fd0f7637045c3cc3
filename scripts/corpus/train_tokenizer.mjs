#!/usr/bin/env node
// Train the byte-level BPE tokenizer of the default policy and encode the corpus.
//
//   node scripts/corpus/train_tokenizer.mjs        (after build_corpus.mjs)
//
// - GPT-2 pre-tokenization regex, GPT-2 bytes_to_unicode byte alphabet.
// - Vocabulary 4096: ids 0..255 are the 256 single bytes (id = byte value), 256..4094 are 3839 merges in
//   merge order, 4095 is <|endoftext|> (special; also BOS/EOS/PAD).
// - Incremental pair-count trainer: pair counts and a pair -> words index are updated only for the words
//   touched by each merge. Ties in the count go to the smallest (left id, right id) pair, so training is
//   deterministic.
// Writes:
//   models/default/tokenizer.json, models/default/tokenizer_config.json
//   .work/corpus/train.ids.bin (uint16 LE; every text preceded by <|endoftext|>, one stream)
//   .work/corpus/test.ids.json  (array of per-text id arrays, no EOS)
//   .work/corpus/tokenizer_stats.json
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CORPUS = path.join(ROOT, '.work/corpus');
const MODEL_DIR = path.join(ROOT, 'models/default');
const VOCAB_SIZE = 4096;
const EOS = '<|endoftext|>';
const EOS_ID = VOCAB_SIZE - 1;
const N_MERGES = VOCAB_SIZE - 256 - 1;
export const PRETOKENIZE = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

export function bytesToUnicode() {
  const bs = [];
  for (let i = 33; i <= 126; i++) bs.push(i);
  for (let i = 161; i <= 172; i++) bs.push(i);
  for (let i = 174; i <= 255; i++) bs.push(i);
  const cs = bs.slice();
  let n = 0;
  for (let b = 0; b < 256; b++) if (!bs.includes(b)) { bs.push(b); cs.push(256 + n); n++; }
  const m = new Array(256);
  bs.forEach((b, i) => { m[b] = String.fromCodePoint(cs[i]); });
  return m;
}
const B2U = bytesToUnicode();
const enc = new TextEncoder();
const byteIds = (word) => Array.from(enc.encode(word));

function main() {
  const t0 = Date.now();
  const trainTexts = fs.readFileSync(path.join(CORPUS, 'train.txt'), 'utf8').split('\n').filter(Boolean);
  const testTexts = fs.readFileSync(path.join(CORPUS, 'test.txt'), 'utf8').split('\n').filter(Boolean);

  // 1. word counts
  const counts = new Map();
  for (const t of trainTexts) for (const m of t.match(PRETOKENIZE) ?? []) counts.set(m, (counts.get(m) ?? 0) + 1);
  const wordStrs = [...counts.keys()].sort();
  const words = wordStrs.map(byteIds);
  const freq = wordStrs.map((w) => counts.get(w));
  console.log(`distinct pre-tokens ${words.length}, ${(Date.now() - t0) / 1000}s`);

  // 2. incremental BPE
  const K = 4096; // pair key = a*K + b
  const pairCount = new Map();
  const pairWords = new Map(); // key -> Set(word index)
  const addPair = (key, wi, c) => {
    pairCount.set(key, (pairCount.get(key) ?? 0) + c);
    let s = pairWords.get(key);
    if (!s) { s = new Set(); pairWords.set(key, s); }
    s.add(wi);
  };
  words.forEach((w, wi) => { for (let i = 0; i + 1 < w.length; i++) addPair(w[i] * K + w[i + 1], wi, freq[wi]); });

  const tokStr = B2U.slice(); // id -> byte-level string
  const merges = [];
  for (let m = 0; m < N_MERGES; m++) {
    let best = -1, bestC = 0;
    for (const [k, c] of pairCount) if (c > bestC || (c === bestC && c > 0 && k < best)) { best = k; bestC = c; }
    if (best < 0 || bestC <= 0) throw new Error(`ran out of pairs at merge ${m}`);
    const a = Math.floor(best / K), b = best % K, nid = 256 + m;
    merges.push([a, b]);
    tokStr.push(tokStr[a] + tokStr[b]);
    const affected = pairWords.get(best);
    pairWords.delete(best);
    pairCount.delete(best);
    for (const wi of affected) {
      const w = words[wi], f = freq[wi];
      // remove old pairs of this word
      for (let i = 0; i + 1 < w.length; i++) {
        const k = w[i] * K + w[i + 1];
        if (k === best) continue;
        pairCount.set(k, pairCount.get(k) - f);
      }
      const nw = [];
      for (let i = 0; i < w.length; i++) {
        if (i + 1 < w.length && w[i] === a && w[i + 1] === b) { nw.push(nid); i++; } else nw.push(w[i]);
      }
      words[wi] = nw;
      for (let i = 0; i + 1 < nw.length; i++) addPair(nw[i] * K + nw[i + 1], wi, f);
      // note: stale wi entries in pairWords sets of pairs no longer in this word are harmless (they are
      // skipped by the count bookkeeping since we recompute from the current word each time)
    }
    for (const [k, c] of pairCount) if (c === 0) { pairCount.delete(k); pairWords.delete(k); }
    if (m % 500 === 0) console.log(`merge ${m} ${JSON.stringify(tokStr[nid])} count ${bestC} ${(Date.now() - t0) / 1000}s`);
  }
  // The zero-count sweep above is O(pairs) per merge; fine at this size (a few seconds).

  // 3. encoder (rank-based, like HF BPE)
  const rank = new Map(merges.map(([a, b], i) => [a * K + b, i]));
  const cache = new Map();
  function encodeWord(word) {
    let ids = cache.get(word);
    if (ids) return ids;
    ids = byteIds(word);
    for (;;) {
      let bi = -1, br = Infinity;
      for (let i = 0; i + 1 < ids.length; i++) {
        const r = rank.get(ids[i] * K + ids[i + 1]);
        if (r !== undefined && r < br) { br = r; bi = i; }
      }
      if (bi < 0) break;
      const [a, b] = merges[br];
      const nw = [];
      for (let i = 0; i < ids.length; i++) {
        if (i + 1 < ids.length && ids[i] === a && ids[i + 1] === b) { nw.push(256 + br); i++; } else nw.push(ids[i]);
      }
      ids = nw;
    }
    cache.set(word, ids);
    return ids;
  }
  const encode = (text) => (text.match(PRETOKENIZE) ?? []).flatMap(encodeWord);

  // 4. tokenizer.json
  const vocab = {};
  tokStr.forEach((s, i) => { vocab[s] = i; });
  if (Object.keys(vocab).length !== VOCAB_SIZE - 1) throw new Error('duplicate token strings');
  vocab[EOS] = EOS_ID;
  const tokenizerJson = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [{ id: EOS_ID, content: EOS, single_word: false, lstrip: false, rstrip: false, normalized: true, special: true }],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '',
      fuse_unk: false, byte_fallback: false, ignore_merges: false,
      vocab,
      merges: merges.map(([a, b]) => `${tokStr[a]} ${tokStr[b]}`),
    },
  };
  const tokenizerConfig = {
    tokenizer_class: 'GPT2Tokenizer', add_prefix_space: false, model_max_length: 128,
    bos_token: EOS, eos_token: EOS, unk_token: EOS, pad_token: EOS, clean_up_tokenization_spaces: false,
    added_tokens_decoder: { [EOS_ID]: { content: EOS, lstrip: false, normalized: true, rstrip: false, single_word: false, special: true } },
  };
  fs.mkdirSync(MODEL_DIR, { recursive: true });
  fs.writeFileSync(path.join(MODEL_DIR, 'tokenizer.json'), JSON.stringify(tokenizerJson));
  fs.writeFileSync(path.join(MODEL_DIR, 'tokenizer_config.json'), JSON.stringify(tokenizerConfig, null, 2) + '\n');

  // 5. encode corpus
  const stream = [];
  for (const t of trainTexts) { stream.push(EOS_ID); for (const id of encode(t)) stream.push(id); }
  stream.push(EOS_ID);
  fs.writeFileSync(path.join(CORPUS, 'train.ids.bin'), Buffer.from(Uint16Array.from(stream).buffer));
  const testIds = testTexts.map(encode);
  fs.writeFileSync(path.join(CORPUS, 'test.ids.json'), JSON.stringify(testIds));
  const testTok = testIds.reduce((a, x) => a + x.length, 0);
  const stats = {
    vocabSize: VOCAB_SIZE, merges: merges.length, trainTexts: trainTexts.length, trainTokensWithEos: stream.length,
    testTexts: testTexts.length, testTokens: testTok,
    bytesPerToken: testTexts.reduce((a, t) => a + enc.encode(t).length, 0) / testTok, seconds: (Date.now() - t0) / 1000,
  };
  fs.writeFileSync(path.join(CORPUS, 'tokenizer_stats.json'), JSON.stringify(stats, null, 2) + '\n');
  console.log(JSON.stringify(stats));
}

if (import.meta.url === `file://${process.argv[1]}`) main();
