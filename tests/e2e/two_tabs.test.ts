/**
 * One session open in two tabs of one browser. Before revisions, the last save won: tab A's
 * saved note vanished when tab B renamed the session. Now B either picks up A's save (the tabs
 * announce saves), merges with it (a save refused by the stored revision), or, when both
 * changed the same thing, says it cannot save and becomes read-only: nothing shown as saved is
 * lost, and B's version can be kept as a copy.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApp, routeTinyModel, startAppServer, type AppServer } from './support/harness';

let app: AppServer;

beforeAll(async () => {
  app = await startAppServer();
});

afterAll(async () => {
  await app?.close();
});

const status = (page: Page) => page.getByTestId('save-status').getAttribute('data-status');

async function waitSaved(page: Page): Promise<void> {
  await expect.poll(() => status(page), { timeout: 15_000 }).toBe('saved');
}

async function rename(page: Page, title: string): Promise<void> {
  const input = page.getByTestId('session-title');
  await input.fill(title);
  await input.press('Enter');
}

async function addNote(page: Page, text: string): Promise<void> {
  await page.getByTestId('add-note').click();
  const editor = page.getByTestId('cell-note').getByTestId('note-editor');
  await editor.fill(text);
  await editor.blur();
}

/** Two tabs on the session the first one created (the second reopens the last session). */
async function twoTabs(context: BrowserContext) {
  const a = await openApp(context, `${app.baseUrl}/`);
  await waitSaved(a.page);
  const b = await openApp(context, `${app.baseUrl}/`);
  await waitSaved(b.page);
  expect(await b.page.getByTestId('session-title').inputValue()).toBe(await a.page.getByTestId('session-title').inputValue());
  return { a, b };
}

async function freshTab(context: BrowserContext) {
  return openApp(context, `${app.baseUrl}/`);
}

describe('one session in two tabs', () => {
  it('keeps tab A’s saved note when tab B renames the session afterwards', async () => {
    const context = await app.browser.newContext();
    await routeTinyModel(context);
    const { a, b } = await twoTabs(context);

    await addNote(a.page, 'saved');
    await waitSaved(a.page);
    await rename(b.page, 'Renamed in B');
    await expect.poll(() => status(b.page), { timeout: 15_000 }).toMatch(/^(saved|conflict)$/);
    expect(await status(b.page)).toBe('saved');

    const c = await freshTab(context);
    await expect.poll(() => c.page.getByTestId('session-title').inputValue()).toBe('Renamed in B');
    await expect.poll(() => c.page.getByTestId('cell-note').getByTestId('note-rendered').innerText()).toBe('saved');
    for (const tab of [a, b, c]) expect(tab.errors).toEqual([]);
    await context.close();
  });

  it('merges when the stale tab never heard of the other save (no BroadcastChannel)', async () => {
    const context = await app.browser.newContext();
    await routeTinyModel(context);
    // Without the channel, only the compare-and-set on the stored revision protects the note.
    await context.addInitScript(() => {
      delete (window as unknown as { BroadcastChannel?: unknown }).BroadcastChannel;
    });
    const { a, b } = await twoTabs(context);

    await addNote(a.page, 'saved');
    await waitSaved(a.page);
    await rename(b.page, 'Renamed in B');
    await waitSaved(b.page);
    await expect.poll(() => b.page.getByTestId('notice').innerText()).toMatch(/another tab.*both changes were kept/i);
    // B now shows A's note too.
    expect(await b.page.getByTestId('cell-note').getByTestId('note-rendered').innerText()).toBe('saved');

    const c = await freshTab(context);
    await expect.poll(() => c.page.getByTestId('session-title').inputValue()).toBe('Renamed in B');
    await expect.poll(() => c.page.getByTestId('cell-note').getByTestId('note-rendered').innerText()).toBe('saved');
    for (const tab of [a, b, c]) expect(tab.errors).toEqual([]);
    await context.close();
  });

  it('makes the stale tab read-only when both tabs renamed it, and keeps its version as a copy on request', async () => {
    const context = await app.browser.newContext();
    await routeTinyModel(context);
    await context.addInitScript(() => {
      delete (window as unknown as { BroadcastChannel?: unknown }).BroadcastChannel;
    });
    const { a, b } = await twoTabs(context);

    await rename(a.page, 'Title from A');
    await waitSaved(a.page);
    await rename(b.page, 'Title from B');
    await expect.poll(() => status(b.page), { timeout: 15_000 }).toBe('conflict');
    const notice = await b.page.getByTestId('notice').innerText();
    expect(notice).toMatch(/another tab/);
    expect(notice).toMatch(/read-only/);
    expect(notice).toMatch(/newer version/);
    expect(await b.page.getByTestId('session-title').isDisabled()).toBe(true);
    // Further edits in B are refused rather than queued behind A's version.
    await b.page.getByTestId('add-note').click();
    expect(await b.page.getByTestId('cell-note').count()).toBe(0);

    const c = await freshTab(context);
    await expect.poll(() => c.page.getByTestId('session-title').inputValue()).toBe('Title from A');

    await b.page.getByTestId('conflict-keep-copy').click();
    await waitSaved(b.page);
    expect(await b.page.getByTestId('session-title').inputValue()).toBe("Title from B (this tab's copy)");
    await c.page.getByTestId('sessions-toggle').click();
    await expect
      .poll(async () => (await c.page.getByTestId('session-open').allInnerTexts()).map((t) => t.trim()).sort())
      .toEqual(['Title from A (open)', "Title from B (this tab's copy)"]);
    for (const tab of [a, b, c]) expect(tab.errors).toEqual([]);
    await context.close();
  });
});
