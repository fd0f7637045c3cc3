import { appendEvents, createCell, createIdGenerator, createSession, type NewSessionEvent, type SessionDocument } from '../../src/session/index';

/** When the fixture's events were appended. */
export const T0 = Date.UTC(2025, 0, 1);

/**
 * A session with a duel and the Train cell that learns from it (sigmoid, 1 step per vote),
 * and one prompt ("The sea", id `p0`) with two candidates `a0` and `b0` whose tokens were recorded.
 */
export function shownPairSession(title: string): { doc: SessionDocument; duelId: string; trainId: string } {
  const nextId = createIdGenerator({ seed: 11 });
  const duel = createCell('duel', nextId);
  const train = createCell('train', nextId, { config: { objective: 'sigmoid', beta: 0.1, epsilon: 0, lr: 1e-5, stepsPerVote: 1, batchSize: 8, bufferSize: 100, updateAfterEveryVote: true, duelCellId: duel.id } });
  const doc = appendEvents(
    createSession({ title, now: T0, cells: [duel, train] }),
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
          { id: 'b0', text: ' rose and rose and rose', tokenIds: [8278, 290, 8278], policySnapshot: { step: 0 } },
        ],
      },
    ],
    T0,
  );
  return { doc, duelId: duel.id, trainId: train.id };
}

/** A person's vote for `a0` over `b0` in duel `cellId` of `shownPairSession`, with `extra` fields. */
export const votePair = (cellId: string, extra: Partial<Extract<NewSessionEvent, { type: 'vote'; kind: 'pair' }>> = {}): NewSessionEvent => ({
  type: 'vote',
  kind: 'pair',
  cellId,
  promptId: 'p0',
  a: 'a0',
  b: 'b0',
  outcome: 'a',
  shownOrder: ['a0', 'b0'],
  judge: 'human',
  ...extra,
} as NewSessionEvent);
