import { describe, expect, it } from 'vitest';
import { annotatorOf, appendEvents, createCell, createIdGenerator, createSession, type NewSessionEvent, type SessionDocument } from '../../src/session/index';
import { crowdAgreement, crowdPairs, pairNeedingVotes, personalTastes } from '../../src/state/crowd';
import { annotatorLabel } from '../../src/ui/format';
import { pairShown } from '../support/duel_events';
import { PLAIN_SENTENCES } from '../support/plain_sentences';

const duel = createCell('duel', createIdGenerator({ seed: 4 }));
function shown(p: string, texts: [string, string] = ['one', 'two']): NewSessionEvent[] {
  return pairShown(duel.id, p, [
    { text: texts[0], policySnapshot: { step: 0 } },
    { text: texts[1], policySnapshot: { step: 0 } },
  ]);
}

/** A person's vote in a room; `flip` shows the pair the other way round (y on the left). */
function vote(p: string, voter: string, outcome: 'a' | 'b' | 'tie' | 'bothbad', flip = false): NewSessionEvent {
  const [a, b] = flip ? [`${p}y`, `${p}x`] : [`${p}x`, `${p}y`];
  return { type: 'vote', kind: 'pair', cellId: duel.id, promptId: p, a, b, outcome, shownOrder: [a, b], judge: 'human', voter };
}

const session = (events: NewSessionEvent[]): SessionDocument => appendEvents(createSession({ title: 'Crowd', now: 0, cells: [duel] }), events, 1);

