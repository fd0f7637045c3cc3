import { gpt2ParamSpecs, type GPT2Config } from '../../src/engine/model/config';
import { Rng } from '../../src/engine/rng';

export const TINY_CONFIG: GPT2Config = {
  nLayer: 2,
  nHead: 3,
  nEmbd: 12,
  vocabSize: 23,
  nPositions: 10,
  layerNormEpsilon: 1e-5,
  eosTokenId: 22,
};

/**
 * Random weights where every parameter matters: layer-norm gains away from 1 and non-zero
 * biases, so a gradient bug in any of them shows.
 */
export function randomWeights(config: GPT2Config, seed: number, std = 0.3): Map<string, Float32Array> {
  const rng = new Rng(seed);
  const out = new Map<string, Float32Array>();
  for (const s of gpt2ParamSpecs(config)) {
    const n = s.shape.reduce((a, b) => a * b, 1);
    const w = new Float32Array(n);
    const isGain = /ln_\d\.weight$|ln_f\.weight$/.test(s.name);
    for (let i = 0; i < n; i++) w[i] = isGain ? 1 + 0.2 * rng.normal() : std * rng.normal();
    out.set(s.name, w);
  }
  return out;
}

/** A right-padded batch: ids, next-token targets and a mask of positions that count. */
export function randomBatch(config: GPT2Config, lengths: number[], T: number, seed: number) {
  const rng = new Rng(seed);
  const B = lengths.length;
  const ids = new Uint32Array(B * T);
  const targets = new Uint32Array(B * T);
  const mask = new Float32Array(B * T);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < lengths[b]; t++) ids[b * T + t] = rng.int(config.vocabSize);
    for (let t = 0; t + 1 < lengths[b]; t++) {
      targets[b * T + t] = ids[b * T + t + 1];
      mask[b * T + t] = 1;
    }
  }
  return { ids, targets, mask, B, T };
}
