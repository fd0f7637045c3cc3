/**
 * What every e2e test needs: a Vite dev server started from the repo's config on a free port,
 * headless Chromium from scripts/chrome.mjs, and a tiny generated GPT-2 checkpoint served at
 * /models/default/ through Playwright routing (so tests never depend on the shipped model, and
 * nothing is downloaded).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Download, type Page } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';
import { expect } from 'vitest';
import { CHROME_ARGS, CHROME_PATH } from '../../../scripts/chrome.mjs';
import { gpt2ParamSpecs, toHfGpt2Config, type GPT2Config } from '../../../src/engine/model/config';
import { writeSafetensors } from '../../../src/engine/model/safetensors';
import { byteLevelTokenizerJson } from '../../support/tiny_checkpoint';
import { randomWeights } from '../../support/tiny_model';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const ARTIFACTS = resolve(ROOT, 'tests/artifacts');

export interface AppServer {
  baseUrl: string;
  browser: Browser;
  close(): Promise<void>;
}

export async function startAppServer(): Promise<AppServer> {
  // A private dependency cache: Vite servers that share node_modules/.vite (another test run,
  // a dev server with other options) re-optimise under each other and answer
  // "504 Outdated Optimize Dep", which leaves the page blank.
  const ownCache = process.env.DUELBOOK_E2E_CACHE_DIR === undefined;
  const cacheDir = process.env.DUELBOOK_E2E_CACHE_DIR ?? mkdtempSync(join(tmpdir(), 'duelbook-e2e-vite-'));
  const server: ViteDevServer = await createServer({
    configFile: resolve(ROOT, 'vite.config.ts'),
    root: ROOT,
    server: { port: 0, strictPort: false, host: '127.0.0.1' },
    logLevel: 'warn',
    clearScreen: false,
    // Name every browser dependency up front. Otherwise Vite discovers the engine worker's
    // imports only when the worker loads, re-optimises, and reloads the page mid-test (on a
    // cold cache, i.e. on every fresh checkout).
    optimizeDeps: { include: ['comlink', 'uplot', 'idb', 'valibot', '@huggingface/tokenizers', 'yjs', 'y-websocket'] },
    cacheDir,
  });
  await server.listen();
  const address = server.httpServer?.address();
  if (!address || typeof address === 'string') throw new Error('the Vite server has no TCP address');
  const browser = await chromium.launch({ executablePath: CHROME_PATH, args: CHROME_ARGS });
  return {
    baseUrl: `http://127.0.0.1:${address.port}`,
    browser,
    async close() {
      await browser.close();
      await server.close();
      if (ownCache) rmSync(cacheDir, { recursive: true, force: true });
    },
  };
}

/** Short prompts: the tiny model's tokenizer is byte-level, so a character is about a token. */
export const TEST_PROMPTS = ['The cat sat', 'A storm rose over', 'We must give', 'In the morning the', 'Tell me about'];

/** A random tiny GPT-2 (2 layers, d = 16, 128 positions) and its byte-level tokenizer. */
export function e2eCheckpoint(seed = 3) {
  const tokenizer = byteLevelTokenizerJson();
  const vocabSize = Object.keys(tokenizer.model.vocab).length;
  const config: GPT2Config = { nLayer: 2, nHead: 2, nEmbd: 16, vocabSize, nPositions: 128, layerNormEpsilon: 1e-5, eosTokenId: vocabSize - 1 };
  const weights = randomWeights(config, seed, 0.1);
  const safetensors = writeSafetensors(gpt2ParamSpecs(config).map((s) => ({ name: s.name, shape: s.shape, data: weights.get(s.name)! })));
  return { config: toHfGpt2Config(config), tokenizer, safetensors };
}

/** Serves the tiny checkpoint and test prompts at /models/default/ for every page of `context`. */
export async function routeTinyModel(context: BrowserContext): Promise<void> {
  const ck = e2eCheckpoint();
  const files: Record<string, { body: Buffer; type: string }> = {
    'config.json': { body: Buffer.from(JSON.stringify(ck.config)), type: 'application/json' },
    'tokenizer.json': { body: Buffer.from(JSON.stringify(ck.tokenizer)), type: 'application/json' },
    'model.safetensors': { body: Buffer.from(ck.safetensors), type: 'application/octet-stream' },
    'prompts.json': { body: Buffer.from(JSON.stringify({ prompts: TEST_PROMPTS })), type: 'application/json' },
  };
  await context.route('**/models/default/*', async (route) => {
    const name = new URL(route.request().url()).pathname.split('/').pop() ?? '';
    const file = files[name];
    // The measured frontier is data about the shipped model, not weights: serve the real file.
    if (name === 'frontier.json') return route.continue();
    if (!file) return route.fulfill({ status: 404, body: 'not found' });
    return route.fulfill({ status: 200, body: file.body, headers: { 'content-type': file.type, 'content-length': String(file.body.length) } });
  });
}

