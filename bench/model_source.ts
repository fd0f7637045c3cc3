/**
 * The policy every model case runs: the shipped default (models/default/), a `--model DIR`, or
 * — when the directory has no checkpoint yet, and always in --smoke — a generated tiny GPT-2
 * (random weights, the byte-level tokenizer of tests/support/tiny_checkpoint.ts). Node reads
 * or makes the files once; the browser part receives the same bytes.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { parseHfGpt2Config, toHfGpt2Config, gpt2ParamSpecs, countParams, type GPT2Config } from '../src/engine/model/config';
import { writeSafetensors } from '../src/engine/model/safetensors';
import { TextTokenizer } from '../src/engine/tokenizer';
import { Rng } from '../src/engine/rng';
import { byteLevelTokenizerJson } from '../tests/support/tiny_checkpoint';
import { randomWeights } from '../tests/support/tiny_model';
import { buildGpt2Onnx } from './onnx/gpt2_onnx';
import type { PolicyInfo } from './types';

export interface PolicyFiles {
  info: PolicyInfo;
  hfConfig: Record<string, unknown>;
  tokenizerJson: unknown;
  safetensors: Uint8Array;
  onnx: Uint8Array;
}

/** Tiny GPT-2 shapes of the generated fallback (n_positions leaves room for 64 new tokens). */
export function fallbackConfig(size: 'smoke' | 'small', vocabSize: number): GPT2Config {
  return size === 'smoke'
    ? { nLayer: 1, nHead: 2, nEmbd: 16, vocabSize, nPositions: 48, layerNormEpsilon: 1e-5, eosTokenId: vocabSize - 1 }
    : { nLayer: 2, nHead: 4, nEmbd: 64, vocabSize, nPositions: 128, layerNormEpsilon: 1e-5, eosTokenId: vocabSize - 1 };
}

export function loadPolicyFiles(opts: { root: string; dir: string; forceFallback: boolean; fallbackSize: 'smoke' | 'small' }): PolicyFiles {
  // Names in the report: relative to the repository when inside it.
  const rel = relative(opts.root, opts.dir);
  const shown = rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : opts.dir;
  const need = ['config.json', 'tokenizer.json', 'model.safetensors'];
  const missing = need.filter((f) => !existsSync(join(opts.dir, f)));
  if (!opts.forceFallback && missing.length === 0) {
    const hfConfig = JSON.parse(readFileSync(join(opts.dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    const config = parseHfGpt2Config(hfConfig);
    const tokenizerJson = JSON.parse(readFileSync(join(opts.dir, 'tokenizer.json'), 'utf8')) as unknown;
    const safetensors = new Uint8Array(readFileSync(join(opts.dir, 'model.safetensors')));
    const shipped = existsSync(join(opts.dir, 'model.onnx'));
    const onnx = shipped ? new Uint8Array(readFileSync(join(opts.dir, 'model.onnx'))) : buildGpt2Onnx(config, safetensors);
    return {
      info: {
        name: shown,
        fallback: false,
        config,
        params: countParams(config),
        onnxSource: shipped ? `${join(shown, 'model.onnx')} (shipped export)` : 'built by bench/onnx/gpt2_onnx.ts (the directory has no model.onnx)',
        note: shipped ? '' : `${shown} has no model.onnx: the ORT peers run a graph built by the bench from model.safetensors`,
      },
      hfConfig,
      tokenizerJson,
      safetensors,
      onnx,
    };
  }
  const tokenizerJson = byteLevelTokenizerJson();
  const vocabSize = Object.keys(tokenizerJson.model.vocab).length;
  const config = fallbackConfig(opts.fallbackSize, vocabSize);
  const weights = randomWeights(config, 7, 0.1);
  const safetensors = writeSafetensors(gpt2ParamSpecs(config).map((s) => ({ name: s.name, shape: s.shape, data: weights.get(s.name)! })));
  const why = opts.forceFallback ? '--smoke uses it unless --model is given' : `${shown} lacks ${missing.join(', ')}`;
  return {
    info: {
      name: `generated tiny GPT-2 (${config.nLayer}L/${config.nHead}H/${config.nEmbd}d, vocab ${vocabSize}, random weights)`,
      fallback: true,
      config,
      params: countParams(config),
      onnxSource: 'built by bench/onnx/gpt2_onnx.ts from the generated safetensors',
      note: `FALLBACK: generated tiny checkpoint, not the shipped policy (${why})`,
    },
    hfConfig: toHfGpt2Config(config),
    tokenizerJson,
    safetensors,
    onnx: buildGpt2Onnx(config, safetensors),
  };
}

/**
 * Token-id workloads shared by Node and the browser: prompts from models/default/prompts.json
 * (tokenised with the policy's tokenizer) when present, else fixed English text, and seeded
 * random completions, so every implementation sees the same ids.
 */
export function makeWorkload(files: PolicyFiles, promptsPath: string, sizes: { promptLen: number; completionLen: number; pairs: number }) {
  const tok = new TextTokenizer(files.tokenizerJson);
  let texts: string[] = [];
  if (existsSync(promptsPath)) {
    const j = JSON.parse(readFileSync(promptsPath, 'utf8')) as { prompts?: unknown };
    if (Array.isArray(j.prompts)) texts = j.prompts.filter((p): p is string => typeof p === 'string');
  }
  if (texts.length === 0) texts = ['The sea was calm and the ship moved slowly toward the harbour at dawn'];
  const V = files.info.config.vocabSize;
  const eos = files.info.config.eosTokenId;
  const rng = new Rng('bench-workload');
  const randomIds = (n: number) => {
    const out: number[] = [];
    while (out.length < n) {
      const t = rng.int(V);
      if (t !== eos) out.push(t);
    }
    return out;
  };
  // Prompts are cut or padded (with more prompt text) to exactly promptLen tokens.
  const prompts: number[][] = [];
  for (let i = 0; prompts.length < sizes.pairs; i++) {
    let ids: number[] = [];
    for (let j = i; ids.length < sizes.promptLen; j++) ids = ids.concat(tok.encode((j > i ? ' ' : '') + texts[j % texts.length]));
    prompts.push(ids.slice(0, sizes.promptLen));
  }
  const pairs = prompts.map((promptIds) => ({ promptIds, aIds: randomIds(sizes.completionLen), bIds: randomIds(sizes.completionLen) }));
  return { prompts, pairs };
}
