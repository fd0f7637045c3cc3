/**
 * Page-level latency of the voting loop (issue "Real time", item 5): the playground in headless
 * Chromium on the shipped model with its defaults, a person who reads each pair for `--read-ms`
 * and then votes A. For every vote, measured inside the page from the click on "A is better":
 *
 * - `pairMs`: until the next fresh pair is votable (the duel left `ready` and is `ready` again
 *   with another `data-pair-id`);
 * - `weightsMs`: until the Train cell says the weights learned from this vote
 *   (`policy-step` `data-votes-trained` reached the vote's number); null when that had not
 *   happened by the time the next pair was votable and the reading pause was over (a vote the
 *   trainer had not reached yet: the weights were behind).
 *
 * Summaries: p50 / p95 over votes 6–N (the issue's window), and the mean of votes 3–7 against
 * the mean of the last five (does latency grow with the session?).
 *
 *   npx tsx scripts/bench/page_latency.ts [--votes 30] [--read-ms 1000] [--out FILE.json]
 *
 * It starts its own Vite server on 127.0.0.1 and stops by itself. Timings are for this machine
 * (the JSON records its CPUs and load); the backend is whatever "auto" picks in this Chromium.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { openApp, startAppServer, waitForModel } from '../../tests/e2e/support/harness.ts';

interface Args {
  votes: number;
  readMs: number;
  out: string | null;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { votes: 30, readMs: 1000, out: null };
  for (let i = 0; i < argv.length; i++) {
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${argv[i - 1]} needs a value`);
      return v;
    };
    const k = argv[i];
    if (k === '--votes') args.votes = Number(value());
    else if (k === '--read-ms') args.readMs = Number(value());
    else if (k === '--out') args.out = value();
    else throw new Error(`unknown option ${k}`);
  }
  if (!Number.isInteger(args.votes) || args.votes < 1 || args.votes > 200) throw new Error('--votes must be an integer in 1…200');
  if (!Number.isFinite(args.readMs) || args.readMs < 0) throw new Error('--read-ms must be ≥ 0');
  return args;
}

interface VoteTiming {
  vote: number;
  pairMs: number;
  weightsMs: number | null;
  /** Votes the weights had learned from when the next pair became votable. */
  trainedAtPair: number;
}

