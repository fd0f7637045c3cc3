/**
 * The core loop through the real UI: load a model, vote with the keyboard, and watch the
 * loss chart and the reward model's accuracy move after every vote. Ends with a screenshot of
 * the notebook (tests/artifacts/notebook.png) for a person to look at.
 */
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureArtifacts, openApp, openWithModel, reloadWhenSaved, routeTinyModel, startAppServer, voteCount, waitForModel, waitForPair, type AppServer } from './support/harness';

let app: AppServer;

beforeAll(async () => {
  app = await startAppServer();
});

afterAll(async () => {
  await app?.close();
});

describe('the learning loop', () => {
  it('loads a model, takes 10 keyboard votes, and updates the loss chart and reward-model accuracy after each', async () => {
    const context = await app.browser.newContext({ viewport: { width: 1280, height: 900 } });
    await routeTinyModel(context);
    const { page, errors } = await openApp(context, `${app.baseUrl}/`);
    await waitForModel(page);

    // 'auto' on a software adapter (or none) runs on the CPU and says why.
    const backend = await page.getByTestId('backend-label').innerText();
    expect(backend).toMatch(/CPU fallback: .+|WebGPU|CPU/);
    // On the CPU, the cross-origin-isolated page runs the matmul on every core (up to 4).
    const cores = await page.evaluate(() => (crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency) : 1));
    if (/CPU/.test(backend) && cores > 1) expect(backend).toContain(`matmul on ${cores} threads`);

    // Shorter candidates keep the test fast; this also exercises a config edit.
    const maxTokens = page.getByTestId('max-tokens');
    await page.getByTestId('sampling-toggle').click();
    await maxTokens.fill('12');
    await maxTokens.press('Enter');
    await maxTokens.blur();

    await waitForPair(page);
    const lossChart = page.getByTestId('loss-chart');
    const rm = page.getByTestId('rm-accuracy');
    const keys = ['ArrowLeft', 'ArrowRight', 'ArrowLeft', 'ArrowLeft', 'ArrowRight', 'ArrowRight', 'ArrowLeft', 'ArrowRight', 'ArrowLeft', 'ArrowRight'];
    let points = Number(await lossChart.getAttribute('data-points'));
    const pairIds = new Set<string>();
    for (const [i, key] of keys.entries()) {
      await waitForPair(page);
      const a = await page.getByTestId('candidate-a').innerText();
      expect(a.length).toBeGreaterThan(0);
      // Every votable pair is a fresh one (the next is drawn before the vote is learned from).
      const pairId = (await page.getByTestId('duel').getAttribute('data-pair-id'))!;
      expect(pairId).not.toBe('');
      expect(pairIds.has(pairId)).toBe(false);
      pairIds.add(pairId);
      await page.keyboard.press(key);
      await expect.poll(() => voteCount(page), { timeout: 30_000 }).toBe(i + 1);
      // The train-cell error box appears instead of progress if the engine cannot learn.
      await expect.poll(async () => (await page.getByTestId('train-error').count()) === 0 ? 'ok' : await page.getByTestId('train-error').innerText(), { timeout: 5_000 }).toBe('ok');
      await expect.poll(async () => Number(await rm.getAttribute('data-votes')), { timeout: 60_000 }).toBe(i + 1);
      await expect.poll(async () => Number(await lossChart.getAttribute('data-points')), { timeout: 60_000 }).toBeGreaterThan(points);
      points = Number(await lossChart.getAttribute('data-points'));
      const accuracy = Number(await rm.getAttribute('data-value'));
      expect(accuracy).toBeGreaterThanOrEqual(0);
      expect(accuracy).toBeLessThanOrEqual(1);
      expect(await rm.innerText()).toMatch(/^\d+(\.\d)?%$/);
    }
    expect(await page.getByTestId('vote-count').innerText()).toBe('10 votes');
    // The collapse watch (distinct-2 and repetition of recent candidates) is charted as votes train.
    expect(Number(await page.getByTestId('collapse-chart').getAttribute('data-points'))).toBeGreaterThan(0);
    expect(await page.getByTestId('collapse-chart').innerText()).toContain('doubled words');

    await waitForPair(page);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: resolve(ensureArtifacts(), 'learning_loop.png'), fullPage: true });
    expect(errors).toEqual([]);
    await context.close();
  });

  it('runs a short simulated session in a Simulate cell without touching the duel policy', async () => {
    const context = await app.browser.newContext({ viewport: { width: 1280, height: 900 } });
    await routeTinyModel(context);
    const { page, errors } = await openApp(context, `${app.baseUrl}/`);
    await waitForModel(page);
    await waitForPair(page);
    const steps = await page.getByTestId('model-info').innerText();

    await page.getByTestId('add-simulate').click();
    const cell = page.getByTestId('cell-simulate');
    await cell.getByLabel('Votes').fill('6');
    await cell.getByLabel('Votes').blur();
    await cell.getByLabel('Max new tokens').fill('6');
    await cell.getByLabel('Max new tokens').blur();
    await cell.getByTestId('cell-run').click();
    const summary = cell.getByTestId('simulate-summary');
    await summary.waitFor({ timeout: 120_000 });
    const text = await summary.innerText();
    expect(text).toMatch(/Win rate vs reference\s+\d+\.\d%/);
    expect(text).toMatch(/Votes \(decisive\) · steps\s+6 \(\d+\)/);
    expect(await cell.getByTestId('simulate-error').count()).toBe(0);
    // The session's policy took no optimizer steps: the simulation trained a copy.
    expect(await page.getByTestId('model-info').innerText()).toBe(steps);
    // The verdict reads the run by the learning bar, and the frontier shows the shipped grid
    // (7 measured runs and IPO) plus this run as a hollow point.
    expect(await cell.getByTestId('simulate-verdict').getAttribute('data-verdict')).toMatch(/^(learning|no learning|collapse|degraded)$/);
    await expect.poll(() => cell.getByTestId('frontier-point').count(), { timeout: 10_000 }).toBe(8);
    expect(await cell.getByTestId('frontier-table').innerText()).toMatch(/sigmoid β0\.5 lr 1e-4\s+78\.5%/);
    // The result is stored in the session: a reload shows it without running again.
    expect(await cell.getByTestId('simulate-store-error').count() ? await cell.getByTestId('simulate-store-error').innerText() : '').toBe('');
    await reloadWhenSaved(page);
    await page.locator('[data-testid="app"][data-loaded="true"]').waitFor();
    const restored = page.getByTestId('cell-simulate');
    await restored.getByTestId('simulate-stored').waitFor({ timeout: 30_000 });
    expect(await restored.getByTestId('simulate-summary').innerText()).toBe(text);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('draws arena battles between saved snapshots with the Arena cell\'s pair selection', async () => {
    const { context, page, errors } = await openWithModel(app, 6);
    await waitForPair(page);

    // Two decisive votes move the policy; then save it as a snapshot named "early".
    for (const key of ['ArrowLeft', 'ArrowRight']) {
      await waitForPair(page);
      const before = await voteCount(page);
      await page.keyboard.press(key);
      await expect.poll(() => voteCount(page), { timeout: 30_000 }).toBe(before + 1);
    }
    const arena = page.getByTestId('cell-arena');
    await arena.getByLabel('Snapshot name').fill('reference');
    await arena.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => arena.locator('.error-box').innerText()).toMatch(/reserved/);
    await arena.getByLabel('Snapshot name').fill('early');
    await arena.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => arena.innerText()).toMatch(/Saved snapshots: early \(step \d+\)/);
    await arena.getByTestId('pair-selection').selectOption('arena-weighted');

    await page.getByLabel('Who writes the candidates').selectOption('arena');
    await page.getByTestId('cell-duel').getByTestId('cell-run').click();
    for (let i = 0; i < 6; i++) {
      await waitForPair(page);
      expect(await page.getByTestId('duel-error').count()).toBe(0);
      const before = await voteCount(page);
      await page.keyboard.press(i % 2 === 0 ? 'ArrowLeft' : 'ArrowRight');
      await expect.poll(() => voteCount(page), { timeout: 30_000 }).toBe(before + 1);
    }
    await expect.poll(async () => Number(await arena.getByTestId('arena-battles').getAttribute('data-count')), { timeout: 30_000 }).toBe(6);
    const rows = (await arena.locator('[data-testid="arena-table"] tbody tr').allInnerTexts()).join('\n');
    // Arena-weighted balancing brings the never-rated snapshot in early.
    expect(rows).toContain('early');
    expect(errors).toEqual([]);
    await context.close();
  });
});
