/**
 * The "what you seem to prefer" panel through the real UI: a person votes (two votes with
 * critiques: one the engine cannot read, one it can), the Duel says what each critique was
 * understood as, the panel shows the reward model's principles; "Yes" on a row is logged and
 * shown as the person's statement; a reload replays the log to the same principle weights, the
 * same statement and the same reading; "Clear" takes the statement back. Leaves a screenshot of
 * the Duel with the panel (tests/artifacts/preference_panel.png).
 */
import { resolve } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureArtifacts, openWithModel, reloadWhenSaved, startAppServer, voteCount, waitForModel, waitForPair, type AppServer } from './support/harness';
import { PRINCIPLE_FEATURE_COUNT } from '../../src/engine/principles';

let app: AppServer;

beforeAll(async () => {
  app = await startAppServer();
});

afterAll(async () => {
  await app?.close();
});

/** Each axis's weight as the panel renders it (`data-weight`, the engine's number as text). */
async function weights(page: Page): Promise<Record<string, string>> {
  const rows = page.getByTestId('principle-row');
  const out: Record<string, string> = {};
  for (const row of await rows.all()) out[(await row.getAttribute('data-axis'))!] = (await row.getAttribute('data-weight'))!;
  return out;
}

/** Waits until no statement is being logged or reduced. */
async function panelIdle(panel: Locator): Promise<void> {
  await expect.poll(() => panel.getAttribute('data-busy'), { timeout: 60_000 }).toBe('false');
}

/** Casts a pairwise vote by button, with an optional critique, and waits until it is learned and the next pair is up. */
async function vote(page: Page, button: string, critique: string | null, expectedVotes: number): Promise<void> {
  await waitForPair(page);
  if (critique !== null) await page.getByTestId('critique').fill(critique);
  await page.getByTestId(button).click();
  await expect.poll(() => voteCount(page), { timeout: 60_000 }).toBe(expectedVotes);
  // The duel shows the next pair only after the engine reduced the vote (phase "learning" until then).
  await waitForPair(page, 120_000);
}

describe('the preference panel', () => {
  it('reads critiques, takes a statement, and replays both exactly after a reload', async () => {
    const { context, page, errors } = await openWithModel(app, 6);
    await page.getByTestId('cell-duel').getByTestId('cell-run').click();

    const reading = page.getByTestId('critique-reading');
    await vote(page, 'vote-a', 'zxqv blorp', 1);
    await expect.poll(() => reading.innerText(), { timeout: 30_000 }).toMatch(/^Your critique “zxqv blorp”: not understood/);
    // A vote without a critique: nothing to read.
    await vote(page, 'vote-b', null, 2);
    expect(await reading.count()).toBe(0);
    await vote(page, 'vote-a', 'B is too long', 3);
    await expect.poll(() => reading.innerText(), { timeout: 30_000 }).toMatch(/^Your critique “B is too long”: understood as shorter answers \(about B\)/);
    const readingText = await reading.innerText();

    const panel = page.getByTestId('preference-panel');
    await panel.waitFor();
    const rows = panel.getByTestId('principle-row');
    expect(await rows.count()).toBe(PRINCIPLE_FEATURE_COUNT);
    // Strongest first, as the engine ordered them.
    const magnitudes = await Promise.all((await rows.all()).map(async (r) => Math.abs(Number(await r.getAttribute('data-weight')))));
    expect(magnitudes).toEqual([...magnitudes].sort((a, b) => b - a));
    // What carries the loop's call: explanations by posterior probability, strongest first, summing to 1.
    const explanations = async () =>
      Promise.all((await panel.getByTestId('explanation').all()).map(async (e) => ({ label: await e.getAttribute('data-label'), weight: Number(await e.getAttribute('data-weight')) })));
    await expect.poll(async () => (await explanations()).length, { timeout: 30_000 }).toBeGreaterThan(0);
    const explained = await explanations();
    expect(await panel.getByTestId('explanation-weights').innerText()).toMatch(/^What explains your votes best so far: .+ \(\d+ ?%\)/);
    const named = explained.filter((e) => e.label !== 'other explanations').map((e) => e.weight);
    expect(named).toEqual([...named].sort((a, b) => b - a));
    expect(explained.reduce((sum, e) => sum + e.weight, 0)).toBeCloseTo(1, 6);
    // "B is too long" is evidence for shorter answers: the length weight leans negative.
    const length = panel.locator('[data-testid="principle-row"][data-axis="length"]');
    expect(Number(await length.getAttribute('data-weight'))).toBeLessThan(0);
    expect(await length.locator('.label').innerText()).toBe('shorter answers');
    expect(await panel.getByTestId('principle-stated').count()).toBe(0);
    // How sure the model is about the next vote: its call on the pair now on screen.
    await expect.poll(() => panel.getByTestId('preference-on-screen').count(), { timeout: 60_000 }).toBe(1);
    expect(await panel.getByTestId('preference-on-screen').innerText()).toMatch(/^On the pair on screen it expects [AB] to win, with probability (0\.\d\d|1\.00) \(± \d\.\d\d between and within its models\)\./);

    // "Yes: shorter answers": logged, reduced, then shown as the person's statement.
    await length.getByTestId('principle-confirm').click();
    await expect.poll(() => length.getByTestId('principle-stated').count(), { timeout: 60_000 }).toBe(1);
    await panelIdle(panel);
    expect(await length.getByTestId('principle-stated').innerText()).toMatch(/^you said: yes, shorter answers/);
    expect(await length.getByTestId('principle-confirm').isDisabled()).toBe(true);
    const stated = await weights(page);
    expect(Object.keys(stated)).toHaveLength(PRINCIPLE_FEATURE_COUNT);
    const explainedStated = await explanations();
    // The statement is a prior at one reward per spread toward shorter: it pulls the weight there.
    expect(Number(stated['length'])).toBeLessThan(-0.5);
    // For a person to look at: the Duel's reading of the critique and the panel under it.
    await page.getByTestId('duel').screenshot({ path: resolve(ensureArtifacts(), 'preference_panel.png') });

    // Reload: the stored log replays onto the freshly loaded model.
    await reloadWhenSaved(page);
    await page.locator('[data-testid="app"][data-loaded="true"]').waitFor();
    await waitForModel(page);
    await expect.poll(() => page.getByTestId('replay-status').getAttribute('data-status'), { timeout: 120_000 }).toBe('done');
    await panel.waitFor();
    expect(await weights(page)).toEqual(stated);
    expect(await explanations()).toEqual(explainedStated);
    expect(await length.getByTestId('principle-stated').innerText()).toMatch(/^you said: yes, shorter answers/);
    await expect.poll(() => reading.innerText(), { timeout: 30_000 }).toBe(readingText);

    // "Clear" takes the statement back (another intent in the log).
    await length.getByTestId('principle-clear').click();
    await expect.poll(() => length.getByTestId('principle-stated').count(), { timeout: 60_000 }).toBe(0);
    await panelIdle(panel);
    expect(await length.getByTestId('principle-confirm').isDisabled()).toBe(false);
    expect(await weights(page)).not.toEqual(stated);

    expect(errors).toEqual([]);
    await context.close();
  });
});
