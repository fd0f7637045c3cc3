/**
 * Key press → next votable pair and key press → updated weights (issue "Real time", items 1, 2
 * and 5), measured two ways with the playground's defaults on the shipped policy:
 *
 * - `measurePageLatency`: the playground in headless Chromium, a person who reads each pair for
 *   `readMs` and then votes A. Inside the page, from the click on "A is better": `pairMs` until
 *   the duel is votable again with another `data-pair-id`; `weightsMs` until the Train cell's
 *   `policy-step` says the weights learned from this vote (`data-votes-trained` ≥ the vote's
 *   number), taken from a log of when each count was first shown, so it is measured for every
 *   vote, also those the trainer reached only after the person voted again.
 * - `measureNodeLoop`: the same loop in Node (EngineService, CPU backend): draw the next pair
 *   (two samples, the Duel's sampling), then reduce the vote. No reading pause and nothing else
 *   competes: `pairMs` is the draw alone, `weightsMs` the draw plus the reduce.
 *
 * Summaries are over votes 6–N (the window; all votes when N < 6), p50 and p95 as the
 * ⌊q·n⌋-th order statistic.
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { openApp, startAppServer, waitForModel } from '../tests/e2e/support/harness.ts';
import { EngineService } from '../src/engine/service';
import type { ModelSource } from '../src/engine/api';
import { createIdGenerator, createStarterSession, learningSettings } from '../src/session/index';
import { drawSteps as stepsOfDraw, pooledSameDrawDrift } from './pooled_drift';
import { quantile, round } from './timing';
import type { BenchRow } from './types';

export interface VoteTiming {
  vote: number;
  pairMs: number;
  weightsMs: number;
  /** Votes the weights had learned from when the next pair became votable. */
  trainedAtPair: number;
  /** Votes the weights that drew that pair had learned from (the duel's `data-drawn-votes`; the draw worker's copy may lag the trainer). */
  drawnAtPair?: number;
  /** Tokens of the next pair's longer candidate (the duel's `data-pair-tokens`): the decode steps its draw took. */
  pairTokens?: number;
}

export interface LatencySummary {
  window: string;
  pairP50Ms: number;
  pairP95Ms: number;
  weightsP50Ms: number;
  weightsP95Ms: number;
  /** Most votes the weights lagged behind the log when a pair became votable. */
  maxVotesBehindAtPair: number;
  /** Most votes the weights that drew a pair lagged behind the log (null when pairs do not say). */
  maxVotesBehindDrawn: number | null;
  /** Next pair at the last vote over next pair at vote 5 (the issue: within 20 %). */
  lastOverVote5: number | null;
  /**
   * The same question for the same draw. A pair's draw takes one decode step per token of its
   * longer candidate, plus the end-of-text step, and the policy's completions change length as
   * it learns, so the raw ratio moves with what was written. Here next-pair time is fitted as
   * a + b·steps (least squares) over the first ten votes and over the last ten, and both fits
   * are read at the run's median steps: the late fit's time over the early one's. It moves only
   * if the time for the same work grows with the session. Null when pairs do not say their
   * tokens, or with fewer than 20 votes.
   */
  sameDrawLateOverEarly: SameDrawFit | null;
  /**
   * The same question from one fit over all of the run's votes (bench/pooled_drift.ts, one run):
   * pairMs = a + b·steps + c·vote, R = the last vote over vote 5 at the median steps, with a
   * seeded bootstrap 95 % interval over the votes. Null when `sameDrawLateOverEarly` is, or
   * when the fit cannot tell b from c. Pool runs with scripts/bench/pooled_drift.ts.
   */
  sameDrawDrift: { perStepMs: number; perVoteMs: number; ratio: number; ratio95: [number, number] } | null;
}

export interface SameDrawFit {
  /** Decode steps the two fits are read at (the median over the run). */
  steps: number;
  /** a (ms) and b (ms per step) over votes 1–10, and the time they give at `steps`. */
  early: { interceptMs: number; perStepMs: number; atStepsMs: number };
  /** The same over the last ten votes. */
  late: { interceptMs: number; perStepMs: number; atStepsMs: number };
  ratio: number;
}

