/**
 * Nothing is fetched from another origin without the person's click. A share link, an imported
 * session file and a URL typed into the Policy cell each name a checkpoint on another origin:
 * opening them sends no request there (every request is recorded, by the browser and by the
 * server); the cell shows the origin and a button; the click downloads with progress, and
 * Cancel stops the download and leaves the session (and the model loaded before, if any) intact.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BrowserContext, Page, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIdGenerator, createStarterSession, encodeShareLink, serializeSession, updateCell, type SessionDocument } from '../../src/session/index';
import { downloadText, e2eCheckpoint, openApp, routeTinyModel, startAppServer, waitForModel, waitForPair, type AppServer } from './support/harness';

let app: AppServer;

beforeAll(async () => {
  app = await startAppServer();
});

afterAll(async () => {
  await app?.close();
});

/** The tiny checkpoint as the files a server answers with (a different seed from the default's). */
function checkpointFiles(): Record<string, Buffer> {
  const ck = e2eCheckpoint(11);
  return {
    'config.json': Buffer.from(JSON.stringify(ck.config)),
    'tokenizer.json': Buffer.from(JSON.stringify(ck.tokenizer)),
    'model.safetensors': Buffer.from(ck.safetensors),
  };
}

/** What a cross-origin checkpoint host must send so the page may read it (CORS under COEP). */
const CORS = { 'access-control-allow-origin': '*', 'cross-origin-resource-policy': 'cross-origin' };

interface CheckpointHost {
  origin: string;
  /** Every request it received, as "METHOD /path". */
  requests: string[];
  /** While true, model.safetensors sends its Content-Length and part of its body, then waits. */
  hold: boolean;
  /** Set when a held model.safetensors response was closed by the browser before it ended. */
  aborted: boolean;
  /** Resolves once a held response has sent what it sends before it waits. */
  holding: Promise<void>;
  close(): Promise<void>;
}