export interface WatchedPage {
  page: Page;
  /** Uncaught errors and console errors seen so far. */
  errors: string[];
}

/**
 * Opens the app and records page errors, console errors and CSP violations, so a test can
 * assert that none happened. Waits until the session has been read from storage.
 */
export async function openApp(context: BrowserContext, url: string): Promise<WatchedPage> {
  const page = await context.newPage();
  // The machine these run on is small and shared: a cold Vite server can take a while.
  page.setDefaultTimeout(60_000);
  page.setDefaultNavigationTimeout(120_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('dialog', (d) => {
    errors.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  await page.goto(url);
  try {
    await page.locator('[data-testid="app"][data-loaded="true"]').waitFor({ timeout: 60_000 });
  } catch (e) {
    throw new Error(`the app did not finish opening its session; errors so far: ${JSON.stringify(errors)}`, { cause: e });
  }
  return { page, errors };
}

export async function waitForModel(page: Page): Promise<void> {
  await page.getByTestId('backend-label').waitFor({ timeout: 120_000 });
}

/** Sets the Duel's "Max new tokens" (small, so the tiny model's candidates come quickly). */
export async function setMaxTokens(page: Page, maxTokens: number): Promise<void> {
  await page.getByTestId('sampling-toggle').click();
  await page.getByTestId('max-tokens').fill(String(maxTokens));
  await page.getByTestId('max-tokens').blur();
}

/**
 * A fresh browser context on the tiny model, the app open with its model loaded and the Duel
 * writing at most `maxTokens` tokens: where most end-to-end tests start.
 */
export async function openWithModel(app: AppServer, maxTokens: number): Promise<WatchedPage & { context: BrowserContext }> {
  const context = await app.browser.newContext({ viewport: { width: 1280, height: 900 } });
  await routeTinyModel(context);
  const watched = await openApp(context, `${app.baseUrl}/`);
  await waitForModel(watched.page);
  await setMaxTokens(watched.page, maxTokens);
  return { context, ...watched };
}

export async function waitForPair(page: Page, timeout = 60_000): Promise<void> {
  await page.locator('[data-testid="duel"][data-phase="ready"]').waitFor({ timeout });
}

/** An attribute of the element with this test id ('' when it is absent). */
export async function attrOf(page: Page, testid: string, name: string): Promise<string> {
  return (await page.getByTestId(testid).getAttribute(name)) ?? '';
}

/**
 * Reloads once the page has nothing left to log and has saved. A draw logs its prompt and
 * candidates, and a step group its records, a moment after the page looks idle; a reload in
 * that window meets the unsaved-work warning, which openApp dismisses, so the reload never
 * happens and page.reload waits out its timeout (CI, 2026-12-07: session_list, 120 s).
 * Callers whose model may still be loading wait for the first pair first (waitForPair).
 */
export async function reloadWhenSaved(page: Page): Promise<void> {
  const quiet = async () =>
    (await page.locator('[data-testid="duel"][data-phase="generating"]').count()) === 0 &&
    ((await page.getByTestId('policy-step').count()) === 0 || (await attrOf(page, 'policy-step', 'data-pending')) === '0') &&
    (await attrOf(page, 'save-status', 'data-status')) === 'saved';
  // Twice, a beat apart: a draw that finished just before the first look logs right after it.
  const settled = async () => {
    if (!(await quiet())) return false;
    await page.waitForTimeout(300);
    return quiet();
  };
  await expect.poll(settled, { timeout: 30_000 }).toBe(true);
  await page.reload();
}

/**
 * Reloads the page once the session is saved, waits for the stored log to replay onto the
 * freshly loaded model, and expects every recomputed step to match the log.
 */
export async function reloadAndReplay(page: Page, timeout = 180_000): Promise<void> {
  await reloadWhenSaved(page);
  await page.locator('[data-testid="app"][data-loaded="true"]').waitFor();
  await waitForModel(page);
  const status = page.getByTestId('replay-status');
  await expect.poll(() => status.getAttribute('data-status'), { timeout }).toBe('done');
  expect(await status.getAttribute('data-match')).toBe('true');
}

export async function voteCount(page: Page): Promise<number> {
  return Number(await page.getByTestId('vote-count').getAttribute('data-count'));
}

/** Clicks `trigger` and returns the text of the file the page offers for download. */
export async function downloadText(page: Page, trigger: () => Promise<void>): Promise<{ name: string; text: string }> {
  const [download] = await Promise.all([page.waitForEvent('download'), trigger()]);
  return { name: (download as Download).suggestedFilename(), text: await readDownload(download as Download) };
}

async function readDownload(download: Download): Promise<string> {
  const path = await download.path();
  return readFile(path, 'utf8');
}

export function ensureArtifacts(): string {
  mkdirSync(ARTIFACTS, { recursive: true });
  return ARTIFACTS;
}
