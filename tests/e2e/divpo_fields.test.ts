/**
 * The options `duelbook sim` measured as `--relabel-candidates`, `--relabel-match-length` and
 * `--length-alpha`, in the page: the Duel cell's "Samples per pair" and "Match lengths" (each
 * relabelled pair is the DivPO pick among that many samples) and the Train cell's "R-DPO α".
 * Checked: "Match lengths" waits for more than 2 samples, the three reach the log's settings
 * event, the relabelling calls are logged, the loss chart drops its ln 2 line (R-DPO shifts the
 * logit), and a reload replays the votes and the calls to the same weights.
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

describe('DivPO picks and R-DPO in the page', () => {
  it('samples per pair, matched lengths and R-DPO α reach the log and replay to the same weights', async () => {
    const { context, page, errors } = await openWithModel(app, 7);
    const train = page.getByTestId('cell-train');
    await expect.poll(() => train.getByTestId('loss-chart').getByText('ln 2').count()).toBeGreaterThan(0);
    const alpha = train.getByLabel('R-DPO α', { exact: true });
    await alpha.fill('0.1');
    await alpha.blur();
    await expect.poll(() => train.getByTestId('loss-chart').getByText('ln 2').count()).toBe(0);

    const setField = async (testid: string, value: string) => {
      await page.getByTestId(testid).fill(value);
      await page.getByTestId(testid).blur();
    };
    // Any label passes the gates (confidence ≥ ½, std ≤ ½) once the reward model has seen a vote.
    await setField('relabel-min-confidence', '0.5');
    await setField('relabel-max-std', '0.5');
    await setField('relabel-pairs', '1');
    const matchLength = page.getByTestId('relabel-match-length');
    await expect.poll(() => matchLength.isDisabled()).toBe(true);
    await setField('relabel-candidates', '4');
    await expect.poll(() => matchLength.isDisabled()).toBe(false);
    await matchLength.check();

    const ready = page.locator('[data-testid="duel"][data-phase="ready"]');
    for (const [i, button] of ['vote-a', 'vote-b'].entries()) {
      await ready.waitFor({ timeout: 60_000 });
      await page.getByTestId(button).click();
      await expect.poll(() => voteCount(page), { timeout: 30_000 }).toBe(i + 1);
    }
    await expect.poll(() => attrOf(page, 'policy-step', 'data-votes-trained'), { timeout: 120_000 }).toBe('2');
    await expect.poll(() => attrOf(page, 'policy-step', 'data-pending'), { timeout: 120_000 }).toBe('0');
    const ps = page.getByTestId('policy-step');
    const step = await ps.getAttribute('data-step');
    expect(Number(step)).toBeGreaterThan(0);

    const exported = await downloadText(page, () => page.getByTestId('export-session').click());
    const doc = JSON.parse(exported.text) as SessionDocument;
    const settings = doc.events.filter((e) => e.type === 'settings').at(-1);
    expect(settings?.type === 'settings' && settings.trainer).toMatchObject({ objective: 'sigmoid', lengthAlpha: 0.1 });
    expect(settings?.type === 'settings' && settings.relabel).toMatchObject({ pairs: 1, candidates: 4, matchLength: true });
    const firstVote = doc.events.find((e) => e.type === 'vote')!;
    expect(settings!.seq).toBeLessThan(firstVote.seq);
    // One relabelling call per vote (none when fewer than two of the four samples are non-empty); each is two different samples.
    const relabels = doc.events.filter((e) => e.type === 'relabel');
    expect(relabels.length).toBeGreaterThanOrEqual(1);
    expect(relabels.length).toBeLessThanOrEqual(2);
    for (const r of relabels) if (r.type === 'relabel') expect(r.aIds).not.toEqual(r.bIds);

    await reloadAndReplay(page);
    expect(await ps.getAttribute('data-step')).toBe(step);
    expect(await ps.getAttribute('data-votes-trained')).toBe('2');
    expect(errors).toEqual([]);
    await context.close();
  });
});
