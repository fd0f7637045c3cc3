/**
 * `npm run bench [-- --quick | --smoke] [--cases a,b] [--model DIR] [--out DIR] [--ort-threads N] [--verbose]`
 *
 * Node cases (reward, ratings, cpu_forward) run first, then the browser cases (matmul, decode,
 * scoring, online, memory) in headless Chromium, then the page case: the playground itself, key
 * press → next pair and → updated weights, beside the same loop in Node (bench/page_latency.ts).
 * Writes bench/results/<date>-<adapter>.json (+ .md) and prints the Markdown table on stdout;
 * progress goes to stderr.
 */
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BENCH_FILE_URLS, openBrowser, type BrowserSession } from './browser_runner';
import { loadPolicyFiles, makeWorkload, type PolicyFiles } from './model_source';
import { cpuLabel, NODE_CASE_FNS } from './node_cases';
import { measureNodeLoop, measurePageLatency, pageRows } from './page_latency';
import { markdown, writeResults, type RunMeta } from './report';
import { sizesFor } from './sizes';
import { ALL_CASES, BROWSER_CASES, NODE_CASES, type BenchRow, type BrowserCase, type BrowserConfig, type Mode, type NodeCase, type PageCase } from './types';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const USAGE = `usage: npm run bench [-- options]
  --quick            every case at small sizes (minutes)
  --smoke            smallest sizes, 2 repetitions, generated tiny model unless --model (the e2e smoke test)
  --cases LIST       comma-separated subset of: ${ALL_CASES.join(', ')}
  --model DIR        checkpoint directory (default models/default; a generated tiny model if it is incomplete)
  --out DIR          where to write <date>-<adapter>.json/.md (default bench/results)
  --ort-threads N    onnxruntime-web WASM threads (default 1: our CPU backend is single-threaded)
  --verbose          Vite and page logs`;

interface Args {
  mode: Mode;
  cases: (NodeCase | BrowserCase | PageCase)[];
  modelDir: string;
  outDir: string;
  ortThreads: number;
  verbose: boolean;
  /** --model was given: even --smoke then runs that model instead of the generated one. */
  modelGiven: boolean;
}

