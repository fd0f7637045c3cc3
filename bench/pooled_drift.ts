/**
 * "Key press → next pair at vote 30 is within 20 % of vote 5, for the same draw" (issue "Real
 * time"), estimated from one or more runs pooled, with an interval.
 *
 * Why a model: a pair's draw takes one decode step per token of its longer candidate (plus the
 * end-of-text step), and the completions change length as the policy learns, so raw per-vote
 * times move with what was written. `sameDrawLateOverEarly` (bench/page_latency.ts) fits two
 * 10-vote windows of one run; that ratio scatters 0.8–1.4 between runs. Here every vote of every
 * run goes into one least-squares fit
 *
 *     pairMs = a_run + b·steps + c·vote
 *
 * with an intercept per run (machines, load and page state differ between runs), a shared
 * per-step cost b and a shared per-vote drift c: c is exactly "the same draw gets slower as the
 * session goes on". The ratio read off it is R = (m + 30c) / (m + 5c), where m = mean over runs
 * of (a_run + b·median steps) is the same draw's time at "vote 0".
 *
 * The 95 % interval is a seeded percentile bootstrap that resamples votes with replacement within
 * each run (so every replicate keeps each run's size and intercept) and refits. Resampling single
 * votes treats a run's residuals as independent; `blockLength` > 1 resamples runs of consecutive
 * votes instead (a moving-block bootstrap) for when they are not. Either way it covers only the
 * scatter of votes within the runs given, not how runs on another day or machine would differ.
 *
 * Pure: no I/O, no clock; the only randomness is `Rng` from the given seed.
 */
import { Rng, type RngSeed } from '../src/engine/rng';
import { quantile as interpolatedQuantile } from '../src/engine/stats/win_rate';
import { quantile } from './timing';

/** One vote of one run: the next pair's time and the tokens of its longer candidate. */
export interface DriftRecord {
  run: string;
  vote: number;
  pairMs: number;
  pairTokens: number;
}

export interface PooledDriftOptions {
  /** Votes fitted, inclusive (default 1–30). */
  fromVote?: number;
  toVote?: number;
  /** The votes R compares: late over early (default vote 30 over vote 5, as the issue says). */
  earlyVote?: number;
  lateVote?: number;
  /** Bootstrap seed, replicates (default 2000) and block length in votes (default 1: single votes). */
  seed?: RngSeed;
  samples?: number;
  blockLength?: number;
}

export interface PooledDriftFit {
  window: { fromVote: number; toVote: number };
  earlyVote: number;
  lateVote: number;
  /** Runs fitted, each with its votes in the window and its own intercept a_run (ms). */
  runs: { run: string; votes: number; interceptMs: number }[];
  /** Runs left out, and why (fewer than 3 votes in the window leaves no spread to fit). */
  excludedRuns: { run: string; votes: number; reason: string }[];
  /** Votes fitted, all runs together. */
  votes: number;
  /** Decode steps (tokens + 1) the same draw is read at: the median over the fitted votes. */
  medianSteps: number;
  /** b: ms per decode step. 0 when no run's steps vary (then b cannot be told from the intercepts). */
  perStepMs: number;
  /** c: ms per vote at the same steps: the drift in question. */
  perVoteMs: number;
  /** Ordinary least-squares standard errors of b and c (independent, equal-variance residuals), for comparison with the bootstrap. */
  perStepSeMs: number;
  perVoteSeMs: number;
  /** Whether steps varied within some run (false: b fixed at 0, see `perStepMs`). */
  stepsVary: boolean;
  /** Residual standard deviation (ms), over n − runs − 2 degrees of freedom. */
  residualSdMs: number;
  /** Lag-1 autocorrelation of the residuals within runs (vote order), pooled: near 0 means single-vote resampling is fair. */
  residualLag1: number;
  /** m: the same draw (median steps) at vote 0, mean over runs; and at the early and late votes. */
  sameDrawMs: number;
  atEarlyVoteMs: number;
  atLateVoteMs: number;
  /** R = (m + late·c) / (m + early·c). */
  ratio: number;
  bootstrap: {
    seed: RngSeed;
    samples: number;
    blockLength: number;
    /** Replicates that gave a ratio (the others had no spread left to fit, steps that stopped varying when the fit has a per-step slope, or m + early·c ≤ 0); the intervals are NaN when none did. */
    used: number;
    ratio95: [number, number];
    perVoteMs95: [number, number];
    perStepMs95: [number, number];
  };
}

