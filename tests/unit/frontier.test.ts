import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FLUENCY_BAR, fluencyFailures, runVerdict, type VerdictInput } from '../../src/engine/learning/frontier';
import { parseFrontier } from '../../src/state/frontier';
import type { SimulationFluency } from '../../src/engine/api';
import { runFluency, type CommittedRun } from '../../scripts/frontier/committed_run';

const fluent: SimulationFluency = {
  policy_english_rate: 0.93,
  reference_english_rate: 0.91,
  policy_distinct2: 0.93,
  reference_distinct2: 0.93,
  policy_repetition: 0.01,
  reference_repetition: 0.01,
  policy_distinct_completions: 0.96,
  reference_distinct_completions: 0.99,
  policy_mean_words: 7.74,
  reference_mean_words: 11.98,
  policy_self_similarity: 0.004,
  reference_self_similarity: 0.002,
};
const run = (ci: [number, number], kl: number, fluency = fluent): VerdictInput => ({ win_rate_ci: ci, kl, fluency });

describe('runVerdict (the learning bar of issue #7)', () => {
  it('calls a significant, fluent win learning', () => {
    expect(runVerdict(run([0.695, 0.854], 18.3))).toBe('learning');
  });
  it('calls an interval that includes ½ no learning', () => {
    expect(runVerdict(run([0.497, 0.686], 6.3))).toBe('no learning');
  });
  it('calls a win bought with repetition collapse', () => {
    const f = { ...fluent, policy_distinct2: 0.31 };
    expect(runVerdict(run([0.96, 1], 101, f))).toBe('collapse');
    expect(fluencyFailures(run([0.96, 1], 101, f))).toHaveLength(2);
  });
  it('calls a KL blow-up without a win degraded', () => {
    expect(runVerdict(run([0.3, 0.5], FLUENCY_BAR.maxKl + 1))).toBe('degraded');
  });
  it('applies each fluency threshold at its boundary', () => {
    expect(fluencyFailures(run([0.6, 0.8], FLUENCY_BAR.maxKl))).toEqual([]);
    const lowEnglish = { ...fluent, policy_english_rate: 0.9 * 0.91 - 1e-6 };
    expect(fluencyFailures(run([0.6, 0.8], 10, lowEnglish))[0]).toMatch(/English/);
    const lowDistinct = { ...fluent, policy_distinct2: 0.8 * 0.93 - 1e-6 };
    expect(fluencyFailures(run([0.6, 0.8], 10, lowDistinct))[0]).toMatch(/distinct-2/);
    // Without a word list (the browser worker) the English check is skipped, not failed.
    expect(fluencyFailures(run([0.6, 0.8], 10, { ...fluent, policy_english_rate: null, reference_english_rate: null }))).toEqual([]);
  });
  it('applies the set-level diversity rules at their boundaries (80 of 100 distinct, ½ the reference length)', () => {
    expect(fluencyFailures(run([0.6, 0.8], 10, { ...fluent, policy_distinct_completions: 0.8 }))).toEqual([]);
    expect(fluencyFailures(run([0.6, 0.8], 10, { ...fluent, policy_distinct_completions: 0.79 }))).toEqual(['distinct completions 0.79 < 0.8']);
    expect(fluencyFailures(run([0.6, 0.8], 10, { ...fluent, policy_mean_words: 6, reference_mean_words: 12 }))).toEqual([]);
    expect(fluencyFailures(run([0.6, 0.8], 10, { ...fluent, policy_mean_words: 5.99, reference_mean_words: 12 }))).toEqual(['mean length 5.99 words < 0.5 × reference 12.00']);
    // Not measured is not fluent: a missing or NaN diversity number fails its check.
    expect(fluencyFailures(run([0.6, 0.8], 10, { ...fluent, policy_distinct_completions: Number.NaN }))).toHaveLength(1);
    const { policy_mean_words: _dropped, ...noLength } = fluent;
    expect(fluencyFailures(run([0.6, 0.8], 10, noLength as SimulationFluency))).toHaveLength(1);
  });
  it('calls the committed seed-3 300-vote run collapse: a significant win with 18 of 100 completions distinct', () => {
    // scripts/rm/runs/sim_300_seed3.json: 76 of its 100 evaluation completions are " progress.".
    const seed3 = { ...fluent, policy_english_rate: 0.9915, reference_english_rate: 0.9072, policy_distinct2: 0.8636, reference_distinct2: 0.9355, policy_distinct_completions: 0.18, policy_mean_words: 1.21, reference_mean_words: 12.15 };
    const input = run([0.89, 0.98], 11.45, seed3);
    expect(fluencyFailures(input)).toEqual(['distinct completions 0.18 < 0.8', 'mean length 1.21 words < 0.5 × reference 12.15']);
    expect(runVerdict(input)).toBe('collapse');
  });
});

