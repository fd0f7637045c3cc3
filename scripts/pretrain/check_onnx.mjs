#!/usr/bin/env node
// Check models/default/model.onnx (weights as external data in model.safetensors) with onnxruntime-web (wasm)
// against the float64 PyTorch log-probs of tests/golden/default_model_logprobs.json:
//   node scripts/pretrain/check_onnx.mjs [model_dir] [golden.json]
// Runs the 4 golden sequences as one right-padded batch (also exercises the dynamic batch/seq axes).
import fs from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-web';

const dir = process.argv[2] ?? 'models/default';
const goldenPath = process.argv[3] ?? 'tests/golden/default_model_logprobs.json';
const golden = JSON.parse(fs.readFileSync(goldenPath, 'utf8'));
ort.env.wasm.numThreads = 1;
const session = await ort.InferenceSession.create(fs.readFileSync(path.join(dir, 'model.onnx')), {
  executionProviders: ['wasm'],
  externalData: [{ path: 'model.safetensors', data: fs.readFileSync(path.join(dir, 'model.safetensors')) }],
});
const seqs = golden.sequences.map((s) => s.ids);
const B = seqs.length, T = Math.max(...seqs.map((s) => s.length));
const ids = new BigInt64Array(B * T);
seqs.forEach((s, b) => s.forEach((x, t) => { ids[b * T + t] = BigInt(x); }));
const out = await session.run({ input_ids: new ort.Tensor('int64', ids, [B, T]) });
const logits = out.logits;
const V = logits.dims[2];
let maxErr = 0;
golden.sequences.forEach((s, b) => {
  for (let t = 0; t + 1 < s.ids.length; t++) {
    const row = logits.data.subarray((b * T + t) * V, (b * T + t + 1) * V);
    let m = -Infinity;
    for (const v of row) m = Math.max(m, v);
    let z = 0;
    for (const v of row) z += Math.exp(v - m);
    const lp = row[s.ids[t + 1]] - m - Math.log(z);
    maxErr = Math.max(maxErr, Math.abs(lp - s.logprobs[t]));
  }
});
console.log(`onnx logits dims ${logits.dims.join('x')}; max |log-prob - float64 golden| = ${maxErr.toExponential(3)}`);
process.exit(maxErr < 1e-3 ? 0 : 1);
