/**
 * Sessions as documents, through the UI: a reload restores the session; export → new →
 * import gives back the identical file; a share link opened in a fresh browser (empty
 * storage) shows the same votes and the same ratings. Also leaves a screenshot of the
 * notebook after this short session in tests/artifacts/notebook.png.
 */
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  downloadText,
  e2eCheckpoint,
  ensureArtifacts,
  openApp,
  reloadWhenSaved,
  routeTinyModel,
  startAppServer,
  voteCount,
  waitForModel,
  waitForPair,
  type AppServer,
} from './support/harness';

let app: AppServer;

beforeAll(async () => {
  app = await startAppServer();
});

afterAll(async () => {
  await app?.close();
});

/** The leaderboard as text (rank, name, rating, interval, record, Elo per row). */
async function arenaRows(page: Page): Promise<string[]> {
  await page.getByTestId('arena-table').waitFor({ timeout: 30_000 });
  return page.locator('[data-testid="arena-table"] tbody tr').allInnerTexts();
}

async function lossPoints(page: Page): Promise<number> {
  return Number(await page.getByTestId('loss-chart').getAttribute('data-points'));
}

describe('sessions as documents', () => {
  it('survives a reload, round-trips through a file, and opens from a share link in a fresh browser', async () => {
    const context = await app.browser.newContext({ viewport: { width: 1280, height: 900 } });
    await routeTinyModel(context);
    const { page, errors } = await openApp(context, `${app.baseUrl}/`);
    await waitForModel(page);

    const title = page.getByTestId('session-title');
    await title.fill('Round trip');
    await title.press('Enter');
    await title.blur();

    await page.getByTestId('sampling-toggle').click();
    await page.getByTestId('max-tokens').fill('8');
    await page.getByTestId('max-tokens').blur();
    // Votes against the reference are battles, so the Arena has something to rate.
    await page.getByLabel('Who writes the candidates').selectOption('reference');
    await page.getByTestId('cell-duel').getByTestId('cell-run').click(); // a new pair from the new setting

    const buttons = ['vote-a', 'vote-b', 'vote-tie', 'vote-a', 'vote-bothbad', 'vote-a', 'vote-b'];
    for (const [i, button] of buttons.entries()) {
      await waitForPair(page);
      if (i === 1) await page.getByTestId('critique').fill('A rambles; B is on topic');
      await page.getByTestId(button).click();
      await expect.poll(() => voteCount(page), { timeout: 60_000 }).toBe(i + 1);
    }
    // Undo the last vote: six remain, and the undone pair is back on screen.
    await waitForPair(page);
    await page.getByTestId('undo').click();
    await expect.poll(() => voteCount(page)).toBe(buttons.length - 1);
    await waitForPair(page);

    const votes = await voteCount(page);
    // Datasets: TRL preference pairs (decisive votes only: a, b, a, a) and Arena battles (every vote here).
    await page.locator('summary', { hasText: 'Datasets' }).click();
    const pairs = await downloadText(page, () => page.getByTestId('dataset-preference').click());
    expect(pairs.name).toBe('Round trip.preference.jsonl');
    const pairRows = pairs.text.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(pairRows).toHaveLength(4);
    for (const row of pairRows) expect(row).toEqual({ prompt: expect.any(String), chosen: expect.any(String), rejected: expect.any(String), annotator: 'human' });
    const battleRows = (await downloadText(page, () => page.getByTestId('dataset-battles').click())).text.trim().split('\n').map((line) => JSON.parse(line) as { winner: string; model_a: string; model_b: string });
    // model_a is the left candidate, so the winners follow the buttons pressed (the undone vote is gone).
    expect(battleRows.map((b) => b.winner)).toEqual(['model_a', 'model_b', 'tie', 'model_a', 'tie (bothbad)', 'model_a']);
    expect(battleRows.every((b) => b.model_a === 'reference' || b.model_b === 'reference')).toBe(true);
    await page.locator('summary', { hasText: 'Datasets' }).click();
    const ratings = await arenaRows(page);
    expect(ratings.length).toBeGreaterThanOrEqual(2);
    expect(ratings.join('\n')).toContain('reference');
    const points = await lossPoints(page);
    const battles = await page.getByTestId('arena-battles').innerText();
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: resolve(ensureArtifacts(), 'notebook.png'), fullPage: true });

    // Reload: the same session comes back from IndexedDB, charts included.
    await reloadWhenSaved(page);
    await page.locator('[data-testid="app"][data-loaded="true"]').waitFor();
    await expect.poll(() => page.getByTestId('session-title').inputValue()).toBe('Round trip');
    expect(await voteCount(page)).toBe(votes);
    await expect.poll(() => lossPoints(page)).toBe(points);
    await expect.poll(() => page.getByTestId('arena-battles').innerText()).toBe(battles);
    await expect.poll(() => arenaRows(page)).toEqual(ratings);
    await waitForModel(page);
    await waitForPair(page);

    // Export, clear (a new session), import: the exported file comes back byte for byte.
    const exported = await downloadText(page, () => page.getByTestId('export-session').click());
    expect(exported.name).toBe('Round trip.duelbook.json');
    const parsed = JSON.parse(exported.text) as { format: string; version: number; events: { type: string; critique?: string }[] };
    expect(parsed.format).toBe('duelbook.session');
    expect(parsed.events.some((e) => e.type === 'vote' && e.critique === 'A rambles; B is on topic')).toBe(true);
    expect(parsed.events.some((e) => e.type === 'undo')).toBe(true);

    await page.getByTestId('new-session').click();
    await expect.poll(() => page.getByTestId('session-title').inputValue()).toBe('Untitled session');
    expect(await voteCount(page)).toBe(0);

    await page.getByTestId('import-file').setInputFiles({ name: exported.name, mimeType: 'application/json', buffer: Buffer.from(exported.text) });
    await expect.poll(() => page.getByTestId('notice').getAttribute('data-kind')).toBe('info');
    await expect.poll(() => page.getByTestId('session-title').inputValue()).toBe('Round trip');
    expect(await voteCount(page)).toBe(votes);
    const again = await downloadText(page, () => page.getByTestId('export-session').click());
    expect(again.text).toBe(exported.text);

    // Share link → a fresh browser context (empty storage) sees the same votes and ratings.
    await page.getByTestId('share-session').click();
    const url = await page.getByTestId('share-url').inputValue();
    expect(url).toMatch(/#s=[A-Za-z0-9_-]+$/);
    const fresh = await app.browser.newContext({ viewport: { width: 1280, height: 900 } });
    await routeTinyModel(fresh);
    const other = await openApp(fresh, url);
    await expect.poll(() => other.page.getByTestId('session-title').inputValue()).toBe('Round trip');
    expect(await voteCount(other.page)).toBe(votes);
    await expect.poll(() => arenaRows(other.page)).toEqual(ratings);
    await expect.poll(() => other.page.getByTestId('notice').getAttribute('data-kind')).toBe('info');
    // The link was consumed: the address bar no longer carries the session.
    expect(new URL(other.page.url()).hash).toBe('');
    const shared = await downloadText(other.page, () => other.page.getByTestId('export-session').click());
    expect(shared.text).toBe(exported.text);

    expect(errors).toEqual([]);
    expect(other.errors).toEqual([]);
    await fresh.close();
    await context.close();
  });

  it('adds, edits, reorders, collapses, re-runs and deletes cells, and keeps the layout across a reload', async () => {
    const context = await app.browser.newContext({ viewport: { width: 1280, height: 900 } });
    await routeTinyModel(context);
    // ?backend=cpu overrides the cell's 'auto': the CPU backend, chosen, not a fallback.
    const { page, errors } = await openApp(context, `${app.baseUrl}/?backend=cpu`);
    await waitForModel(page);
    const label = await page.getByTestId('backend-label').innerText();
    expect(label).toMatch(/CPU.*\(requested\)/);
    expect(label).not.toMatch(/fallback/i);
    await expect.poll(() => page.getByText('?backend=cpu').count()).toBeGreaterThan(0);

    const kinds = () => page.locator('section[data-cell-id]').evaluateAll((cells) => cells.map((c) => c.getAttribute('data-testid')));
    expect(await kinds()).toEqual(['cell-policy', 'cell-prompts', 'cell-duel', 'cell-train', 'cell-arena']);

    await page.getByTestId('add-note').click();
    const note = page.getByTestId('cell-note');
    await note.getByTestId('note-editor').fill('Votes so far: **mostly A**, see [the docs](https://example.com/docs).');
    await note.getByTestId('note-editor').blur();
    await expect.poll(() => note.getByTestId('note-rendered').locator('strong').innerText()).toBe('mostly A');
    await note.getByLabel('Cell title').fill('Observations');
    await note.getByLabel('Cell title').press('Enter');

    await note.getByRole('button', { name: 'Move cell up' }).click();
    await note.getByRole('button', { name: 'Move cell up' }).click();
    expect(await kinds()).toEqual(['cell-policy', 'cell-prompts', 'cell-duel', 'cell-note', 'cell-train', 'cell-arena']);

    await note.getByRole('button', { name: 'Collapse cell' }).click();
    expect(await note.getByTestId('note-rendered').count()).toBe(0);
    await page.getByTestId('cell-train').getByRole('button', { name: 'Collapse cell' }).click();

    // Re-running the Prompts cell reloads its list.
    await page.getByTestId('cell-prompts').getByTestId('cell-run').click();
    await expect.poll(() => page.getByTestId('cell-prompts').locator('li').count()).toBe(5);

    // Deleting asks for a second click.
    await page.getByTestId('add-simulate').click();
    const simulate = page.getByTestId('cell-simulate');
    await simulate.getByRole('button', { name: 'Delete cell' }).click();
    expect(await simulate.count()).toBe(1);
    await simulate.getByRole('button', { name: 'Click again to delete this cell' }).click();
    expect(await page.getByTestId('cell-simulate').count()).toBe(0);

    await reloadWhenSaved(page);
    await page.locator('[data-testid="app"][data-loaded="true"]').waitFor();
    expect(await kinds()).toEqual(['cell-policy', 'cell-prompts', 'cell-duel', 'cell-note', 'cell-train', 'cell-arena']);
    expect(await page.getByTestId('cell-note').getByLabel('Cell title').inputValue()).toBe('Observations');
    expect(await page.getByTestId('cell-note').getByRole('button', { name: 'Expand cell' }).count()).toBe(1);
    expect(await page.getByTestId('cell-train').getByTestId('loss-chart').count()).toBe(0); // still collapsed
    expect(errors).toEqual([]);
    await context.close();
  });

  it('loads a GPT-2 checkpoint from local files, and again from browser storage after a reload', async () => {
    const context = await app.browser.newContext({ viewport: { width: 1280, height: 900 } });
    await routeTinyModel(context);
    const { page, errors } = await openApp(context, `${app.baseUrl}/`);
    await waitForModel(page);
    const policy = page.getByTestId('cell-policy');
    await policy.getByLabel('Model source').selectOption('file');

    // Two of three files: a clear message, nothing loaded.
    const ck = e2eCheckpoint(9);
    const files = [
      { name: 'config.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(ck.config)) },
      { name: 'tokenizer.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(ck.tokenizer)) },
      { name: 'model.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from(ck.safetensors) },
    ];
    await policy.getByTestId('policy-files').setInputFiles(files.slice(0, 2));
    await expect.poll(() => policy.locator('.field-error').innerText()).toMatch(/missing: model\.safetensors/);

    await policy.getByTestId('policy-files').setInputFiles(files);
    await expect.poll(() => policy.getByTestId('model-info').innerText(), { timeout: 60_000 }).toMatch(/model\.safetensors/);
    // The first pair may still have been streaming from the old model when it was replaced:
    // the duel must draw afresh from the new one, not stop at "no generation g1".
    await waitForPair(page);
    expect(await page.getByTestId('duel').getAttribute('data-phase')).toBe('ready');

    await reloadWhenSaved(page);
    await page.locator('[data-testid="app"][data-loaded="true"]').waitFor();
    await expect.poll(() => page.getByTestId('cell-policy').getByTestId('model-info').innerText(), { timeout: 60_000 }).toMatch(/model\.safetensors/);
    expect(errors).toEqual([]);
    await context.close();
  });
});
