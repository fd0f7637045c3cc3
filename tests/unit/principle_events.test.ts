/**
 * Statements about principles and critiques in the session document: the `principle` event
 * (added to version 2 without a bump) validates, survives a file and a share link, and a bad one
 * is refused by path; the log's intents carry principle statements, and a pairwise vote's
 * critique only when a person cast it (an automatic judge's critique spells out its hidden
 * scores, which must never reach the model).
 */
import { describe, expect, it } from 'vitest';
import {
  SESSION_LIMITS,
  SessionEditError,
  appendEvents,
  createCell,
  createIdGenerator,
  createSession,
  decodeShareLink,
  encodeShareLink,
  logIntents,
  parseSessionDocument,
  serializeSession,
  undoEvent,
  type NewSessionEvent,
  type SessionDocument,
} from '../../src/session/index.ts';
import type { LogIntent } from '../../src/engine/api.ts';
import { shownPairSession, T0, votePair } from '../support/shown_pair_session';

/** A duel and its Train cell, one prompt and two candidates with recorded tokens. */
const shownPair = () => shownPairSession('Principles');

const pairVote = (cellId: string, judge: string, critique?: string): NewSessionEvent => votePair(cellId, { judge, ...(critique === undefined ? {} : { critique }) });

const roundTrip = (doc: SessionDocument): SessionDocument => {
  const parsed = parseSessionDocument(serializeSession(doc));
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.doc;
};

const everyDuel = { learnsFrom: () => true };

describe('a principle event', () => {
  it('is logged, and kept through a file and a share link', async () => {
    const { doc, trainId } = shownPair();
    const stated = appendEvents(
      doc,
      [
        { type: 'principle', cellId: trainId, principleId: 'shorter', verdict: 'confirm' },
        { type: 'principle', cellId: trainId, principleId: 'less_repetitive', verdict: 'reject' },
        { type: 'principle', cellId: trainId, principleId: 'shorter', verdict: 'clear' },
      ],
      T0,
    );
    const principles = stated.events.filter((e) => e.type === 'principle');
    expect(principles.map((e) => e.type === 'principle' && [e.principleId, e.verdict])).toEqual([
      ['shorter', 'confirm'],
      ['less_repetitive', 'reject'],
      ['shorter', 'clear'],
    ]);
    expect(roundTrip(stated)).toEqual(stated);
    const link = await encodeShareLink(stated);
    if (link.tooLarge) throw new Error('the test session does not fit a link');
    const decoded = await decodeShareLink(link.hash);
    expect(decoded.ok && decoded.doc).toEqual(stated);
  });

  it('refuses a bad statement in an edit, leaving the document as it was', () => {
    const { doc, trainId } = shownPair();
    const bad = [
      { type: 'principle', cellId: trainId, principleId: 'shorter', verdict: 'maybe' },
      { type: 'principle', cellId: trainId, principleId: '', verdict: 'confirm' },
      { type: 'principle', cellId: trainId, verdict: 'confirm' },
    ] as unknown as NewSessionEvent[];
    for (const event of bad) expect(() => appendEvents(doc, [event], T0)).toThrow(SessionEditError);
    expect(doc.events).toHaveLength(2);
  });

  it('in an imported file or a share link, a bad one is refused by its path', async () => {
    const { doc, trainId } = shownPair();
    const stated = appendEvents(doc, [{ type: 'principle', cellId: trainId, principleId: 'shorter', verdict: 'confirm' }], T0);
    const at = `events[${stated.events.length - 1}]`;
    const hostile = (edit: (event: Record<string, unknown>) => void): Record<string, unknown> => {
      const file = JSON.parse(serializeSession(stated)) as { events: Record<string, unknown>[] };
      edit(file.events.at(-1)!);
      return file;
    };
    const refused = (edit: (event: Record<string, unknown>) => void): string => {
      const parsed = parseSessionDocument(JSON.stringify(hostile(edit)));
      if (parsed.ok) throw new Error('accepted a bad principle event');
      return parsed.error;
    };
    expect(refused((e) => (e['verdict'] = 'maybe'))).toContain(`${at}.verdict: expected one of "confirm", "reject", "clear", got "maybe"`);
    expect(refused((e) => delete e['verdict'])).toContain(`${at}.verdict`);
    expect(refused((e) => (e['principleId'] = 42))).toContain(`${at}.principleId: expected a string, got a number`);
    expect(refused((e) => (e['principleId'] = '<script>'))).toContain(`${at}.principleId: may only contain letters, digits`);
    expect(refused((e) => (e['principleId'] = 'x'.repeat(SESSION_LIMITS.maxIdChars + 1)))).toContain(`${at}.principleId: is 65 characters long; the limit is 64`);
    // A link carries the same document: the same check refuses it.
    const link = await encodeShareLink(hostile((e) => (e['verdict'] = 'maybe')) as unknown as SessionDocument);
    if (link.tooLarge) throw new Error('the test session does not fit a link');
    const decoded = await decodeShareLink(link.hash);
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) expect(decoded.error).toContain(`${at}.verdict`);
  });

  it('keeps an id this Duelbook does not know (a newer one may know it; the engine skips it)', () => {
    const { doc, trainId } = shownPair();
    const stated = appendEvents(doc, [{ type: 'principle', cellId: trainId, principleId: 'wittier', verdict: 'confirm' }], T0);
    expect(roundTrip(stated).events.at(-1)).toMatchObject({ type: 'principle', principleId: 'wittier' });
  });
});

