/**
 * Optional fields added to version 2 without a version bump: a duel's `opponent` ("Who writes
 * the candidates") and a Simulate cell's stored `result`; and the `relabel` event (the reward
 * model labelling a fresh pair), which is not a vote. Old documents without them still
 * open; documents with them validate, keep them through serialize → parse, and bad values are
 * refused with a path.
 */
import { describe, expect, it } from 'vitest';
import {
  SESSION_LIMITS,
  SessionEditError,
  appendEvents,
  exportDatasetJsonl,
  boundSimulationResult,
  createCell,
  createIdGenerator,
  createSession,
  parseSessionDocument,
  serializeSession,
  setSimulationResult,
  updateCell,
  learningSettings,
  lastLoggedSettings,
  settingsEventFields,
  type SessionDocument,
} from '../../src/session/index.ts';
import { readFileSync } from 'node:fs';
import { RELABEL_CANDIDATES, type SimulationSummary } from '../../src/engine/api.ts';
import { countVotes } from '../../src/state/links.ts';
import { OBJECTIVE_WEIGHT_LIMITS } from '../../src/engine/objectives/names.ts';
import { DEFAULT_TRAINER, validateTrainerSettings } from '../../src/engine/learning/trainer.ts';

const T0 = Date.UTC(2025, 0, 1);

function summary(points: number, samples: number): SimulationSummary {
  return {
    win_rate: 0.6,
    win_rate_ci: [0.5, 0.7],
    wins: 12,
    losses: 8,
    ties: 0,
    kl: 1.5,
    rm_prequential_accuracy: 0.7,
    rm_prequential_accuracy_last100: 0.72,
    rm_fixed_pairs_accuracy: NaN,
    rm_fixed_pairs: 0,
    synthetic_pairs: 3,
    votes: points,
    decisive_votes: points,
    optimizer_steps: 2 * points,
    seconds: 3.5,
    fluency: {
      policy_english_rate: null,
      reference_english_rate: null,
      policy_distinct2: 0.9,
      reference_distinct2: 0.92,
      policy_repetition: 0,
      reference_repetition: 0,
      policy_distinct_completions: 0.95,
      reference_distinct_completions: 1,
      policy_mean_words: 9.5,
      reference_mean_words: 12,
      policy_self_similarity: 0.01,
      reference_self_similarity: 0.002,
      policy_doubled_words: 0.17,
      reference_doubled_words: 0.01,
    },
    verdict: 'no learning',
    series: Array.from({ length: points }, (_, i) => ({ vote: i + 1, loss: i === 0 ? Number.NaN : 0.69 - i * 1e-5, margin: 0.01, rmPrequentialAccuracy: 0.5, recentDistinct2: 0.9, recentRepetition: 0.1, recentDistinctCompletions: 0.9, recentMeanWords: 11.5, recentSelfSimilarity: 0.02, recentDoubledWords: 0.05 })),
    samples: Array.from({ length: samples }, (_, i) => ({ prompt: `p${i}`, policy: 'x'.repeat(5_000), reference: 'ref' })),
  };
}

function sessionWith(): { doc: SessionDocument; duelId: string; simulateId: string } {
  const nextId = createIdGenerator({ seed: 3 });
  const duel = createCell('duel', nextId);
  const simulate = createCell('simulate', nextId);
  return { doc: createSession({ title: 'Additions', now: T0, cells: [duel, simulate] }), duelId: duel.id, simulateId: simulate.id };
}

const roundTrip = (doc: SessionDocument) => {
  const result = parseSessionDocument(serializeSession(doc));
  if (!result.ok) throw new Error(result.error);
  return result.doc;
};

describe("a duel's opponent", () => {
  it('is optional, stored, and limited to the four sources', () => {
    const { doc, duelId } = sessionWith();
    const duel = doc.cells.find((c) => c.id === duelId)!;
    if (duel.kind !== 'duel') throw new Error('not a duel');
    expect(duel.config.opponent).toBeUndefined();
    const edited = updateCell(doc, duelId, { config: { ...duel.config, opponent: 'reference' } });
    const reopened = roundTrip(edited).cells.find((c) => c.id === duelId)!;
    expect(reopened.kind === 'duel' && reopened.config.opponent).toBe('reference');
    expect(() => updateCell(doc, duelId, { config: { ...duel.config, opponent: 'nobody' as 'policy' } })).toThrow(SessionEditError);
    const bad = JSON.parse(serializeSession(edited)) as { cells: { config: Record<string, unknown> }[] };
    bad.cells[0]!.config['opponent'] = 'nobody';
    const parsed = parseSessionDocument(JSON.stringify(bad));
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toContain('cells[0].config.opponent');
  });
});

