/**
 * Parts of the duel that need no Svelte state and no engine: the token-pull loop against a
 * scripted generator, the option bounds against the session schema, the best-of-n tally, and
 * the relabelling summary.
 */
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import type { GenerateChunk, ReduceResult } from '../../src/engine/api';
import { createIdGenerator, createStarterSession, DuelConfigSchema, type DuelConfig } from '../../src/session/index';
import { syntheticAfter } from '../../src/state/duel_relabel';
import { POOL_LIMITS, pullTokens, type DrawContext } from '../../src/state/duel_sources';
import { tallyBestOfN } from '../../src/state/duel_voting';
import type { EngineState } from '../../src/state/engine.svelte';
import type { EngineRemote } from '../../src/state/engine_client';

/** A draw context whose generation `hN` finishes after `lengths[N]` pulls; every call is recorded. */
function scripted(lengths: number[], stale: () => boolean = () => false) {
  const calls: string[] = [];
  const handleSets: string[][] = [];
  const pulls = new Map<string, number>();
  const api = {
    async generateNext(handle: string): Promise<GenerateChunk> {
      const n = (pulls.get(handle) ?? 0) + 1;
      pulls.set(handle, n);
      calls.push(`next ${handle}`);
      return { texts: [`${handle}:${n}`], tokenIds: [[n]], promptIds: [7], done: n >= lengths[Number(handle.slice(1))]! };
    },
  };
  const ctx: DrawContext = { engine: { api } as unknown as EngineState, api: api as unknown as EngineRemote, policyStep: 0, votesTrained: 0, stale, setHandles: (h) => handleSets.push([...h]) };
  return { ctx, calls, handleSets };
}

describe('pullTokens', () => {
  it('pulls one generation to the end, reporting every round, and clears the handles when done', async () => {
    const { ctx, calls, handleSets } = scripted([3]);
    const seen: string[] = [];
    const chunks = await pullTokens(ctx, ['h0'], ([c]) => seen.push(c!.texts[0]!));
    expect(chunks?.map((c) => c.texts[0])).toEqual(['h0:3']);
    expect(seen).toEqual(['h0:1', 'h0:2', 'h0:3']);
    expect(calls).toEqual(['next h0', 'next h0', 'next h0']);
    expect(handleSets).toEqual([['h0'], []]);
  });

  it('interleaves two generations and stops pulling the one that is done', async () => {
    const { ctx, calls } = scripted([1, 3]);
    const chunks = await pullTokens(ctx, ['h0', 'h1']);
    expect(chunks?.map((c) => c.texts[0])).toEqual(['h0:1', 'h1:3']);
    expect(calls).toEqual(['next h0', 'next h1', 'next h1', 'next h1']);
  });

  it('returns null once the draw is stale, leaving the handles for the cancel', async () => {
    let rounds = 0;
    const { ctx, calls, handleSets } = scripted([5], () => ++rounds >= 2);
    expect(await pullTokens(ctx, ['h0'])).toBeNull();
    expect(calls).toEqual(['next h0', 'next h0']);
    expect(handleSets).toEqual([['h0']]);
  });
});

