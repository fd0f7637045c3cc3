// Tokenizer bridge for scripts/judge/train_judge.py (Debian's Python has no `tokenizers`):
//   echo '{"encode": ["text", ...], "decode": [[ids], ...]}' | node --import tsx scripts/judge/tokenize.ts TOKENIZER_JSON
// prints {"encode": [[ids], ...], "decode": ["text", ...]}.
// It goes through src/engine/tokenizer.ts, the very class the ONNX judge worker tokenizes with, so
// the ids the judge is trained on are the ids it sees in the browser.
import fs from 'node:fs';
import { TextTokenizer } from '../../src/engine/tokenizer.ts';

const tokenizerPath = process.argv[2];
if (!tokenizerPath) {
  process.stderr.write('usage: tokenize.ts TOKENIZER_JSON < request.json\n');
  process.exit(2);
}
const tokenizer = new TextTokenizer(JSON.parse(fs.readFileSync(tokenizerPath, 'utf8')), tokenizerPath);
const request = JSON.parse(fs.readFileSync(0, 'utf8')) as { encode?: string[]; decode?: number[][] };
const response = {
  encode: (request.encode ?? []).map((text) => tokenizer.encode(text)),
  decode: (request.decode ?? []).map((ids) => tokenizer.decode(ids)),
};
process.stdout.write(JSON.stringify(response));