describe('crowd', () => {
  it('labels each vote on the logged order, whichever side it was shown on; a re-vote replaces, an undone vote is out', () => {
    let doc = session([...shown('p'), vote('p', 'Ada', 'a'), vote('p', 'Bo', 'b', true), vote('p', 'Cy', 'a')]);
    // Cy changes their mind; then Cy's new vote is undone.
    doc = appendEvents(doc, [vote('p', 'Cy', 'tie')], 2);
    const [pair] = crowdPairs(doc.events, duel.id);
    expect(Object.fromEntries(pair!.labels)).toEqual({ 'human:Ada': 'a', 'human:Bo': 'a', 'human:Cy': 'tie' });
    doc = appendEvents(doc, [{ type: 'undo', cellId: duel.id, targetSeq: doc.events.at(-1)!.seq }], 3);
    expect(Object.fromEntries(crowdPairs(doc.events, duel.id)[0]!.labels)).toEqual({ 'human:Ada': 'a', 'human:Bo': 'a', 'human:Cy': 'a' });
  });

  it('overlap k: the oldest pair with 1…k−1 votes and none by me comes back; nobody waits for one', () => {
    const doc = session([...shown('p1'), vote('p1', 'Ada', 'a'), ...shown('p2'), vote('p2', 'Ada', 'b'), vote('p2', 'Bo', 'b'), ...shown('p3')]);
    expect(pairNeedingVotes(doc.events, duel.id, 2, 'human:Bo')?.promptId).toBe('p1');
    expect(pairNeedingVotes(doc.events, duel.id, 2, 'human:Ada')).toBeNull(); // Ada voted on both
    expect(pairNeedingVotes(doc.events, duel.id, 3, 'human:Cy')?.promptId).toBe('p1');
    expect(pairNeedingVotes(doc.events, duel.id, 1, 'human:Bo')).toBeNull();
    // p3 has no vote yet: it is its drawer's pending pair, not someone else's to take.
    const later = session([...shown('p3')]);
    expect(pairNeedingVotes(later.events, duel.id, 2, 'human:Bo')).toBeNull();
  });

  it("Cohen's κ for two people: 7/11 where they agree on 3 of 4 pairs (Cohen 1960: κ = (p_o − p_e)/(1 − p_e))", () => {
    // Ada: a, a, b, tie; Bo: a, b, b, tie → p_o = 3/4, p_e = (2·1 + 1·2 + 1·1)/16 = 5/16.
    const labels: [string, 'a' | 'b' | 'tie', 'a' | 'b' | 'tie'][] = [
      ['p1', 'a', 'a'],
      ['p2', 'a', 'b'],
      ['p3', 'b', 'b'],
      ['p4', 'tie', 'tie'],
    ];
    const events: NewSessionEvent[] = [];
    for (const [p, ada, bo] of labels) events.push(...shown(p), vote(p, 'Ada', ada), vote(p, 'Bo', bo));
    // Bo saw p3 the other way round (y on the left) and pressed A for y: still "b" on the logged order.
    const doc = session(events.map((e) => (e.type === 'vote' && e.voter === 'Bo' && e.promptId === 'p3' ? vote('p3', 'Bo', 'a', true) : e)));
    const crowd = crowdAgreement(doc.events, duel.id)!;
    expect(crowd.sharedPairs).toBe(4);
    expect(crowd.annotators).toEqual(['human:Ada', 'human:Bo']);
    expect(crowd.report.kappa).toHaveLength(1);
    expect(crowd.report.kappa[0]!.kappa).toBeCloseTo(7 / 11, 12);
    expect(crowd.report.nominal.alpha).not.toBeNull();
    expect(crowd.report.nominalInterval?.rounds).toBe(200);
  });

  it('is null until two annotators share a pair', () => {
    const doc = session([...shown('p1'), vote('p1', 'Ada', 'a'), ...shown('p2'), vote('p2', 'Bo', 'a')]);
    expect(crowdAgreement(doc.events, duel.id)).toBeNull();
  });

  it('personal tastes: each person is fitted on their own votes; opposite voters differ on valence', () => {
    // Each pair: the same sentence ending "nice" (x) or "bad" (y). Ada picks the nice one, Bo the bad one.
    const bases = PLAIN_SENTENCES;
    const events: NewSessionEvent[] = [];
    for (const [i, base] of [...bases, ...bases.map((b) => `then ${b}`)].entries()) {
      const p = `p${i}`;
      events.push(...shown(p, [`${base} and it was nice`, `${base} and it was bad`]), vote(p, 'Ada', 'a'), vote(p, 'Bo', 'b'));
    }
    // Cy voted once for the bad one, then changed their mind: only the second vote counts.
    events.push(vote('p0', 'Cy', 'b'), vote('p0', 'Cy', 'a'), vote('p1', 'Cy', 'tie'));
    const { people, differences } = personalTastes(session(events).events, duel.id);
    expect(people.map((p) => [p.annotator, p.pairs])).toEqual([
      ['human:Ada', 12],
      ['human:Bo', 12],
      ['human:Cy', 1], // the re-vote replaced the first; a tie gives no pair
    ]);
    const [ada, bo, cy] = people;
    expect(ada!.rows[0]).toMatchObject({ axis: 'valence', likely: true, leaning: 'a more positive, upbeat tone' });
    expect(bo!.rows[0]).toMatchObject({ axis: 'valence', likely: true, leaning: 'a more negative, darker tone' });
    expect(cy!.rows[0]).toMatchObject({ axis: 'valence', likely: false });
    expect(cy!.rows[0]!.weight).toBeGreaterThan(0);
    const adaBo = differences.find((d) => d.a === 'human:Ada' && d.b === 'human:Bo')!;
    expect(adaBo.axes[0]).toMatchObject({ axis: 'valence', leaningA: 'a more positive, upbeat tone', leaningB: 'a more negative, darker tone' });
    expect(adaBo.axes[0]!.z).toBeGreaterThan(1.96);
    // Cy's one vote leans Ada's way: not told apart from Ada, but from Bo.
    expect(differences.find((d) => d.a === 'human:Ada' && d.b === 'human:Cy')!.axes).toEqual([]);
    expect(differences.find((d) => d.a === 'human:Bo' && d.b === 'human:Cy')!.axes.map((a) => a.axis)).toEqual(['valence']);
  });
});

describe('annotatorLabel', () => {
  it('names a room participant by their name, the solo person "you", and a judge by its id', () => {
    expect(annotatorLabel(annotatorOf({ judge: 'human', voter: 'Ada' }))).toBe('Ada');
    expect(annotatorLabel(annotatorOf({ judge: 'human' }))).toBe('you');
    expect(annotatorLabel('sim-sentiment')).toBe('sim-sentiment');
  });
});
