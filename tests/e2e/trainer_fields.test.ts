/**
 * The Train cell's optional trainer fields in the page: "Interpolation η" (the policy served is
 * θ_ref + η (θ_trained − θ_ref)) and "RPO α" (TRL's rpo_alpha). Checked: set before the first
 * vote, they reach the log's settings event, the cell says which numbers are the trained
 * weights' when η < 1, the loss chart drops its ln 2 line with RPO on, and a reload replays the
 * votes to the same weights.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionDocument } from '../../src/session/index';
import { attrOf, downloadText, openWithModel, reloadAndReplay, startAppServer, voteCount, type AppServer } from './support/harness';

let app: AppServer;

beforeAll(async () => {
  app = await startAppServer();
});

afterAll(async () => {
  await app?.close();
});

describe('trainer fields', () => {
  it('interpolation η and RPO α reach the log, are explained in the cell, and replay to the same weights', async () => {
    const { context, page, errors } = await openWithModel(app, 6);
    const train = page.getByTestId('cell-train');
    await expect.poll(() => train.getByTestId('train-interpolated').count()).toBe(0);
    await expect.poll(() => train.getByTestId('loss-chart').getByText('ln 2').count()).toBeGreaterThan(0);
    for (const [label, value] of [
      ['Interpolation η', '0.5'],
      ['RPO α', '1'],
    ] as const) {
      const field = train.getByLabel(label, { exact: true });
      await field.fill(value);
      await field.blur();
    }
    await expect.poll(() => train.getByTestId('train-interpolated').textContent(), { timeout: 10_000 }).toContain('η = 0.5');
    await expect.poll(() => train.getByTestId('loss-chart').getByText('ln 2').count()).toBe(0);

    const ready = page.locator('[data-testid="duel"][data-phase="ready"]');
    for (const [i, button] of ['vote-a', 'vote-b'].entries()) {
      await ready.waitFor({ timeout: 60_000 });
      await page.getByTestId(button).click();
      await expect.poll(() => voteCount(page), { timeout: 30_000 }).toBe(i + 1);
    }
    const ps = page.getByTestId('policy-step');
    await expect.poll(() => attrOf(page, 'policy-step', 'data-votes-trained'), { timeout: 120_000 }).toBe('2');
    await expect.poll(() => attrOf(page, 'policy-step', 'data-pending'), { timeout: 120_000 }).toBe('0');
    const step = await ps.getAttribute('data-step');
    expect(Number(step)).toBeGreaterThan(0);

    const exported = await downloadText(page, () => page.getByTestId('export-session').click());
    const doc = JSON.parse(exported.text) as SessionDocument;
    const settings = doc.events.filter((e) => e.type === 'settings');
    const last = settings.at(-1);
    expect(last?.type === 'settings' && last.trainer).toMatchObject({ interpolation: 0.5, rpoAlpha: 1 });
    const firstVote = doc.events.find((e) => e.type === 'vote')!;
    expect(last!.seq).toBeLessThan(firstVote.seq);

    await reloadAndReplay(page);
    expect(await ps.getAttribute('data-step')).toBe(step);
    expect(await ps.getAttribute('data-votes-trained')).toBe('2');
    expect(errors).toEqual([]);
    await context.close();
  });
});
