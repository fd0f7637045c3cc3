#!/usr/bin/env node
// Check models/default/tokenizer.json with the @huggingface/tokenizers package:
//   node scripts/corpus/verify_tokenizer.mjs
// For the first 200 held-out texts, HF encode() must equal our trainer's encoding (.work/corpus/test.ids.json)
// and decode(encode(x)) must equal x. Also checks that <|endoftext|> is encoded as the single special id.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Tokenizer } from '@huggingface/tokenizers';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const tj = JSON.parse(fs.readFileSync(path.join(ROOT, 'models/default/tokenizer.json'), 'utf8'));
const tc = JSON.parse(fs.readFileSync(path.join(ROOT, 'models/default/tokenizer_config.json'), 'utf8'));
const tok = new Tokenizer(tj, tc);
const texts = fs.readFileSync(path.join(ROOT, '.work/corpus/test.txt'), 'utf8').split('\n').filter(Boolean);
const ours = JSON.parse(fs.readFileSync(path.join(ROOT, '.work/corpus/test.ids.json'), 'utf8'));
let bad = 0;
const N = Math.min(200, texts.length);
for (let i = 0; i < N; i++) {
  const ids = tok.encode(texts[i], { add_special_tokens: false }).ids;
  if (JSON.stringify(ids) !== JSON.stringify(ours[i])) {
    bad++;
    if (bad < 4) console.log('MISMATCH', i, texts[i], '\n hf ', ids.slice(0, 30), '\n ours', ours[i].slice(0, 30));
  }
  const dec = tok.decode(ids, { skip_special_tokens: false });
  if (dec !== texts[i]) { bad++; if (bad < 4) console.log('ROUNDTRIP', i, JSON.stringify(texts[i]), JSON.stringify(dec)); }
}
const eos = tok.encode('<|endoftext|>Hello', { add_special_tokens: false }).ids;
if (eos[0] !== 4095) { bad++; console.log('EOS not special:', eos); }
console.log(`checked ${N} held-out texts: ${bad === 0 ? 'OK, identical encodings and exact round trip' : bad + ' failures'}`);
process.exit(bad === 0 ? 0 : 1);