export type PooledDriftResult = ({ ok: true } & PooledDriftFit) | { ok: false; reason: string; excludedRuns: PooledDriftFit['excludedRuns'] };

/** Decode steps of a pair's draw: its longer candidate's tokens and the end-of-text step (as in bench/page_latency.ts). */
export const drawSteps = (pairTokens: number) => pairTokens + 1;

/** Fewer votes than this in a run leave too little within-run spread to fit (and to resample). */
const MIN_VOTES_PER_RUN = 3;

/** One run's votes in the window, in vote order, as the numbers the fit uses. */
interface RunData {
  run: string;
  steps: number[];
  vote: number[];
  ms: number[];
}

interface CoreFit {
  b: number;
  c: number;
  intercepts: number[];
  stepsVary: boolean;
  /** Within-run sums of squares the standard errors need. */
  sss: number;
  svv: number;
  det: number;
}

/**
 * Least squares with one intercept per run, by sweeping each run's means out (Frisch–Waugh):
 * b and c come from the 2 × 2 normal equations of the within-run deviations, then
 * a_run = ȳ_run − b·s̄_run − c·v̄_run. Null when the votes do not vary within any run, or steps
 * and vote move together so closely that b and c cannot be told apart.
 */
function fitCore(runs: readonly RunData[], stepsMustVary = false): CoreFit | null {
  let sss = 0;
  let svv = 0;
  let ssv = 0;
  let ssy = 0;
  let svy = 0;
  let stepsVary = false;
  const means = runs.map((r) => {
    const n = r.ms.length;
    const s = r.steps.reduce((t, x) => t + x, 0) / n;
    const v = r.vote.reduce((t, x) => t + x, 0) / n;
    const y = r.ms.reduce((t, x) => t + x, 0) / n;
    for (let i = 0; i < n; i++) {
      const ds = r.steps[i]! - s;
      const dv = r.vote[i]! - v;
      const dy = r.ms[i]! - y;
      sss += ds * ds;
      svv += dv * dv;
      ssv += ds * dv;
      ssy += ds * dy;
      svy += dv * dy;
      // Exact comparison: steps are integers, and a tolerance on sss would depend on their scale.
      if (r.steps[i] !== r.steps[0]) stepsVary = true;
    }
    return { s, v, y };
  });
  if (!(svv > 0)) return null;
  // A bootstrap replicate of a fit with a per-step slope must estimate that slope too: one whose
  // resampled steps happen not to vary would switch to the b = 0 estimator and mix two estimators.
  if (stepsMustVary && !stepsVary) return null;
  let b: number;
  let c: number;
  let det: number;
  if (!stepsVary) {
    // No run's steps vary: the intercepts absorb them, so fit the drift alone (as lineFit's b = 0 fallback).
    b = 0;
    c = svy / svv;
    det = svv;
  } else {
    det = sss * svv - ssv * ssv;
    // Relative test: det / (sss·svv) = 1 − corr² of steps and vote within runs (|corr| above
    // 0.9999995 leaves b and c unidentifiable in practice).
    if (!(det > 1e-6 * sss * svv)) return null;
    b = (svv * ssy - ssv * svy) / det;
    c = (sss * svy - ssv * ssy) / det;
  }
  const intercepts = means.map((m) => m.y - b * m.s - c * m.v);
  return { b, c, intercepts, stepsVary, sss, svv, det };
}

