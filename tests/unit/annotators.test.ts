import { describe, expect, it } from 'vitest';
import {
  annotatorOf,
  appendEvents,
  battleRows,
  createCell,
  createIdGenerator,
  createSession,
  parseSessionDocument,
  preferencePairRows,
  SESSION_LIMITS,
  type NewSessionEvent,
} from '../../src/session/index';

const duel = createCell('duel', createIdGenerator({ seed: 2 }));
const shown: NewSessionEvent[] = [
  { type: 'prompt', cellId: duel.id, promptId: 'p', text: 'Say hi' },
  {
    type: 'candidates',
    cellId: duel.id,
    promptId: 'p',
    seed: 1,
    sampling: { temperature: 1, topK: 0, topP: 1, maxTokens: 8 },
    candidates: [
      { id: 'x', text: 'Hi!', policySnapshot: { step: 0 } },
      { id: 'y', text: 'Go away.', policySnapshot: { step: 3 } },
    ],
  },
];
const pairVote = (extra: Record<string, string>): NewSessionEvent =>
  ({ type: 'vote', kind: 'pair', cellId: duel.id, promptId: 'p', a: 'x', b: 'y', outcome: 'a', shownOrder: ['x', 'y'], judge: 'human', ...extra }) as NewSessionEvent;

describe('who voted', () => {
  it('a person is human solo and human:NAME in a room; judges keep their id whatever voter says', () => {
    expect(annotatorOf({ judge: 'human' })).toBe('human');
    expect(annotatorOf({ judge: 'human', voter: 'Ada' })).toBe('human:Ada');
    expect(annotatorOf({ judge: 'human', voter: '' })).toBe('human');
    expect(annotatorOf({ judge: 'sentiment-sim', voter: 'Ada' })).toBe('sentiment-sim');
  });

  it('a vote’s voter survives a file round trip and names the annotator in the exports; an over-long one is refused', () => {
    const doc = appendEvents(createSession({ title: 'Room', now: 0, cells: [duel] }), [...shown, pairVote({ voter: 'Ada' }), pairVote({})], 1);
    const parsed = parseSessionDocument(JSON.stringify(doc));
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(preferencePairRows(parsed.doc).map((r) => r.annotator)).toEqual(['human:Ada', 'human']);
    expect(battleRows(parsed.doc).map((r) => r.judge)).toEqual(['human:Ada', 'human']);
    const long = 'n'.repeat(SESSION_LIMITS.maxVoterChars + 1);
    expect(() => appendEvents(doc, [pairVote({ voter: long })], 2)).toThrow(/voter/);
  });
});
