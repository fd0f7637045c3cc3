import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { intFlag, numberFlag, parseIntListValue, parseIntValue, parseListValue, parseNumberValue, onOffFlag, choiceFlag, textFlag } from '../../src/cli/flags';
import { UsageError } from '../../src/cli/io';

/** The error a flag parser throws, or null when it accepts. */
function rejection(f: () => unknown): UsageError | null {
  try {
    f();
    return null;
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    return e;
  }
}

const BOUNDS = { min: -1000, max: 1000 };

describe('strict integer flags', () => {
  it('accept exactly the canonical decimal integers inside the bounds (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 12 }), (raw) => {
        const canonical = /^(0|-?[1-9]\d*)$/.test(raw) && Number(raw) >= BOUNDS.min && Number(raw) <= BOUNDS.max;
        const err = rejection(() => parseIntValue('n', raw, BOUNDS));
        expect(err === null).toBe(canonical);
        if (err) {
          expect(err.message).toMatch(/^--n /);
          expect(err.message).not.toMatch(/\n/);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('round-trips every integer in range and rejects every integer outside it (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -5000, max: 5000 }), (n) => {
        if (n >= BOUNDS.min && n <= BOUNDS.max) expect(parseIntValue('n', String(n), BOUNDS)).toBe(n);
        else expect(rejection(() => parseIntValue('n', String(n), BOUNDS))).not.toBeNull();
      }),
    );
  });

  it('rejects the known coercions: empty, spaces, NaN, exponent, hex, +, leading zeros, -0, unsafe', () => {
    const big = { min: 0, max: Number.MAX_SAFE_INTEGER };
    for (const raw of ['', ' ', ' 1', '1 ', 'NaN', 'Infinity', '1e3', '0x10', '+1', '01', '-0', '1.0', '1.5', '9007199254740993', '99999999999999999999']) {
      expect(rejection(() => parseIntValue('bootstrap', raw, big)), raw).not.toBeNull();
    }
    expect(parseIntValue('bootstrap', '9007199254740991', big)).toBe(Number.MAX_SAFE_INTEGER);
    expect(rejection(() => intFlag('max-tokens', '-1', 40, { min: 0, max: 100 }))!.message).toMatch(/^--max-tokens must be an integer from 0 to 100, got -1$/);
    expect(intFlag('max-tokens', undefined, 40, { min: 0, max: 100 })).toBe(40);
  });
});

describe('strict number flags', () => {
  it('accept what Number() reads only for decimal numerals, inside the bounds (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 10 }), fc.double().map(String), fc.constantFrom('', ' ', '.', '-', 'e5', '1e', '0x1', '1_000', 'NaN', '-Infinity')), (raw) => {
        const err = rejection(() => parseNumberValue('lr', raw, { min: -1e6, max: 1e6 }));
        if (err === null) {
          expect(/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(raw)).toBe(true);
          expect(Math.abs(Number(raw))).toBeLessThanOrEqual(1e6);
        } else {
          expect(err.message).toMatch(/^--lr must be a number in \[-1000000, 1000000\], got /);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('round-trips every finite double in range (property)', () => {
    fc.assert(
      fc.property(fc.double({ min: -1e6, max: 1e6, noNaN: true }), (x) => {
        expect(Object.is(parseNumberValue('lr', String(x), { min: -1e6, max: 1e6 }), x === 0 ? Number(String(x)) : x)).toBe(true);
      }),
    );
  });

  it('honours open interval ends and rejects empty strings and huge values', () => {
    const open = { min: 0, max: 1, minExclusive: true, maxExclusive: true };
    expect(rejection(() => parseNumberValue('level', '0', open))).not.toBeNull();
    expect(rejection(() => parseNumberValue('level', '1', open))).not.toBeNull();
    expect(parseNumberValue('level', '0.9', open)).toBe(0.9);
    expect(rejection(() => numberFlag('temperature', '', 1, { min: 0, max: 10 }))!.message).toBe('--temperature must be a number in [0, 10], got ""');
    expect(rejection(() => numberFlag('temperature', '1e400', 1, { min: 0, max: 10 }))).not.toBeNull();
  });
});

describe('list flags', () => {
  it('round-trip any non-empty list of in-range integers joined by commas (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 4095 }), { minLength: 1, maxLength: 20 }), (ids) => {
        expect(parseIntListValue('ids', ids.join(','), { min: 0, max: 4095 })).toEqual(ids);
      }),
    );
  });

  it('reject any list with an empty item, wherever it is (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 99 }).map(String), { maxLength: 6 }), fc.nat(), (items, at) => {
        const withHole = [...items];
        withHole.splice(at % (items.length + 1), 0, '');
        expect(rejection(() => parseIntListValue('ids', withHole.join(','), { min: 0, max: 99 }))).not.toBeNull();
      }),
    );
  });

  it('names the flag and the bad item', () => {
    expect(rejection(() => parseIntListValue('ids', '1,,2', { min: 0, max: 9 }))!.message).toBe('--ids: item 2 is empty in "1,,2"');
    expect(rejection(() => parseIntListValue('ids', '1,x', { min: 0, max: 9 }))!.message).toBe('--ids: item 2 ("x") is not an integer from 0 to 9');
    expect(rejection(() => parseListValue('keywords', ','))!.message).toBe('--keywords: item 1 is empty in ","');
    expect(rejection(() => parseListValue('keywords', ''))!.message).toBe('--keywords must list at least one item, got ""');
    expect(parseListValue('keywords', 'sea, ship')).toEqual(['sea', 'ship']);
  });
});

describe('word flags', () => {
  it('compare whole words, never object keys', () => {
    expect(rejection(() => choiceFlag('ties', 'toString', 'half', ['half', 'davidson', 'rao-kupper'] as const))!.message).toMatch(/^--ties must be one of half, davidson, rao-kupper, got "toString"$/);
    expect(rejection(() => choiceFlag('pair-selection', 'constructor', 'random', ['random', 'uncertain'] as const))!.message).toMatch(/^--pair-selection must be random or uncertain/);
    expect(choiceFlag('ties', 'davidson', 'half', ['half', 'davidson'] as const)).toBe('davidson');
    expect(rejection(() => onOffFlag('relabel-guard', '', false))!.message).toMatch(/^--relabel-guard must be on or off/);
    expect(rejection(() => textFlag('model', ''))!.message).toBe('--model must not be empty');
  });
});
