/**
 * The reward model in the Duel cell, through the real UI: a pairwise duel switched to "most
 * uncertain of 4" shows the pair the reward-model heads disagree on with a note saying why, and
 * relabelling (the reward model labels fresh pairs after each vote) trains the policy on
 * synthetic pairs that the cell counts and the session log records as reward-model calls, not
 * as votes; the exported session, opened in a fresh browser, replays them to the same weights.
 */
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionDocument } from '../../src/session/index';
import { downloadText, ensureArtifacts, openApp, openWithModel, routeTinyModel, startAppServer, voteCount, waitForModel, type AppServer } from './support/harness';

let app: AppServer;

beforeAll(async () => {
  app = await startAppServer();
});

afterAll(async () => {
  await app?.close();
});

describe('reward model in the duel', () => {
  it('shows the most uncertain of 4 with its P(A≻B) ± std, and logs synthetic pairs as reward-model calls, not votes, that a fresh browser replays', async () => {
    const { context, page, errors } = await openWithModel(app, 4);
    const ready = page.locator('[data-testid="duel"][data-mode="pairwise"][data-phase="ready"]');
    await ready.waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('pair-reason').count()).toBe(0);

    await page.getByTestId('duel-pair-selection').selectOption('uncertain');
    expect(await page.getByTestId('duel-pair-selection-k').inputValue()).toBe('4');
    const reason = page.getByTestId('pair-reason');
    await reason.waitFor({ timeout: 60_000 });
    await ready.waitFor({ timeout: 60_000 });
    expect(await reason.innerText()).toMatch(/^Most uncertain of 4: the reward model is unsure about this pair, P\(A≻B\) = 0\.\d\d ± 0\.\d\d/);
    // Before any vote the heads are their random priors, so they do disagree.
    expect(Number(await reason.getAttribute('data-std'))).toBeGreaterThan(0);

    // Relabelling on, accepting any label (confidence ≥ ½ and std ≤ ½ always hold) after the RM has seen a vote.
    const setField = async (testid: string, value: string) => {
      await page.getByTestId(testid).fill(value);
      await page.getByTestId(testid).blur();
    };
    await setField('relabel-min-confidence', '0.5');
    await setField('relabel-max-std', '0.5');
    await setField('relabel-pairs', '2');
    const synthetic = page.getByTestId('synthetic-count');
    await expect.poll(() => synthetic.getAttribute('data-count')).toBe('0');

    await page.getByTestId('vote-a').click();
    await expect.poll(() => voteCount(page), { timeout: 30_000 }).toBe(1);
    await expect.poll(() => synthetic.getAttribute('data-count'), { timeout: 120_000 }).toBe('2');
    expect(await synthetic.innerText()).toMatch(/Synthetic pairs: 2 labelled by the reward model .*\(beside 1 judged item; 4 optimizer steps/);
    expect(await synthetic.innerText()).toContain('Last vote: 2 of 2 fresh pairs accepted');
    // The next pair is again the most uncertain of 4.
    await ready.waitFor({ timeout: 60_000 });
    await reason.waitFor();
    // For a person to look at: the uncertainty note and the synthetic-pair count.
    await page.getByTestId('cell-duel').screenshot({ path: resolve(ensureArtifacts(), 'duel_reward_model.png') });

    // The log holds the one vote a person cast, right after the settings it trained under; the
    // reward model's labels are relabel events the engine returned, then the vote's 2 steps and
    // each accepted pair's 2 (the starter Train cell's steps per vote), all tagged with the vote.
    const exported = await downloadText(page, () => page.getByTestId('export-session').click());
    const doc = JSON.parse(exported.text) as SessionDocument;
    const votes = doc.events.filter((e) => e.type === 'vote');
    expect(votes).toHaveLength(1);
    expect(votes[0]).toMatchObject({ kind: 'pair', judge: 'human', outcome: 'a' });
    expect(doc.events.filter((e) => e.type === 'relabel').map((e) => e.type === 'relabel' && e.accepted)).toEqual([true, true]);
    const kinds = doc.events.filter((e) => e.type === 'vote' || e.type === 'relabel' || e.type === 'train_step').map((e) => e.type);
    expect(kinds).toEqual(['vote', 'relabel', 'relabel', 'train_step', 'train_step', 'train_step', 'train_step', 'train_step', 'train_step']);
    const voteSeq = votes[0]!.seq;
    expect(doc.events.filter((e) => e.type === 'train_step' || e.type === 'relabel').every((e) => 'intentSeq' in e && e.intentSeq === voteSeq)).toBe(true);
    const settings = doc.events.filter((e) => e.type === 'settings');
    expect(settings).toHaveLength(1);
    expect(settings[0]!.seq).toBeLessThan(voteSeq);
    expect(settings[0]).toMatchObject({ relabel: { pairs: 2, minConfidence: 0.5, maxStd: 0.5 } });
    // The Train cell charts the synthetic steps with the vote's.
    await expect.poll(() => page.getByTestId('train-status').innerText()).toBe('6 steps');
    expect(errors).toEqual([]);

    // A fresh browser opens the file and replays the vote and both relabelling calls.
    const fresh = await app.browser.newContext({ viewport: { width: 1280, height: 900 } });
    await routeTinyModel(fresh);
    const other = await openApp(fresh, `${app.baseUrl}/`);
    await waitForModel(other.page);
    await other.page.getByTestId('import-file').setInputFiles({ name: exported.name, mimeType: 'application/json', buffer: Buffer.from(exported.text) });
    await waitForModel(other.page);
    const status = other.page.getByTestId('replay-status');
    await expect.poll(() => status.getAttribute('data-status'), { timeout: 120_000 }).toBe('done');
    expect(await status.getAttribute('data-match')).toBe('true');
    expect(await other.page.getByTestId('replay-result').innerText()).toMatch(/^Replay matches the log: 6 optimizer steps from 1 vote and 2 reward-model relabelling calls/);
    expect(Number(await other.page.getByTestId('policy-step').getAttribute('data-step'))).toBe(6);
    expect(other.errors).toEqual([]);
    await fresh.close();
    await context.close();
  });
});

