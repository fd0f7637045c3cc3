import { parseArgs } from 'node:util';
import { scoreSequences } from '../../engine/batch';
import { loadCliPolicy } from '../policy_cli';
import { UsageError, type CliIO } from '../io';

export const logprobsHelp = `duelbook logprobs (--ids 1,2,3 | --text TEXT) [--model DIR] [--json]
  Prints {"ids": [...], "logprobs": [...]}: the token ids (--ids, or the tokenizer's encoding of
  --text without special tokens) and log p(token i | tokens < i) for every token after the first.`;

export async function logprobsCommand(argv: string[], io: CliIO): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string' },
      ids: { type: 'string' },
      text: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if ((values.ids === undefined) === (values.text === undefined)) throw new UsageError('give exactly one of --ids or --text');
  const policy = await loadCliPolicy(values.model);
  let ids: number[];
  if (values.ids !== undefined) {
    ids = values.ids.split(',').map((s, i) => {
      const n = Number(s.trim());
      if (!Number.isInteger(n) || n < 0) throw new UsageError(`--ids: item ${i + 1} ("${s}") is not a non-negative integer`);
      if (n >= policy.config.vocabSize) throw new UsageError(`--ids: ${n} is outside the vocabulary (size ${policy.config.vocabSize})`);
      return n;
    });
  } else {
    ids = policy.tokenizer.encode(values.text!);
  }
  if (ids.length < 2) throw new UsageError('need at least two tokens to score');
  if (ids.length > policy.config.nPositions) throw new UsageError(`${ids.length} tokens exceed the context of ${policy.config.nPositions}`);
  const { tokenLogprobs } = await scoreSequences(policy.model, [ids], [1]);
  const logprobs = tokenLogprobs[0];
  if (values.json) io.stdout(JSON.stringify({ ids, logprobs }) + '\n');
  else {
    logprobs.forEach((lp, i) => io.stdout(`${ids[i + 1]}\t${policy.tokenizer.idToToken(ids[i + 1]) ?? ''}\t${lp.toFixed(6)}\n`));
    io.stdout(`sum\t\t${logprobs.reduce((a, b) => a + b, 0).toFixed(6)}\n`);
  }
  return 0;
}