describe("a Simulate cell's result", () => {
  it('thins a large summary to the limits and keeps it through serialize → parse', () => {
    const big = summary(12_345, 250);
    const bounded = boundSimulationResult(big, T0);
    expect(bounded.series).toHaveLength(SESSION_LIMITS.maxSimulationPoints);
    expect(bounded.series[0]!.vote).toBe(1);
    expect(bounded.series.at(-1)!.vote).toBe(12_345);
    expect(bounded.series[0]!.loss).toBeNull(); // NaN is not JSON
    expect(bounded.samples).toHaveLength(SESSION_LIMITS.maxSimulationSamples);
    expect(bounded.samples[0]!.policy.length).toBe(SESSION_LIMITS.maxSimulationSampleChars);
    expect(bounded.completedAt).toBe('2025-01-01T00:00:00.000Z');

    const { doc, simulateId } = sessionWith();
    const stored = setSimulationResult(doc, simulateId, bounded, T0);
    const reopened = roundTrip(stored).cells.find((c) => c.id === simulateId)!;
    expect(reopened.kind === 'simulate' && reopened.result).toEqual(bounded);
    // A config edit keeps the result; clearing removes it.
    if (reopened.kind !== 'simulate') throw new Error('not a simulate cell');
    const edited = updateCell(stored, simulateId, { config: { ...reopened.config, votes: 7 } });
    expect(edited.cells.find((c) => c.id === simulateId)).toHaveProperty('result');
    expect(setSimulationResult(edited, simulateId, undefined).cells.find((c) => c.id === simulateId)).not.toHaveProperty('result');
  });

  it('refuses results over the limits, and non-Simulate cells, leaving the document as it was', () => {
    const { doc, duelId, simulateId } = sessionWith();
    const unbounded = { ...boundSimulationResult(summary(10, 1), T0), series: boundSimulationResult(summary(6_000, 1), T0).series };
    unbounded.series = [...unbounded.series, ...unbounded.series];
    expect(() => setSimulationResult(doc, simulateId, unbounded)).toThrow(/result\.series: holds more than 5 000 points/);
    expect(() => setSimulationResult(doc, simulateId, { ...boundSimulationResult(summary(3, 1), T0), win_rate: 2 })).toThrow(/result\.win_rate/);
    expect(() => setSimulationResult(doc, duelId, boundSimulationResult(summary(3, 1), T0))).toThrow(/not a Simulate cell/);
    expect(doc.cells.find((c) => c.id === simulateId)).not.toHaveProperty('result');
    // A hostile file with an oversized result is refused as a whole.
    const hostile = JSON.parse(serializeSession(doc)) as { cells: Record<string, unknown>[] };
    hostile.cells[1]!['result'] = unbounded;
    const parsed = parseSessionDocument(JSON.stringify(hostile));
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toContain('cells[1].result.series');
  });
});

