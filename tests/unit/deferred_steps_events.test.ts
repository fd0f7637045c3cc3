/**
 * Votes whose policy steps were deferred (the trainer was busy when they were cast) and the
 * catch-up `train` event that takes one step group over them: both are in the session log, so a
 * replay takes the steps the live session took. They survive a file, reach the engine as
 * intents, and a bad value is refused by its path.
 */
import { describe, expect, it } from 'vitest';
import { appendEvents, logIntents, parseSessionDocument, serializeSession, SessionEditError, type NewSessionEvent } from '../../src/session/index.ts';
import { shownPairSession, T0, votePair } from '../support/shown_pair_session';

const shownPair = () => shownPairSession('Deferred');

const vote = (cellId: string, deferSteps: boolean): NewSessionEvent => votePair(cellId, deferSteps ? { deferSteps: true } : {});

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
