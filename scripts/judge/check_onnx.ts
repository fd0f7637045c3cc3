// Checks an exported judge with onnxruntime-web (Node, wasm EP) through the same runtime code the
// browser worker uses (manifest parsing, TextTokenizer, JudgeInputEncoder, OrtRuntime, OnnxPointwiseJudge):
//   node --import tsx scripts/judge/check_onnx.ts [judge_dir]
// Against heldout_pairs.json written by train_judge.py it checks that the TypeScript encoder builds
// exactly the token rows PyTorch scored, and that ORT reproduces the PyTorch scores (all texts in one
// padded batch, so the dynamic batch/seq axes and the padding mask are exercised too).
// The last stdout line is JSON: {"pairs", "ids_match", "max_abs_diff"}; exit 1 on a mismatch.
import fs from 'node:fs';
import path from 'node:path';
import { TextTokenizer } from '../../src/engine/tokenizer.ts';
import { parseJudgeManifest } from '../../src/engine/judges/manifest.ts';
import { OrtRuntime } from '../../src/engine/judges/ort_runtime.ts';
import { OnnxPointwiseJudge } from '../../src/engine/judges/onnx_judge.ts';

interface FixturePair {
  degradation: string;
  real: string;
  degraded: string;
  pytorch_scores: { real: number; degraded: number };
  real_ids: number[];
  degraded_ids: number[];
}

const dir = process.argv[2] ?? 'models/judges/fluency';
const manifest = parseJudgeManifest(JSON.parse(fs.readFileSync(path.join(dir, 'judge.json'), 'utf8')));
const tokenizer = new TextTokenizer(JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer.json'), 'utf8')));
const pairs = (JSON.parse(fs.readFileSync(path.join(dir, 'heldout_pairs.json'), 'utf8')) as { pairs: FixturePair[] }).pairs;

const runtime = new OrtRuntime();
const session = await runtime.createSession(new Uint8Array(fs.readFileSync(path.join(dir, 'model.onnx'))), 'wasm', 'model.onnx');
const judge = new OnnxPointwiseJudge('fluency', session, tokenizer, manifest);

let idsMatch = true;
for (const p of pairs) {
  for (const [text, ids] of [[p.real, p.real_ids], [p.degraded, p.degraded_ids]] as const) {
    const row = judge.encoder.pointwiseRow('', text);
    if (JSON.stringify(row) !== JSON.stringify(ids)) {
      idsMatch = false;
      console.log(`ids differ for ${JSON.stringify(text)}:\n  ts ${JSON.stringify(row)}\n  py ${JSON.stringify(ids)}`);
    }
  }
}
const texts = pairs.flatMap((p) => [p.real, p.degraded]);
const expected = pairs.flatMap((p) => [p.pytorch_scores.real, p.pytorch_scores.degraded]);
const scores = await judge.scoreCompletions('', texts);
const maxAbsDiff = Math.max(...scores.map((s, i) => Math.abs(s - expected[i]!)));
const preferred = pairs.filter((_, i) => scores[2 * i]! > scores[2 * i + 1]!).length;
console.log(`ORT wasm vs PyTorch on ${texts.length} texts: max |Δ| = ${maxAbsDiff.toExponential(2)}; real preferred in ${preferred}/${pairs.length} pairs`);
await judge.release();
console.log(JSON.stringify({ pairs: pairs.length, ids_match: idsMatch, max_abs_diff: maxAbsDiff }));
process.exit(idsMatch && maxAbsDiff < 1e-3 ? 0 : 1);
