/**
 * Opening a session restores the trained policy, not only the charts: after a few votes with
 * training on (one of them undone — which unlearns it — and cast again, a tie, and a "Train
 * now"), the same session opened by a
 * reload, by importing its file in a fresh browser, and from a share link in another fresh
 * browser ends at the same optimizer step, scores a fixed text with the same log-prob, and
 * says that replay matched the log.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadText, openApp, openWithModel, reloadWhenSaved, routeTinyModel, startAppServer, voteCount, waitForModel, waitForPair, type AppServer } from './support/harness';

let app: AppServer;

beforeAll(async () => {
  app = await startAppServer();
});

afterAll(async () => {
  await app?.close();
});

const policyStep = async (page: Page) => Number(await page.getByTestId('policy-step').getAttribute('data-step'));
/** Waits until the trainer has learned `votes` votes and has nothing queued (the next vote will not defer its steps). */
async function learned(page: Page, votes: number): Promise<void> {
  const ps = page.getByTestId('policy-step');
  await expect.poll(async () => `${await ps.getAttribute('data-votes-trained')}/${await ps.getAttribute('data-pending')}`, { timeout: 60_000 }).toBe(`${votes}/0`);
}
const loggedSteps = async (page: Page) => Number((await page.getByTestId('train-status').innerText()).match(/^(\d+) steps$/)?.[1] ?? NaN);

/** The fixed text's log-prob under the policy and the reference (once per page load). */
async function probe(page: Page): Promise<{ policy: number; reference: number }> {
  const details = page.locator('details.probe');
  if ((await details.getAttribute('open')) === null) await details.locator('summary').click();
  const result = page.getByTestId('probe-result');
  // Called once per page load, so whatever result appears is this probe's.
  expect(await result.count()).toBe(0);
  await page.getByTestId('probe-run').click();
  await result.waitFor();
  return { policy: Number(await result.getAttribute('data-policy')), reference: Number(await result.getAttribute('data-reference')) };
}

/**
 * Waits for the log to be reduced after a load and checks every recomputed step matched the
 * log; the undone vote's 2 logged steps are the only ones the weights do not hold.
 */
async function expectReplayMatched(page: Page, steps: number): Promise<void> {
  const status = page.getByTestId('replay-status');
  await expect.poll(() => status.getAttribute('data-status'), { timeout: 120_000 }).toBe('done');
  const text = await page.getByTestId('replay-result').innerText();
  expect(text).toMatch(/^Replay matches the log/);
  expect(await status.getAttribute('data-match')).toBe('true');
  expect(text).toContain(`${steps} optimizer steps`);
  expect(await policyStep(page)).toBe(steps);
  expect(await page.getByTestId('train-unseen').innerText()).toMatch(/do not hold 2 of the 10 logged steps/);
}

describe('replay', () => {
  it('restores the trained weights on reload, import in a fresh browser, and from a share link', async () => {
    const { context, page, errors } = await openWithModel(app, 6);
    await page.getByTestId('cell-duel').getByTestId('cell-run').click();

    // The starter Train cell takes 2 steps per decisive vote; a tie takes none. Each vote waits
    // until the one before was learned: a vote cast while the trainer is busy defers its steps
    // to a catch-up group (tests/e2e/deferred_steps.test.ts), and this test counts steps.
    const buttons = ['vote-a', 'vote-tie', 'vote-b', 'vote-a'];
    for (const [i, button] of buttons.entries()) {
      await waitForPair(page);
      await page.getByTestId(button).click();
      await expect.poll(() => voteCount(page), { timeout: 60_000 }).toBe(i + 1);
      await learned(page, i + 1);
    }
    await expect.poll(() => loggedSteps(page), { timeout: 60_000 }).toBe(6);
    expect(await policyStep(page)).toBe(6);
    // Undo the last vote (the weights go back to before it) and vote the other way.
    await waitForPair(page);
    await page.getByTestId('undo').click();
    await expect.poll(() => voteCount(page)).toBe(3);
    await expect.poll(() => policyStep(page), { timeout: 60_000 }).toBe(4);
    await learned(page, 3);
    await waitForPair(page);
    await page.getByTestId('vote-b').click();
    await expect.poll(() => loggedSteps(page), { timeout: 60_000 }).toBe(8);
    expect(await policyStep(page)).toBe(6);
    // "Train now": 2 extra steps on the buffer.
    await waitForPair(page);
    const extra = page.getByLabel('Extra steps (Train now)');
    await extra.fill('2');
    await extra.blur();
    await page.getByTestId('cell-train').getByTestId('cell-run').click();
    await expect.poll(() => loggedSteps(page), { timeout: 60_000 }).toBe(10);
    // The weights hold 8 of the 10 logged steps: not the undone vote's 2.
    const steps = 8;
    expect(await policyStep(page)).toBe(steps);
    const trained = await probe(page);
    // The probe is worth comparing only if training moved it.
    expect(Math.abs(trained.policy - trained.reference)).toBeGreaterThan(1e-3);

    // A reload: the stored session replays onto the freshly loaded checkpoint.
    await reloadWhenSaved(page);
    await page.locator('[data-testid="app"][data-loaded="true"]').waitFor();
    await waitForModel(page);
    await expectReplayMatched(page, steps);
    const reloaded = await probe(page);
    expect(Math.abs(reloaded.policy - trained.policy)).toBeLessThan(1e-4);
    expect(await loggedSteps(page)).toBe(10); // opening recomputes the records, it logs nothing

    const exported = await downloadText(page, () => page.getByTestId('export-session').click());

    // Import in a fresh browser whose policy is already loaded: it is reloaded, then replayed.
    const fresh = await app.browser.newContext({ viewport: { width: 1280, height: 900 } });
    await routeTinyModel(fresh);
    const other = await openApp(fresh, `${app.baseUrl}/`);
    await waitForModel(other.page);
    await other.page.getByTestId('import-file').setInputFiles({ name: exported.name, mimeType: 'application/json', buffer: Buffer.from(exported.text) });
    await expect.poll(() => other.page.getByTestId('notice').getAttribute('data-kind')).toBe('info');
    await waitForModel(other.page);
    await expectReplayMatched(other.page, steps);
    const imported = await probe(other.page);
    expect(Math.abs(imported.policy - trained.policy)).toBeLessThan(1e-4);
    expect(Math.abs(imported.reference - trained.reference)).toBeLessThan(1e-6);
    const again = await downloadText(other.page, () => other.page.getByTestId('export-session').click());
    expect(again.text).toBe(exported.text);

    // A share link in yet another fresh browser replays to the same step.
    await page.getByTestId('share-session').click();
    const url = await page.getByTestId('share-url').inputValue();
    const third = await app.browser.newContext({ viewport: { width: 1280, height: 900 } });
    await routeTinyModel(third);
    const shared = await openApp(third, url);
    await waitForModel(shared.page);
    await expectReplayMatched(shared.page, steps);
    const fromLink = await probe(shared.page);
    expect(Math.abs(fromLink.policy - trained.policy)).toBeLessThan(1e-4);

    expect(errors).toEqual([]);
    expect(other.errors).toEqual([]);
    expect(shared.errors).toEqual([]);
    await third.close();
    await fresh.close();
    await context.close();
  });
});
