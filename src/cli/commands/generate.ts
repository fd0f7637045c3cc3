import { parseArgs } from 'node:util';
import { generateTokens } from '../../engine/generate';
import { loadCliPolicy } from '../policy_cli';
import { UsageError, type CliIO } from '../io';
import { intFlag, numberFlag, SEED_BOUNDS, textFlag } from '../flags';

export const generateHelp = `duelbook generate --prompt TEXT [--model DIR] [--max-tokens N] [--temperature T]
                  [--top-k K] [--top-p P] [--seed S] [--truncate-prompt] [--json]
  Continues TEXT with the policy (default: the shipped model) on the CPU backend. The prompt's
  tokens plus --max-tokens must fit the model's context; --truncate-prompt keeps only the
  prompt's last tokens that fit instead of failing.
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
      'truncate-prompt': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.prompt === undefined) throw new UsageError('--prompt is required');
  const opts = {
    maxNewTokens: intFlag('max-tokens', values['max-tokens'], 40, { min: 0, max: 1_000_000 }),
    temperature: numberFlag('temperature', values.temperature, 1, { min: 0, max: 1e6 }),
    topK: intFlag('top-k', values['top-k'], 0, { min: 0, max: 1_000_000 }),
    topP: numberFlag('top-p', values['top-p'], 1, { min: 0, max: 1 }),
    seed: intFlag('seed', values.seed, 0, SEED_BOUNDS),
  };
  const policy = await loadCliPolicy(textFlag('model', values.model));
  const context = policy.config.nPositions;
  if (opts.maxNewTokens > context - 1) throw new UsageError(`--max-tokens ${opts.maxNewTokens} exceeds the model's context of ${context} tokens less one for the prompt (at most ${context - 1})`);
  let promptIds = policy.tokenizer.encode(values.prompt);
  let shownPrompt = values.prompt;
  if (promptIds.length === 0) throw new UsageError('--prompt encodes to no tokens');
  const room = context - opts.maxNewTokens;
  if (promptIds.length > room) {
    // The engine would keep the prompt's last tokens without a word; here that is asked for or an error.
    if (!values['truncate-prompt']) {
      throw new UsageError(
        `--prompt is ${promptIds.length} tokens; with --max-tokens ${opts.maxNewTokens} at most ${room} fit the model's context of ${context} (shorten it or pass --truncate-prompt)`,
      );
    }
    promptIds = promptIds.slice(promptIds.length - room);
    shownPrompt = policy.tokenizer.decode(promptIds);
  }
  const ids: number[] = [];
  let shown = '';
  if (!values.json) io.stdout(shownPrompt);
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