function parseArgs(argv: string[]): Args | string {
  const a: Args = {
    mode: 'full',
    cases: [...ALL_CASES],
    modelDir: join(ROOT, 'models/default'),
    outDir: join(ROOT, 'bench/results'),
    ortThreads: 1,
    verbose: false,
    modelGiven: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const val = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${k} needs a value`);
      return v;
    };
    try {
      if (k === '--quick') a.mode = 'quick';
      else if (k === '--smoke') a.mode = 'smoke';
      else if (k === '--full') a.mode = 'full';
      else if (k === '--verbose') a.verbose = true;
      else if (k === '--model') {
        a.modelDir = resolve(val());
        a.modelGiven = true;
      }
      else if (k === '--out') a.outDir = resolve(val());
      else if (k === '--ort-threads') {
        a.ortThreads = Number(val());
        if (!Number.isInteger(a.ortThreads) || a.ortThreads < 1) return '--ort-threads must be a positive integer';
      } else if (k === '--cases') {
        const all: readonly string[] = ALL_CASES;
        const list = val().split(',').map((s) => s.trim()).filter(Boolean);
        const bad = list.filter((c) => !all.includes(c));
        if (bad.length) return `unknown case(s) ${bad.join(', ')}; known: ${all.join(', ')}`;
        a.cases = list as Args['cases'];
      } else if (k === '--help' || k === '-h') return USAGE;
      else return `unknown option ${k}\n${USAGE}`;
    } catch (e) {
      return (e as Error).message;
    }
  }
  return a;
}

export async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  if (typeof args === 'string') {
    if (args === USAGE) {
      console.log(USAGE);
      return 0;
    }
    console.error(args);
    return 2;
  }
  const t0 = Date.now();
  const startedAt = new Date().toISOString();
  const loadStart = loadavg();
  const log = (s: string) => console.error(`[bench ${((Date.now() - t0) / 1000).toFixed(0).padStart(4)}s] ${s}`);
  const sizes = sizesFor(args.mode);
  const files = loadPolicyFiles({
    root: ROOT,
    dir: args.modelDir,
    forceFallback: args.mode === 'smoke' && !args.modelGiven,
    fallbackSize: args.mode === 'smoke' ? 'smoke' : 'small',
  });
  const info = files.info;
  log(`mode ${args.mode}; policy ${info.name}${info.note ? ` — ${info.note}` : ''}`);

  // Token workloads for a model, cut to its context window.
  const workloads = (f: PolicyFiles) => {
    const nPos = f.info.config.nPositions;
    const fit = (prompt: number, completion: number) => {
      const p = Math.min(prompt, Math.max(1, nPos - completion - 1));
      return { promptLen: p, completionLen: Math.min(completion, nPos - p - 1) };
    };
    const own = join(args.modelDir, 'prompts.json');
    const pPath = !f.info.fallback && existsSync(own) ? own : join(ROOT, 'models/default/prompts.json');
    const fwdLen = Math.min(sizes.cpuForwardSeq, nPos);
    const forward = makeWorkload(f, pPath, { promptLen: Math.max(1, fwdLen - 8), completionLen: Math.min(8, fwdLen - 1), pairs: sizes.cpuForwardBatch });
    return {
      decode: makeWorkload(f, pPath, { ...fit(sizes.decodePromptLen, sizes.decodeNewTokens), pairs: 1 }),
      score: makeWorkload(f, pPath, { ...fit(sizes.scorePromptLen, sizes.scoreCompletionLen), pairs: sizes.scorePairs }),
      dpo: makeWorkload(f, pPath, { ...fit(sizes.dpoPromptLen, sizes.dpoCompletionLen), pairs: sizes.dpoPairs }),
      forwardIds: forward.pairs.map((p) => [...p.promptIds, ...p.aIds].slice(0, fwdLen)),
    };
  };
  const { forwardIds } = workloads(files);

  const rows: BenchRow[] = [];
  const failures: string[] = [];
  for (const c of args.cases.filter((c): c is NodeCase => (NODE_CASES as readonly string[]).includes(c))) {
    log(`case ${c} (Node)`);
    try {
      rows.push(...(await NODE_CASE_FNS[c]({ sizes, files, forwardIds, ortThreads: args.ortThreads, log })));
    } catch (e) {
      failures.push(`${c}: ${(e as Error).stack ?? e}`);
      log(`case ${c} FAILED: ${(e as Error).message}`);
    }
  }

  const browserCases = args.cases.filter((c): c is BrowserCase => (BROWSER_CASES as readonly string[]).includes(c));
  let browser: BrowserSession | null = null;
  let gpuFiles = files;
  if (browserCases.length) {
    try {
      log('starting Vite and headless Chromium');
      browser = await openBrowser({ root: ROOT, files, log, verbose: args.verbose });
      const open = browser;
      // Ctrl-C or a timeout: close Chromium and Vite rather than leave them running.
      const stop = (sig: NodeJS.Signals) => {
        log(`${sig}: closing Chromium and Vite`);
        void open.close().finally(() => process.exit(130));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      if (args.mode === 'full' && open.env.software) {
        log('WARNING: full mode on a software adapter takes a very long time at the policy\'s size; --quick is the check for such machines');
      }
      log(`adapter ${browser.env.adapter}; ${browser.env.crossOriginIsolated ? 'cross-origin isolated' : 'not isolated'}`);
      let gpuSizes = sizes;
      if (args.mode === 'quick' && browser.env.software && !info.fallback) {
        // A CPU rasteriser runs the real policy at minutes per case: --quick would not be quick.
        const standIn = loadPolicyFiles({ root: ROOT, dir: args.modelDir, forceFallback: true, fallbackSize: 'small' });
        standIn.info.note =
          `QUICK ON A SOFTWARE ADAPTER: ${standIn.info.name} stands in for ${info.name} in the WebGPU model cases ` +
          '(a CPU rasteriser takes minutes per case at the policy\'s size); run without --quick for the policy itself';
        gpuFiles = standIn;
        gpuSizes = { ...sizes, matmulRows: Math.min(sizes.matmulRows, 64) };
        browser.serve(standIn);
        log(standIn.info.note);
      }
      const w = workloads(gpuFiles);
      const cfg: BrowserConfig = {
        mode: args.mode,
        sizes: gpuSizes,
        policy: gpuFiles.info,
        shapePolicy: info,
        files: BENCH_FILE_URLS,
        decodePrompt: w.decode.prompts[0],
        scorePairs: w.score.pairs,
        dpoPairs: w.dpo.pairs,
        forwardIds: w.forwardIds,
        ortThreads: args.ortThreads,
      };
      for (const c of browserCases) {
        log(`case ${c} (Chromium)`);
        try {
          rows.push(...(await browser.run(c, cfg)));
        } catch (e) {
          failures.push(`${c}: ${(e as Error).message}`);
          log(`case ${c} FAILED: ${(e as Error).message}`);
        }
      }
    } catch (e) {
      failures.push(`browser: ${(e as Error).message}`);
      log(`browser FAILED: ${(e as Error).message}`);
    }
  }
  const env = browser?.env ?? null;
  await browser?.close();

  if (args.cases.includes('page')) {
    log(`case page: the playground in Chromium, ${sizes.pageVotes} votes, then the same loop in Node`);
    try {
      const page = await measurePageLatency({ votes: sizes.pageVotes, readMs: 1000, log });
      const node = await measureNodeLoop({ root: ROOT, votes: sizes.pageVotes, log });
      rows.push(...pageRows(page, node, cpuLabel()));
    } catch (e) {
      failures.push(`page: ${(e as Error).stack ?? e}`);
      log(`case page FAILED: ${(e as Error).message}`);
    }
  }

  const meta: RunMeta = {
    mode: args.mode,
    startedAt,
    finishedAt: new Date().toISOString(),
    durationS: (Date.now() - t0) / 1000,
    adapter: env?.adapter ?? null,
    swiftShader: env?.swiftShader ?? false,
    cpu: cpuLabel(),
    loadAverage: { start: loadStart, end: loadavg() },
    chromium: env ? (/Chrome\/[\d.]+/.exec(env.userAgent)?.[0].replace('Chrome/', 'Chromium ') ?? env.userAgent) : null,
    ortVersion: env?.ortVersion ?? null,
    ortThreads: args.ortThreads,
    crossOriginIsolated: env?.crossOriginIsolated ?? null,
    policy: { name: info.name, fallback: info.fallback, params: info.params, onnx: info.onnxSource, note: info.note },
    gpuPolicy:
      gpuFiles === files
        ? null
        : { name: gpuFiles.info.name, fallback: true, params: gpuFiles.info.params, onnx: gpuFiles.info.onnxSource, note: gpuFiles.info.note },
    reps: sizes.reps,
    warmup: sizes.warmup,
    command: `npm run bench -- ${argv.join(' ')}`.trim(),
    failures,
  };
  rows.sort((a, b) => a.group - b.group);
  const out = writeResults(args.outDir, rows, meta);
  console.log(markdown(rows, meta));
  log(`wrote ${out.json} and ${out.md}`);
  return failures.length ? 1 : 0;
}