describe('duel option bounds', () => {
  it('are the session schema’s: a value at each bound is valid, one past it is not', () => {
    expect(POOL_LIMITS).toEqual({
      k: [3, 8],
      n: [2, 8],
      pessimism: [0, 5],
      relabelPairs: [0, 8],
      relabelMinConfidence: [0.5, 1],
      relabelMaxStd: [0, 0.5],
      relabelCandidates: [2, 8],
    });
    const doc = createStarterSession(createIdGenerator({ seed: 3 }), { title: 'T', now: 0 });
    const config = doc.cells.find((c) => c.kind === 'duel')!.config as DuelConfig;
    const valid = (patch: Partial<DuelConfig>) => v.safeParse(DuelConfigSchema, { ...config, ...patch }).success;
    const [kMin, kMax] = POOL_LIMITS.k;
    expect(valid({ pairSelection: { rule: 'uncertain', k: kMin } }) && valid({ pairSelection: { rule: 'uncertain', k: kMax } })).toBe(true);
    expect(valid({ pairSelection: { rule: 'uncertain', k: kMax + 1 } })).toBe(false);
    expect(valid({ bestOfN: { n: POOL_LIMITS.n[0] - 1, pessimism: 0 } })).toBe(false);
    expect(valid({ bestOfN: { n: 2, pessimism: POOL_LIMITS.pessimism[1] + 0.5 } })).toBe(false);
    const [, maxStd] = POOL_LIMITS.relabelMaxStd;
    expect(valid({ relabel: { pairs: POOL_LIMITS.relabelPairs[1], minConfidence: POOL_LIMITS.relabelMinConfidence[0], maxStd } })).toBe(true);
    expect(valid({ relabel: { pairs: 0, minConfidence: 0.8, maxStd: maxStd + 0.01 } })).toBe(false);
    const [cMin, cMax] = POOL_LIMITS.relabelCandidates;
    expect(valid({ relabel: { pairs: 1, minConfidence: 0.8, maxStd, candidates: cMin } }) && valid({ relabel: { pairs: 1, minConfidence: 0.8, maxStd, candidates: cMax } })).toBe(true);
    expect(valid({ relabel: { pairs: 1, minConfidence: 0.8, maxStd, candidates: cMax + 1 } }) || valid({ relabel: { pairs: 1, minConfidence: 0.8, maxStd, candidates: cMin - 1 } })).toBe(false);
  });
});

describe('best of n tally', () => {
  it('counts the pick’s wins, losses and ties and says which side it was', () => {
    const reason = { kind: 'bestofn' as const, n: 3, pessimism: 0, pickSide: 'right' as const, pick: { reward: 1, std: 0.1 }, sample: { reward: 0.5, std: 0.2 } };
    const zero = { pickWins: 0, sampleWins: 0, ties: 0 };
    const won = tallyBestOfN(zero, reason, 'b');
    expect(won.tally).toEqual({ pickWins: 1, sampleWins: 0, ties: 0 });
    expect(won.note).toBe('Last pair: B was the reward model’s best of 3 (reward 1.00 ± 0.10; the plain sample 0.50 ± 0.20), and the judge preferred it.');
    expect(tallyBestOfN(won.tally, reason, 'a').tally).toEqual({ pickWins: 1, sampleWins: 1, ties: 0 });
    expect(tallyBestOfN(zero, reason, 'bothbad').note).toMatch(/found both bad\.$/);
  });
});

describe('relabelling summary', () => {
  const step = {} as ReduceResult['reduced'][number]['steps'][number];
  // The vote's own 2 steps, then 2 for each accepted pair: only the pairs' count as synthetic.
  const result = (relabels: { accepted: boolean; rejectedReason?: string }[]) =>
    ({
      reduced: [
        {
          seq: 1,
          type: 'vote',
          steps: [step, step, ...relabels.flatMap((r) => (r.accepted ? [step, step] : []))],
          relabels: relabels.map((r) => ({ aIds: [], bIds: [], preferred: 'a', pAB: 0.9, std: 0, steps: r.accepted ? 2 : 0, ...r })),
        },
      ],
      syntheticPairs: 5,
      votesTrained: 2,
    }) as unknown as ReduceResult;

  it('is null when nothing was relabelled and counts only the synthetic pairs’ steps across votes', () => {
    expect(syntheticAfter(result([]), null)).toBeNull();
    const first = syntheticAfter(result([{ accepted: true }, { accepted: false, rejectedReason: 'unsure' }]), null);
    expect(first).toEqual({ pairs: 5, judgedItems: 2, steps: 2, lastTried: 2, lastAccepted: 1, lastRejectedReason: 'unsure' });
    expect(syntheticAfter(result([{ accepted: true }]), first)).toMatchObject({ steps: 4, lastTried: 1, lastAccepted: 1, lastRejectedReason: null });
  });
});
