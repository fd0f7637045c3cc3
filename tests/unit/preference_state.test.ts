/**
 * The "what you seem to prefer" panel's state (Node, CPU engine): statements are logged as
 * `principle` intents and reduced through LearningSync like votes; the page keeps the latest
 * principle estimates and each critique's reading by vote; opening the log afresh recomputes
 * both exactly. Then the panel's rows in words (preference_rows.ts).
 */
import { describe, expect, it } from 'vitest';
import { EngineService } from '../../src/engine/service';
import { appendEvents, createCell, createIdGenerator, createSession, undoEvent, type DuelConfig, type NewSessionEvent, type SessionDocument } from '../../src/session/index';
import type { ModelSource, PrincipleEstimate } from '../../src/engine/api';
import type { EngineState } from '../../src/state/engine.svelte';
import { EngineLease } from '../../src/state/engine_lease';
import type { SessionState } from '../../src/state/session.svelte';
import { LearningSync } from '../../src/state/learning.svelte';
import { PreferencesState } from '../../src/state/preferences.svelte';
import { critiqueSentence, lastCritique, preferenceRow, preferenceRows, statedText, weightScale } from '../../src/state/preference_rows';
import { PRINCIPLE_FEATURE_COUNT } from '../../src/engine/principles';
import { tinyModelSource } from '../support/tiny_checkpoint';

const source = (): ModelSource => tinyModelSource();

const sampling = { temperature: 1, topK: 0, topP: 1, maxTokens: 5 };

function starterDoc(): SessionDocument {
  const nextId = createIdGenerator({ seed: 7 });
  const duelConfig: DuelConfig = { mode: 'pairwise', candidatesPerPrompt: 2, judge: { kind: 'human' }, sampling, seed: 1, relabel: { pairs: 0, minConfidence: 0.5, maxStd: 0.5 } };
  const duel = createCell('duel', nextId, { config: duelConfig });
  const train = createCell('train', nextId, { config: { objective: 'sigmoid', beta: 0.5, epsilon: 0, lr: 1e-3, stepsPerVote: 1, batchSize: 4, bufferSize: 100, updateAfterEveryVote: true, duelCellId: duel.id } });
  return createSession({ title: 'Preferences', now: 0, cells: [duel, train] });
}

/** The page's learning path and panel state around a real EngineService. */
async function page(doc: SessionDocument) {
  const service = new EngineService(undefined);
  await service.loadModel(source(), 'cpu');
  const engine = { lease: new EngineLease(), api: service, epoch: 1, policyStep: 0, votesTrained: 0, status: 'ready', ready: true } as unknown as EngineState;
  const session = {
    doc,
    generation: 0,
    loaded: true,
    apply(edit: (d: SessionDocument) => SessionDocument, generation?: number): boolean {
      if (generation !== undefined && generation !== this.generation) return false;
      this.doc = edit(this.doc);
      return true;
    },
  };
  const learning = new LearningSync(engine, session as unknown as SessionState, { onReduced: () => undefined });
  const preferences = new PreferencesState({ session: session as unknown as SessionState, learning });
  return { service, session, learning, preferences };
}

type Page = Awaited<ReturnType<typeof page>>;

const estimate = (p: Page, axis: string): PrincipleEstimate => p.learning.preferences!.find((e) => e.axis === axis)!;

/** Shows a fresh pair for `prompt` and logs a pairwise vote on it (as the Duel does), then syncs. */
async function vote(p: Page, n: number, prompt: string, outcome: 'a' | 'b', judge: string, critique?: string): Promise<number> {
  const duelId = p.session.doc.cells.find((c) => c.kind === 'duel')!.id;
  const gen = await p.service.generate({ prompt, numSequences: 2, maxNewTokens: sampling.maxTokens, temperature: 1, topK: 0, topP: 1, seed: 50 + n });
  const ids = [`c${n}_0`, `c${n}_1`];
  const events: NewSessionEvent[] = [
    { type: 'prompt', cellId: duelId, promptId: `p${n}`, text: prompt },
    { type: 'candidates', cellId: duelId, promptId: `p${n}`, seed: 50 + n, sampling, candidates: ids.map((id, k) => ({ id, text: gen.texts[k]!, tokenIds: gen.tokenIds[k]!, policySnapshot: { step: 0 } })) },
    ...p.learning.settingsEvents(p.session.doc),
    { type: 'vote', kind: 'pair', cellId: duelId, promptId: `p${n}`, a: ids[0]!, b: ids[1]!, outcome, shownOrder: [ids[0]!, ids[1]!], judge, ...(critique ? { critique } : {}) },
  ];
  p.session.apply((d) => appendEvents(d, events));
  await p.learning.sync();
  return p.session.doc.events.at(-1)!.seq;
}