describe('a Simulate result stored before the set-level diversity numbers', () => {
  // tests/fixtures/sessions/v2_simulate_result_before_set_diversity.json: the seed-3 300-vote
  // run as a session saved before this change stored it (six fluency numbers, series points
  // without the set-level watch, the old bar's verdict "learning").
  const text = readFileSync(new URL('../fixtures/sessions/v2_simulate_result_before_set_diversity.json', import.meta.url), 'utf8');

  it('still opens, keeps its stored numbers and verdict, and gains no invented fields', () => {
    const parsed = parseSessionDocument(text);
    if (!parsed.ok) throw new Error(parsed.error);
    const cell = parsed.doc.cells[0]!;
    if (cell.kind !== 'simulate' || !cell.result) throw new Error('no stored result');
    expect(cell.result.verdict).toBe('learning');
    expect(cell.result.fluency).toEqual({ policy_english_rate: null, reference_english_rate: null, policy_distinct2: 0.8636363636363636, reference_distinct2: 0.9354838709677419, policy_repetition: 0, reference_repetition: 0 });
    expect(cell.result.fluency).not.toHaveProperty('policy_distinct_completions');
    expect(cell.result.series[0]).not.toHaveProperty('recentDistinctCompletions');
    // Re-bounding (what storing a run does) and a round trip leave the absent fields absent.
    const again = boundSimulationResult(cell.result, Date.parse(cell.result.completedAt));
    expect(again).toEqual(cell.result);
    expect(roundTrip(parsed.doc)).toEqual(parsed.doc);
  });

  it('stores the new numbers when a run has them, and refuses out-of-range ones by path', () => {
    const { doc, simulateId } = sessionWith();
    const bounded = boundSimulationResult(summary(3, 1), T0);
    expect(bounded.fluency).toMatchObject({ policy_distinct_completions: 0.95, policy_mean_words: 9.5, reference_self_similarity: 0.002 });
    expect(bounded.fluency).toMatchObject({ policy_doubled_words: 0.17, reference_doubled_words: 0.01 });
    expect(bounded.series[0]).toMatchObject({ recentDistinctCompletions: 0.9, recentMeanWords: 11.5, recentSelfSimilarity: 0.02, recentDoubledWords: 0.05 });
    const reopened = roundTrip(setSimulationResult(doc, simulateId, bounded, T0)).cells.find((c) => c.id === simulateId)!;
    expect(reopened.kind === 'simulate' && reopened.result).toEqual(bounded);
    const bad = { ...bounded, fluency: { ...bounded.fluency!, policy_distinct_completions: 1.5 } };
    expect(() => setSimulationResult(doc, simulateId, bad)).toThrow(/result\.fluency\.policy_distinct_completions/);
    const negative = { ...bounded, fluency: { ...bounded.fluency!, policy_mean_words: -1 } };
    expect(() => setSimulationResult(doc, simulateId, negative)).toThrow(/result\.fluency\.policy_mean_words/);
    const doubledBad = { ...bounded, fluency: { ...bounded.fluency!, policy_doubled_words: 1.2 } };
    expect(() => setSimulationResult(doc, simulateId, doubledBad)).toThrow(/result\.fluency\.policy_doubled_words/);
  });
});

describe("a short Simulate run's result", () => {
  it('stores a run with no decisive vote (accuracies NaN) as nulls, not a refused edit', () => {
    const { doc, simulateId } = sessionWith();
    const s = summary(3, 2);
    const noDecisive = {
      ...s,
      decisive_votes: 0,
      rm_prequential_accuracy: Number.NaN,
      rm_prequential_accuracy_last100: Number.NaN,
      series: s.series.map((p) => ({ ...p, rmPrequentialAccuracy: Number.NaN, recentDistinct2: Number.NaN })),
    };
    const stored = roundTrip(setSimulationResult(doc, simulateId, boundSimulationResult(noDecisive, T0))).cells.find((c) => c.id === simulateId)!;
    if (stored.kind !== 'simulate' || !stored.result) throw new Error('no stored result');
    expect(stored.result.rm_prequential_accuracy).toBeNull();
    expect(stored.result.series.every((p) => p.rmPrequentialAccuracy === null && p.recentDistinct2 === null)).toBe(true);
    expect(stored.result.verdict).toBe('no learning');
  });
});

