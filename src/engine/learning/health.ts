import { scoreSequencesUnder, type ScoredSequences } from '../batch';
import { generateAll } from '../generate';
import { DEFAULT_SAMPLING } from '../sampling';
import type { GPT2Model } from '../model/gpt2';
import type { TextTokenizer } from '../tokenizer';
import { distinctN, repetitionRate } from '../stats';
import type { PolicyHealth } from '../api';

export interface HealthOptions {
  seed: number;
  maxNewTokens: number;
  eosTokenId: number | null;
}

/**
 * Samples one completion per prompt from the policy (temperature 1, the distribution the KL is
 * defined on) and estimates KL(π‖π_ref) = E_{y~π}[log π(y|x) − log π_ref(y|x)] per sequence,
 * plus distinct-n and repetition of those samples — the signals that separate real learning
 * from collapse onto a few rewarded words.
 */
export async function policyHealth(
  policy: GPT2Model,
  reference: GPT2Model,
  tokenizer: TextTokenizer,
  prompts: readonly string[],
  opts: HealthOptions,
): Promise<PolicyHealth & { texts: string[] }> {
  let klSum = 0;
  const texts: string[] = [];
  for (let i = 0; i < prompts.length; i++) {
    const promptIds = tokenizer.encode(prompts[i]);
    if (promptIds.length === 0) continue;
    const [ids] = await generateAll(policy, promptIds, {
      ...DEFAULT_SAMPLING, numSequences: 1, maxNewTokens: opts.maxNewTokens,
      seed: opts.seed * 100_003 + i, eosTokenId: opts.eosTokenId,
    });
    texts.push(tokenizer.decode(ids));
    if (ids.length === 0) continue;
    const seq = [[...promptIds, ...ids]];
    // Both models' passes in one submit on WebGPU.
    const [p, r] = (await scoreSequencesUnder([policy, reference], seq, [promptIds.length])) as [ScoredSequences, ScoredSequences];
    klSum += p.sums[0] - r.sums[0];
  }
  return {
    kl: texts.length ? klSum / texts.length : 0,
    distinct1: distinctN(texts, 1),
    distinct2: distinctN(texts, 2),
    repetition: repetitionRate(texts),
    samples: texts.length,
    texts,
  };
}
