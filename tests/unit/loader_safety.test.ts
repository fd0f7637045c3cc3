/**
 * Hostile checkpoints (issue 12's review): each case is a tiny checkpoint built here with one
 * thing wrong, and the loader must refuse it with one line naming the file and the field or
 * tensor, before allocating anything the file's size does not justify.
 */
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { mkdtempSync, writeFileSync, symlinkSync, mkdirSync, truncateSync, rmSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readSafetensors, writeSafetensors } from '../../src/engine/model/safetensors';
import { buildPolicy, type ModelFiles } from '../../src/engine/model/load';
import { parseHfGpt2Config, MAX_PARAMETERS, estimateParams, countParams } from '../../src/engine/model/config';
import { CpuBackend } from '../../src/engine/backends/cpu';
import { readModelDir } from '../../src/cli/model_dir';
import { main } from '../../src/cli/main';
import type { CliIO } from '../../src/cli/io';
import { tinyCheckpoint, byteLevelTokenizerJson } from '../support/tiny_checkpoint';
import { rawSafetensors } from '../support/raw_safetensors';

const ab = (u: Uint8Array) => u.buffer.slice(u.byteOffset, u.byteOffset + u.byteLength) as ArrayBuffer;

function files(patch: Partial<ModelFiles> & { configPatch?: Record<string, unknown> } = {}): ModelFiles {
  const ck = tinyCheckpoint();
  return {
    name: 'hostile',
    config: { ...ck.hfConfig, ...patch.configPatch },
    tokenizer: patch.tokenizer ?? ck.tokenizer,
    weights: patch.weights ?? ab(ck.safetensors),
  };
}
const load = (f: ModelFiles) => buildPolicy(new CpuBackend(), f);
/** The error a load throws, asserted to be one line. */
function loadError(f: ModelFiles): string {
  try {
    load(f);
  } catch (e) {
    const msg = (e as Error).message;
    expect(msg).not.toContain('\n');
    return msg;
  }
  throw new Error('the hostile checkpoint loaded');
}
/** The tiny checkpoint's tensors, to rewrite one of them. */
function tinyEntries() {
  const { tensors } = readSafetensors(ab(tinyCheckpoint().safetensors));
  return [...tensors].map(([name, t]) => ({ name, shape: t.shape, data: t.data.slice() }));
}

describe('config.json sizes are checked before anything is allocated', () => {
  it('refuses absurd and non-integer dimensions, and parameter counts over the cap, naming the field', () => {
    // Before: n_layer 1e9 loaded the config, then building 1.2e10 tensor specs ran out of memory
    // after 93 s; 5000 layers got as far as "missing tensor h.2…".
    expect(loadError(files({ configPatch: { n_layer: 5000 } }))).toMatch(/^config\.json: n_layer: .*1024/);
    const t0 = performance.now();
    expect(loadError(files({ configPatch: { n_layer: 1e9 } }))).toMatch(/^config\.json: n_layer: .*1000000000/);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(loadError(files({ configPatch: { n_embd: 16.5 } }))).toMatch(/^config\.json: n_embd: Invalid integer/);
    expect(loadError(files({ configPatch: { vocab_size: 0 } }))).toMatch(/^config\.json: vocab_size/);
    expect(loadError(files({ configPatch: { n_positions: 1e12 } }))).toMatch(/^config\.json: n_positions/);
    // Every field under its own cap, the product over MAX_PARAMETERS (GPT-2 XL's shape).
    expect(loadError(files({ configPatch: { n_layer: 48, n_embd: 1600, n_head: 25, vocab_size: 50257, n_positions: 1024 } })))
      .toMatch(/^config\.json: n_layer 48, n_embd 1600, vocab_size 50257, n_positions 1024 make 1\.56e\+9 parameters; the limit is 2e\+8/);
    // GPT-2 small (124 M) is under the cap.
    expect(() => parseHfGpt2Config({ n_layer: 12, n_head: 12, n_embd: 768, vocab_size: 50257, n_positions: 1024 })).not.toThrow();
    expect(MAX_PARAMETERS).toBe(200_000_000);
    // The closed form the cap uses agrees with the per-tensor count.
    for (const c of [tinyCheckpoint().config, parseHfGpt2Config(JSON.parse(readFileSync(new URL('../../models/default/config.json', import.meta.url), 'utf8')))]) {
      expect(estimateParams(c)).toBe(countParams(c));
    }
  });
});