describe('best of n in the duel', () => {
  it('puts the reward model’s best of 3 against a plain sample, hides the side until the vote, then tallies it', async () => {
    const { context, page, errors } = await openWithModel(app, 4);
    const ready = page.locator('[data-testid="duel"][data-mode="pairwise"][data-phase="ready"]');
    await ready.waitFor({ timeout: 60_000 });

    await page.getByTestId('duel-opponent').selectOption('bestofn');
    await page.getByTestId('best-of-n').fill('3');
    await page.getByTestId('best-of-n').blur();
    const reason = page.getByTestId('pair-reason');
    await expect.poll(() => reason.innerText().catch(() => ''), { timeout: 60_000 }).toContain('best of 3');
    await ready.waitFor({ timeout: 60_000 });
    expect(await reason.innerText()).toContain('which is which is shown after the vote');
    expect(await page.getByTestId('bestofn-tally').count()).toBe(0);

    await page.getByTestId('vote-a').click();
    await expect.poll(() => voteCount(page), { timeout: 30_000 }).toBe(1);
    const tally = page.getByTestId('bestofn-tally');
    await tally.waitFor({ timeout: 60_000 });
    const text = await tally.innerText();
    const side = /Last pair: ([AB]) was the reward model’s best of 3 \(reward -?\d+\.\d\d ± \d+\.\d\d; the plain sample -?\d+\.\d\d ± \d+\.\d\d\)/.exec(text);
    expect(side).not.toBeNull();
    // The vote was for A: the tally agrees with the side the note reveals.
    if (side![1] === 'A') expect(text).toContain('the judge preferred it. Best of n against a plain sample so far: the reward model’s pick won 1, lost 0, tied 0');
    else expect(text).toContain('the judge preferred the plain sample. Best of n against a plain sample so far: the reward model’s pick won 0, lost 1, tied 0');
    expect(errors).toEqual([]);
    await context.close();
  });
});
