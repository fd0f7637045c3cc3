/**
 * The Duel cell's other modes and judges through the real UI: a ranking built with the
 * keyboard, thumbs by button and by key, a simulated annotator voting on its own (Start,
 * Pause, Step), and the shipped ONNX fluency judge casting a vote. The session file exported
 * at the end of each test is what the assertions about the log read.
 */
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionDocument, VoteEvent } from '../../src/session/index';
import { downloadText, ensureArtifacts, openWithModel, startAppServer, voteCount, waitForPair, type AppServer } from './support/harness';

let app: AppServer;

beforeAll(async () => {
  app = await startAppServer();
});

afterAll(async () => {
  await app?.close();
});

async function exportedVotes(page: Page): Promise<VoteEvent[]> {
  const { text } = await downloadText(page, () => page.getByTestId('export-session').click());
  const doc = JSON.parse(text) as SessionDocument;
  const undone = new Set(doc.events.flatMap((e) => (e.type === 'undo' ? [e.targetSeq] : [])));
  return doc.events.filter((e): e is VoteEvent => e.type === 'vote' && !undone.has(e.seq));
}

async function lossPoints(page: Page): Promise<number> {
  return Number(await page.getByTestId('loss-chart').getAttribute('data-points'));
}

async function waitForMode(page: Page, mode: string): Promise<void> {
  await page.locator(`[data-testid="duel"][data-mode="${mode}"][data-phase="ready"]`).waitFor({ timeout: 60_000 });
}