/** R and m from a fit, read at `steps`; null when the early vote's time is not positive. */
function ratioOf(fit: CoreFit, steps: number, earlyVote: number, lateVote: number): { m: number; ratio: number } | null {
  const m = fit.intercepts.reduce((t, a) => t + a, 0) / fit.intercepts.length + fit.b * steps;
  const early = m + earlyVote * fit.c;
  if (!(early > 0)) return null;
  return { m, ratio: (m + lateVote * fit.c) / early };
}


/** A resample of one run: `blockLength` consecutive votes at a time, from uniform starts, cut to the run's size. */
function resampleRun(r: RunData, blockLength: number, rng: Rng): RunData {
  const n = r.ms.length;
  const block = Math.min(blockLength, n);
  const out: RunData = { run: r.run, steps: [], vote: [], ms: [] };
  while (out.ms.length < n) {
    const start = rng.int(n - block + 1);
    for (let k = 0; k < block && out.ms.length < n; k++) {
      out.steps.push(r.steps[start + k]!);
      out.vote.push(r.vote[start + k]!);
      out.ms.push(r.ms[start + k]!);
    }
  }
  return out;
}

function checkRecord(t: DriftRecord): void {
  if (!Number.isInteger(t.vote) || t.vote < 1) throw new RangeError(`run ${t.run}: vote must be a positive integer, got ${t.vote}`);
  if (!Number.isFinite(t.pairMs) || t.pairMs < 0) throw new RangeError(`run ${t.run} vote ${t.vote}: pairMs must be a finite number ≥ 0, got ${t.pairMs}`);
  if (!Number.isInteger(t.pairTokens) || t.pairTokens < 0) throw new RangeError(`run ${t.run} vote ${t.vote}: pairTokens must be an integer ≥ 0, got ${t.pairTokens}`);
}

