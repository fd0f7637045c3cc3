import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../../src/cli/main';
import type { CliIO } from '../../src/cli/io';
import { tinyCheckpoint } from '../support/tiny_checkpoint';
import { distinctCompletions, doubledWordRate, meanWords, selfSimilarity } from '../../src/engine/stats';

describe('duelbook sim (tiny checkpoint)', () => {
  let dir = '';
  beforeAll(() => {
    const ck = tinyCheckpoint(11);
    dir = mkdtempSync(path.join(tmpdir(), 'duelbook-sim-'));
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify(ck.hfConfig));
    writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(ck.tokenizer));
    writeFileSync(path.join(dir, 'model.safetensors'), ck.safetensors);
    const starts = ['The sea', 'A good day', 'They said', 'In the morning', 'We hope', 'The ship', 'It was', 'Our nation', 'The whale', 'He felt'];
    writeFileSync(path.join(dir, 'prompts.json'), JSON.stringify({ prompts: [...starts, ...starts.map((s) => s + ' that')] }));
  });
  const run = async (argv: string[]) => {
    let out = '';
    let err = '';
    const io: CliIO = { stdout: (s) => (out += s), stderr: (s) => (err += s), readFile: async () => '', isTTY: false };
    return { code: await main(argv, io), out, err };
  };

  it('runs the loop and reports win rate, interval, KL, prequential accuracy and samples; seeded', async () => {
    const args = ['sim', '--model', dir, '--annotator', 'length', '--target-words', '3', '--votes', '6', '--eval-prompts', '5',
      '--max-tokens', '6', '--steps-per-vote', '1', '--batch-size', '2', '--lr', '1e-3', '--seed', '3', '--json'];
    const a = await run(args);
    expect(a.err).toBe('');
    expect(a.code).toBe(0);
    const r = JSON.parse(a.out);
    expect(r.win_rate).toBeGreaterThanOrEqual(0);
    expect(r.win_rate).toBeLessThanOrEqual(1);
    expect(r.win_rate_ci[0]).toBeLessThanOrEqual(r.win_rate);
    expect(r.win_rate_ci[1]).toBeGreaterThanOrEqual(r.win_rate);
    expect(r.wins + r.losses + r.ties).toBe(5);
    expect(Number.isFinite(r.kl)).toBe(true);
    expect(r.series.length).toBe(6);
    expect(r.samples.length).toBe(5);
    expect(r.optimizer_steps).toBe(r.decisive_votes);
    expect(typeof r.seconds).toBe('number');
    // The set-level diversity numbers are those of the evaluation samples it prints.
    const policy = r.samples.map((s: { policy: string }) => s.policy);
    const reference = r.samples.map((s: { reference: string }) => s.reference);
    expect(r.fluency.policy_distinct_completions).toBe(distinctCompletions(policy));
    expect(r.fluency.reference_distinct_completions).toBe(distinctCompletions(reference));
    expect(r.fluency.policy_mean_words).toBe(meanWords(policy));
    expect(r.fluency.reference_mean_words).toBe(meanWords(reference));
    expect(r.fluency.policy_self_similarity).toBe(selfSimilarity(policy));
    expect(r.fluency.policy_doubled_words).toBe(doubledWordRate(policy));
    expect(r.fluency.reference_doubled_words).toBe(doubledWordRate(reference));
    for (const p of r.series) for (const k of ['recentDistinctCompletions', 'recentMeanWords', 'recentSelfSimilarity', 'recentDoubledWords']) expect(typeof p[k], k).toBe('number');
    const b = JSON.parse((await run(args)).out);
    // Everything but wall-clock timings replays exactly.
    const untimed = (x: typeof r) => ({ ...x, seconds: 0, series: x.series.map((p: Record<string, unknown>) => ({ ...p, stepMs: 0 })) });
    expect(untimed(b)).toEqual(untimed(r));
  });

  it('--catch-up-every: a person faster than the trainer; votes after the first defer their steps, one catch-up step per K of them', async () => {
    const base = ['sim', '--model', dir, '--annotator', 'length', '--target-words', '3', '--votes', '7', '--eval-prompts', '5',
      '--max-tokens', '6', '--steps-per-vote', '3', '--batch-size', '2', '--lr', '1e-3', '--seed', '5', '--json'];
    const paced = JSON.parse((await run([...base, '--catch-up-every', '2'])).out);
    expect(paced.config.loop.catchUpEvery).toBe(2);
    // Vote 1 takes its 3 steps; votes 2-7 take none of their own; catch-ups follow votes 3, 5 and 7.
    const firstDecisive = paced.series[0].loss !== null;
    expect(paced.optimizer_steps).toBe((firstDecisive ? 3 : 0) + 3);
    const own = JSON.parse((await run(base)).out);
    expect(own.config.loop.catchUpEvery).toBe(0);
    expect(own.optimizer_steps).toBe(3 * own.decisive_votes);
    // Same votes, other steps: deferring is part of the loop, not noise.
    expect(paced.optimizer_steps).toBeLessThan(own.optimizer_steps);
    const bad = await run([...base, '--catch-up-every', '-1']);
    expect(bad.code).toBe(2);
  });

  it('runs the playground loop: the most uncertain of k, relabelling through the reducer, and the fixed-pair accuracy', async () => {
    const base = ['sim', '--model', dir, '--annotator', 'length', '--target-words', '3', '--votes', '5', '--eval-prompts', '6',
      '--max-tokens', '6', '--steps-per-vote', '1', '--batch-size', '2', '--lr', '1e-3', '--seed', '4', '--json'];
    const plain = JSON.parse((await run(base)).out);
    expect(plain.synthetic_pairs).toBe(0);
    expect(plain.config.loop.pairSelection.rule).toBe('random');
    const r = JSON.parse((await run([...base, '--pair-selection', 'uncertain', '--selection-k', '4', '--relabel-pairs', '2',
      '--relabel-min-confidence', '0.5', '--relabel-max-std', '0.5'])).out);
    expect(r.config.loop).toMatchObject({ pairSelection: { rule: 'uncertain', k: 4 }, relabel: { pairs: 2, minConfidence: 0.5, maxStd: 0.5 } });
    // At these bounds every relabelled pair is accepted (the reward model has seen the vote before it labels) and trains one step.
    expect(r.synthetic_pairs).toBe(2 * r.votes);
    expect(r.optimizer_steps).toBe(r.decisive_votes + r.synthetic_pairs);
    // The fixed reference pairs do not depend on the rule: the same count either way, and an accuracy in [0, 1].
    expect(r.rm_fixed_pairs).toBe(plain.rm_fixed_pairs);
    expect(r.rm_fixed_pairs).toBeGreaterThan(0);
    expect(r.rm_fixed_pairs_accuracy).toBeGreaterThanOrEqual(0);
    expect(r.rm_fixed_pairs_accuracy).toBeLessThanOrEqual(1);
    expect((await run([...base, '--pair-selection', 'best'])).err).toMatch(/--pair-selection must be random or uncertain/);
    // Synthetic pairs that take no steps of their own: the same pairs join the buffer, only the votes step.
    const quiet = JSON.parse((await run([...base, '--pair-selection', 'uncertain', '--selection-k', '4', '--relabel-pairs', '2',
      '--relabel-min-confidence', '0.5', '--relabel-max-std', '0.5', '--relabel-own-steps', 'off'])).out);
    expect(quiet.synthetic_pairs).toBe(r.synthetic_pairs);
    expect(quiet.optimizer_steps).toBe(quiet.decisive_votes);
    expect((await run([...base, '--relabel-own-steps', 'maybe'])).err).toMatch(/--relabel-own-steps must be on or off/);
    // The DivPO pick: every relabelled pair from 4 samples; another policy at the end than the plain pairs'.
    expect(r.config.loop.relabel).toMatchObject({ candidates: 2, matchLength: false });
    const divpo = JSON.parse((await run([...base, '--pair-selection', 'uncertain', '--selection-k', '4', '--relabel-pairs', '2',
      '--relabel-min-confidence', '0.5', '--relabel-max-std', '0.5', '--relabel-candidates', '4', '--relabel-match-length', 'on'])).out);
    expect(divpo.config.loop.relabel).toMatchObject({ candidates: 4, matchLength: true });
    expect(divpo.synthetic_pairs).toBe(2 * divpo.votes);
    expect(divpo.samples.map((x: { policy: string }) => x.policy)).not.toEqual(r.samples.map((x: { policy: string }) => x.policy));
    expect((await run([...base, '--relabel-candidates', '9'])).code).toBe(2);
    expect((await run([...base, '--relabel-match-length', 'on'])).err).toMatch(/--relabel-match-length needs --relabel-candidates above 2/);
  });

  it('--length-alpha: R-DPO reaches the trainer, sigmoid only (its effect: trainer_interpolation.test.ts)', async () => {
    const base = ['sim', '--model', dir, '--annotator', 'length', '--target-words', '3', '--votes', '3', '--eval-prompts', '4',
      '--max-tokens', '6', '--steps-per-vote', '1', '--batch-size', '2', '--lr', '1e-2', '--seed', '3', '--json'];
    expect(JSON.parse((await run(base)).out).config.trainer.lengthAlpha).toBe(0);
    expect(JSON.parse((await run([...base, '--length-alpha', '2'])).out).config.trainer.lengthAlpha).toBe(2);
    expect((await run([...base, '--length-alpha', '0.5', '--objective', 'ipo'])).err).toMatch(/--length-alpha \(R-DPO\) needs --objective sigmoid, not ipo/);
    expect((await run([...base, '--length-alpha', '-1'])).code).toBe(2);
  });

  it('simulated critiques: off by default, written in words, matched and trained on when asked for', async () => {
    const base = ['sim', '--model', dir, '--annotator', 'length', '--target-words', '3', '--votes', '8', '--eval-prompts', '4',
      '--max-tokens', '6', '--steps-per-vote', '1', '--batch-size', '2', '--lr', '1e-3', '--seed', '5', '--json'];
    const votes = path.join(dir, 'critique_votes.jsonl');
    const off = JSON.parse((await run(base)).out);
    expect(off.critiques).toBeUndefined();
    const on = JSON.parse((await run([...base, '--critiques', '1', '--votes-out', votes])).out);
    expect(on.critiques.written).toBeGreaterThan(0);
    const lines = readFileSync(votes, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const critiqued = lines.filter((l) => l.critique !== undefined);
    expect(critiqued.length).toBe(on.critiques.written);
    for (const l of critiqued) {
      // "too long"/"too short"-style words, never the target (3) or a score.
      expect(l.critique).not.toMatch(/\d/);
      expect(typeof l.understood).toBe('string');
    }
    expect(on.critiques.understood).toBe(critiqued.filter((l) => !l.understood.startsWith('not understood')).length);
    expect((await run([...base, '--critiques', '2'])).err).toMatch(/--critiques/);
  });

  it('eval samples held-out prompts and reports the English-word rate', async () => {
    const r = await run(['eval', '--model', dir, '--prompts', '4', '--max-tokens', '5', '--seed', '2', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.prompts).toBe(4);
    expect(j.samples.length).toBe(4);
    expect(j.english_word_rate).toBeGreaterThanOrEqual(0);
    expect(j.english_word_rate).toBeLessThanOrEqual(1);
    expect(JSON.parse((await run(['eval', '--model', dir, '--prompts', '4', '--max-tokens', '5', '--seed', '2', '--json'])).out)).toEqual(j);
  });

  it('rejects an unknown annotator and objective', async () => {
    expect((await run(['sim', '--model', dir, '--annotator', 'vibes'])).err).toMatch(/--annotator must be/);
    const bad = await run(['sim', '--model', dir, '--objective', 'nope', '--votes', '1', '--eval-prompts', '2']);
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/unknown objective/);
  });
});
