/**
 * Replays recorded votes (`duelbook sim --votes-out FILE`) through the online loop's reward
 * model and reports its prequential accuracy: each vote is predicted before the model learns
 * from it, as in the loop. Features come from the same reference pass (the shipped model, or
 * --model DIR), so variants of the reward model can be compared on identical votes without
 * re-running the policy.
 *
 *   npx tsx scripts/rm/replay_votes.ts VOTES.jsonl [--model DIR] [--grid]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadCliPolicy } from '../../src/cli/policy_cli';
import { referencePass, rewardFeatureBlocks } from '../../src/engine/learning/reference_pass';
import { createRewardModel, ONLINE_REWARD_MODEL } from '../../src/engine/learning/reward_model';
import type { RewardEnsembleConfig } from '../../src/engine/reward';

interface RecordedVote {
  prompt: string;
  a: string;
  b: string;
  outcome: 'a' | 'b' | 'tie' | 'bothbad';
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { model: { type: 'string' }, grid: { type: 'boolean', default: false } } });
if (positionals.length !== 1) {
  console.error('usage: replay_votes.ts VOTES.jsonl [--model DIR] [--grid]');
  process.exit(2);
}
const votes = readFileSync(positionals[0]!, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as RecordedVote);
const policy = await loadCliPolicy(values.model);
const features: [Float32Array, Float32Array][] = [];
for (const v of votes) {
  // Re-encoding the decoded text can split a few words differently from the sampled ids; the
  // loop itself uses the sampled ids.
  const r = await referencePass(policy.model, policy.tokenizer.encode(v.prompt), [policy.tokenizer.encode(v.a), policy.tokenizer.encode(v.b)], (ids) => policy.tokenizer.decode(ids));
  features.push([r.features[0]!, r.features[1]!]);
}

function evaluate(name: string, overrides: Partial<Omit<RewardEnsembleConfig, 'dim' | 'seed'>>): void {
  const rm = createRewardModel(policy.config, 'rm-replay', overrides);
  const scored: number[] = [];
  votes.forEach((v, i) => {
    const o = rm.observe({ a: features[i]![0], b: features[i]![1], outcome: v.outcome });
    if (o.score !== null) scored.push(o.score > 0.5 ? 1 : 0);
  });
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  console.log(`${name.padEnd(44)} all ${mean(scored).toFixed(3)}  last 100 ${mean(scored.slice(-100)).toFixed(3)}  (${scored.length} decisive of ${votes.length})`);
}

evaluate('loop default', {});
if (values.grid) {
  const [tokens, words, hidden, principles] = rewardFeatureBlocks(policy.config);
  const off = { standardize: false, scale: 0 };
  const noHidden = { ...hidden!, scale: 0 };
  // The rows of the tables in README.md were measured before the principle block existed.
  const noPrinciples = { ...principles!, scale: 0 };
  evaluate('online SGD, tokens + hidden ×0.005 (previous)', { fit: 'online', lr: 0.01, stepsPerVote: 4, blocks: [tokens!, { ...words!, ...off }, { ...hidden!, scale: 0.005 }, noPrinciples] });
  evaluate('refit, words only', { fit: 'refit', blocks: [{ ...tokens!, ...off }, words!, noHidden, noPrinciples] });
  evaluate('refit, tokens only', { fit: 'refit', blocks: [tokens!, { ...words!, ...off }, noHidden, noPrinciples] });
  evaluate('refit, tokens + words', { fit: 'refit', blocks: [tokens!, words!, noHidden, noPrinciples] });
  evaluate('refit, tokens + words + hidden ×0.005', { fit: 'refit', blocks: [tokens!, words!, { ...hidden!, scale: 0.005 }, noPrinciples] });
  evaluate('refit, principles only', { fit: 'refit', blocks: [{ ...tokens!, ...off }, { ...words!, ...off }, noHidden, principles!] });
  for (const refitC of [10, 100]) evaluate(`refit C ${refitC}`, { refitC });
  console.log(`(loop default: ${JSON.stringify(ONLINE_REWARD_MODEL)})`);
}