describe('the preference panel state', () => {
  it('keeps the latest principle estimates and critique readings by vote; statements are intents; opening the log recomputes both exactly', async () => {
    const live = await page(starterDoc());
    const duelId = live.session.doc.cells.find((c) => c.kind === 'duel')!.id;
    expect(live.learning.preferences).toBeNull();
    expect(live.preferences.rows).toEqual([]);

    const humanSeq = await vote(live, 0, 'The sea', 'a', 'human', 'B is way too long');
    expect(live.learning.syncError).toBeNull();
    expect(live.learning.preferences).toHaveLength(PRINCIPLE_FEATURE_COUNT);
    expect(live.learning.critiques.get(humanSeq)!.understood).toMatch(/shorter/);
    expect(live.preferences.critiqueOf(duelId)).toMatchObject({ seq: humanSeq, critique: 'B is way too long' });

    // An automatic judge's critique is logged but never read: no reading, and nothing shown.
    const judgeSeq = await vote(live, 1, 'A good day', 'b', 'length-sim', 'length scores A 0.1, B 0.9: B is far too long');
    expect(live.learning.critiques.has(judgeSeq)).toBe(false);
    expect(live.preferences.critiqueOf(duelId)).toBeNull();
    const gibberishSeq = await vote(live, 2, 'They said', 'a', 'human', 'zxqv blorp');
    expect(live.preferences.critiqueOf(duelId)!.reading!.understood).toMatch(/^not understood/);
    // Earlier readings stay: the map grows with each sync.
    expect([...live.learning.critiques.keys()]).toEqual([humanSeq, gibberishSeq]);

    const before = estimate(live, 'length');
    expect(await live.preferences.state(duelId, 'shorter', 'confirm')).toBe(true);
    expect(live.preferences.busy).toBe(false);
    expect(live.preferences.error).toBeNull();
    const logged = live.session.doc.events.at(-1)!;
    expect(logged).toMatchObject({ type: 'principle', principleId: 'shorter', verdict: 'confirm' });
    expect(logged.cellId).toBe(live.session.doc.cells.find((c) => c.kind === 'train')!.id);
    const confirmed = estimate(live, 'length');
    expect(confirmed.stated).toEqual({ principleId: 'shorter', verdict: 'confirm' });
    expect(confirmed.high - confirmed.low).toBeLessThan(before.high - before.low);
    const row = live.preferences.rows.find((r) => r.axis === 'length')!;
    expect(row.stated!.text).toBe('you said: yes, shorter answers');
    expect(await live.preferences.state(duelId, 'positive', 'reject')).toBe(true);

    // Opened afresh (reload, import, link): the same estimates and readings, to the bit.
    const opened = await page(structuredClone(live.session.doc));
    await opened.learning.open(opened.session.doc);
    expect(opened.learning.status).toBe('done');
    expect(opened.learning.preferences).toEqual(live.learning.preferences);
    expect(opened.learning.critiques).toEqual(live.learning.critiques);
    expect(opened.preferences.critiqueOf(duelId)).toEqual(live.preferences.critiqueOf(duelId));

    // Clear takes the statement back; so does undoing it (an undo event, as for any intent).
    expect(await live.preferences.state(duelId, 'shorter', 'clear')).toBe(true);
    expect(estimate(live, 'length').stated).toBeNull();
    const rejectSeq = live.session.doc.events.filter((e) => e.type === 'principle' && e.verdict === 'reject').at(-1)!.seq;
    expect(estimate(live, 'valence').stated).toEqual({ principleId: 'positive', verdict: 'reject' });
    live.session.apply((d) => undoEvent(d, rejectSeq, live.session.doc.cells.find((c) => c.kind === 'train')!.id));
    await live.learning.sync();
    expect(estimate(live, 'valence').stated).toBeNull();
    // The undo re-reduced the intents after its checkpoint; the critique readings are still there.
    expect(live.learning.critiques.get(humanSeq)!.understood).toMatch(/shorter/);
  });

  it('refuses to log a statement when no Train cell learns from the duel', async () => {
    const doc = starterDoc();
    const lonely = { ...doc, cells: doc.cells.filter((c) => c.kind !== 'train') };
    const p = await page(lonely);
    const duelId = lonely.cells[0]!.id;
    expect(await p.preferences.state(duelId, 'shorter', 'confirm')).toBe(false);
    expect(p.preferences.error).toMatch(/Train cell/);
    expect(p.session.doc.events).toHaveLength(0);
  });
});