export interface LatencyRun {
  backend: string;
  readMs: number;
  /** Optimizer steps the weights held once every vote was learned (the page: fewer than votes × steps per vote when votes deferred theirs). */
  policySteps?: number;
  timings: VoteTiming[];
  summary: LatencySummary;
  pageErrors: string[];
}

const round1 = (x: number) => Math.round(x * 10) / 10;

export function summarize(timings: readonly VoteTiming[]): LatencySummary {
  const window = timings.length >= 6 ? timings.filter((t) => t.vote >= 6) : [...timings];
  const pair = window.map((t) => t.pairMs);
  const weights = window.map((t) => t.weightsMs);
  const vote5 = timings.find((t) => t.vote === 5);
  const last = timings[timings.length - 1];
  return {
    window: timings.length >= 6 ? `votes 6–${timings.length}` : `votes 1–${timings.length}`,
    pairP50Ms: round1(quantile(pair, 0.5)),
    pairP95Ms: round1(quantile(pair, 0.95)),
    weightsP50Ms: round1(quantile(weights, 0.5)),
    weightsP95Ms: round1(quantile(weights, 0.95)),
    maxVotesBehindAtPair: Math.max(...timings.map((t) => t.vote - t.trainedAtPair)),
    maxVotesBehindDrawn: timings.every((t) => t.drawnAtPair !== undefined) ? Math.max(...timings.map((t) => t.vote - t.drawnAtPair!)) : null,
    lastOverVote5: vote5 && last && last.vote > 5 ? Math.round((last.pairMs / vote5.pairMs) * 100) / 100 : null,
    sameDrawLateOverEarly: sameDrawLateOverEarly(timings),
    sameDrawDrift: sameDrawDrift(timings),
  };
}

function sameDrawDrift(timings: readonly VoteTiming[]): LatencySummary['sameDrawDrift'] {
  if (timings.length < 20 || timings.some((t) => t.pairTokens === undefined)) return null;
  const last = timings[timings.length - 1]!.vote;
  const fit = pooledSameDrawDrift(timings.map((t) => ({ run: 'this run', vote: t.vote, pairMs: t.pairMs, pairTokens: t.pairTokens! })), { toVote: last, lateVote: last, samples: 1000 });
  if (!fit.ok) return null;
  const r2 = (x: number) => Math.round(x * 100) / 100;
  return { perStepMs: r2(fit.perStepMs), perVoteMs: r2(fit.perVoteMs), ratio: r2(fit.ratio), ratio95: [r2(fit.bootstrap.ratio95[0]), r2(fit.bootstrap.ratio95[1])] };
}

/** Decode steps of a vote's draw (`pooled_drift.ts`'s `drawSteps`: its longer candidate's tokens and the end-of-text step). */
const drawSteps = (t: VoteTiming) => stepsOfDraw(t.pairTokens!);

/** Least-squares a + b·x; with no spread in x, the mean (b = 0). */
function lineFit(xs: readonly number[], ys: readonly number[]): { a: number; b: number } {
  const n = xs.length;
  const mx = xs.reduce((s, x) => s + x, 0) / n;
  const my = ys.reduce((s, y) => s + y, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (xs[i]! - mx) ** 2;
    sxy += (xs[i]! - mx) * (ys[i]! - my);
  }
  const b = sxx > 0 ? sxy / sxx : 0;
  return { a: my - b * mx, b };
}

export function sameDrawLateOverEarly(timings: readonly VoteTiming[]): SameDrawFit | null {
  if (timings.length < 20 || timings.some((t) => t.pairTokens === undefined)) return null;
  const steps = quantile(timings.map(drawSteps), 0.5);
  const fit = (ts: readonly VoteTiming[]) => {
    const { a, b } = lineFit(ts.map(drawSteps), ts.map((t) => t.pairMs));
    return { interceptMs: round1(a), perStepMs: Math.round(b * 100) / 100, atStepsMs: round1(a + b * steps) };
  };
  const early = fit(timings.slice(0, 10));
  const late = fit(timings.slice(-10));
  return { steps, early, late, ratio: Math.round((late.atStepsMs / early.atStepsMs) * 100) / 100 };
}