describe('config.json: values that change the computation but are not implemented are refused by name', () => {
  const refused: [Record<string, unknown>, RegExp][] = [
    [{ tie_word_embeddings: false }, /^config\.json: tie_word_embeddings: false is not implemented/],
    [{ scale_attn_by_inverse_layer_idx: true }, /^config\.json: scale_attn_by_inverse_layer_idx: true is not implemented/],
    [{ scale_attn_weights: false }, /^config\.json: scale_attn_weights: false is not implemented/],
    [{ add_cross_attention: true }, /^config\.json: add_cross_attention: true is not implemented/],
    [{ n_inner: 48 }, /^config\.json: n_inner: 48 is not implemented \(the MLP width here is 4·n_embd = 64\)/],
    [{ activation_function: 'relu' }, /^config\.json: activation_function "relu" is not implemented/],
    // Hugging Face's "gelu" is the exact erf GELU; the kernels compute the tanh approximation.
    [{ activation_function: 'gelu' }, /^config\.json: activation_function "gelu" is not implemented/],
  ];
  it('refuses each by name, and accepts fields that do not change the computation and the shipped configs', () => {
    for (const [patch, message] of refused) expect(loadError(files({ configPatch: patch })), JSON.stringify(patch)).toMatch(message);
    const harmless = {
      architectures: ['GPT2LMHeadModel'], _name_or_path: 'gpt2', task_specific_params: { 'text-generation': { do_sample: true } },
      summary_type: 'cls_index', summary_use_proj: true, summary_activation: null, summary_proj_to_labels: true, summary_first_dropout: 0.1,
      resid_pdrop: 0.1, embd_pdrop: 0.1, attn_pdrop: 0.1, initializer_range: 0.02, use_cache: true, reorder_and_upcast_attn: true,
      n_inner: null, tie_word_embeddings: true, scale_attn_weights: true, scale_attn_by_inverse_layer_idx: false, activation_function: 'gelu_new',
    };
    expect(() => load(files({ configPatch: harmless }))).not.toThrow();
    expect(() => load(files({ configPatch: { n_inner: 64 } }))).not.toThrow();
    for (const dir of ['../../models/default/', '../golden/tiny_gpt2/']) {
      const json = JSON.parse(readFileSync(new URL(dir + 'config.json', import.meta.url), 'utf8'));
      expect(() => parseHfGpt2Config(json), dir).not.toThrow();
    }
  });
});

