/**
 * Dev tool: a random-weight GPT-2 checkpoint directory with the shipped tokenizer, to time the
 * benchmark at the default policy's shapes before the trained weights exist (speed does not
 * depend on the weight values). No model.onnx is written: the bench then builds its own graph.
 *
 *   npx tsx scripts/bench/random_checkpoint.ts OUT_DIR [n_layer n_head n_embd n_positions]
 *   npm run bench -- --quick --model OUT_DIR
 *
 * Defaults are the pretraining run's shapes (4 layers, 4 heads, 256 wide, 128 positions).
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gpt2ParamSpecs, toHfGpt2Config, type GPT2Config } from '../../src/engine/model/config';
import { writeSafetensors } from '../../src/engine/model/safetensors';
import { randomWeights } from '../../tests/support/tiny_model';

const [out, nLayer = '4', nHead = '4', nEmbd = '256', nPositions = '128'] = process.argv.slice(2);
if (!out) {
  console.error('usage: npx tsx scripts/bench/random_checkpoint.ts OUT_DIR [n_layer n_head n_embd n_positions]');
  process.exit(2);
}
const tokenizerPath = 'models/default/tokenizer.json';
const tok = JSON.parse(readFileSync(tokenizerPath, 'utf8')) as { model: { vocab: Record<string, number> }; added_tokens?: { id: number }[] };
const vocabSize = Math.max(...Object.values(tok.model.vocab), ...(tok.added_tokens ?? []).map((t) => t.id)) + 1;
const config: GPT2Config = {
  nLayer: Number(nLayer),
  nHead: Number(nHead),
  nEmbd: Number(nEmbd),
  vocabSize,
  nPositions: Number(nPositions),
  layerNormEpsilon: 1e-5,
  eosTokenId: vocabSize - 1,
};
const w = randomWeights(config, 11, 0.02);
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'model.safetensors'), writeSafetensors(gpt2ParamSpecs(config).map((s) => ({ name: s.name, shape: s.shape, data: w.get(s.name)! }))));
writeFileSync(join(out, 'config.json'), JSON.stringify(toHfGpt2Config(config), null, 2));
copyFileSync(tokenizerPath, join(out, 'tokenizer.json'));
console.log(`wrote ${out}: ${JSON.stringify(config)}`);