/** Installed once in the page: when each `data-votes-trained` count was first shown. */
const TRAINED_LOG = `(() => {
  const seen = (window.__trainedAt = []);
  const look = () => {
    const n = Number(document.querySelector('[data-testid="policy-step"]')?.getAttribute('data-votes-trained') ?? NaN);
    const now = performance.now();
    if (Number.isFinite(n)) for (let k = 1; k <= n; k++) if (seen[k] === undefined) seen[k] = now;
  };
  new MutationObserver(look).observe(document.body, { attributes: true, childList: true, subtree: true, attributeFilter: ['data-votes-trained'] });
  setInterval(look, 20);
})()`;

/** Train-cell settings to set before voting (the starter's when absent). */
export interface TrainOverrides {
  stepsPerVote?: number;
  batchSize?: number;
}

export async function measurePageLatency(opts: { votes: number; readMs: number; train?: TrainOverrides; log?: (s: string) => void }): Promise<LatencyRun> {
  const log = opts.log ?? (() => {});
  const app = await startAppServer();
  try {
    const context = await app.browser.newContext({ viewport: { width: 1280, height: 900 } });
    const { page, errors } = await openApp(context, `${app.baseUrl}/`);
    await waitForModel(page);
    // tsx (esbuild's keepNames) wraps named functions in __name(…): give the page one.
    await page.evaluate('globalThis.__name = (f) => f');
    await page.evaluate(TRAINED_LOG);
    // Set through the Train cell's fields, as a person would (logged as a settings event before the first vote).
    for (const [label, value] of [['Steps per vote', opts.train?.stepsPerVote], ['Batch', opts.train?.batchSize]] as const) {
      if (value === undefined) continue;
      const field = page.getByTestId('cell-train').getByLabel(label, { exact: true });
      await field.fill(String(value));
      await field.blur();
      if ((await field.getAttribute('aria-invalid')) === 'true' || Number(await field.inputValue()) !== value) throw new Error(`the Train cell refused ${label} = ${value}`);
    }
    const backend = (await page.getByTestId('backend-label').innerText()).trim();
    const clicks: { vote: number; at: number; pairMs: number; trainedAtPair: number; drawnAtPair?: number; pairTokens?: number }[] = [];
    for (let vote = 1; vote <= opts.votes; vote++) {
      await page.locator('[data-testid="duel"][data-phase="ready"]').waitFor({ timeout: 180_000 });
      await page.waitForTimeout(opts.readMs);
      const c = await page.evaluate(
        ({ vote, timeoutMs }) =>
          new Promise<{ at: number; pairMs: number; trainedAtPair: number; drawnAtPair?: number; pairTokens?: number }>((resolve, reject) => {
            const duel = document.querySelector('[data-testid="duel"]')!;
            const trained = () => Number(document.querySelector('[data-testid="policy-step"]')?.getAttribute('data-votes-trained') ?? NaN);
            const button = document.querySelector<HTMLButtonElement>('[data-testid="vote-a"]');
            const votedOn = duel.getAttribute('data-pair-id');
            if (!button || button.disabled) return reject(new Error(`vote ${vote}: the A button is not enabled`));
            let left = false;
            const t0 = performance.now();
            const stop = () => {
              observer.disconnect();
              clearInterval(ticker);
            };
            const check = () => {
              const now = performance.now();
              const phase = duel.getAttribute('data-phase');
              if (phase !== 'ready') left = true;
              // A fresh pair: votable again, with another id than the one just voted on.
              if (left && phase === 'ready' && duel.getAttribute('data-pair-id') !== votedOn) {
                stop();
                const drawn = duel.getAttribute('data-drawn-votes');
                const tokens = duel.getAttribute('data-pair-tokens');
                resolve({ at: t0, pairMs: now - t0, trainedAtPair: trained(), ...(drawn ? { drawnAtPair: Number(drawn) } : {}), ...(tokens ? { pairTokens: Number(tokens) } : {}) });
              } else if (now - t0 > timeoutMs) {
                stop();
                reject(new Error(`vote ${vote}: no votable pair after ${timeoutMs} ms`));
              }
            };
            const observer = new MutationObserver(check);
            observer.observe(document.body, { attributes: true, subtree: true, attributeFilter: ['data-phase', 'data-pair-id'] });
            const ticker = setInterval(check, 20);
            button.click();
          }),
        { vote, timeoutMs: 180_000 },
      );
      clicks.push({ vote, ...c });
      log(`page vote ${vote}: next pair ${c.pairMs.toFixed(0)} ms (${c.pairTokens ?? '?'} tokens), weights ${vote - c.trainedAtPair} vote(s) behind, drawn from weights ${c.drawnAtPair === undefined ? '?' : vote - c.drawnAtPair} behind`);
    }
    // Let training finish, then read when each vote's weights appeared.
    await page.waitForFunction((n) => (window as unknown as { __trainedAt: number[] }).__trainedAt[n] !== undefined, opts.votes, { timeout: 300_000 });
    const trainedAt = (await page.evaluate('window.__trainedAt')) as number[];
    const policySteps = Number(await page.getByTestId('policy-step').getAttribute('data-step'));
    const timings = clicks.map((c) => ({ vote: c.vote, pairMs: round1(c.pairMs), weightsMs: round1(trainedAt[c.vote]! - c.at), trainedAtPair: c.trainedAtPair, ...(c.drawnAtPair !== undefined ? { drawnAtPair: c.drawnAtPair } : {}), ...(c.pairTokens !== undefined ? { pairTokens: c.pairTokens } : {}) }));
    await context.close();
    return { backend, readMs: opts.readMs, policySteps, timings, summary: summarize(timings), pageErrors: errors };
  } finally {
    await app.close();
  }
}