describe('the shipped frontier (models/default/frontier.json)', () => {
  const json = JSON.parse(readFileSync('models/default/frontier.json', 'utf8'));
  const frontier = parseFrontier(json);

  it('covers β ∈ {0.1, 0.5} × three learning rates plus another objective', () => {
    const sigmoid = frontier.runs.filter((r) => r.objective === 'sigmoid');
    for (const beta of [0.1, 0.5]) expect(new Set(sigmoid.filter((r) => r.beta === beta).map((r) => r.lr)).size).toBeGreaterThanOrEqual(3);
    expect(frontier.runs.some((r) => r.objective !== 'sigmoid')).toBe(true);
  });

  it('shows both failure modes and real learning', () => {
    const verdicts = new Set(frontier.runs.map((r) => r.verdict));
    expect(verdicts.has('learning')).toBe(true);
    expect(verdicts.has('no learning')).toBe(true);
    expect(verdicts.has('collapse')).toBe(true);
  });

  it('stores verdicts that the engine recomputes from the measured numbers', () => {
    for (const p of json.points) expect(runVerdict(p)).toBe(p.verdict);
  });

  it('carries each run’s distinct completions and length ratio to the Simulate cell’s table', () => {
    const run = frontier.runs.find((r) => r.objective === 'sigmoid' && r.beta === 0.1 && r.lr === 1e-4)!;
    expect(run.verdict).toBe('collapse');
    expect(run.distinctCompletions).toBe(0.13);
    expect(run.meanWordsRatio).toBeCloseTo(1.16 / 11.98, 12);
    // A frontier file written before the set-level numbers still parses, without them.
    const old = { ...json, points: json.points.map((p: { fluency: Record<string, unknown> }) => ({ ...p, fluency: { policy_distinct2: p.fluency['policy_distinct2'], reference_distinct2: p.fluency['reference_distinct2'] } })) };
    expect(parseFrontier(old).runs[0]).toMatchObject({ distinctCompletions: null, meanWordsRatio: null });
  });

  it('rejects a file that is not a frontier', () => {
    expect(() => parseFrontier({ format: 'duelbook.frontier', version: 1, annotator: 'x', points: [{ objective: 'sigmoid' }] })).toThrow(/not a frontier file/);
    expect(() => parseFrontier({ format: 'other' })).toThrow(/not a frontier file/);
  });
});

describe('the committed runs judged again (scripts/frontier/reverdict.json)', () => {
  const doc = JSON.parse(readFileSync('scripts/frontier/reverdict.json', 'utf8')) as {
    bar: unknown;
    runs: { file: string; judged: boolean; old_verdict: string; new_verdict: string; recorded_verdict: string | null; fluency: SimulationFluency; most_common_policy_completion: { text: string; count: number } }[];
  };
  const load = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as CommittedRun;

  it('was written under the current bar, and every run could be judged from its samples', () => {
    expect(doc.bar).toEqual(FLUENCY_BAR);
    expect(doc.runs.length).toBeGreaterThanOrEqual(10);
    expect(doc.runs.every((r) => r.judged)).toBe(true);
  });

  it('holds the verdicts the engine recomputes from the committed files, and the old bar’s where the runs recorded one', () => {
    for (const r of doc.runs) {
      const run = load(r.file);
      const { fluency } = runFluency(run);
      expect(fluency).toEqual(r.fluency);
      expect(runVerdict({ win_rate_ci: run.win_rate_ci, kl: run.kl, fluency }), r.file).toBe(r.new_verdict);
      if (r.recorded_verdict !== null) expect(r.old_verdict, r.file).toBe(r.recorded_verdict);
    }
  });

  it('calls the seed-3 300-vote run collapse: 76 of 100 completions are " progress."', () => {
    const seed3 = doc.runs.find((r) => r.file.endsWith('sim_300_seed3.json'))!;
    expect([seed3.old_verdict, seed3.new_verdict]).toEqual(['learning', 'collapse']);
    expect(seed3.most_common_policy_completion).toEqual({ text: ' progress.', count: 76 });
  });

  it('refuses to judge a run whose samples are not its whole evaluation set', () => {
    const run = load('scripts/rm/runs/sim_300_seed3.json');
    expect(() => runFluency({ ...run, samples: run.samples.slice(0, 50) })).toThrow(/cannot be judged: 50 samples for 100/);
    const edited = run.samples.map((s, i) => (i === 0 ? { ...s, policy: 'a b c d e f' } : s));
    expect(() => runFluency({ ...run, samples: edited })).toThrow(/distinct-2 recomputed/);
  });
});
