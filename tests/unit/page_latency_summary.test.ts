/**
 * The page bench's summary (bench/page_latency.ts): the window and ratios from a
 * hand-made run, so a change to what the README quotes cannot go unnoticed.
 */
import { describe, expect, it } from 'vitest';
import { summarize, type VoteTiming } from '../../bench/page_latency';

/** 30 votes whose draws take 20 ms per token plus `extra(vote)` ms, with `tokens(vote)` tokens. */
function run(tokens: (v: number) => number, extra: (v: number) => number = () => 0): VoteTiming[] {
  return Array.from({ length: 30 }, (_, i) => {
    const vote = i + 1;
    const pairTokens = tokens(vote);
    return { vote, pairMs: 20 * pairTokens + extra(vote), weightsMs: 1000, trainedAtPair: vote - 1, drawnAtPair: vote - 2, pairTokens };
  });
}

describe('summarize', () => {
  it('the raw ratio follows the completions’ length; the per-token one does not', () => {
    const s = summarize(run((v) => (v <= 10 ? 24 : 8)));
    expect(s.lastOverVote5).toBe(0.33);
    expect(s.perTokenLateOverEarly).toBe(1);
    expect(s.window).toBe('votes 6–30');
    expect(s.maxVotesBehindAtPair).toBe(1);
    expect(s.maxVotesBehindDrawn).toBe(2);
  });

  it('per-token time that grows with the session shows in the per-token ratio', () => {
    // 20 ms per token, plus 10 ms per token per vote late in the session.
    const s = summarize(run(() => 10, (v) => (v > 25 ? 100 * (v - 25) : 0)));
    // Late per-token times 30, 40, 50, 60, 70 ms: median 50 over 20.
    expect(s.perTokenLateOverEarly).toBe(2.5);
  });

  it('no per-token ratio when a pair does not say its tokens, or under 10 votes', () => {
    const missing = run(() => 10).map((t, i) => (i === 4 ? { ...t, pairTokens: undefined } : t));
    expect(summarize(missing).perTokenLateOverEarly).toBeNull();
    expect(summarize(run(() => 10).slice(0, 9)).perTokenLateOverEarly).toBeNull();
  });
});