/** The shipped policy, the starter session's settings, `votes` pairs drawn and voted A in Node. */
export async function measureNodeLoop(opts: { root: string; votes: number; train?: TrainOverrides; log?: (s: string) => void }): Promise<Omit<LatencyRun, 'pageErrors'>> {
  const dir = join(opts.root, 'models/default');
  const source: ModelSource = {
    kind: 'files',
    name: 'default',
    config: readFileSync(join(dir, 'config.json'), 'utf8'),
    tokenizer: readFileSync(join(dir, 'tokenizer.json'), 'utf8'),
    weights: new Uint8Array(readFileSync(join(dir, 'model.safetensors'))).buffer as ArrayBuffer,
  };
  const prompts = (JSON.parse(readFileSync(join(dir, 'prompts.json'), 'utf8')) as { prompts: string[] }).prompts;
  const starter = createStarterSession(createIdGenerator({ seed: 1 }), { title: 'bench', now: 0 });
  const train = starter.cells.find((c) => c.kind === 'train');
  const duel = starter.cells.find((c) => c.kind === 'duel');
  if (train?.kind !== 'train' || duel?.kind !== 'duel') throw new Error('the starter session lacks a Train or Duel cell');
  const engine = new EngineService(undefined);
  try {
    await engine.loadModel(source, 'cpu');
    await engine.reduce({ intents: [{ seq: 0, type: 'settings', settings: learningSettings({ ...train.config, ...opts.train }, duel.config) }] });
    const { temperature, topK, topP, maxTokens } = duel.config.sampling;
    const timings: VoteTiming[] = [];
    for (let vote = 1; vote <= opts.votes; vote++) {
      const prompt = prompts[(vote - 1) % prompts.length]!;
      const t0 = performance.now();
      const room = engine.requirePolicy().config.nPositions - engine.requirePolicy().tokenizer.encode(prompt).length;
      const pair = await engine.generate({ prompt, numSequences: 2, maxNewTokens: Math.max(1, Math.min(maxTokens, room)), temperature, topK, topP, seed: vote });
      const pairMs = performance.now() - t0;
      const [aIds, bIds] = pair.tokenIds as [number[], number[]];
      await engine.reduce({ intents: [{ seq: vote, type: 'pair', prompt, aIds, bIds, outcome: 'a' }] });
      timings.push({ vote, pairMs: round1(pairMs), weightsMs: round1(performance.now() - t0), trainedAtPair: vote - 1, pairTokens: Math.max(aIds.length, bIds.length) });
      opts.log?.(`node vote ${vote}: pair ${pairMs.toFixed(0)} ms (${Math.max(aIds.length, bIds.length)} tokens), weights ${(performance.now() - t0).toFixed(0)} ms`);
    }
    return { backend: 'CPU backend (Node)', readMs: 0, policySteps: engine.step, timings, summary: summarize(timings) };
  } finally {
    await engine.dispose();
  }
}

