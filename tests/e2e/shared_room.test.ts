/**
 * A shared live session in Chromium: three browser contexts (three people) in one room on a
 * `duelbook serve` server started here on 127.0.0.1. Alice votes, then invites; Bob and Carol
 * open the link, see the server's origin, and connect only when they click Join. Everyone
 * votes (at the same time, so the room's order must roll someone back); the server restarts
 * from its data directory; everyone votes again; Carol reloads and rejoins. All three end with
 * the same vote count, the same policy step and the same weights (the Train cell's fixed-text
 * probe gives the same log-prob).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSyncServer, type SyncServer } from '../../src/server/sync_server';
import { openApp, openWithModel, routeTinyModel, startAppServer, voteCount, waitForModel, waitForPair, type AppServer, type WatchedPage } from './support/harness';

let app: AppServer;
let server: SyncServer;
let dataDir: string;

beforeAll(async () => {
  app = await startAppServer();
  dataDir = mkdtempSync(join(tmpdir(), 'duelbook-rooms-'));
  server = await startSyncServer({ dataDir, host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await server?.close();
  await app?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const bar = (page: Page) => page.getByTestId('room-bar');

async function vote(page: Page): Promise<void> {
  await waitForPair(page, 120_000);
  await page.getByTestId('vote-a').click();
}

async function expectCount(pages: Page[], count: number): Promise<void> {
  for (const page of pages) await expect.poll(() => voteCount(page), { timeout: 120_000 }).toBe(count);
}

/** Every vote learned, nothing being replayed. */
async function settled(page: Page, votes: number): Promise<void> {
  await expect.poll(() => page.getByTestId('policy-step').getAttribute('data-votes-trained'), { timeout: 180_000 }).toBe(String(votes));
  await expect.poll(() => page.getByTestId('room-catching-up').count(), { timeout: 60_000 }).toBe(0);
}

/**
 * Waits until a reload would not ask to stay: the next pair is drawn (its candidates logged), the
 * votes are learned, and the local copy is saved and still saved a second later (a reduce's
 * derived records are logged just after it reports its count).
 */
async function savedAndQuiet(page: Page, votes: number): Promise<void> {
  await waitForPair(page, 120_000);
  await settled(page, votes);
  const status = () => page.getByTestId('save-status').getAttribute('data-status');
  for (let i = 0; i < 2; i++) {
    await expect.poll(status, { timeout: 30_000 }).toBe('saved');
    await page.waitForTimeout(1000);
  }
  await expect.poll(status, { timeout: 30_000 }).toBe('saved');
}

async function probe(page: Page): Promise<{ policy: string; step: string }> {
  const details = page.locator('details.probe');
  if ((await details.getAttribute('open')) === null) await details.locator('summary').click();
  await page.getByTestId('probe-run').click();
  const result = page.getByTestId('probe-result');
  await result.waitFor();
  return { policy: (await result.getAttribute('data-policy'))!, step: (await result.getAttribute('data-step'))! };
}

/** Starts a room on the test server from `page` (optionally with a display name); returns its link. */
async function invite(page: Page, name?: string): Promise<string> {
  await page.getByTestId('invite').click();
  await page.getByTestId('room-server').fill(`ws://127.0.0.1:${server.port}`);
  if (name !== undefined) await page.getByTestId('room-invite').getByTestId('room-name').fill(name);
  await page.getByTestId('room-start').click();
  await bar(page).waitFor({ timeout: 60_000 });
  return page.getByTestId('room-link').inputValue();
}

