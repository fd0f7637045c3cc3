import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readSafetensors, writeSafetensors } from '../../src/engine/model/safetensors';
import { buildPolicy } from '../../src/engine/model/load';
import { CpuBackend } from '../../src/engine/backends/cpu';
import { TextTokenizer } from '../../src/engine/tokenizer';
import { main } from '../../src/cli/main';
import type { CliIO } from '../../src/cli/io';
import { tinyCheckpoint } from '../support/tiny_checkpoint';

const ab = (u: Uint8Array) => u.buffer.slice(u.byteOffset, u.byteOffset + u.byteLength) as ArrayBuffer;

describe('safetensors', () => {
  it('round-trips tensors and aligns the data section', () => {
    const bytes = writeSafetensors([
      { name: 'a', shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) },
      { name: 'b', shape: [1], data: Float32Array.of(-7.5) },
    ], { format: 'pt' });
    expect((Number(new DataView(bytes.buffer).getBigUint64(0, true)) + 8) % 8).toBe(0);
    const { tensors, metadata } = readSafetensors(ab(bytes));
    expect([...tensors.get('a')!.data]).toEqual([1, 2, 3, 4, 5, 6]);
    expect(tensors.get('b')!.shape).toEqual([1]);
    expect(metadata.format).toBe('pt');
  });

  it('names the problem in bad files', () => {
    const good = writeSafetensors([{ name: 'w', shape: [4], data: new Float32Array(4) }]);
    expect(() => readSafetensors(new ArrayBuffer(3))).toThrow(/too short/);
    expect(() => readSafetensors(ab(good.slice(0, good.length - 4)))).toThrow(/truncated/);
    const wrongHeader = good.slice();
    new DataView(wrongHeader.buffer).setBigUint64(0, 1n << 40n, true);
    expect(() => readSafetensors(ab(wrongHeader))).toThrow(/header length/);
    const notJson = good.slice();
    notJson[8] = 0x7a; // 'z' where '{' was
    expect(() => readSafetensors(ab(notJson))).toThrow(/not valid JSON/);
  });
});

describe('checkpoint loading', () => {
  it('rejects a missing tensor and a shape mismatch with the tensor name', () => {
    const ck = tinyCheckpoint();
    const { tensors } = readSafetensors(ab(ck.safetensors));
    const entries = [...tensors].map(([name, t]) => ({ name, shape: t.shape, data: t.data }));
    const missing = writeSafetensors(entries.filter((e) => e.name !== 'h.1.mlp.c_fc.bias'));
    expect(() => buildPolicy(new CpuBackend(), { name: 't', config: ck.hfConfig, tokenizer: ck.tokenizer, weights: ab(missing) }))
      .toThrow(/missing tensor "h\.1\.mlp\.c_fc\.bias"/);
    const reshaped = writeSafetensors(entries.map((e) => (e.name === 'wpe.weight' ? { ...e, shape: [e.shape[1], e.shape[0]] } : e)));
    expect(() => buildPolicy(new CpuBackend(), { name: 't', config: ck.hfConfig, tokenizer: ck.tokenizer, weights: ab(reshaped) }))
      .toThrow(/"wpe\.weight" has shape \[16,48\] but config\.json implies \[48,16\]/);
    expect(() => buildPolicy(new CpuBackend(), { name: 't', config: { ...ck.hfConfig, n_head: 3 }, tokenizer: ck.tokenizer, weights: ab(ck.safetensors) }))
      .toThrow(/not divisible by n_head/);
    expect(() => buildPolicy(new CpuBackend(), { name: 't', config: { n_layer: 2 }, tokenizer: ck.tokenizer, weights: ab(ck.safetensors) }))
      .toThrow(/config\.json: n_head/);
  });

  it('accepts the transformer.-prefixed names and the buffers Hugging Face checkpoints carry', () => {
    const ck = tinyCheckpoint();
    const { tensors } = readSafetensors(ab(ck.safetensors));
    const entries = [...tensors].map(([name, t]) => ({ name: 'transformer.' + name, shape: t.shape, data: t.data }));
    entries.push({ name: 'transformer.h.0.attn.bias', shape: [1, 1, 4, 4], data: new Float32Array(16) });
    entries.push({ name: 'lm_head.weight', shape: tensors.get('wte.weight')!.shape, data: tensors.get('wte.weight')!.data });
    const p = buildPolicy(new CpuBackend(), { name: 't', config: ck.hfConfig, tokenizer: ck.tokenizer, weights: ab(writeSafetensors(entries)) });
    expect(p.model.specs.length).toBe(2 + 12 * 2 + 2);
    expect(p.eosTokenId).toBe(ck.config.vocabSize - 1);
  });

  it('tokenizer.json: byte-level BPE round-trips text and applies merges', () => {
    const tok = new TextTokenizer(tinyCheckpoint().tokenizer);
    const text = 'the cat, the hat — naïve 123';
    const ids = tok.encode(text);
    expect(tok.decode(ids)).toBe(text);
    expect(tok.encode(' the')).toEqual([258]); // Ġ + the merged
    expect(tok.decode([])).toBe(''); // an empty completion (EOS first) decodes to ''
    expect(() => new TextTokenizer({ model: { type: 'WordPiece', vocab: {} } })).toThrow(/not supported/);
    expect(() => new TextTokenizer({})).toThrow(/model\.vocab/);
  });
});