describe("the Train cell's optional trainer fields (interpolation η, RPO's α)", () => {
  it('are absent in a new cell, stored within their bounds, and refused outside them', () => {
    const nextId = createIdGenerator({ seed: 4 });
    const train = createCell('train', nextId);
    const doc = createSession({ title: 'Train fields', now: T0, cells: [train] });
    if (train.kind !== 'train') throw new Error('not a train cell');
    expect(train.config.interpolation).toBeUndefined();
    expect(train.config.rpoAlpha).toBeUndefined();
    const config = { ...train.config, interpolation: 0.5, rpoAlpha: 1 };
    const reopened = roundTrip(updateCell(doc, train.id, { config })).cells[0]!;
    expect(reopened.kind === 'train' && reopened.config).toMatchObject({ interpolation: 0.5, rpoAlpha: 1 });
    expect(() => updateCell(doc, train.id, { config: { ...config, rpoAlpha: -0.5 } })).toThrow(SessionEditError);
    expect(() => updateCell(doc, train.id, { config: { ...config, rpoAlpha: 1000 } })).toThrow(SessionEditError);
    expect(() => updateCell(doc, train.id, { config: { ...config, interpolation: 1.5 } })).toThrow(SessionEditError);
  });

  it("take RPO α's bounds from the engine's one list, so a stored α is one the trainer accepts", () => {
    const nextId = createIdGenerator({ seed: 5 });
    const train = createCell('train', nextId);
    const doc = createSession({ title: 'RPO bounds', now: T0, cells: [train] });
    if (train.kind !== 'train') throw new Error('not a train cell');
    const { min, max } = OBJECTIVE_WEIGHT_LIMITS.rpoAlpha;
    for (const rpoAlpha of [min, max]) {
      expect(() => updateCell(doc, train.id, { config: { ...train.config, rpoAlpha } }), String(rpoAlpha)).not.toThrow();
      expect(() => validateTrainerSettings({ ...DEFAULT_TRAINER, rpoAlpha }), String(rpoAlpha)).not.toThrow();
    }
    for (const rpoAlpha of [min - 0.01, max + 0.01]) {
      expect(() => updateCell(doc, train.id, { config: { ...train.config, rpoAlpha } }), String(rpoAlpha)).toThrow(SessionEditError);
      expect(() => validateTrainerSettings({ ...DEFAULT_TRAINER, rpoAlpha }), String(rpoAlpha)).toThrow(/rpoAlpha must be in/);
    }
  });
});

describe('duel reward-model options', () => {
  it('stores pair selection, best-of-n and relabelling within their bounds', () => {
    const { doc, duelId } = sessionWith();
    const duel = doc.cells.find((c) => c.id === duelId)!;
    if (duel.kind !== 'duel') throw new Error('not a duel');
    const config = { ...duel.config, opponent: 'bestofn' as const, pairSelection: { rule: 'uncertain' as const, k: 5 }, bestOfN: { n: 4, pessimism: 1 }, relabel: { pairs: 2, minConfidence: 0.8, maxStd: 0.1 } };
    const reopened = roundTrip(updateCell(doc, duelId, { config })).cells.find((c) => c.id === duelId)!;
    expect(reopened.kind === 'duel' && reopened.config).toMatchObject({ opponent: 'bestofn', pairSelection: { k: 5 }, bestOfN: { n: 4 }, relabel: { pairs: 2 } });
    expect(() => updateCell(doc, duelId, { config: { ...config, pairSelection: { rule: 'uncertain', k: 50 } } })).toThrow(SessionEditError);
    expect(() => updateCell(doc, duelId, { config: { ...config, relabel: { pairs: 2, minConfidence: 0.2, maxStd: 0.1 } } })).toThrow(SessionEditError);
  });

  it('stores the DivPO pick (samples per pair, matched lengths) within the engine’s bounds; older relabel settings lack them', () => {
    const { doc, duelId } = sessionWith();
    const duel = doc.cells.find((c) => c.id === duelId)!;
    if (duel.kind !== 'duel') throw new Error('not a duel');
    const plain = { pairs: 2, minConfidence: 0.8, maxStd: 0.3 };
    const old = roundTrip(updateCell(doc, duelId, { config: { ...duel.config, relabel: plain } })).cells.find((c) => c.id === duelId)!;
    expect(old.kind === 'duel' && old.config.relabel).toEqual(plain);
    for (const candidates of [RELABEL_CANDIDATES.min, 4, RELABEL_CANDIDATES.max]) {
      const relabel = { ...plain, candidates, matchLength: true };
      const reopened = roundTrip(updateCell(doc, duelId, { config: { ...duel.config, relabel } })).cells.find((c) => c.id === duelId)!;
      expect(reopened.kind === 'duel' && reopened.config.relabel).toEqual(relabel);
    }
    for (const candidates of [RELABEL_CANDIDATES.min - 1, RELABEL_CANDIDATES.max + 1, 3.5]) {
      expect(() => updateCell(doc, duelId, { config: { ...duel.config, relabel: { ...plain, candidates } } }), String(candidates)).toThrow(SessionEditError);
    }
    expect(() => updateCell(doc, duelId, { config: { ...duel.config, relabel: { ...plain, matchLength: 'yes' as unknown as boolean } } })).toThrow(SessionEditError);
  });
});