/** A real HTTP server on another port: its own origin, and a body that really streams. */
async function startCheckpointHost(): Promise<CheckpointHost> {
  const files = checkpointFiles();
  let sentPart!: () => void;
  const host: CheckpointHost = {
    origin: '',
    requests: [],
    hold: true,
    aborted: false,
    holding: new Promise<void>((r) => (sentPart = r)),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const name = (req.url ?? '').split('/').pop() ?? '';
    host.requests.push(`${req.method} ${req.url}`);
    const body = files[name];
    if (!body) {
      res.writeHead(404, CORS).end();
      return;
    }
    res.writeHead(200, { ...CORS, 'content-type': 'application/octet-stream', 'content-length': String(body.length) });
    if (req.method === 'HEAD') return void res.end();
    if (name !== 'model.safetensors' || !host.hold) return void res.end(body);
    res.on('close', () => {
      if (!res.writableFinished) host.aborted = true;
    });
    // Two writes a moment apart, so the page's progress (at most 30 updates a second) shows bytes.
    const third = Math.floor(body.length / 3);
    res.write(body.subarray(0, third));
    setTimeout(() => {
      res.write(body.subarray(third, 2 * third));
      sentPart();
    }, 300);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  host.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return host;
}

/** Every request the browser makes (pages and their workers), by URL. */
function recordRequests(context: BrowserContext, page?: Page): string[] {
  const urls: string[] = [];
  context.on('request', (r) => urls.push(r.url()));
  page?.on('request', (r) => urls.push(r.url()));
  return urls;
}

/** The starter session with its Policy cell pointing at `url` (and its duel's judge at `judgeUrl`). */
function sessionWithPolicyUrl(url: string, title: string, judgeUrl?: string): SessionDocument {
  const doc = createStarterSession(createIdGenerator({ seed: 12 }), { title });
  const policy = doc.cells.find((c) => c.kind === 'policy')!;
  const withPolicy = updateCell(doc, policy.id, { config: { ...policy.config, source: { kind: 'url', url } } } as never);
  const duel = withPolicy.cells.find((c) => c.kind === 'duel')!;
  if (!judgeUrl || duel.kind !== 'duel') return withPolicy;
  return updateCell(withPolicy, duel.id, { config: { ...duel.config, judge: { kind: 'onnx', id: 'remote-judge', modelUrl: judgeUrl } } } as never);
}

const exportText = async (page: Page) => (await downloadText(page, () => page.getByTestId('export-session').click())).text;

describe('no request to another origin without a click', () => {
  it('a share link: shows the origin, fetches on the click, shows the size and progress, and Cancel stops it', async () => {
    const host = await startCheckpointHost();
    const base = `${host.origin}/ckpt/`;
    const judgeOrigin = 'https://judge.example.test';
    const link = await encodeShareLink(sessionWithPolicyUrl(base, 'Shared remote checkpoint', `${judgeOrigin}/fluency/model.onnx`));
    if (link.tooLarge) throw new Error('the test session should fit in a link');

    const context = await app.browser.newContext();
    await routeTinyModel(context);
    const seen = recordRequests(context);
    const { page, errors } = await openApp(context, `${app.baseUrl}/${link.hash}`);
    page.on('request', (r) => seen.push(r.url()));
    // Give an automatic load every chance to start (the code before the gate fetched about 2 s
    // after opening, once the engine worker was up).
    await page.waitForTimeout(5000);
    expect(host.requests).toEqual([]);
    expect(seen.filter((u) => u.startsWith(host.origin) || u.startsWith(judgeOrigin))).toEqual([]);
    // The duel's ONNX judge is on another origin too: it loads only on Start or Step, which say where from.
    expect(await page.getByTestId('judge-remote').innerText()).toContain(judgeOrigin);
    const remote = page.getByTestId('policy-remote');
    await remote.waitFor();
    expect(await page.getByTestId('policy-remote-origin').innerText()).toBe(host.origin);
    const button = page.getByTestId('policy-remote-load');
    expect(await button.innerText()).toBe(`Download from ${host.origin}`);
    expect(await page.getByTestId('backend-label').count()).toBe(0);
    const before = await exportText(page);

    await button.click();
    await host.holding;
    const progress = page.getByTestId('progress');
    // The size comes from Content-Length; the bytes that arrived move the bar.
    const size = checkpointFiles()['model.safetensors']!.length;
    await expect.poll(() => progress.innerText()).toMatch(new RegExp(`^Downloading from ${host.origin.replace(/\./g, '\\.')}: \\d+ KB of ${Math.round(size / 1024)} KB$`));
    const value = Number(await progress.locator('progress').getAttribute('value'));
    expect(value).toBeGreaterThan(0);
    expect(value).toBeLessThan(1);
    expect(host.requests).toEqual(['GET /ckpt/config.json', 'GET /ckpt/tokenizer.json', 'GET /ckpt/model.safetensors']);

    await page.getByTestId('policy-cancel').click();
    await expect.poll(() => host.aborted).toBe(true);
    await expect.poll(() => page.getByTestId('policy-cancelled').innerText()).toBe(`The download from ${host.origin} was cancelled; no model is loaded.`);
    expect(await page.getByTestId('progress').count()).toBe(0);
    await remote.waitFor();
    expect(await exportText(page)).toBe(before);

    // The same button, clicked again, loads the checkpoint.
    host.hold = false;
    await button.click();
    await waitForModel(page);
    expect(await page.getByTestId('model-info').innerText()).toContain(base);
    expect(seen.filter((u) => u.startsWith(judgeOrigin))).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
    await host.close();
  });

  it('an imported session file: unloads the old model, fetches nothing until the click, and Cancel stops the download', async () => {
    const origin = 'https://models.example.test';
    const files = checkpointFiles();
    let holdWeights = true;
    let release: () => void = () => undefined;
    const routed: string[] = [];
    const context = await app.browser.newContext();
    await routeTinyModel(context);
    const seen = recordRequests(context);
    await context.route(`${origin}/**`, async (route: Route) => {
      const url = route.request().url();
      routed.push(url);
      const body = files[url.split('/').pop() ?? ''];
      if (!body) return route.fulfill({ status: 404, headers: CORS, body: 'not found' });
      if (url.endsWith('model.safetensors') && holdWeights) await new Promise<void>((r) => (release = r));
      // The page may have cancelled it meanwhile.
      await route.fulfill({ status: 200, headers: { ...CORS, 'content-type': 'application/octet-stream' }, body }).catch(() => undefined);
    });
    const { page, errors } = await openApp(context, `${app.baseUrl}/`);
    page.on('request', (r) => seen.push(r.url()));
    await waitForModel(page);
    await waitForPair(page);

    const doc = sessionWithPolicyUrl(`${origin}/gpt2/`, 'Imported remote checkpoint');
    await page.getByTestId('import-file').setInputFiles({ name: 'remote.duelbook.json', mimeType: 'application/json', buffer: Buffer.from(serializeSession(doc)) });
    await expect.poll(() => page.getByTestId('session-title').inputValue()).toBe('Imported remote checkpoint');
    await page.waitForTimeout(3000);
    expect(routed).toEqual([]);
    expect(seen.filter((u) => u.startsWith(origin))).toEqual([]);
    await page.getByTestId('policy-remote').waitFor();
    expect(await page.getByTestId('policy-remote-origin').innerText()).toBe(origin);
    // The old model learned from the old session: it is gone, not quietly kept.
    await expect.poll(() => page.getByTestId('backend-label').count()).toBe(0);

    await page.getByTestId('policy-remote-load').click();
    await expect.poll(() => routed.some((u) => u.endsWith('/gpt2/model.safetensors'))).toBe(true);
    expect(routed.slice(0, 2).sort()).toEqual([`${origin}/gpt2/config.json`, `${origin}/gpt2/tokenizer.json`]);
    await expect.poll(() => page.getByTestId('progress').innerText()).toMatch(/^Downloading from https:\/\/models\.example\.test/);
    await page.getByTestId('policy-cancel').click();
    await expect.poll(() => page.getByTestId('policy-cancelled').innerText()).toBe(`The download from ${origin} was cancelled; no model is loaded.`);
    release();
    expect(await page.getByTestId('session-title').inputValue()).toBe('Imported remote checkpoint');
    // Let a late answer to the cancelled request arrive: it must not load the model.
    await page.waitForTimeout(1000);
    expect(await page.getByTestId('backend-label').count()).toBe(0);

    holdWeights = false;
    await page.getByTestId('policy-remote-load').click();
    await waitForModel(page);
    expect(await page.getByTestId('model-info').innerText()).toContain(`${origin}/gpt2/`);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('a URL typed into the Policy cell: waits for the click, and Cancel gives the model loaded before back', async () => {
    const origin = 'https://typed.example.test';
    const files = checkpointFiles();
    const routed: string[] = [];
    const context = await app.browser.newContext();
    await routeTinyModel(context);
    await context.route(`${origin}/**`, async (route: Route) => {
      routed.push(route.request().url());
      const body = files[route.request().url().split('/').pop() ?? ''];
      if (!body) return route.fulfill({ status: 404, headers: CORS, body: 'not found' });
      // model.safetensors never answers: only Cancel ends this download.
      if (route.request().url().endsWith('model.safetensors')) return;
      await route.fulfill({ status: 200, headers: { ...CORS, 'content-type': 'application/json' }, body });
    });
    const { page, errors } = await openApp(context, `${app.baseUrl}/`);
    await waitForModel(page);
    await waitForPair(page);

    const policy = page.getByTestId('cell-policy');
    await policy.getByLabel('Model source').selectOption('url');
    const input = policy.locator('input[type="url"]');
    await input.fill(`${origin}/m/`);
    await input.press('Tab');
    // Typing and the Load button fetch nothing: only the button that names the origin does.
    await policy.getByTestId('cell-run').click();
    await page.waitForTimeout(2000);
    expect(routed).toEqual([]);
    await page.getByTestId('policy-remote').waitFor();
    expect(await page.getByTestId('policy-remote-origin').innerText()).toBe(origin);
    expect(await page.getByTestId('backend-label').count()).toBe(1);

    await page.getByTestId('policy-remote-load').click();
    await expect.poll(() => routed.length).toBe(3);
    await page.getByTestId('policy-cancel').click();
    await expect.poll(() => page.getByTestId('policy-cancelled').innerText()).toBe(`The download from ${origin} was cancelled; the model loaded before is still loaded.`);
    await waitForModel(page);
    // The duel draws from that model again, on the draw worker once it has the trainer's weights
    // (it kept the model through the cancelled load).
    await waitForPair(page);
    if (/CPU/.test(await page.getByTestId('backend-label').innerText())) {
      await expect.poll(() => page.getByTestId('duel').getAttribute('data-draw-worker'), { timeout: 30_000 }).toBe('true');
    }
    expect(errors).toEqual([]);
    await context.close();
  });
});
