/** The collapse guard on relabelled pairs: a winner much longer or more repetitive than its loser is not used. */
import { describe, expect, it } from 'vitest';
import { COLLAPSE_GUARD, collapseGuardReason } from '../../src/engine/learning/online';

describe('collapseGuardReason', () => {
  it('lets an ordinary pair through', () => {
    expect(collapseGuardReason('we hope for a good year ahead', 'the year was hard for many')).toBeNull();
  });

  it('refuses a winner more than 1.5× longer (in words)', () => {
    expect(COLLAPSE_GUARD.lengthRatio).toBe(1.5);
    expect(collapseGuardReason('one two three four five six seven', 'one two three four')).toMatch(/7 words against 4/);
    // 6 against 4 is exactly 1.5×: allowed.
    expect(collapseGuardReason('one two three four five six', 'one two three four')).toBeNull();
  });

  it('refuses a winner that repeats itself more (word bigrams)', () => {
    const salad = 'their rights and their rights and justice';
    expect(collapseGuardReason(salad, 'the rights of every man and woman')).toMatch(/repeats itself more/);
    expect(collapseGuardReason('the rights of every man and woman', salad)).toBeNull();
  });
});
