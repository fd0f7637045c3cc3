import { parseArgs } from 'node:util';
import path from 'node:path';
import englishWords from 'an-array-of-english-words';
import { generateAll } from '../../engine/generate';
import { distinctN, englishWordRate, letterTokens, repetitionRate } from '../../engine/stats';
import { loadCliPolicy } from '../policy_cli';
import { DEFAULT_MODEL_DIR } from '../model_dir';
import { readPrompts } from './sim';
import { parseNumber, type CliIO } from '../io';

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
  const n = parseNumber('prompts', values.prompts, 100, { int: true, min: 1 });
  const maxNewTokens = parseNumber('max-tokens', values['max-tokens'], 40, { int: true, min: 1 });
  const temperature = parseNumber('temperature', values.temperature, 1, { min: 0 });
  const seed = parseNumber('seed', values.seed, 0, { int: true });
  const policy = await loadCliPolicy(values.model);
  const prompts = (await readPrompts(path.join(values.model ?? DEFAULT_MODEL_DIR, 'prompts.json'))).slice(0, n);
  const samples: { prompt: string; completion: string }[] = [];
  for (let i = 0; i < prompts.length; i++) {
    const [ids] = await generateAll(policy.model, policy.tokenizer.encode(prompts[i]), {
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
    for (const s of samples.slice(0, 5)) io.stdout(`${s.prompt}▸${s.completion}\n`);
  }
  return 0;
}
