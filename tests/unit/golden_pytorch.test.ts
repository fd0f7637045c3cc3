import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { CpuBackend } from '../../src/engine/backends/cpu';
import { tinyGoldenParity, type TinyGolden } from '../support/golden_parity';

// Fixture: scripts/golden/make_fixtures.py (PyTorch, float64 reference of a seeded tiny GPT-2
// in Hugging Face layout). Bar from the foundation issue: both backends within 1e-4.
const dir = new URL('../golden/tiny_gpt2/', import.meta.url);
const golden = JSON.parse(readFileSync(new URL('expected.json', dir), 'utf8')) as TinyGolden;
const config = JSON.parse(readFileSync(new URL('config.json', dir), 'utf8'));
const buf = readFileSync(new URL('model.safetensors', dir));
const weights = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;

describe('PyTorch parity (tiny GPT-2 fixture)', () => {
  it('CPU backend: log-probs, loss and gradients within 1e-4', async () => {
    const r = await tinyGoldenParity(new CpuBackend(), config, weights, golden);
    console.log('CPU vs PyTorch', r);
    expect(r.maxLogprobError).toBeLessThanOrEqual(1e-4);
    expect(r.lossError).toBeLessThanOrEqual(1e-4);
    expect(r.maxGradError).toBeLessThanOrEqual(1e-4);
  });
});