describe('the panel rows in words', () => {
  const est = (axis: string, weight: number, half: number, stated: PrincipleEstimate['stated'] = null): PrincipleEstimate => ({ axis, weight, low: weight - half, high: weight + half, stated });

  it('names the pole the weight leans to, and what Yes and No speak about', () => {
    const shorter = preferenceRow(est('length', -0.8, 0.5));
    expect(shorter).toMatchObject({ leaning: 'shorter answers', confirmId: 'shorter', rejectId: 'shorter', likely: true });
    expect(shorter.winChance).toBeCloseTo(1 / (1 + Math.exp(-0.8)), 12);
    expect(preferenceRow(est('length', 0.3, 0.5))).toMatchObject({ leaning: 'longer, more detailed answers', confirmId: 'longer', likely: false });
    expect(preferenceRow(est('valence', -0.2, 0.1))).toMatchObject({ leaning: 'a more negative, darker tone', confirmId: 'negative', likely: true });
  });

  it('says more/less on a one-pole axis; the side without a pole has nothing to confirm, but No still applies', () => {
    expect(preferenceRow(est('repetition', -0.4, 1))).toMatchObject({ leaning: 'less repetition', confirmId: 'less_repetitive', rejectId: 'less_repetitive', likely: false });
    expect(preferenceRow(est('repetition', 0.4, 0.1))).toMatchObject({ leaning: 'more repetition', confirmId: null, rejectId: 'less_repetitive', likely: true });
    expect(preferenceRow(est('questions', 0.5, 0.1))).toMatchObject({ leaning: 'more questions asked', confirmId: 'questions' });
    expect(preferenceRow(est('questions', -0.5, 0.1))).toMatchObject({ leaning: 'less questions asked', confirmId: null, rejectId: 'questions' });
  });

  it('offers nothing to confirm or reject before the weight leans', () => {
    expect(preferenceRow(est('length', 0, 1.96))).toMatchObject({ leaning: 'no lean yet on answer length', confirmId: null, rejectId: null, likely: false });
  });

  it("shows a statement in words, even about the pole the weight does not lean to, and an id it does not know", () => {
    expect(preferenceRow(est('length', 0.1, 0.2, { principleId: 'shorter', verdict: 'reject' })).stated!.text).toBe('you said: no, shorter answers');
    expect(statedText('wittier', 'confirm')).toBe('you said: yes, wittier');
  });

  it('keeps the engine order, and scales the bars so every interval fits', () => {
    const rows = preferenceRows([est('numbers', 1.5, 2), est('length', -0.2, 0.3)]);
    expect(rows.map((r) => r.axis)).toEqual(['numbers', 'length']);
    expect(weightScale(rows)).toBe(4);
    expect(weightScale(preferenceRows([est('length', 0.1, 0.2)]))).toBe(2);
    expect(preferenceRows(null)).toEqual([]);
  });

  it("says what a critique was understood as, or that it was not", () => {
    const shown = { seq: 4, critique: 'B is too long' };
    expect(critiqueSentence({ ...shown, reading: { understood: 'shorter answers (about B)', matches: [], syntheticPairs: 2 } })).toBe(
      'Your critique “B is too long”: understood as shorter answers (about B); 2 synthetic pairs from it trained the policy.',
    );
    expect(critiqueSentence({ ...shown, reading: { understood: 'not understood: no principle matched', matches: [], syntheticPairs: 0 } })).toBe(
      'Your critique “B is too long”: not understood: no principle matched.',
    );
  });

  it('shows only the last vote’s critique, and only a person’s pairwise one', () => {
    const doc = starterDoc();
    const duelId = doc.cells[0]!.id;
    const shown = appendEvents(doc, [
      { type: 'prompt', cellId: duelId, promptId: 'p', text: 'Hi' },
      { type: 'candidates', cellId: duelId, promptId: 'p', seed: 1, sampling, candidates: ['x', 'y'].map((id) => ({ id, text: id, policySnapshot: { step: 0 } })) },
      { type: 'vote', kind: 'pair', cellId: duelId, promptId: 'p', a: 'x', b: 'y', outcome: 'a', shownOrder: ['x', 'y'], judge: 'human', critique: 'B is too long' },
    ]);
    const reading = { understood: 'shorter answers (about B)', matches: [], syntheticPairs: 0 };
    const readings = new Map([[2, reading]]);
    expect(lastCritique(shown.events, duelId, readings)).toEqual({ seq: 2, critique: 'B is too long', reading });
    expect(lastCritique(shown.events, duelId, new Map())).toEqual({ seq: 2, critique: 'B is too long', reading: null });
    // Undone: the vote before it (none) is the last one.
    expect(lastCritique(undoEvent(shown, 2, duelId).events, duelId, readings)).toBeNull();
    const judged = appendEvents(shown, [{ type: 'vote', kind: 'pair', cellId: duelId, promptId: 'p', a: 'x', b: 'y', outcome: 'b', shownOrder: ['x', 'y'], judge: 'length-sim', critique: 'scores A 0.1' }]);
    expect(lastCritique(judged.events, duelId, readings)).toBeNull();
  });
});
