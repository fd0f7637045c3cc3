import { describe, expect, it } from 'vitest';
import { appendEvents, createCell, createIdGenerator, createSession, type NewSessionEvent } from '../../src/session/index';
import { battleJudges, battlesFrom, duelBattleRows } from '../../src/state/arena.svelte';
import { pairShown } from '../support/duel_events';

const duel = createCell('duel', createIdGenerator({ seed: 9 }));
/** A battle between the reference (x) and the step-3 policy (y), voted by `voter`. */
function battle(p: string, voter: string | undefined, outcome: 'a' | 'b'): NewSessionEvent[] {
  return [
    ...pairShown(duel.id, p, [
      { text: 'one', policySnapshot: { step: 0, name: 'reference' } },
      { text: 'two', policySnapshot: { step: 3 } },
    ]),
    { type: 'vote', kind: 'pair', cellId: duel.id, promptId: p, a: `${p}x`, b: `${p}y`, outcome, shownOrder: [`${p}x`, `${p}y`], judge: 'human', ...(voter ? { voter } : {}) },
  ];
}

describe('Arena ratings per annotator', () => {
  const doc = appendEvents(createSession({ title: 'Arena', now: 0, cells: [duel] }), [...battle('p1', 'Ada', 'a'), ...battle('p2', 'Bo', 'b'), ...battle('p3', 'Ada', 'b'), ...battle('p4', undefined, 'a')], 1);

  it('lists who gave battles, and keeps one annotator’s battles when asked', () => {
    const rows = duelBattleRows(doc, duel.id);
    expect(battleJudges(rows)).toEqual(['human', 'human:Ada', 'human:Bo']);
    expect(battlesFrom(rows)).toHaveLength(4);
    expect(battlesFrom(rows, 'human:Ada')).toEqual([
      { modelA: 'reference', modelB: 'step-3', outcome: 'a' },
      { modelA: 'reference', modelB: 'step-3', outcome: 'b' },
    ]);
    expect(battlesFrom(rows, 'human:Bo')).toEqual([{ modelA: 'reference', modelB: 'step-3', outcome: 'b' }]);
    expect(battlesFrom(rows, 'human:Nobody')).toEqual([]);
  });
});
