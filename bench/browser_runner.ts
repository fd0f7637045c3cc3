/**
 * Runs the browser cases: a Vite dev server (the repo's vite.config.ts, so the COOP/COEP headers
 * and the onnxruntime-web settings are the app's), headless Chromium through playwright-core
 * with the flags of scripts/chrome.mjs, and bench/page.html. The policy files are served from
 * Node's memory under /__bench/, so a generated fallback needs no file on disk.
 */
import { createServer as createNetServer } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer, type ViteDevServer } from 'vite';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROME_ARGS, CHROME_PATH, chromeAvailable, MISSING_CHROME } from '../scripts/chrome.mjs';
import type { PolicyFiles } from './model_source';
import type { BenchRow, BrowserCase, BrowserConfig, BrowserEnv } from './types';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createNetServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface BrowserSession {
  env: BrowserEnv;
  /** Which policy's files /__bench/ serves from now on. */
  serve(files: PolicyFiles): void;
  run(name: BrowserCase, cfg: BrowserConfig): Promise<BenchRow[]>;
  close(): Promise<void>;
}

export async function openBrowser(opts: { root: string; files: PolicyFiles; log: (s: string) => void; verbose: boolean }): Promise<BrowserSession> {
  if (!chromeAvailable()) throw new Error(MISSING_CHROME);
  const { root, log } = opts;
  const port = await freePort();
  let server: ViteDevServer | null = null;
  let browser: Browser | null = null;
  const close = async () => {
    await browser?.close().catch(() => undefined);
    await server?.close().catch(() => undefined);
    browser = null;
    server = null;
  };
  try {
    server = await createServer({
      root,
      configFile: join(root, 'vite.config.ts'),
      logLevel: opts.verbose ? 'info' : 'warn',
      clearScreen: false,
      server: { host: '127.0.0.1', port, strictPort: true, hmr: false, watch: null },
      // Pre-bundle what the bench page imports up front, so no mid-run optimisation reloads it.
      optimizeDeps: { entries: ['bench/page.html'] },
    });
    await server.listen();
    browser = await chromium.launch({ executablePath: CHROME_PATH, args: CHROME_ARGS, headless: true });
    const page: Page = await browser.newPage();
    page.on('console', (m) => {
      const t = m.text();
      if (t.startsWith('[bench]')) log(t.slice(8));
      else if (opts.verbose || m.type() === 'error') log(`[page ${m.type()}] ${t}`);
    });
    page.on('pageerror', (e) => log(`[page error] ${e.message}`));
    const matmul = { body: readFileSync(join(root, 'bench/models/matmul.onnx')), type: 'application/octet-stream' };
    let served: Record<string, { body: Buffer; type: string }> = {};
    const serve = (files: PolicyFiles) => {
      served = {
        'config.json': { body: Buffer.from(JSON.stringify(files.hfConfig)), type: 'application/json' },
        'tokenizer.json': { body: Buffer.from(JSON.stringify(files.tokenizerJson)), type: 'application/json' },
        'model.safetensors': { body: Buffer.from(files.safetensors), type: 'application/octet-stream' },
        'model.onnx': { body: Buffer.from(files.onnx), type: 'application/octet-stream' },
        'matmul.onnx': matmul,
      };
    };
    serve(opts.files);
    await page.route('**/__bench/**', async (route) => {
      const name = new URL(route.request().url()).pathname.split('/').pop() ?? '';
      const f = served[name];
      if (!f) return route.fulfill({ status: 404, body: `no ${name}` });
      return route.fulfill({
        status: 200,
        body: f.body,
        headers: {
          'content-type': f.type,
          'cross-origin-resource-policy': 'same-origin',
          'cache-control': 'no-store',
        },
      });
    });
    await page.goto(`http://127.0.0.1:${port}/bench/page.html`, { timeout: 180_000 });
    await page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready' && !!window.__bench, null, {
      timeout: 180_000,
    });
    const env = await page.evaluate(() => window.__bench!.env());
    return {
      env,
      serve,
      run: (name, cfg) => page.evaluate(([n, c]) => window.__bench!.run(n, c), [name, cfg] as const),
      close: async () => {
        await page.evaluate(() => window.__bench?.releaseSessions()).catch(() => undefined);
        await close();
      },
    };
  } catch (e) {
    await close();
    throw e;
  }
}

export const BENCH_FILE_URLS = {
  config: '/__bench/config.json',
  tokenizer: '/__bench/tokenizer.json',
  safetensors: '/__bench/model.safetensors',
  onnx: '/__bench/model.onnx',
  matmulOnnx: '/__bench/matmul.onnx',
};
