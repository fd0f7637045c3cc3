import type { Backend } from '../../src/engine/backend';
import { parseHfGpt2Config } from '../../src/engine/model/config';
import { GPT2Model } from '../../src/engine/model/gpt2';
import { readSafetensors } from '../../src/engine/model/safetensors';
import { buildBatch } from '../../src/engine/batch';

export interface TinyGolden {
  ids: number[][];
  lengths: number[];
  logprobs: number[][];
  loss: number;
  grads: { name: string; index: number; value: number }[];
  grad_full: Record<string, number[][]>;
}

export interface ParityReport {
  maxLogprobError: number;
  lossError: number;
  /** max over checked tensors of max|ours − torch| / max|torch|. */
  maxGradError: number;
  worstTensor: string;
}

/**
 * Runs the PyTorch fixture (tests/golden/tiny_gpt2, made by scripts/golden/make_fixtures.py in
 * float64) through our model on `backend`: the loss is −Σ log-probs over valid positions, so
 * the log-prob gradient is −1 at every counted position.
 */
export async function tinyGoldenParity(backend: Backend, configJson: unknown, weights: ArrayBuffer, golden: TinyGolden): Promise<ParityReport> {
  const config = parseHfGpt2Config(configJson);
  const model = GPT2Model.fromCheckpoint(backend, config, readSafetensors(weights).tensors);
  const seqs = golden.ids.map((row, b) => row.slice(0, golden.lengths[b]));
  const batch = buildBatch(seqs, seqs.map(() => 1), golden.ids[0].length);
  model.zeroGrads();
  const s = model.forward(batch.ids, batch.targets, batch.B, batch.T);
  const lp = await backend.read(s.logprobs);
  let maxLogprobError = 0;
  let loss = 0;
  golden.logprobs.forEach((row, b) =>
    row.forEach((expected, t) => {
      maxLogprobError = Math.max(maxLogprobError, Math.abs(lp[b * batch.T + t] - expected));
      loss -= lp[b * batch.T + t];
    }),
  );
  model.backward(s, batch.mask.map((m) => -m));
  model.releaseForward(s);
  let maxGradError = 0;
  let worstTensor = '';
  const host = new Map<string, Float32Array>();
  for (const spec of model.specs) host.set(spec.name, await backend.read(model.g(spec.name)));
  // Sampled entries of every tensor, scaled by that tensor's largest full-gradient entry where known.
  for (const [name, rows] of Object.entries(golden.grad_full)) {
    const flat = rows.flat();
    const scale = Math.max(...flat.map(Math.abs), 1e-12);
    const ours = host.get(name)!;
    const err = Math.max(...flat.map((v, i) => Math.abs(ours[i] - v))) / scale;
    if (err > maxGradError) [maxGradError, worstTensor] = [err, name];
  }
  const byName = new Map<string, number[]>();
  for (const g of golden.grads) byName.set(g.name, [...(byName.get(g.name) ?? []), Math.abs(g.value)]);
  for (const g of golden.grads) {
    const scale = Math.max(...byName.get(g.name)!, 1e-12);
    const err = Math.abs(host.get(g.name)![g.index] - g.value) / scale;
    if (err > maxGradError) [maxGradError, worstTensor] = [err, g.name];
  }
  model.dispose();
  return { maxLogprobError, lossError: Math.abs(loss - golden.loss) / golden.loss, maxGradError, worstTensor };
}
