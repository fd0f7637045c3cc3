// The shipped fluency judge through JudgeService on onnxruntime-web's wasm EP in Node (the same
// runtime code the judge worker runs; WebGPU is covered by tests/browser/judges.test.ts).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { JudgeService, judgeErrorCode, type JudgeInfo } from '../../src/engine/judges/index.ts';

const DIR = path.join(import.meta.dirname, '../../models/judges/fluency');

interface HeldoutPair {
  degradation: string;
  real: string;
  degraded: string;
  pytorch_scores: { real: number; degraded: number };
}

const read = (name: string) => fs.readFileSync(path.join(DIR, name));
const files = () => ({
  kind: 'files' as const,
  name: 'model.onnx',
  model: new Uint8Array(read('model.onnx')).buffer,
  tokenizer: read('tokenizer.json').toString('utf8'),
  manifest: read('judge.json').toString('utf8'),
});

describe('fluency judge on onnxruntime-web (Node, wasm)', () => {
  const service = new JudgeService();
  let info: JudgeInfo;
  // Loading ORT's wasm takes a few seconds, more on a busy machine.
  beforeAll(async () => {
    info = await service.load(files(), { executionProvider: 'wasm' });
  }, 120_000);
  afterAll(async () => {
    if (info) await service.unload(info.handle);
  });

  it('has the signature judge.json promises and stays small', () => {
    expect(info.kind).toBe('pointwise');
    expect(info.executionProvider).toBe('wasm');
    expect(info.inputNames).toEqual(['input_ids', 'attention_mask']);
    expect(info.outputName).toBe('scores');
    const bytes = ['model.onnx', 'tokenizer.json', 'judge.json', 'JUDGE_CARD.md', 'heldout_pairs.json'].reduce((s, f) => s + read(f).byteLength, 0);
    expect(bytes).toBeLessThan(6 * 1024 * 1024);
  });

  it('reproduces the PyTorch scores of the held-out pairs and prefers the real text', async () => {
    const pairs = (JSON.parse(read('heldout_pairs.json').toString('utf8')) as { pairs: HeldoutPair[] }).pairs;
    const texts = pairs.flatMap((p) => [p.real, p.degraded]);
    const expected = pairs.flatMap((p) => [p.pytorch_scores.real, p.pytorch_scores.degraded]);
    const scores = await service.score(info.handle, 'any prompt: the fluency judge ignores it', texts);
    scores.forEach((s, i) => expect(Math.abs(s - expected[i]!)).toBeLessThan(1e-4));
    const wins = pairs.filter((_, i) => scores[2 * i]! > scores[2 * i + 1]!).length;
    expect(wins / pairs.length).toBeGreaterThan(0.5);
    // A batch of one gives the same score as inside a padded batch (the mask hides the padding).
    const [alone] = await service.score(info.handle, '', [texts[1]!]);
    expect(Math.abs(alone! - scores[1]!)).toBeLessThan(1e-4);
  });

  it('a model whose output is renamed fails at load, naming the output', async () => {
    const f = files();
    const bytes = new Uint8Array(f.model);
    const name = Buffer.from('scores');
    let hits = 0;
    for (let i = bytes.indexOf(name[0]!); i >= 0; i = bytes.indexOf(name[0]!, i + 1)) {
      if (Buffer.from(bytes.subarray(i, i + name.length)).equals(name)) {
        bytes.set(Buffer.from('logits'), i);
        hits++;
      }
    }
    expect(hits).toBeGreaterThan(0);
    const e = await service.load({ ...f, model: bytes.buffer }, { executionProvider: 'wasm' }).then(
      () => null,
      (err: Error) => err,
    );
    expect(e && judgeErrorCode(e)).toBe('BAD_MODEL');
    expect(e?.message).toContain('model.onnx has no output "scores" (judge.json output_name); the model\'s outputs are "logits"');
  });

  it('truncated bytes fail at load with BAD_MODEL', async () => {
    const f = files();
    const e = await service.load({ ...f, model: f.model.slice(0, 1000) }, { executionProvider: 'wasm' }).then(
      () => null,
      (err: Error) => err,
    );
    expect(e?.message).toMatch(/^BAD_MODEL: model\.onnx \(1000 bytes\) could not be loaded by onnxruntime-web on wasm/);
  });

  it('WebGPU is refused where there is none, with the reason', async () => {
    const e = await service.load(files(), { executionProvider: 'webgpu' }).then(
      () => null,
      (err: Error) => err,
    );
    expect(e && judgeErrorCode(e)).toBe('EP_UNAVAILABLE');
  });
});