describe('command line', () => {
  let dir = '';
  beforeAll(() => {
    const ck = tinyCheckpoint(3);
    dir = mkdtempSync(path.join(tmpdir(), 'duelbook-ck-'));
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify(ck.hfConfig));
    writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(ck.tokenizer));
    writeFileSync(path.join(dir, 'model.safetensors'), ck.safetensors);
  });
  const run = async (argv: string[]) => {
    let out = '';
    let err = '';
    const io: CliIO = { stdout: (s) => (out += s), stderr: (s) => (err += s), readFile: async () => '', isTTY: false };
    const code = await main(argv, io);
    return { code, out, err };
  };

  it('generate --json is seeded and top-k 1 is greedy', async () => {
    const a = await run(['generate', '--model', dir, '--prompt', 'the cat', '--max-tokens', '6', '--seed', '4', '--json']);
    expect(a.code).toBe(0);
    const ja = JSON.parse(a.out);
    expect(ja.ids.length).toBeLessThanOrEqual(6);
    const b = await run(['generate', '--model', dir, '--prompt', 'the cat', '--max-tokens', '6', '--seed', '4', '--json']);
    expect(JSON.parse(b.out)).toEqual(ja);
    const g1 = await run(['generate', '--model', dir, '--prompt', 'the', '--max-tokens', '5', '--temperature', '0', '--json']);
    const g2 = await run(['generate', '--model', dir, '--prompt', 'the', '--max-tokens', '5', '--top-k', '1', '--seed', '9', '--json']);
    expect(JSON.parse(g2.out)).toEqual(JSON.parse(g1.out));
  });

  it('logprobs --ids and --text agree, one value per token after the first', async () => {
    const t = await run(['logprobs', '--model', dir, '--text', 'the hat', '--json']);
    expect(t.code).toBe(0);
    const jt = JSON.parse(t.out);
    expect(jt.logprobs.length).toBe(jt.ids.length - 1);
    expect(jt.logprobs.every((x: number) => x < 0)).toBe(true);
    const i = await run(['logprobs', '--model', dir, '--ids', jt.ids.join(','), '--json']);
    expect(JSON.parse(i.out)).toEqual(jt);
  });

  it('reports usage errors with exit code 2', async () => {
    expect((await run(['generate', '--model', dir])).err).toMatch(/--prompt is required/);
    const bad = await run(['logprobs', '--model', dir, '--ids', '1,x', '--json']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/item 2/);
    expect((await run(['nope'])).code).toBe(2);
    const missing = await run(['generate', '--model', '/nonexistent', '--prompt', 'a']);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/config\.json: file not found/);
  });
});
