import { parseArgs } from 'node:util';
import path from 'node:path';
import englishWords from 'an-array-of-english-words';
import { generateAll } from '../../engine/generate';
import { distinctN, englishWordRate, letterTokens, repetitionRate } from '../../engine/stats';
import { loadCliPolicy } from '../policy_cli';
import { DEFAULT_MODEL_DIR } from '../model_dir';
import { readPrompts } from './sim';
import { UsageError, type CliIO } from '../io';
import { intFlag, numberFlag, textFlag } from '../flags';
import { terminalSafe } from '../terminal_text';

export const evalHelp = `duelbook eval [--model DIR] [--prompts N] [--max-tokens N] [--temperature T] [--seed S] [--json]
  Samples one continuation per held-out prompt (prompts.json beside the model) with our engine and
  reports the English-word rate (letters-only words found in the an-array-of-english-words list),
  distinct-1/2 and repetition: the model card's fluency bar, measured on the engine users run.`;

export async function evalCommand(argv: string[], io: CliIO): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string' },
      prompts: { type: 'string' },
      'max-tokens': { type: 'string' },
      temperature: { type: 'string' },
      seed: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const n = intFlag('prompts', values.prompts, 100, { min: 1, max: 1_000_000 });
  const maxNewTokens = intFlag('max-tokens', values['max-tokens'], 40, { min: 1, max: 1_000_000 });
  const temperature = numberFlag('temperature', values.temperature, 1, { min: 0, max: 1e6 });
  // The per-prompt seed is seed·1000003 + i, so the seed is bounded to keep that exact.
  const seed = intFlag('seed', values.seed, 0, { min: -(2 ** 32), max: 2 ** 32 });
  const modelDir = textFlag('model', values.model);
  const policy = await loadCliPolicy(modelDir);
  const context = policy.config.nPositions;
  if (maxNewTokens > context - 1) throw new UsageError(`--max-tokens ${maxNewTokens} exceeds the model's context of ${context} tokens less one for the prompt (at most ${context - 1})`);
  const prompts = (await readPrompts(path.join(modelDir ?? DEFAULT_MODEL_DIR, 'prompts.json'))).slice(0, n);
  const samples: { prompt: string; completion: string }[] = [];
  const encoded = prompts.map((p, i) => {
    const ids = policy.tokenizer.encode(p);
    // The engine would cut a long prompt without a word; a measured prompt must be the whole one.
    if (ids.length + maxNewTokens > context) throw new UsageError(`prompt ${i + 1} of prompts.json is ${ids.length} tokens; with --max-tokens ${maxNewTokens} it exceeds the model's context of ${context}`);
    return ids;
  });
  for (let i = 0; i < prompts.length; i++) {
    const [ids] = await generateAll(policy.model, encoded[i]!, {
      numSequences: 1, maxNewTokens, temperature, topK: 0, topP: 1, seed: seed * 1_000_003 + i, eosTokenId: policy.eosTokenId,
    });
    samples.push({ prompt: prompts[i], completion: policy.tokenizer.decode(ids) });
    if (io.isTTY) io.stderr(`\rsampling ${i + 1}/${prompts.length}`);
  }
  if (io.isTTY) io.stderr('\n');
  const texts = samples.map((s) => s.completion);
  const words = new Set(englishWords);
  const result = {
    prompts: prompts.length,
    words: texts.reduce((s, t) => s + letterTokens(t).length, 0),
    english_word_rate: englishWordRate(texts, words),
    distinct1: distinctN(texts, 1),
    distinct2: distinctN(texts, 2),
    repetition: repetitionRate(texts),
    settings: { maxNewTokens, temperature, seed },
    samples,
  };
  if (values.json) io.stdout(JSON.stringify(result) + '\n');
  else {
    io.stdout(`English-word rate ${result.english_word_rate.toFixed(4)} over ${result.words} words from ${result.prompts} prompts\n`);
    io.stdout(`distinct-1 ${result.distinct1.toFixed(3)}  distinct-2 ${result.distinct2.toFixed(3)}  repetition ${result.repetition.toFixed(3)}\n\n`);
    for (const s of samples.slice(0, 5)) io.stdout(`${terminalSafe(s.prompt)}▸${terminalSafe(s.completion)}\n`);
  }
  return 0;
}
