/**
 * The pooled same-draw drift (bench/pooled_drift.ts) on made-up runs whose intercepts, per-step
 * cost and per-vote drift are known: it must find them, read R off them, and say when it cannot.
 */
import { describe, expect, it } from 'vitest';
import { summarize } from '../../bench/page_latency';
import { pooledSameDrawDrift, type DriftRecord, type PooledDriftFit, type PooledDriftResult } from '../../bench/pooled_drift';
import { Rng } from '../../src/engine/rng';

/** Completions whose length varies with the vote and is not a line in it (so steps and vote can be told apart). */
const tokensAt = (vote: number) => 4 + ((vote * 7) % 23) + (vote % 3) * 5;

/**
 * Votes `from`–`to` of one run: pairMs = a + b·(tokens + 1) + c·vote, plus Gaussian noise of
 * `noiseMs` from `seed` (none by default).
 */
function run(id: string, a: number, b: number, c: number, opts: { from?: number; to?: number; noiseMs?: number; seed?: number; tokens?: (v: number) => number } = {}): DriftRecord[] {
  const rng = new Rng(opts.seed ?? 1);
  const tokens = opts.tokens ?? tokensAt;
  const out: DriftRecord[] = [];
  for (let vote = opts.from ?? 1; vote <= (opts.to ?? 30); vote++) {
    const pairTokens = tokens(vote);
    out.push({ run: id, vote, pairMs: a + b * (pairTokens + 1) + c * vote + (opts.noiseMs ?? 0) * rng.normal(), pairTokens });
  }
  return out;
}

function fitted(result: PooledDriftResult): PooledDriftFit {
  if (!result.ok) throw new Error(`expected a fit, got: ${result.reason}`);
  return result;
}

/** The R a fit should give: mean intercept plus b at the median steps, read at votes 30 and 5. */
const expectedRatio = (meanIntercept: number, b: number, c: number, medianSteps: number) => {
  const m = meanIntercept + b * medianSteps;
  return (m + 30 * c) / (m + 5 * c);
};

