/**
 * The page bench's summary (bench/page_latency.ts): the window and ratios from
 * hand-made runs, so a change to what the README quotes cannot go unnoticed.
 */
import { describe, expect, it } from 'vitest';
import { summarize, type VoteTiming } from '../../bench/page_latency';

/** 30 votes whose next pair takes `a(vote)` ms plus `b(vote)` ms per decode step (tokens + 1). */
function run(tokens: (v: number) => number, a: (v: number) => number = () => 40, b: (v: number) => number = () => 10): VoteTiming[] {
  return Array.from({ length: 30 }, (_, i) => {
    const vote = i + 1;
    const pairTokens = tokens(vote);
    return { vote, pairMs: a(vote) + b(vote) * (pairTokens + 1), weightsMs: 1000, trainedAtPair: vote - 1, drawnAtPair: vote - 2, pairTokens };
  });
}

/** Completions that vary in length within a window, short late in the session. */
const shrinking = (v: number) => (v <= 10 ? 20 + (v % 4) * 5 : 4 + (v % 3) * 3);

describe('summarize', () => {
  it('the raw ratio follows the completions’ length; the same-draw one does not', () => {
    const s = summarize(run(shrinking));
    // Vote 5: 25 tokens (300 ms); vote 30: 4 tokens (90 ms).
    expect(s.lastOverVote5).toBe(0.3);
    expect(s.sameDrawLateOverEarly).toMatchObject({ early: { interceptMs: 40, perStepMs: 10 }, late: { interceptMs: 40, perStepMs: 10 }, ratio: 1 });
    expect(s.window).toBe('votes 6–30');
    expect(s.maxVotesBehindAtPair).toBe(1);
    expect(s.maxVotesBehindDrawn).toBe(2);
  });

  it('the same draw getting slower late in the session shows', () => {
    // 10 ms per step early, 15 late: at the median steps (11) 150 ms against 205 ms.
    const s = summarize(run(shrinking, () => 40, (v) => (v > 20 ? 15 : 10)));
    expect(s.sameDrawLateOverEarly!.steps).toBe(11);
    expect(s.sameDrawLateOverEarly!.early.atStepsMs).toBe(150);
    expect(s.sameDrawLateOverEarly!.late.atStepsMs).toBe(205);
    expect(s.sameDrawLateOverEarly!.ratio).toBe(1.37);
  });

  it('a window whose draws all took the same steps falls back to its mean', () => {
    const s = summarize(run(() => 9, (v) => (v > 20 ? 60 : 40)));
    expect(s.sameDrawLateOverEarly).toMatchObject({ steps: 10, early: { perStepMs: 0, atStepsMs: 140 }, late: { perStepMs: 0, atStepsMs: 160 }, ratio: 1.14 });
  });

  it('no same-draw ratio when a pair does not say its tokens, or under 20 votes', () => {
    const missing = run(() => 10).map((t, i) => (i === 4 ? { ...t, pairTokens: undefined } : t));
    expect(summarize(missing).sameDrawLateOverEarly).toBeNull();
    expect(summarize(run(() => 10).slice(0, 19)).sameDrawLateOverEarly).toBeNull();
  });
});
