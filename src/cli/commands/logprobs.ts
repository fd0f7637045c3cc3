import { parseArgs } from 'node:util';
import { scoreSequences } from '../../engine/batch';
import { loadCliPolicy } from '../policy_cli';
import { UsageError, type CliIO } from '../io';
import { parseIntListValue, textFlag } from '../flags';
import { terminalSafe } from '../terminal_text';

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
  const policy = await loadCliPolicy(textFlag('model', values.model));
  let ids: number[];
  if (values.ids !== undefined) {
    ids = parseIntListValue('ids', values.ids, { min: 0, max: policy.config.vocabSize - 1 });
  } else {
    ids = policy.tokenizer.encode(values.text!);
  }
  if (ids.length < 2) throw new UsageError('need at least two tokens to score');
  if (ids.length > policy.config.nPositions) throw new UsageError(`${values.ids !== undefined ? '--ids' : '--text'} is ${ids.length} tokens, more than the model's context of ${policy.config.nPositions}`);
  const { tokenLogprobs } = await scoreSequences(policy.model, [ids], [1]);
  const logprobs = tokenLogprobs[0];
  if (values.json) io.stdout(JSON.stringify({ ids, logprobs }) + '\n');
  else {
    logprobs.forEach((lp, i) => io.stdout(`${ids[i + 1]}\t${terminalSafe(policy.tokenizer.idToToken(ids[i + 1]) ?? '')}\t${lp.toFixed(6)}\n`));
    io.stdout(`sum\t\t${logprobs.reduce((a, b) => a + b, 0).toFixed(6)}\n`);
  }
  return 0;
}