describe('the log as intents', () => {
  it('maps principle statements to principle intents, in log order, undo included', () => {
    const { doc, duelId, trainId } = shownPair();
    let log = appendEvents(
      doc,
      [
        { type: 'principle', cellId: trainId, principleId: 'shorter', verdict: 'confirm' },
        pairVote(duelId, 'human'),
        { type: 'principle', cellId: trainId, principleId: 'positive', verdict: 'reject' },
      ],
      T0,
    );
    log = undoEvent(log, 4, trainId, T0);
    const intents = logIntents(log, everyDuel);
    expect(intents.map((x) => x.type)).toEqual(['principle', 'pair', 'principle', 'undo']);
    expect(intents[0]).toEqual({ seq: 2, type: 'principle', principleId: 'shorter', verdict: 'confirm' });
    expect(intents[2]).toEqual({ seq: 4, type: 'principle', principleId: 'positive', verdict: 'reject' });
    expect(intents[3]).toEqual({ seq: 5, type: 'undo', targetSeq: 4 });
    // Live voting sends only what the engine does not have.
    expect(logIntents(log, { ...everyDuel, afterSeq: 3 }).map((x) => x.seq)).toEqual([4, 5]);
  });

  it("carries a person's critique on a pairwise vote to the engine, never an automatic judge's", () => {
    const { doc, duelId } = shownPair();
    const log = appendEvents(
      doc,
      [
        pairVote(duelId, 'human', 'B is too long'),
        pairVote(duelId, 'length-sim', 'A scored 0.91 on length, B 0.12'),
        pairVote(duelId, 'fluency', 'judge: P(A≻B) = 0.73'),
        pairVote(duelId, 'human'),
        pairVote(duelId, 'human', '   '),
        { type: 'vote', kind: 'rank', cellId: duelId, promptId: 'p0', order: ['b0', 'a0'], judge: 'human', critique: 'A rambles' },
      ],
      T0,
    );
    const intents = logIntents(log, everyDuel);
    const pairs = intents.filter((x): x is Extract<LogIntent, { type: 'pair' }> => x.type === 'pair');
    expect(pairs).toHaveLength(5);
    expect(pairs[0]!.critique).toBe('B is too long');
    // The judges' critiques (scores in words) stay in the log, out of the engine's reach.
    expect(pairs[1]).not.toHaveProperty('critique');
    expect(pairs[2]).not.toHaveProperty('critique');
    expect(pairs[3]).not.toHaveProperty('critique');
    expect(pairs[4]).not.toHaveProperty('critique');
    expect(log.events.find((e) => e.seq === pairs[1]!.seq)).toMatchObject({ critique: 'A scored 0.91 on length, B 0.12' });
    // A ranking's critique has no place in the engine's ranking intent.
    expect(intents.at(-1)).toEqual({ seq: 7, type: 'ranking', prompt: 'The sea', rankedIds: [[8278, 290, 8278], [318, 9480]] });
    expect(JSON.stringify(intents)).not.toContain('scored');
    expect(JSON.stringify(intents)).not.toContain('P(A≻B)');
  });
});