describe('duel modes and judges', () => {
  it('ranks 3 candidates with the keyboard (and by drag and drop); the ranking is logged best first and trains the policy', async () => {
    const { context, page, errors } = await openWithModel(app, 6);
    await waitForPair(page);
    await page.getByTestId('duel-mode').selectOption('rank');
    await waitForMode(page, 'rank');
    expect(await page.getByTestId('candidates-per-prompt').inputValue()).toBe('3');
    for (const i of [0, 1, 2]) await expect.poll(() => page.getByTestId(`rank-item-${i}`).count()).toBe(1);

    // Candidate C (shown third) moves to the top with Alt+↑ twice; B drops below A with Alt+↓ on A.
    const ids = await Promise.all([0, 1, 2].map((i) => page.getByTestId(`rank-item-${i}`).getAttribute('data-candidate-id')));
    await page.getByTestId('rank-item-2').focus();
    await page.keyboard.press('Alt+ArrowUp');
    await page.keyboard.press('Alt+ArrowUp');
    expect(await page.getByTestId('rank-item-2').getAttribute('data-rank-position')).toBe('0');
    // Focus followed the moved item; ↓ alone moves the focus to position 1 (candidate A).
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('rank-item-2');
    await page.keyboard.press('ArrowDown');
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('rank-item-0');
    await page.keyboard.press('Alt+ArrowDown');
    const positions = await Promise.all([0, 1, 2].map((i) => page.getByTestId(`rank-item-${i}`).getAttribute('data-rank-position')));
    expect(positions).toEqual(['2', '1', '0']);

    // For a person to look at: the ranking as built, before it is submitted.
    await page.getByTestId('cell-duel').screenshot({ path: resolve(ensureArtifacts(), 'duel_rank.png') });
    const points = await lossPoints(page);
    expect(await voteCount(page)).toBe(0);
    await page.getByTestId('rank-item-2').focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => voteCount(page), { timeout: 30_000 }).toBe(1);
    await expect.poll(() => lossPoints(page), { timeout: 60_000 }).toBeGreaterThan(points);
    await waitForMode(page, 'rank');

    const votes = await exportedVotes(page);
    expect(votes).toHaveLength(1);
    expect(votes[0]).toMatchObject({ kind: 'rank', judge: 'human', order: [ids[2], ids[1], ids[0]] });
    expect(await page.getByTestId('train-error').count()).toBe(0);

    // On the next prompt, drag and drop: A dropped onto C's place goes last.
    await page.getByTestId('rank-item-0').dragTo(page.getByTestId('rank-item-2'));
    await expect
      .poll(() => Promise.all([0, 1, 2].map((i) => page.getByTestId(`rank-item-${i}`).getAttribute('data-rank-position'))))
      .toEqual(['2', '0', '1']);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('records thumbs up by button and thumbs down by key, one event each', async () => {
    const { context, page, errors } = await openWithModel(app, 6);
    await waitForPair(page);
    await page.getByTestId('duel-mode').selectOption('thumbs');
    await waitForMode(page, 'thumbs');
    const prompt = await page.getByTestId('duel-prompt').innerText();
    const points = await lossPoints(page);

    await page.getByTestId('thumb-up-0').click();
    await expect.poll(() => voteCount(page), { timeout: 30_000 }).toBe(1);
    await expect.poll(() => page.getByTestId('thumb-card-0').getAttribute('data-thumb')).toBe('up');
    await waitForMode(page, 'thumbs');
    // ↓ rates the marked candidate (the first without a thumb): B.
    await page.keyboard.press('ArrowDown');
    await expect.poll(() => voteCount(page), { timeout: 30_000 }).toBe(2);
    // A 👍 and a 👎 on the same prompt make a pair even for DPO: the policy takes a step.
    await expect.poll(() => lossPoints(page), { timeout: 60_000 }).toBeGreaterThan(points);
    // Both candidates rated: the next prompt is drawn.
    await waitForMode(page, 'thumbs');
    await expect.poll(() => page.getByTestId('thumb-card-0').getAttribute('data-thumb')).toBe('none');

    const votes = await exportedVotes(page);
    expect(votes.map((v) => (v.kind === 'thumbs' ? [v.up, v.judge] : v.kind))).toEqual([
      [true, 'human'],
      [false, 'human'],
    ]);
    expect(votes[0]!.promptId).toBe(votes[1]!.promptId);
    expect(votes[0]!.kind === 'thumbs' && votes[1]!.kind === 'thumbs' && votes[0]!.candidate !== votes[1]!.candidate).toBe(true);
    expect(prompt.length).toBeGreaterThan(0);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('a simulated sentiment annotator votes at full speed; Pause stops it and Step casts exactly one', async () => {
    const { context, page, errors } = await openWithModel(app, 4);
    await waitForPair(page);
    await page.getByTestId('judge-kind').selectOption('simulated');
    await page.getByTestId('judge-speed').selectOption('0');
    // The person's buttons are off: the log must name who judged.
    await expect.poll(() => page.getByTestId('vote-a').isDisabled()).toBe(true);

    await page.getByTestId('judge-start').click();
    await expect.poll(() => voteCount(page), { timeout: 120_000 }).toBeGreaterThanOrEqual(5);
    await page.getByTestId('judge-pause').click();
    await expect.poll(() => page.getByTestId('judge-status').getAttribute('data-status')).toBe('paused');
    const paused = await voteCount(page);
    expect(Number(await page.getByTestId('judge-status').getAttribute('data-cast'))).toBe(paused);
    await page.waitForTimeout(3_000);
    await page.getByTestId('cell-duel').screenshot({ path: resolve(ensureArtifacts(), 'duel_judge_paused.png') });
    expect(await voteCount(page)).toBe(paused);

    await page.getByTestId('judge-step').click();
    await expect.poll(() => voteCount(page), { timeout: 60_000 }).toBe(paused + 1);
    await expect.poll(() => page.getByTestId('judge-step').isEnabled(), { timeout: 60_000 }).toBe(true);
    await page.waitForTimeout(2_000);
    expect(await voteCount(page)).toBe(paused + 1);

    const votes = await exportedVotes(page);
    expect(votes).toHaveLength(paused + 1);
    for (const vote of votes) {
      expect(vote).toMatchObject({ kind: 'pair', judge: 'sentiment-sim' });
      expect(vote.critique ?? '').not.toBe('');
    }
    expect(await page.getByTestId('judge-error').count()).toBe(0);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('a simulated annotator ranks by its scores; the ONNX judge gives thumbs by the median rule', async () => {
    const { context, page, errors } = await openWithModel(app, 4);
    await waitForPair(page);
    await page.getByTestId('duel-mode').selectOption('rank');
    await waitForMode(page, 'rank');
    await page.getByTestId('judge-kind').selectOption('simulated');
    await page.getByTestId('judge-speed').selectOption('0');
    await page.getByTestId('judge-step').click();
    await expect.poll(() => voteCount(page), { timeout: 60_000 }).toBe(1);

    await page.getByTestId('duel-mode').selectOption('thumbs');
    await page.getByTestId('candidates-per-prompt').fill('3');
    await page.getByTestId('candidates-per-prompt').blur();
    await page.locator('[data-testid="thumb-card-2"]').waitFor({ timeout: 60_000 });
    await page.getByTestId('judge-kind').selectOption('onnx');
    await waitForMode(page, 'thumbs');
    await page.getByTestId('judge-step').click();
    // One step rates the whole set: three thumbs events.
    await expect
      .poll(async () => ((await page.getByTestId('judge-error').count()) > 0 ? await page.getByTestId('judge-error').innerText() : await voteCount(page)), { timeout: 180_000 })
      .toBe(4);

    const votes = await exportedVotes(page);
    const rank = votes[0]!;
    expect(rank).toMatchObject({ kind: 'rank', judge: 'sentiment-sim' });
    expect(rank.kind === 'rank' && rank.order).toHaveLength(3);
    expect(rank.critique).toMatch(/^sentiment scores A -?\d/);
    const thumbs = votes.slice(1);
    expect(thumbs.map((v) => [v.kind, v.judge])).toEqual([
      ['thumbs', 'fluency'],
      ['thumbs', 'fluency'],
      ['thumbs', 'fluency'],
    ]);
    expect(new Set(thumbs.map((v) => v.promptId)).size).toBe(1);
    expect(thumbs[0]!.critique).toMatch(/^fluency scores A .*thumbs up for scores above the median/);
    // The thumbs (cast in the order shown, A B C) follow the rule: up iff strictly above the median score.
    const scores = [...thumbs[0]!.critique!.matchAll(/\b[ABC] (-?[\d.]+(?:e[-+]?\d+)?)/g)].map((m) => Number(m[1]));
    expect(scores).toHaveLength(3);
    const median = [...scores].sort((x, y) => x - y)[1]!;
    // Printed scores are rounded (4 digits): one that prints equal to the median may be either side of it.
    const ups = thumbs.map((v) => v.kind === 'thumbs' && v.up);
    scores.forEach((x, i) => {
      if (x !== median) expect(ups[i]).toBe(x > median);
    });
    expect(errors).toEqual([]);
    await context.close();
  });

  it('deleting the duel stops its judge: no vote lands afterwards', async () => {
    const { context, page, errors } = await openWithModel(app, 4);
    await waitForPair(page);
    await page.getByTestId('judge-kind').selectOption('simulated');
    await page.getByTestId('judge-speed').selectOption('250');
    await page.getByTestId('judge-start').click();
    await expect.poll(() => voteCount(page), { timeout: 60_000 }).toBeGreaterThanOrEqual(1);
    // At 250 ms a vote, each verdict is on screen before it is cast.
    await page.getByTestId('judge-verdict').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('judge-verdict').innerText()).toMatch(/^Verdict: (A is better|B is better|tie|both bad)\. /);
    const duel = page.getByTestId('cell-duel');
    await duel.getByRole('button', { name: 'Delete cell' }).click();
    await duel.getByRole('button', { name: 'Click again to delete this cell' }).click();
    await expect.poll(() => page.getByTestId('cell-duel').count()).toBe(0);
    const atDelete = (await exportedVotes(page)).length;
    await page.waitForTimeout(2_000);
    expect((await exportedVotes(page)).length).toBe(atDelete);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('the shipped ONNX fluency judge casts a vote', async () => {
    const { context, page, errors } = await openWithModel(app, 4);
    await waitForPair(page);
    await page.getByTestId('judge-kind').selectOption('onnx');
    await page.getByTestId('judge-speed').selectOption('0');
    await page.getByTestId('judge-step').click();
    await expect
      .poll(async () => ((await page.getByTestId('judge-error').count()) > 0 ? await page.getByTestId('judge-error').innerText() : await voteCount(page)), { timeout: 180_000 })
      .toBe(1);
    await expect.poll(() => page.getByTestId('judge-info').innerText()).toMatch(/fluency \(pointwise\) on (wasm|webgpu)/);

    const votes = await exportedVotes(page);
    expect(votes).toHaveLength(1);
    expect(votes[0]).toMatchObject({ kind: 'pair', judge: 'fluency' });
    expect(votes[0]!.critique).toMatch(/^fluency: scores A/);
    expect(errors).toEqual([]);
    await context.close();
  });
});