/** Opens the room link in a fresh context; nothing may reach the sync server before the click. */
async function joinFromLink(link: string, name: string): Promise<WatchedPage & { context: BrowserContext; sockets: string[] }> {
  const context = await app.browser.newContext({ viewport: { width: 1280, height: 900 } });
  await routeTinyModel(context);
  const sockets: string[] = [];
  context.on('page', (page) => page.on('websocket', (ws) => sockets.push(ws.url())));
  const watched = await openApp(context, link);
  const { page } = watched;
  await page.getByTestId('room-offer').waitFor();
  expect(await page.getByTestId('room-origin').innerText()).toBe(`ws://127.0.0.1:${server.port}`);
  await page.waitForTimeout(500);
  expect(sockets.filter((url) => url.includes(`:${server.port}/`))).toEqual([]);
  await page.getByTestId('room-name').fill(name);
  await page.getByTestId('join-room').click();
  await bar(page).waitFor({ timeout: 60_000 });
  expect(sockets.filter((url) => url.includes(`:${server.port}/`)).length).toBeGreaterThan(0);
  await waitForModel(page);
  return { ...watched, context, sockets };
}

describe('a shared room', () => {
  it('three people vote into one room through a server restart and a reload, and end with the same weights', async () => {
    const alice = await openWithModel(app, 4);
    await vote(alice.page);
    await expectCount([alice.page], 1);

    const link = await invite(alice.page, 'Alice');
    expect(link).toMatch(new RegExp(`\\?room=[0-9a-f]{32}&server=ws%3A%2F%2F127\\.0\\.0\\.1%3A${server.port}$`));

    const bob = await joinFromLink(link, 'Bob');
    const carol = await joinFromLink(link, 'Carol');
    const pages = [alice.page, bob.page, carol.page];
    // The inviter's vote reached the joiners; everyone sees everyone.
    await expectCount(pages, 1);
    for (const page of pages) await expect.poll(() => bar(page).getAttribute('data-peers'), { timeout: 30_000 }).toBe('3');
    expect(await bar(bob.page).getByTestId('room-peers').innerText()).toMatch(/Bob \(you\).*Alice|Bob \(you\).*Carol/);

    // Everyone votes at once.
    await Promise.all(pages.map((page) => vote(page)));
    await expectCount(pages, 4);

    // The server restarts from its data directory; the pages reconnect on their own.
    const port = server.port;
    await server.close();
    server = await startSyncServer({ dataDir, host: '127.0.0.1', port });
    for (const page of pages) await expect.poll(() => bar(page).getAttribute('data-connection'), { timeout: 60_000 }).toBe('connected');

    await Promise.all(pages.map((page) => vote(page)));
    await expectCount(pages, 7);

    // Carol reloads (once her local copy is saved, so the page does not ask to stay): the link
    // offers the room again, and her page rebuilds from it.
    await savedAndQuiet(carol.page, 7);
    await carol.page.reload();
    await carol.page.locator('[data-testid="app"][data-loaded="true"]').waitFor({ timeout: 60_000 });
    await carol.page.getByTestId('join-room').click();
    await bar(carol.page).waitFor({ timeout: 60_000 });
    await waitForModel(carol.page);
    await expectCount(pages, 7);

    for (const page of pages) await settled(page, 7);
    const steps = await Promise.all(pages.map(async (page) => page.getByTestId('policy-step').getAttribute('data-step')));
    expect(new Set(steps).size).toBe(1);
    expect(Number(steps[0])).toBeGreaterThan(0);
    const probes = [];
    for (const page of pages) probes.push(await probe(page));
    expect(probes.map((p) => p.step)).toEqual([steps[0], steps[0], steps[0]]);
    expect(new Set(probes.map((p) => p.policy)).size).toBe(1);

    for (const w of [alice, bob, carol]) expect(w.errors.filter((e) => !/WebSocket/.test(e))).toEqual([]);
    for (const w of [alice, bob, carol]) await w.context.close();
  });

  it('overlap 2 with two people: pairs come back to the other until both voted; κ, α and each person\'s taste live on both pages', async () => {
    const alice = await openWithModel(app, 4);
    await waitForPair(alice.page);
    await alice.page.getByTestId('overlap').fill('2');
    await alice.page.getByTestId('overlap').blur();
    const bob = await joinFromLink(await invite(alice.page, 'Ada'), 'Bo');
    const pages = [alice.page, bob.page];
    expect(await bob.page.getByTestId('overlap').inputValue()).toBe('2');

    // Taking turns, each person votes 4 times; each sees the other's pairs come back to them.
    let total = 0;
    for (let round = 0; round < 4; round++) {
      for (const page of pages) {
        await vote(page);
        total++;
        await expectCount(pages, total);
      }
    }
    for (const page of pages) await settled(page, total);
    const agreement = (page: Page) => page.getByTestId('crowd-agreement');
    // Without overlap only the pair both had on screen when Bo joined would be shared.
    await expect.poll(async () => Number(await agreement(alice.page).getAttribute('data-pairs')), { timeout: 30_000 }).toBeGreaterThanOrEqual(3);
    await expect.poll(() => agreement(bob.page).getAttribute('data-pairs'), { timeout: 30_000 }).toBe(await agreement(alice.page).getAttribute('data-pairs'));
    expect(await agreement(alice.page).getAttribute('data-annotators')).toBe('2');
    expect(await agreement(bob.page).getAttribute('data-alpha')).toBe(await agreement(alice.page).getAttribute('data-alpha'));
    expect(await alice.page.getByTestId('crowd-kappa').count()).toBe(1);
    expect(await alice.page.getByTestId('crowd-kappa').innerText()).toMatch(/Ada – Bo|Bo – Ada/);
    // Per-person tastes: each fitted on that person's 4 decisive votes, the same on both pages.
    const tastes = async (page: Page) =>
      page.getByTestId('crowd-taste').evaluateAll((people) =>
        people.map((p) => ({
          annotator: p.getAttribute('data-annotator'),
          pairs: p.getAttribute('data-pairs'),
          rows: [...p.querySelectorAll('[data-testid="crowd-taste-row"]')].map((r) => [r.getAttribute('data-axis'), r.getAttribute('data-weight')]),
        })),
      );
    const seen = await tastes(alice.page);
    expect(seen.map((p) => [p.annotator, p.pairs])).toEqual([
      ['human:Ada', '4'],
      ['human:Bo', '4'],
    ]);
    for (const person of seen) expect(person.rows).toHaveLength(3);
    expect(await tastes(bob.page)).toEqual(seen);
    const differences = (page: Page) => page.getByTestId('crowd-taste-differences').innerText();
    expect(await differences(bob.page)).toBe(await differences(alice.page));
    for (const w of [alice, bob]) expect(w.errors.filter((e) => !/WebSocket/.test(e))).toEqual([]);
    for (const w of [alice, bob]) await w.context.close();
  });

  it('a vote cast while the server is down survives a reload and reaches the room when it returns', async () => {
    const alice = await openWithModel(app, 4);
    const bob = await joinFromLink(await invite(alice.page), 'Bob');
    await vote(bob.page);
    await expectCount([alice.page, bob.page], 1);

    const port = server.port;
    await server.close();
    await expect.poll(() => bar(alice.page).getAttribute('data-connection'), { timeout: 30_000 }).not.toBe('connected');
    await vote(alice.page);
    await expectCount([alice.page], 2);
    await savedAndQuiet(alice.page, 2);
    // Reloaded with the server still down: the room opens from this browser's copy, vote included.
    await alice.page.reload();
    await alice.page.locator('[data-testid="app"][data-loaded="true"]').waitFor({ timeout: 60_000 });
    await alice.page.getByTestId('join-room').click();
    await bar(alice.page).waitFor({ timeout: 30_000 });
    await waitForModel(alice.page);
    await expectCount([alice.page], 2);
    expect(await voteCount(bob.page)).toBe(1);

    server = await startSyncServer({ dataDir, host: '127.0.0.1', port });
    await expectCount([alice.page, bob.page], 2);
    for (const page of [alice.page, bob.page]) await settled(page, 2);
    const [a, b] = [await probe(alice.page), await probe(bob.page)];
    expect(a).toEqual(b);
    for (const w of [alice, bob]) await w.context.close();
  });
});
