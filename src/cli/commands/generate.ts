import { parseArgs } from 'node:util';
import { generateTokens } from '../../engine/generate';
import { loadCliPolicy } from '../policy_cli';
import { parseNumber, UsageError, type CliIO } from '../io';

export const generateHelp = `duelbook generate --prompt TEXT [--model DIR] [--max-tokens N] [--temperature T]
                  [--top-k K] [--top-p P] [--seed S] [--json]
  Continues TEXT with the policy (default: the shipped model) on the CPU backend.
  --json prints {"text": completion, "ids": completion token ids}.`;

export async function generateCommand(argv: string[], io: CliIO): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string' },
      prompt: { type: 'string' },
      'max-tokens': { type: 'string' },
      temperature: { type: 'string' },
      'top-k': { type: 'string' },
      'top-p': { type: 'string' },
      seed: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.prompt === undefined) throw new UsageError('--prompt is required');
  const opts = {
    maxNewTokens: parseNumber('max-tokens', values['max-tokens'], 40, { int: true, min: 0 }),
    temperature: parseNumber('temperature', values.temperature, 1, { min: 0 }),
    topK: parseNumber('top-k', values['top-k'], 0, { int: true, min: 0 }),
    topP: parseNumber('top-p', values['top-p'], 1, { min: 0, max: 1 }),
    seed: parseNumber('seed', values.seed, 0, { int: true }),
  };
  const policy = await loadCliPolicy(values.model);
  const promptIds = policy.tokenizer.encode(values.prompt);
  if (promptIds.length === 0) throw new UsageError('--prompt encodes to no tokens');
  const ids: number[] = [];
  let shown = '';
  if (!values.json) io.stdout(values.prompt);
  for await (const step of generateTokens(policy.model, promptIds, {
    ...opts,
    numSequences: 1,
    eosTokenId: policy.eosTokenId,
  })) {
    if (step.tokens[0] >= 0) ids.push(step.tokens[0]);
    if (!values.json) {
      // Decode the whole completion each time: byte-level BPE can split a character.
      const text = policy.tokenizer.decode(ids);
      if (!text.endsWith('\uFFFD')) {
        io.stdout(text.slice(shown.length));
        shown = text;
      }
    }
  }
  const text = policy.tokenizer.decode(ids);
  if (values.json) io.stdout(JSON.stringify({ text, ids }) + '\n');
  else io.stdout(text.slice(shown.length) + '\n');
  return 0;
}