/** What the page ran on, in the bench's adapter form ("CPU: …" or "WebGPU: …"). */
function pageAdapter(backend: string): string {
  if (backend.startsWith('WebGPU')) return backend;
  const c = cpus();
  return `CPU: ${c[0]?.model?.trim() ?? 'unknown'} (${c.length} logical cores), headless Chromium — ${backend}`;
}

/** Case 8: the page against the same loop in Node, p50 and p95 of both latencies. */
export function pageRows(page: LatencyRun, node: Omit<LatencyRun, 'pageErrors'>, nodeAdapter: string): BenchRow[] {
  const inWindow = (run: { timings: VoteTiming[] }) => (run.timings.length >= 6 ? run.timings.filter((t) => t.vote >= 6) : run.timings);
  const pw = inWindow(page);
  const nw = inWindow(node);
  const rows: BenchRow[] = [];
  for (const [what, key, q] of [
    ['next votable pair', 'pairMs', 0.5],
    ['next votable pair', 'pairMs', 0.95],
    ['updated weights', 'weightsMs', 0.5],
    ['updated weights', 'weightsMs', 0.95],
  ] as const) {
    const ours = quantile(pw.map((t) => t[key]), q);
    const peer = quantile(nw.map((t) => t[key]), q);
    rows.push({
      group: 8,
      case: `key press → ${what}, p${Math.round(q * 100)} (${page.summary.window})`,
      ours,
      peer,
      ratio: round(ours / peer),
      unit: 'ms',
      better: 'lower',
      adapter: pageAdapter(page.backend),
      peerName: 'the same loop in Node: EngineService draws the next pair, then reduces the vote',
      peerAdapter: nodeAdapter,
      shapes: `shipped policy, the playground's defaults; ${page.timings.length} votes for A, ${page.readMs} ms reading each pair (Node: none)`,
      reps: pw.length,
      warmup: 0,
      oursMs: pw.map((t) => t[key]),
      peerMs: nw.map((t) => t[key]),
      notes: [
        'the playground in headless Chromium, timed inside the page from the click on "A is better"',
        key === 'pairMs'
          ? `until the duel is votable with a new data-pair-id; weights at most ${page.summary.maxVotesBehindAtPair} vote(s) behind when a pair showed, the weights that drew it at most ${page.summary.maxVotesBehindDrawn ?? 'n/a'}; next pair at the last vote / at vote 5: ${page.summary.lastOverVote5 ?? 'n/a'} (page), ${node.summary.lastOverVote5 ?? 'n/a'} (Node); the same draw (next pair fitted as a + b·decode steps over votes 1–10 and over the last ten, read at the median steps), late / early: ${page.summary.sameDrawLateOverEarly?.ratio ?? 'n/a'} (page), ${node.summary.sameDrawLateOverEarly?.ratio ?? 'n/a'} (Node)`
          : 'until policy-step data-votes-trained reached the vote (also when the person had voted again meanwhile); Node: draw + reduce',
        'the shipped policy in both, whatever --model says (the playground loads it)',
        ...(page.pageErrors.length ? [`page errors: ${page.pageErrors.slice(0, 3).join(' | ')}`] : []),
      ],
    });
  }
  return rows;
}
