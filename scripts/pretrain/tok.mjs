#!/usr/bin/env node
// Tokenizer helper for the Python scripts (uses the official @huggingface/tokenizers package):
//   echo '{"encode": ["text", ...], "decode": [[ids], ...]}' | node scripts/pretrain/tok.mjs [model_dir]
// prints {"encode": [[ids], ...], "decode": ["text", ...]} (no special tokens added; decode keeps specials).
import fs from 'node:fs';
import path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';

const dir = process.argv[2] ?? 'models/default';
const tok = new Tokenizer(JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer.json'), 'utf8')),
  JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer_config.json'), 'utf8')));
const req = JSON.parse(fs.readFileSync(0, 'utf8'));
const out = {
  encode: (req.encode ?? []).map((t) => tok.encode(t, { add_special_tokens: false }).ids),
  decode: (req.decode ?? []).map((ids) => (ids.length ? tok.decode(ids, { skip_special_tokens: false }) : '')),
};
process.stdout.write(JSON.stringify(out));