describe('the settings a Train cell and its duel put in force, and the settings event that logs them', () => {
  const nextId = createIdGenerator({ seed: 6 });
  const trainCell = createCell('train', nextId);
  const duelCell = createCell('duel', nextId);
  if (trainCell.kind !== 'train' || duelCell.kind !== 'duel') throw new Error('wrong cells');

  it('carry R-DPO’s α (with the sigmoid objective only) and the DivPO pick, and keep them through the log', () => {
    const train = { ...trainCell.config, objective: 'sigmoid' as const, lengthAlpha: 0.1 };
    const duel = { ...duelCell.config, relabel: { pairs: 2, minConfidence: 0.8, maxStd: 0.3, candidates: 4, matchLength: true } };
    const s = learningSettings(train, duel);
    expect(s.trainer.lengthAlpha).toBe(0.1);
    expect(s.relabel).toMatchObject({ pairs: 2, candidates: 4, matchLength: true });
    expect(() => validateTrainerSettings(s.trainer)).not.toThrow();
    // The settings event's schema keeps every field (valibot drops the keys an object schema does not name).
    const doc = createSession({ title: 'Settings', now: T0, cells: [trainCell, duelCell] });
    const logged = roundTrip(appendEvents(doc, [{ type: 'settings', cellId: trainCell.id, ...settingsEventFields(s) }], T0));
    expect(lastLoggedSettings(logged.events)).toEqual(s);
    // Another objective: the cell keeps α, the trainer does not get it (R-DPO is sigmoid's).
    const ipo = learningSettings({ ...train, objective: 'ipo' }, duel);
    expect(ipo.trainer.lengthAlpha).toBeUndefined();
    expect(() => validateTrainerSettings(ipo.trainer)).not.toThrow();
    // Matched lengths need more than two samples: with two the box is kept in the duel, not put in force.
    const two = learningSettings(train, { ...duel, relabel: { ...duel.relabel, candidates: 2 } });
    expect(two.relabel.candidates).toBe(2);
    expect('matchLength' in two.relabel).toBe(false);
    // A settings event that logs R-DPO with another loss is refused by path (the trainer would refuse it on replay).
    const bad = { type: 'settings' as const, cellId: trainCell.id, ...settingsEventFields({ ...s, trainer: { ...s.trainer, objective: 'ipo' } }) };
    expect(() => appendEvents(doc, [bad], T0)).toThrow(/lengthAlpha/);
    // A cell and a duel without them put in force what they did before.
    const before = learningSettings(trainCell.config, { ...duelCell.config, relabel: { pairs: 2, minConfidence: 0.8, maxStd: 0.3 } });
    expect('lengthAlpha' in before.trainer || 'candidates' in before.relabel || 'matchLength' in before.relabel).toBe(false);
  });

  it('take R-DPO’s α bounds from the engine’s one list', () => {
    const doc = createSession({ title: 'R-DPO bounds', now: T0, cells: [trainCell] });
    const { min, max } = OBJECTIVE_WEIGHT_LIMITS.lengthAlpha;
    for (const lengthAlpha of [min, max]) {
      const reopened = roundTrip(updateCell(doc, trainCell.id, { config: { ...trainCell.config, lengthAlpha } })).cells[0]!;
      expect(reopened.kind === 'train' && reopened.config.lengthAlpha).toBe(lengthAlpha);
    }
    for (const lengthAlpha of [min - 0.01, max + 0.01]) {
      expect(() => updateCell(doc, trainCell.id, { config: { ...trainCell.config, lengthAlpha } }), String(lengthAlpha)).toThrow(SessionEditError);
    }
  });
});

