/**
 * Votes whose policy steps were deferred (the trainer was busy when they were cast) and the
 * catch-up `train` event that takes one step group over them: both are in the session log, so a
 * replay takes the steps the live session took. They survive a file, reach the engine as
 * intents, and a bad value is refused by its path.
 */
import { describe, expect, it } from 'vitest';
import { appendEvents, createCell, createIdGenerator, createSession, logIntents, parseSessionDocument, serializeSession, SessionEditError, type NewSessionEvent, type SessionDocument } from '../../src/session/index.ts';

const T0 = Date.UTC(2026, 0, 1);

function shownPair(): { doc: SessionDocument; duelId: string; trainId: string } {
  const nextId = createIdGenerator({ seed: 5 });
  const duel = createCell('duel', nextId);
  const train = createCell('train', nextId, { config: { objective: 'sigmoid', beta: 0.1, epsilon: 0, lr: 1e-5, stepsPerVote: 2, batchSize: 8, bufferSize: 100, updateAfterEveryVote: true, duelCellId: duel.id } });
  const doc = appendEvents(
    createSession({ title: 'Deferred', now: T0, cells: [duel, train] }),
    [
      { type: 'prompt', cellId: duel.id, promptId: 'p0', text: 'The sea' },
      {
        type: 'candidates',
        cellId: duel.id,
        promptId: 'p0',
        seed: 1,
        sampling: { temperature: 1, topK: 0, topP: 1, maxTokens: 8 },
        candidates: [
          { id: 'a0', text: ' is calm', tokenIds: [318, 9480], policySnapshot: { step: 0 } },
          { id: 'b0', text: ' rose', tokenIds: [8278], policySnapshot: { step: 0 } },
        ],
      },
    ],
    T0,
  );
  return { doc, duelId: duel.id, trainId: train.id };
}

const vote = (cellId: string, deferSteps: boolean): NewSessionEvent => ({
  type: 'vote',
  kind: 'pair',
  cellId,
  promptId: 'p0',
  a: 'a0',
  b: 'b0',
  outcome: 'a',
  shownOrder: ['a0', 'b0'],
  judge: 'human',
  ...(deferSteps ? { deferSteps: true as const } : {}),
});

describe('deferred steps in the log', () => {
  it('survive a file and reach the engine as intents, in order', () => {
    const { doc, duelId, trainId } = shownPair();
    const log = appendEvents(doc, [vote(duelId, false), vote(duelId, true), vote(duelId, true), { type: 'train', cellId: trainId, steps: 2, catchUp: true }], T0);
    const parsed = parseSessionDocument(serializeSession(log));
    if (!parsed.ok) throw new Error(parsed.error);
    expect(parsed.doc).toEqual(log);
    const intents = logIntents(parsed.doc, { learnsFrom: () => true });
    expect(intents.map((x) => [x.type, 'deferSteps' in x ? x.deferSteps : undefined, 'catchUp' in x ? x.catchUp : undefined])).toEqual([
      ['pair', undefined, undefined],
      ['pair', true, undefined],
      ['pair', true, undefined],
      ['train', undefined, true],
    ]);
    // A vote cast while the trainer was idle says nothing: older logs read the same as before.
    expect(intents[0]).not.toHaveProperty('deferSteps');
  });

  it('refuses a value other than true, in an edit and in a file, by its path', () => {
    const { doc, duelId, trainId } = shownPair();
    expect(() => appendEvents(doc, [{ ...vote(duelId, false), deferSteps: false } as unknown as NewSessionEvent], T0)).toThrow(SessionEditError);
    expect(() => appendEvents(doc, [{ type: 'train', cellId: trainId, steps: 2, catchUp: 'yes' } as unknown as NewSessionEvent], T0)).toThrow(SessionEditError);
    expect(doc.events).toHaveLength(2);
    const log = appendEvents(doc, [vote(duelId, true)], T0);
    const file = JSON.parse(serializeSession(log)) as { events: Record<string, unknown>[] };
    file.events.at(-1)!['deferSteps'] = 1;
    const parsed = parseSessionDocument(JSON.stringify(file));
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toContain(`events[${log.events.length - 1}].deferSteps`);
  });
});