function quantile(values: number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const round = (x: number) => Math.round(x * 10) / 10;

/** The commit measured (with "-dirty" when the checkout had uncommitted changes). */
function codeVersion(): string {
  try {
    return execFileSync('git', ['describe', '--always', '--dirty', '--abbrev=12'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const loadBefore = os.loadavg()[0]!;
  const app = await startAppServer();
  try {
    const context = await app.browser.newContext({ viewport: { width: 1280, height: 900 } });
    const { page, errors } = await openApp(context, `${app.baseUrl}/`);
    await waitForModel(page);
    // tsx (esbuild's keepNames) wraps named functions in __name(…): give the page one.
    await page.evaluate('globalThis.__name = (f) => f');
    const backend = (await page.getByTestId('backend-label').innerText()).trim();
    const timings: VoteTiming[] = [];
    for (let vote = 1; vote <= args.votes; vote++) {
      await page.locator('[data-testid="duel"][data-phase="ready"]').waitFor({ timeout: 180_000 });
      await page.waitForTimeout(args.readMs);
      const timing = await page.evaluate(
        ({ vote, readMs, timeoutMs }) =>
          new Promise<{ pairMs: number; weightsMs: number | null; trainedAtPair: number }>((resolve, reject) => {
            const duel = document.querySelector('[data-testid="duel"]')!;
            const step = () => Number(document.querySelector('[data-testid="policy-step"]')?.getAttribute('data-votes-trained') ?? NaN);
            const button = document.querySelector<HTMLButtonElement>('[data-testid="vote-a"]');
            const votedOn = duel.getAttribute('data-pair-id');
            if (!button || button.disabled) return reject(new Error(`vote ${vote}: the A button is not enabled`));
            let left = false;
            let pairMs: number | null = null;
            let weightsMs: number | null = null;
            let trainedAtPair = NaN;
            let pairAt = 0;
            const t0 = performance.now();
            const finish = () => {
              observer.disconnect();
              clearInterval(ticker);
              resolve({ pairMs: pairMs!, weightsMs, trainedAtPair });
            };
            const check = () => {
              const now = performance.now();
              const phase = duel.getAttribute('data-phase');
              if (phase !== 'ready') left = true;
              if (weightsMs === null && step() >= vote) weightsMs = now - t0;
              // A fresh pair: votable again, with another id than the one just voted on.
              if (pairMs === null && left && phase === 'ready' && duel.getAttribute('data-pair-id') !== votedOn) {
                pairMs = now - t0;
                pairAt = now;
                trainedAtPair = step();
              }
              // Done once the weights caught up, or the person would vote again (pair + reading pause).
              if (pairMs !== null && (weightsMs !== null || now - pairAt >= readMs)) finish();
              else if (now - t0 > timeoutMs) {
                observer.disconnect();
                clearInterval(ticker);
                reject(new Error(`vote ${vote}: no votable pair after ${timeoutMs} ms`));
              }
            };
            const observer = new MutationObserver(check);
            observer.observe(document.body, { attributes: true, subtree: true, attributeFilter: ['data-phase', 'data-votes-trained'] });
            // The reading-pause deadline passes without a mutation: look again every 20 ms.
            const ticker = setInterval(check, 20);
            button.click();
          }),
        { vote, readMs: args.readMs, timeoutMs: 180_000 },
      );
      timings.push({ vote, pairMs: round(timing.pairMs), weightsMs: timing.weightsMs === null ? null : round(timing.weightsMs), trainedAtPair: timing.trainedAtPair });
      process.stderr.write(`vote ${vote}: next pair ${timing.pairMs.toFixed(0)} ms, weights ${timing.weightsMs === null ? 'behind' : `${timing.weightsMs.toFixed(0)} ms`}\n`);
    }
    const window = timings.filter((t) => t.vote >= 6);
    const pair = window.map((t) => t.pairMs);
    const weights = window.map((t) => t.weightsMs).filter((w): w is number => w !== null);
    const early = timings.filter((t) => t.vote >= 3 && t.vote <= 7).map((t) => t.pairMs);
    const late = timings.slice(-5).map((t) => t.pairMs);
    const result = {
      what: 'key press → next votable pair and → updated weights, in the page (headless Chromium), shipped model, playground defaults',
      command: `npx tsx scripts/bench/page_latency.ts --votes ${args.votes} --read-ms ${args.readMs}`,
      date: new Date().toISOString(),
      code: codeVersion(),
      machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? 'unknown', loadAverage1mBefore: round(loadBefore), node: process.version },
      backend,
      readMs: args.readMs,
      votes: args.votes,
      summary: {
        window: `votes 6–${args.votes}`,
        pairP50Ms: round(quantile(pair, 0.5)),
        pairP95Ms: round(quantile(pair, 0.95)),
        weightsP50Ms: weights.length ? round(quantile(weights, 0.5)) : null,
        weightsP95Ms: weights.length ? round(quantile(weights, 0.95)) : null,
        /** Votes in the window whose weights were not updated by the time the person voted again. */
        weightsBehind: window.length - weights.length,
        /** Most votes the weights lagged behind the log when a pair became votable. */
        maxVotesBehindAtPair: Math.max(...timings.map((t) => t.vote - t.trainedAtPair)),
        pairMeanVotes3to7Ms: round(mean(early)),
        pairMeanLast5Ms: round(mean(late)),
        lateOverEarly: round((mean(late) / mean(early)) * 100) / 100,
      },
      timings,
      pageErrors: errors,
    };
    const json = JSON.stringify(result, null, 2) + '\n';
    if (args.out) writeFileSync(args.out, json);
    process.stdout.write(json);
    await context.close();
  } finally {
    await app.close();
  }
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exitCode = 1;
});
