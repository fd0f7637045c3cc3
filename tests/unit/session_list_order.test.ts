/**
 * `holdListOrder`: the Sessions list keeps its rows in place while a row is being renamed
 * (a moved input loses focus, which ends the rename), yet shows fresh contents, new sessions
 * and deletions.
 */
import { describe, expect, it } from 'vitest';
import { holdListOrder, type StoredSessionSummary } from '../../src/session/index';

function summary(id: string, updatedAt: string, title = id): StoredSessionSummary {
  return { id, title, createdAt: '2026-12-01T00:00:00.000Z', updatedAt, cellCount: 3, eventCount: 0, revision: 1 };
}

describe('holdListOrder', () => {
  it('keeps the held order when saves resort the entries, with the fresh contents', () => {
    const fresh = [summary('b', '2026-12-06T10:00:02.000Z', 'b renamed'), summary('a', '2026-12-06T10:00:01.000Z'), summary('c', '2026-12-06T09:00:00.000Z')];
    const shown = holdListOrder(fresh, ['a', 'b', 'c']);
    expect(shown.map((e) => e.id)).toEqual(['a', 'b', 'c']);
    expect(shown[1]!.title).toBe('b renamed');
  });

  it('puts sessions that were not held first, in their own order, and drops deleted ones', () => {
    const fresh = [summary('new2', '2026-12-06T10:00:05.000Z'), summary('c', '2026-12-06T10:00:04.000Z'), summary('new1', '2026-12-06T10:00:03.000Z'), summary('a', '2026-12-06T10:00:01.000Z')];
    expect(holdListOrder(fresh, ['a', 'b', 'c']).map((e) => e.id)).toEqual(['new2', 'new1', 'a', 'c']);
  });

  it('is the entries themselves when nothing was held', () => {
    const fresh = [summary('x', '2026-12-06T10:00:01.000Z'), summary('y', '2026-12-06T10:00:00.000Z')];
    expect(holdListOrder(fresh, [])).toEqual(fresh);
  });
});