describe('pooledSameDrawDrift', () => {
  it('recovers a, b and c exactly from noise-free runs, and R from them', () => {
    const fit = fitted(pooledSameDrawDrift([...run('x', 40, 6, 2), ...run('y', 90, 6, 2)], { samples: 200 }));
    expect(fit.perStepMs).toBeCloseTo(6, 9);
    expect(fit.perVoteMs).toBeCloseTo(2, 9);
    expect(fit.runs.map((r) => r.interceptMs)).toEqual([expect.closeTo(40, 9), expect.closeTo(90, 9)]);
    expect(fit.ratio).toBeCloseTo(expectedRatio(65, 6, 2, fit.medianSteps), 9);
    expect(fit.atLateVoteMs / fit.atEarlyVoteMs).toBeCloseTo(fit.ratio, 12);
    // Every resample of exact data gives the same line, so the interval shrinks onto R.
    expect(fit.bootstrap.ratio95[0]).toBeCloseTo(fit.ratio, 9);
    expect(fit.bootstrap.ratio95[1]).toBeCloseTo(fit.ratio, 9);
  });

  it('no drift: R near 1, and the interval holds 1', () => {
    const records = [...run('p', 50, 8, 0, { noiseMs: 25, seed: 3 }), ...run('q', 120, 8, 0, { noiseMs: 25, seed: 4 })];
    const fit = fitted(pooledSameDrawDrift(records, { seed: 11 }));
    expect(fit.perStepMs).toBeGreaterThan(6.5);
    expect(fit.perStepMs).toBeLessThan(9.5);
    expect(Math.abs(fit.ratio - 1)).toBeLessThan(0.1);
    expect(fit.bootstrap.ratio95[0]).toBeLessThan(1);
    expect(fit.bootstrap.ratio95[1]).toBeGreaterThan(1);
    expect(fit.bootstrap.used).toBe(2000);
  });

  it('a known drift gives the R it implies, inside its interval', () => {
    // 3 ms a vote on a same draw of ~150 ms: R = (m + 90) / (m + 15), about 1.45.
    const records = [...run('p', 30, 5, 3, { noiseMs: 10, seed: 5 }), ...run('q', 60, 5, 3, { noiseMs: 10, seed: 6 }), ...run('r', 45, 5, 3, { noiseMs: 10, seed: 7 })];
    const fit = fitted(pooledSameDrawDrift(records, { seed: 2 }));
    const truth = expectedRatio(45, 5, 3, fit.medianSteps);
    expect(fit.perVoteMs).toBeCloseTo(3, 0);
    expect(Math.abs(fit.ratio - truth)).toBeLessThan(0.05);
    expect(fit.bootstrap.ratio95[0]).toBeLessThan(truth);
    expect(fit.bootstrap.ratio95[1]).toBeGreaterThan(truth);
    expect(fit.bootstrap.ratio95[0]).toBeGreaterThan(1.2);
    expect(fit.bootstrap.perVoteMs95[0]).toBeGreaterThan(0);
  });

  it('an intercept per run: a slow run early and a fast one late is not a drift', () => {
    // One shared intercept would read the 200 ms step between the runs as ~−13 ms a vote.
    const records = [...run('slow', 300, 5, 0, { from: 1, to: 15 }), ...run('fast', 100, 5, 0, { from: 16, to: 30 })];
    const fit = fitted(pooledSameDrawDrift(records, { samples: 200 }));
    expect(fit.perVoteMs).toBeCloseTo(0, 9);
    expect(fit.perStepMs).toBeCloseTo(5, 9);
    expect(fit.ratio).toBeCloseTo(1, 9);
    expect(fit.runs).toEqual([
      { run: 'slow', votes: 15, interceptMs: expect.closeTo(300, 9) },
      { run: 'fast', votes: 15, interceptMs: expect.closeTo(100, 9) },
    ]);
  });

  it('the bootstrap replays for a seed and moves with it; blocks resample too', () => {
    const records = [...run('p', 50, 8, 1, { noiseMs: 30, seed: 8 }), ...run('q', 80, 8, 1, { noiseMs: 30, seed: 9 })];
    const one = fitted(pooledSameDrawDrift(records, { seed: 42, samples: 500 }));
    const again = fitted(pooledSameDrawDrift(records, { seed: 42, samples: 500 }));
    const other = fitted(pooledSameDrawDrift(records, { seed: 43, samples: 500 }));
    expect(again.bootstrap).toEqual(one.bootstrap);
    expect(other.bootstrap.ratio95).not.toEqual(one.bootstrap.ratio95);
    expect(other.ratio).toBe(one.ratio);
    const blocks = fitted(pooledSameDrawDrift(records, { seed: 42, samples: 500, blockLength: 5 }));
    expect(blocks.ratio).toBe(one.ratio);
    expect(blocks.bootstrap.blockLength).toBe(5);
    expect(blocks.bootstrap.used).toBe(500);
    expect(blocks.bootstrap.ratio95).not.toEqual(one.bootstrap.ratio95);
    expect(fitted(pooledSameDrawDrift(records, { seed: 42, samples: 500, blockLength: 5 })).bootstrap).toEqual(blocks.bootstrap);
  });

  it('fits only the window asked for', () => {
    // Votes 1–4 ten times slower (a warm-up): over votes 5–30 the drift is the true 1 ms.
    const records = run('w', 50, 5, 1).map((t) => (t.vote <= 4 ? { ...t, pairMs: t.pairMs * 10 } : t));
    const all = fitted(pooledSameDrawDrift(records, { samples: 100 }));
    const late = fitted(pooledSameDrawDrift(records, { fromVote: 5, toVote: 30, samples: 100 }));
    expect(all.perVoteMs).toBeLessThan(0);
    expect(late.perVoteMs).toBeCloseTo(1, 9);
    expect(late.votes).toBe(26);
    expect(late.window).toEqual({ fromVote: 5, toVote: 30 });
  });

  it('leaves out runs with under 3 votes in the window, and says so', () => {
    const records = [...run('full', 50, 5, 1), ...run('short', 500, 5, 1, { from: 29, to: 30 })];
    const fit = fitted(pooledSameDrawDrift(records, { samples: 100 }));
    expect(fit.runs.map((r) => r.run)).toEqual(['full']);
    expect(fit.excludedRuns).toEqual([{ run: 'short', votes: 2, reason: 'fewer than 3 votes in votes 1–30' }]);
    expect(fit.perVoteMs).toBeCloseTo(1, 9);
    const none = pooledSameDrawDrift(run('short', 500, 5, 1, { from: 29, to: 30 }));
    expect(none).toMatchObject({ ok: false, reason: 'no run has 3 or more votes in votes 1–30' });
  });

  it('steps that never vary within a run: b is 0 and c is still fitted', () => {
    const records = [...run('p', 50, 5, 2, { tokens: () => 10 }), ...run('q', 70, 5, 2, { tokens: () => 20 })];
    const fit = fitted(pooledSameDrawDrift(records, { samples: 100 }));
    expect(fit.stepsVary).toBe(false);
    expect(fit.perStepMs).toBe(0);
    expect(fit.perVoteMs).toBeCloseTo(2, 9);
    // The intercepts absorb each run's fixed steps: 50 + 5·11 and 70 + 5·21.
    expect(fit.runs.map((r) => r.interceptMs)).toEqual([expect.closeTo(105, 9), expect.closeTo(175, 9)]);
  });

  it('a replicate whose resampled steps stop varying is left out, not fitted with b = 0', () => {
    // Five votes, steps varying at one vote only: many single-vote resamples miss it.
    const records = run('short', 50, 5, 2, { from: 1, to: 5, tokens: (v) => (v === 3 ? 30 : 10) });
    const fit = fitted(pooledSameDrawDrift(records, { fromVote: 1, toVote: 5, samples: 400 }));
    expect(fit.stepsVary).toBe(true);
    expect(fit.perStepMs).toBeCloseTo(5, 9);
    // P(vote 3 never drawn in 5 draws) = (4/5)^5 ≈ 0.33 of replicates have no spread in steps.
    expect(fit.bootstrap.used).toBeLessThan(340);
    expect(fit.bootstrap.used).toBeGreaterThan(200);
    // Every replicate used kept the per-step slope: noise-free data give it exactly.
    expect(fit.bootstrap.perStepMs95[0]).toBeCloseTo(5, 6);
    expect(fit.bootstrap.perStepMs95[1]).toBeCloseTo(5, 6);
  });

  it('steps that move in step with the vote: no fit, with the reason', () => {
    const result = pooledSameDrawDrift(run('lockstep', 50, 5, 2, { tokens: (v) => 2 * v }));
    expect(result).toMatchObject({ ok: false, reason: expect.stringContaining('cannot be told apart') });
  });

  it('refuses records it cannot trust', () => {
    const good = run('p', 50, 5, 1);
    expect(() => pooledSameDrawDrift([...good, { ...good[3]! }])).toThrow(/appears twice/);
    expect(() => pooledSameDrawDrift([{ ...good[0]!, pairMs: NaN }])).toThrow(/pairMs/);
    expect(() => pooledSameDrawDrift([{ ...good[0]!, pairTokens: 2.5 }])).toThrow(/pairTokens/);
    expect(() => pooledSameDrawDrift(good, { fromVote: 10, toVote: 5 })).toThrow(/fromVote/);
    expect(() => pooledSameDrawDrift(good, { blockLength: 0 })).toThrow(/blockLength/);
  });
});

describe("the page bench's summary", () => {
  it('carries the one-run fit: the drift and R of the run alone, null without tokens', () => {
    const timings = run('one', 40, 10, 2).map((t) => ({ vote: t.vote, pairMs: t.pairMs, weightsMs: 1000, trainedAtPair: t.vote - 1, pairTokens: t.pairTokens }));
    const drift = summarize(timings).sameDrawDrift!;
    const fit = fitted(pooledSameDrawDrift(run('one', 40, 10, 2)));
    expect(drift).toEqual({ perStepMs: 10, perVoteMs: 2, ratio: Math.round(fit.ratio * 100) / 100, ratio95: [Math.round(fit.ratio * 100) / 100, Math.round(fit.ratio * 100) / 100] });
    expect(drift.ratio).toBeCloseTo(expectedRatio(40, 10, 2, fit.medianSteps), 2);
    expect(summarize(timings.map((t, i) => (i === 3 ? { ...t, pairTokens: undefined } : t))).sameDrawDrift).toBeNull();
    expect(summarize(timings.slice(0, 19)).sameDrawDrift).toBeNull();
  });
});