describe('special token ids and the tokenizer must fit the model', () => {
  it('refuses eos, bos and pad ids outside vocab_size', () => {
    const V = tinyCheckpoint().config.vocabSize;
    expect(loadError(files({ configPatch: { eos_token_id: V } }))).toBe(`config.json: eos_token_id ${V} is outside the vocabulary (vocab_size ${V})`);
    expect(loadError(files({ configPatch: { bos_token_id: 1e6 } }))).toMatch(/^config\.json: bos_token_id 1000000 is outside the vocabulary/);
    expect(loadError(files({ configPatch: { pad_token_id: V + 3 } }))).toMatch(/^config\.json: pad_token_id \d+ is outside the vocabulary/);
    expect(() => load(files({ configPatch: { eos_token_id: V - 1, bos_token_id: 0, pad_token_id: null } }))).not.toThrow();
  });

  it('refuses a degenerate tokenizer (every token on id 0, two tokens on one id, ids past vocab_size, text it cannot carry) and accepts a smaller one', () => {
    const allZero = byteLevelTokenizerJson();
    for (const k of Object.keys(allZero.model.vocab)) (allZero.model.vocab as Record<string, number>)[k] = 0;
    allZero.added_tokens[0].id = 0;
    expect(loadError(files({ tokenizer: allZero }))).toMatch(/^tokenizer\.json: tokens ".*" and ".*" share id 0 \(a degenerate vocabulary\)$/);

    const oneDuplicate = byteLevelTokenizerJson();
    (oneDuplicate.model.vocab as Record<string, number>).the = (oneDuplicate.model.vocab as Record<string, number>).th;
    expect(loadError(files({ tokenizer: oneDuplicate }))).toMatch(/^tokenizer\.json: tokens "th" and "the" share id 256/);

    // As many tokens as vocab_size, but one id far past it (the old check compared counts only).
    const sparse = byteLevelTokenizerJson();
    (sparse.model.vocab as Record<string, number>).the = 100_000;
    expect(loadError(files({ tokenizer: sparse }))).toMatch(/^tokenizer\.json: token id 100000 is outside config\.json's vocab_size \d+$/);
    // A tokenizer smaller than vocab_size is fine (padded embedding rows).
    const ck = tinyCheckpoint();
    const V = ck.config.vocabSize + 7;
    const C = ck.config.nEmbd;
    const padded = tinyEntries().map((e) =>
      e.name === 'wte.weight' ? { ...e, shape: [V, C], data: Float32Array.from({ length: V * C }, (_, i) => e.data[i] ?? 0) } : e,
    );
    expect(load({ name: 'padded', config: { ...ck.hfConfig, vocab_size: V }, tokenizer: ck.tokenizer, weights: ab(writeSafetensors(padded)) }).config.vocabSize).toBe(V);

    // Distinct ids, but without the byte tokens the probe sentence does not survive a round trip.
    const lettersOnly = byteLevelTokenizerJson([]);
    const vocab = lettersOnly.model.vocab as Record<string, number>;
    for (const k of Object.keys(vocab)) if (!/^[a-z<|>]/.test(k)) delete vocab[k];
    expect(loadError(files({ tokenizer: lettersOnly }))).toMatch(/^tokenizer\.json: "The cat sat on the mat, 42 times\." encodes to .* \(a degenerate tokenizer\)$/);
  });
});

describe('model.safetensors contents', () => {
  it('refuses NaN and infinite weights, naming the tensor and the index', () => {
    // Before: all-NaN weights loaded and `generate` printed empty text with exit code 0.
    const nan = tinyEntries().map((e) => (e.name === 'h.1.mlp.c_fc.weight' ? { ...e, data: e.data.fill(NaN) } : e));
    expect(loadError(files({ weights: ab(writeSafetensors(nan)) }))).toBe('model.safetensors: tensor "h.1.mlp.c_fc.weight" holds NaN at index 0 (weights must be finite)');
    const inf = tinyEntries().map((e) => {
      if (e.name === 'wte.weight') e.data[37] = -Infinity;
      return e;
    });
    expect(loadError(files({ weights: ab(writeSafetensors(inf)) }))).toBe('model.safetensors: tensor "wte.weight" holds -Infinity at index 37 (weights must be finite)');
  });

  it('refuses an LM head that is not the token embedding, and a parameter stored twice', () => {
    // Before: lm_head.weight was dropped unread, so an untied checkpoint ran with the wrong head.
    const entries = tinyEntries();
    const wte = entries.find((e) => e.name === 'wte.weight')!;
    const untied = [...entries, { name: 'lm_head.weight', shape: wte.shape, data: wte.data.map((x) => x * 2) }];
    expect(loadError(files({ weights: ab(writeSafetensors(untied)) }))).toBe(
      'model.safetensors: tensor "lm_head.weight" differs from "wte.weight" (an untied LM head is not implemented)',
    );
    const tied = [...entries, { name: 'lm_head.weight', shape: wte.shape, data: wte.data.slice() }];
    expect(() => load(files({ weights: ab(writeSafetensors(tied)) }))).not.toThrow();
    // Before: "transformer.wte.weight" silently replaced "wte.weight" (or the other way round).
    const twice = [...entries, { ...wte, name: 'transformer.wte.weight', data: wte.data.map((x) => -x) }];
    expect(loadError(files({ weights: ab(writeSafetensors(twice)) }))).toBe('model.safetensors: tensor "wte.weight" appears twice (with and without "transformer.")');
  });

  it('refuses overlapping, gapped, trailing and out-of-bounds data_offsets', () => {
    const t = (begin: number, end: number, shape = [(end - begin) / 4]) => ({ dtype: 'F32', shape, data_offsets: [begin, end] });
    const data = new Uint8Array(32);
    const read = (header: unknown, bytes = data) => () => readSafetensors(rawSafetensors(header, bytes));
    // Before: two tensors over the same bytes loaded (and the model computed garbage).
    expect(read({ a: t(0, 16), b: t(8, 24), c: t(24, 32) })).toThrow(
      /^model\.safetensors: tensor "b" \(bytes 8–24\) overlaps tensor "a" \(bytes 0–16\)$/,
    );
    expect(read({ a: t(0, 32), b: t(0, 32) })).toThrow(/overlaps/);
    // The format's README: "The byte buffer needs to be entirely indexed, and cannot contain holes."
    expect(read({ a: t(0, 8), b: t(16, 32) })).toThrow(/^model\.safetensors: bytes 8–16 of the data section belong to no tensor \(before "b"\)$/);
    expect(read({ a: t(0, 16) })).toThrow(/^model\.safetensors: the tensors cover 16 of the 32 data bytes/);
    expect(read({ a: t(0, 16), b: t(16, 40) })).toThrow(/tensor "b" .*data section/);
    expect(read({ a: t(0, 16), b: { dtype: 'F32', shape: [4], data_offsets: [16, 32.5] } })).toThrow(/tensor "b" has invalid data_offsets/);
    expect(read({ a: t(0, 16), b: { dtype: 'F32', shape: [4], data_offsets: [16, 32, 48] } })).toThrow(/tensor "b" has invalid data_offsets/);
    expect(read({ a: t(0, 32), __metadata__: { format: 1 } })).toThrow(/__metadata__ "format" is not a string/);
    // Empty tensors take no bytes and may sit anywhere in the tiling.
    expect(readSafetensors(rawSafetensors({ e: t(16, 16, [3, 0]), a: t(0, 16), b: t(16, 32) }, data)).tensors.get('e')!.shape).toEqual([3, 0]);
  });

  it('checks a shape against the data section before multiplying it out', () => {
    const huge = { w: { dtype: 'F32', shape: [2 ** 40, 2 ** 40, 2 ** 40], data_offsets: [0, 16] } };
    expect(() => readSafetensors(rawSafetensors(huge, new Uint8Array(16)))).toThrow(
      /^model\.safetensors: tensor "w" shape \[1099511627776,1099511627776,1099511627776\] F32 needs more than the 16-byte data section holds/,
    );
    const deep = { w: { dtype: 'F32', shape: new Array(64).fill(1), data_offsets: [0, 4] } };
    expect(() => readSafetensors(rawSafetensors(deep, new Uint8Array(4)))).toThrow(/tensor "w" has an invalid shape/);
  });
});

describe('readModelDir: the weights must be a regular file under the size cap', () => {
  let dir = '';
  beforeEach(() => {
    const ck = tinyCheckpoint();
    dir = mkdtempSync(path.join(tmpdir(), 'duelbook-hostile-'));
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify(ck.hfConfig));
    writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(ck.tokenizer));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const weights = () => path.join(dir, 'model.safetensors');
  /** readModelDir's error message; 'read' if it read the files (never printing their bytes). */
  const dirError = () => readModelDir(dir).then(() => 'read', (e: Error) => e.message);

  it('follows a symlink to a regular file, refuses one to /dev/zero, and the CLI exits 1 naming the file', { timeout: 5_000 }, async () => {
    const ck = tinyCheckpoint();
    writeFileSync(path.join(dir, 'real.safetensors'), ck.safetensors);
    symlinkSync(path.join(dir, 'real.safetensors'), weights());
    const f = await readModelDir(dir);
    expect(new Uint8Array(f.weights)).toEqual(ck.safetensors);
    expect(load(f).model.specs.length).toBe(2 + 12 * 2 + 2);
    rmSync(weights());
    // Before: readFile followed the link and grew a buffer of zeros to 7 GB.
    symlinkSync('/dev/zero', weights());
    expect(await dirError()).toBe(`${weights()}: is a device, not a regular file`);
    let err = '';
    const io: CliIO = { stdout: () => {}, stderr: (s) => (err += s), readFile: async () => '', isTTY: false };
    expect(await main(['generate', '--model', dir, '--prompt', 'a'], io)).toBe(1);
    expect(err).toContain('model.safetensors: is a device, not a regular file');
  });

  it('reads config.json first and refuses weights larger than its shape can fill, before reading them', async () => {
    // The tiny config (2 layers, 16 wide, 260 tokens) justifies at most 16 MiB of header and a few
    // hundred KB of float64 values; a 64 MiB sparse file is refused from its size.
    writeFileSync(weights(), '');
    truncateSync(weights(), 64 * 1024 * 1024);
    expect(await dirError()).toMatch(new RegExp(`^${weights()}: 67108864 bytes is more than config\\.json's shape can fill \\(at most \\d+\\)$`));
    // A bad config is refused before the weights are opened.
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ ...tinyCheckpoint().hfConfig, n_layer: 1e9 }));
    expect(await dirError()).toMatch(/^config\.json: n_layer: /);
  });

  it('refuses a FIFO without blocking on it', { timeout: 10_000 }, async () => {
    // Before: opening a FIFO with no writer never returned.
    execFileSync('mkfifo', [weights()]);
    expect(await dirError()).toBe(`${weights()}: is a FIFO, not a regular file`);
  });

  it('refuses a directory', async () => {
    mkdirSync(weights());
    expect(await dirError()).toBe(`${weights()}: is a directory, not a regular file`);
  });

  it('refuses a file over the cap from its size alone (a sparse file: nothing is read)', async () => {
    writeFileSync(weights(), '');
    truncateSync(weights(), 2 ** 31);
    expect(await dirError()).toBe(`${weights()}: 2147483648 bytes is over the 2147483647-byte limit for model.safetensors`);
    truncateSync(weights(), 0);
    writeFileSync(path.join(dir, 'config.json'), '');
    truncateSync(path.join(dir, 'config.json'), 17 * 1024 * 1024);
    expect(await dirError()).toMatch(/config\.json: 17825792 bytes is over the 16777216-byte limit for config\.json$/);
  });
});
