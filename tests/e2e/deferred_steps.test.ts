/**
 * Voting never waits for training (issue "Real time", item 1). On the CPU backend a draw worker
 * writes the next pair from its copy of the weights while the engine worker trains; a vote cast
 * while the trainer is still busy defers its policy steps, and once the trainer is idle the page
 * appends one catch-up `train` intent for all of them. Checked: the next pair shows while the
 * previous vote trains (drawn from the weights before it), the log holds the deferral and the
 * catch-up, every vote ends up learned, and a reload replays to the same weights.
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

describe('deferred steps', () => {
  it('draws the next pair while a vote trains, defers the votes cast meanwhile, then learns them in one logged group that replays', async () => {
    const { context, page, errors } = await openWithModel(app, 6);
    // Long reduces on the tiny model (about 0.6 s in Node; the pairs take tens of ms), so the trainer is busy when the next vote comes.
    const steps = page.getByTestId('cell-train').getByLabel('Steps per vote', { exact: true });
    await steps.fill('400');
    await steps.blur();
    const duel = page.getByTestId('duel');
    const ready = page.locator('[data-testid="duel"][data-phase="ready"]');
    await expect.poll(() => attrOf(page, 'duel', 'data-draw-worker'), { timeout: 60_000 }).toBe('true');
    await ready.waitFor();

    const pairIds: string[] = [];
    for (const [i, button] of ['vote-a', 'vote-b', 'vote-a'].entries()) {
      await ready.waitFor({ timeout: 60_000 });
      pairIds.push(await attrOf(page, 'duel', 'data-pair-id'));
      await page.getByTestId(button).click();
      await expect.poll(() => voteCount(page), { timeout: 30_000 }).toBe(i + 1);
      // The next pair, fresh, while the first vote still trains: drawn from the weights before it.
      await expect.poll(async () => (await duel.getAttribute('data-phase')) === 'ready' && (await duel.getAttribute('data-pair-id')) !== pairIds[i], { timeout: 30_000 }).toBe(true);
      if (i === 0) {
        expect(Number(await attrOf(page, 'policy-step', 'data-pending'))).toBeGreaterThan(0);
        expect(await attrOf(page, 'duel', 'data-drawn-step')).toBe('0');
        expect(await attrOf(page, 'duel', 'data-drawn-votes')).toBe('0');
      }
    }
    const ps = page.getByTestId('policy-step');
    await expect.poll(async () => `${await ps.getAttribute('data-votes-trained')}/${await ps.getAttribute('data-votes-deferred')}/${await ps.getAttribute('data-pending')}`, { timeout: 120_000 }).toBe('3/0/0');

    const exported = await downloadText(page, () => page.getByTestId('export-session').click());
    const doc = JSON.parse(exported.text) as SessionDocument;
    const votes = doc.events.filter((e) => e.type === 'vote');
    expect(votes.map((e) => e.type === 'vote' && e.kind === 'pair' && e.deferSteps === true)).toEqual([false, true, true]);
    const catchUps = doc.events.filter((e) => e.type === 'train' && e.catchUp === true);
    // One catch-up when both deferred votes came during the first vote's steps (the usual case),
    // two when the third came while the first catch-up ran; always after the votes it learns.
    expect(catchUps.length === 1 || catchUps.length === 2).toBe(true);
    expect(catchUps[0]!.seq).toBeGreaterThan(votes[1]!.seq);
    expect(catchUps.at(-1)!.seq).toBeGreaterThan(votes[2]!.seq);
    // 400 steps for the first vote and one per catch-up: the deferred votes took none of their own.
    const stepsBy = (seq: number) => doc.events.filter((e) => e.type === 'train_step' && e.intentSeq === seq).length;
    expect(votes.map((v) => stepsBy(v.seq))).toEqual([400, 0, 0]);
    expect(catchUps.map((c) => stepsBy(c.seq))).toEqual(catchUps.map(() => 1));
    const total = 400 + catchUps.length;
    expect(Number(await ps.getAttribute('data-step'))).toBe(total);

    // A reload replays the log, deferral and catch-up included, to the same weights.
    await reloadAndReplay(page);
    expect(Number(await ps.getAttribute('data-step'))).toBe(total);
    expect(await ps.getAttribute('data-votes-trained')).toBe('3');
    expect(errors).toEqual([]);
    await context.close();
  });
});