/** The pooled fit and its bootstrap interval; `ok: false` with the reason when the records cannot support it. */
export function pooledSameDrawDrift(records: readonly DriftRecord[], options: PooledDriftOptions = {}): PooledDriftResult {
  const fromVote = options.fromVote ?? 1;
  const toVote = options.toVote ?? 30;
  const earlyVote = options.earlyVote ?? 5;
  const lateVote = options.lateVote ?? 30;
  const seed = options.seed ?? 0;
  const samples = options.samples ?? 2000;
  const blockLength = options.blockLength ?? 1;
  if (!(fromVote <= toVote)) throw new RangeError(`fromVote (${fromVote}) must be ≤ toVote (${toVote})`);
  if (!Number.isInteger(samples) || samples < 1) throw new RangeError(`samples must be a positive integer, got ${samples}`);
  if (!Number.isInteger(blockLength) || blockLength < 1) throw new RangeError(`blockLength must be a positive integer, got ${blockLength}`);

  // Group by run in first-seen order (so run order, and with it the bootstrap stream, follows the input).
  const byRun = new Map<string, DriftRecord[]>();
  for (const t of records) {
    checkRecord(t);
    const list = byRun.get(t.run) ?? [];
    if (list.some((u) => u.vote === t.vote)) throw new RangeError(`run ${t.run}: vote ${t.vote} appears twice`);
    list.push(t);
    byRun.set(t.run, list);
  }
  const runs: RunData[] = [];
  const excludedRuns: PooledDriftFit['excludedRuns'] = [];
  for (const [run, list] of byRun) {
    const inWindow = list.filter((t) => t.vote >= fromVote && t.vote <= toVote).sort((x, y) => x.vote - y.vote);
    if (inWindow.length < MIN_VOTES_PER_RUN) {
      excludedRuns.push({ run, votes: inWindow.length, reason: `fewer than ${MIN_VOTES_PER_RUN} votes in votes ${fromVote}–${toVote}` });
      continue;
    }
    runs.push({ run, steps: inWindow.map((t) => drawSteps(t.pairTokens)), vote: inWindow.map((t) => t.vote), ms: inWindow.map((t) => t.pairMs) });
  }
  if (runs.length === 0) return { ok: false, reason: `no run has ${MIN_VOTES_PER_RUN} or more votes in votes ${fromVote}–${toVote}`, excludedRuns };

  const fit = fitCore(runs);
  if (!fit) return { ok: false, reason: 'steps and vote move together within the runs: per-step cost and per-vote drift cannot be told apart', excludedRuns };
  // The same median steps as `sameDrawLateOverEarly` (page_latency.ts): the lower median.
  const steps = quantile(runs.flatMap((r) => r.steps), 0.5);
  const point = ratioOf(fit, steps, earlyVote, lateVote);
  if (!point) return { ok: false, reason: `the fitted time at vote ${earlyVote} is not positive: no ratio`, excludedRuns };

  // Residuals: spread for the standard errors, and their lag-1 autocorrelation (does vote order matter?).
  const n = runs.reduce((t, r) => t + r.ms.length, 0);
  let rss = 0;
  let lagProduct = 0;
  runs.forEach((r, k) => {
    const res = r.ms.map((y, i) => y - fit.intercepts[k]! - fit.b * r.steps[i]! - fit.c * r.vote[i]!);
    for (let i = 0; i < res.length; i++) {
      rss += res[i]! ** 2;
      if (i > 0) lagProduct += res[i]! * res[i - 1]!;
    }
  });
  const dof = n - runs.length - (fit.stepsVary ? 2 : 1);
  const sigma2 = dof > 0 ? rss / dof : NaN;
  // (X'X)⁻¹ of the within-run design: var(b) = σ²·svv/det, var(c) = σ²·sss/det (σ²/svv when b is fixed at 0).
  const perStepSeMs = fit.stepsVary ? Math.sqrt((sigma2 * fit.svv) / fit.det) : 0;
  const perVoteSeMs = fit.stepsVary ? Math.sqrt((sigma2 * fit.sss) / fit.det) : Math.sqrt(sigma2 / fit.svv);

  const rng = new Rng(seed).fork('pooled-drift-bootstrap');
  const ratios: number[] = [];
  const drifts: number[] = [];
  const perSteps: number[] = [];
  for (let k = 0; k < samples; k++) {
    const replicate = fitCore(runs.map((r) => resampleRun(r, blockLength, rng)), fit.stepsVary);
    const read = replicate && ratioOf(replicate, steps, earlyVote, lateVote);
    if (!replicate || !read) continue;
    ratios.push(read.ratio);
    drifts.push(replicate.c);
    perSteps.push(replicate.b);
  }
  const interval = (xs: number[]): [number, number] => {
    xs.sort((x, y) => x - y);
    return [interpolatedQuantile(xs, 0.025), interpolatedQuantile(xs, 0.975)];
  };

  return {
    ok: true,
    window: { fromVote, toVote },
    earlyVote,
    lateVote,
    runs: runs.map((r, k) => ({ run: r.run, votes: r.ms.length, interceptMs: fit.intercepts[k]! })),
    excludedRuns,
    votes: n,
    medianSteps: steps,
    perStepMs: fit.b,
    perVoteMs: fit.c,
    perStepSeMs,
    perVoteSeMs,
    stepsVary: fit.stepsVary,
    residualSdMs: Math.sqrt(sigma2),
    residualLag1: rss > 0 ? lagProduct / rss : 0,
    sameDrawMs: point.m,
    atEarlyVoteMs: point.m + earlyVote * fit.c,
    atLateVoteMs: point.m + lateVote * fit.c,
    ratio: point.ratio,
    bootstrap: { seed, samples, blockLength, used: ratios.length, ratio95: interval(ratios), perVoteMs95: interval(drifts), perStepMs95: interval(perSteps) },
  };
}