describe('a relabel event (the reward model labelled a fresh pair)', () => {
  /** A human vote on a policy-vs-reference pair, then two relabelling calls on its prompt. */
  function relabelled(): { doc: SessionDocument; duelId: string } {
    const { doc, duelId } = sessionWith();
    const shown = appendEvents(
      doc,
      [
        { type: 'prompt', cellId: duelId, promptId: 'p0', text: 'The sea' },
        {
          type: 'candidates',
          cellId: duelId,
          promptId: 'p0',
          seed: 1,
          sampling: { temperature: 1, topK: 0, topP: 1, maxTokens: 4 },
          candidates: [
            { id: 'a0', text: ' is calm', tokenIds: [318, 9480], policySnapshot: { step: 0 } },
            { id: 'b0', text: ' rose', tokenIds: [8278], policySnapshot: { step: 0, name: 'reference' } },
          ],
        },
        { type: 'vote', kind: 'pair', cellId: duelId, promptId: 'p0', a: 'a0', b: 'b0', outcome: 'a', shownOrder: ['a0', 'b0'], judge: 'human' },
      ],
      T0,
    );
    const withRelabels = appendEvents(
      shown,
      [
        { type: 'relabel', cellId: duelId, promptId: 'p0', aIds: [11, 12], bIds: [13], minConfidence: 0.5, maxStd: 0.5, accepted: true, preferred: 'b', pAB: 0.25, std: 0.04 },
        { type: 'relabel', cellId: duelId, promptId: 'p0', aIds: [14], bIds: [], minConfidence: 0.9, maxStd: 0.1, accepted: false, preferred: 'a', pAB: 0.6, std: 0.2 },
      ],
      T0,
    );
    return { doc: withRelabels, duelId };
  }

  it('keeps its token ids, bounds and outcome through serialize → parse', () => {
    const { doc } = relabelled();
    const reopened = roundTrip(doc);
    expect(reopened.events.filter((e) => e.type === 'relabel')).toEqual(doc.events.filter((e) => e.type === 'relabel'));
    expect(reopened.events.at(-2)).toMatchObject({ type: 'relabel', promptId: 'p0', aIds: [11, 12], bIds: [13], accepted: true, preferred: 'b', pAB: 0.25 });
  });

  it('refuses bad values and a prompt that was never posed, by path', () => {
    const { doc } = relabelled();
    const refused = (edit: (event: Record<string, unknown>) => void): string => {
      const file = JSON.parse(serializeSession(doc)) as { events: Record<string, unknown>[] };
      edit(file.events.at(-1)!);
      const parsed = parseSessionDocument(JSON.stringify(file));
      if (parsed.ok) throw new Error('accepted a bad relabel event');
      return parsed.error;
    };
    const at = `events[${doc.events.length - 1}]`;
    expect(refused((e) => (e['pAB'] = 1.5))).toContain(`${at}.pAB: must be at most 1`);
    expect(refused((e) => (e['minConfidence'] = 0.2))).toContain(`${at}.minConfidence: must be at least 0.5`);
    expect(refused((e) => (e['maxStd'] = 0.9))).toContain(`${at}.maxStd: must be at most 0.5`);
    expect(refused((e) => (e['preferred'] = 'tie'))).toContain(`${at}.preferred`);
    expect(refused((e) => delete e['accepted'])).toContain(`${at}.accepted`);
    expect(refused((e) => (e['aIds'] = [1, -2]))).toContain(`${at}.aIds: must hold token ids`);
    expect(refused((e) => (e['bIds'] = Array.from({ length: SESSION_LIMITS.maxTokenIdsPerCandidate + 1 }, () => 1)))).toContain(`${at}.bIds: holds more than 8 192 tokens`);
    expect(refused((e) => (e['promptId'] = 'p9'))).toContain(`${at}.promptId: no earlier prompt event has id "p9"`);
  });

  it('is not a vote: vote counts and every data export are as without it', () => {
    const { doc, duelId } = relabelled();
    const humanOnly: SessionDocument = { ...doc, events: doc.events.filter((e) => e.type !== 'relabel') };
    expect(countVotes(doc.events, duelId)).toBe(1);
    for (const kind of ['preference', 'thumbs', 'ranking', 'battles'] as const) {
      expect(exportDatasetJsonl(doc, kind)).toBe(exportDatasetJsonl(humanOnly, kind));
    }
    // The one human vote is in the exports; neither relabelled pair is.
    expect(exportDatasetJsonl(doc, 'preference').trim().split('\n')).toHaveLength(1);
    expect(exportDatasetJsonl(doc, 'battles').trim().split('\n')).toHaveLength(1);
  });
});
