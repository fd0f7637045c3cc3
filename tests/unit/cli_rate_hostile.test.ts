import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { rateCommand } from '../../src/cli/commands/rate.ts';
import {
  aggregateBattles,
  aggregateIndexedBattles,
  arenaRanks,
  bradleyTerryCovariance,
  diagonalSandwichRatingSE,
  fitBradleyTerry,
  parseArenaBattle,
  simulateBattles,
  simulatedBattleObjects,
  toArenaJsonl,
  type Battle,
} from '../../src/engine/ratings/index.ts';
import { Rng } from '../../src/engine/rng.ts';

function memoryIO(files: Record<string, string>, isTTY = false) {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: {
      stdout: (s: string) => void out.push(s),
      stderr: (s: string) => void err.push(s),
      readFile: async (p: string) => {
        if (!Object.hasOwn(files, p)) throw new Error(`ENOENT: ${p}`);
        return files[p]!;
      },
      isTTY,
    },
    out: () => out.join(''),
    err: () => err.join(''),
  };
}

const line = (a: string, b: string, winner: string) => JSON.stringify({ model_a: a, model_b: b, winner }) + '\n';
const valid = line('x', 'y', 'model_a') + line('y', 'x', 'model_a') + line('x', 'y', 'tie');

describe('rate: winners are checked as own properties', () => {
  it('a winner named after an Object.prototype member is an invalid line, not a win', async () => {
    for (const winner of ['toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf']) {
      expect(parseArenaBattle({ model_a: 'x', model_b: 'y', winner })).toMatch(/"winner" must be one of/);
      const m = memoryIO({ 'b.jsonl': valid + line('x', 'y', winner) });
      expect(await rateCommand(['--input', 'b.jsonl', '--json'], m.io), winner).toBe(1);
      expect(m.out()).toBe('');
      expect(m.err()).toMatch(/^line 4: "winner" must be one of/);
      expect(m.err()).toMatch(/duelbook rate: 1 invalid line, the first line 4 \(use --skip-invalid/);
    }
  });

  it('aggregateBattles refuses an outcome that is only an inherited name (battles from other importers)', () => {
    const bogus = { modelA: 'x', modelB: 'y', outcome: 'toString' } as unknown as Battle;
    expect(() => aggregateBattles([bogus])).toThrow(/unknown outcome "toString"/);
  });

  it('--skip-invalid rates the rest and counts what it skipped, in JSON and in the table', async () => {
    const text = valid + line('x', 'y', 'toString') + line('x', 'y', 'model_c');
    const m = memoryIO({ 'b.jsonl': text });
    expect(await rateCommand(['--input', 'b.jsonl', '--json', '--skip-invalid'], m.io)).toBe(0);
    const res = JSON.parse(m.out());
    expect(res.battles).toBe(3);
    expect(res.skipped).toBe(2);
    const t = memoryIO({ 'b.jsonl': text });
    expect(await rateCommand(['--input', 'b.jsonl', '--skip-invalid'], t.io)).toBe(0);
    expect(t.out()).toMatch(/; 2 invalid lines skipped\n$/);
  });
});

describe('rate: names with control characters', () => {
  const evil = 'evil\u001b]0;pwned\u0007\u001b[2J\u009b31m\u202egnp.exe\u2028x\u007f';
  const text = line(evil, 'plain', 'model_a') + line('plain', evil, 'tie') + line(evil, 'plain', 'model_b') + line('plain', evil, 'model_b');

  it('the table shows escapes, never the raw characters', async () => {
    const m = memoryIO({ 'b.jsonl': text });
    expect(await rateCommand(['--input', 'b.jsonl'], m.io)).toBe(0);
    // eslint-disable-next-line no-control-regex
    expect(m.out()).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e]/);
    expect(m.out()).toContain('evil\\x1b]0;pwned\\x07\\x1b[2J\\x9b31m\\u202egnp.exe\\u2028x\\x7f');
    // Rows stay aligned: every table row has the same length up to the battles column.
    const rows = m.out().split('\n').slice(1, 3);
    expect(rows[0]!.lastIndexOf(']')).toBe(rows[1]!.lastIndexOf(']'));
  });

  it('JSON stays valid, parses back to the exact name, and carries no raw C1 or bidi characters', async () => {
    const m = memoryIO({ 'b.jsonl': text });
    expect(await rateCommand(['--input', 'b.jsonl', '--json'], m.io)).toBe(0);
    expect(m.out()).not.toMatch(/[\u007f-\u009f\u2028\u2029\u202e]/);
    const res = JSON.parse(m.out());
    expect(res.ratings.map((r: { name: string }) => r.name).sort()).toEqual([evil, 'plain'].sort());
  });

  it('error lines that quote a name or value escape it too', async () => {
    const m = memoryIO({ 'b.jsonl': text });
    expect(await rateCommand(['--input', 'b.jsonl', '--anchor', `${evil}x=1000`], m.io)).toBe(2);
    expect(m.err()).not.toMatch(/[\u001b\u009b\u202e]/);
    expect(m.err().trim().split('\n')).toHaveLength(1);
  });
});

describe('rate: every flag parsed strictly', () => {
  const cases: [string[], RegExp][] = [
    [['--bootstrap', ''], /--bootstrap must be an integer/],
    [['--bootstrap', '1e2'], /--bootstrap must be an integer/],
    [['--bootstrap', '99999999999999999999'], /--bootstrap must be an integer/],
    [['--level', ''], /--level must be a number in \(0, 1\)/],
    [['--seed', ''], /--seed must not be empty/],
    [['--seed', '99999999999999999999'], /--seed must be an integer/],
    [['--anchor', 'x=abc'], /--anchor must be a number/],
    [['--anchor', 'x='], /--anchor must be NAME=RATING/],
    [['--anchor', 'x=1e400'], /--anchor must be a number/],
    [['--ties', 'toString'], /--ties must be one of half, davidson, rao-kupper/],
    [['--input', ''], /--input must not be empty/],
  ];
  it.each(cases)('%j is a one-line usage error naming the flag', async (args, message) => {
    const m = memoryIO({ 'b.jsonl': valid, '': valid });
    const argv = args[0] === '--input' ? args : ['--input', 'b.jsonl', ...args];
    expect(await rateCommand(argv, m.io)).toBe(2);
    expect(m.err()).toMatch(message);
    expect(m.err().trim().split('\n')).toHaveLength(1);
  });

  it('valid values still work as before', async () => {
    const m = memoryIO({ 'b.jsonl': valid });
    expect(await rateCommand(['--input', 'b.jsonl', '--json', '--bootstrap', '5', '--seed', 'abc', '--level', '0.9', '--anchor', 'x=1100'], m.io)).toBe(0);
    const res = JSON.parse(m.out());
    expect(res.seed).toBe('abc');
    expect(res.ratings.find((r: { name: string }) => r.name === 'x').rating).toBeCloseTo(1100, 6);
  });
});

describe('rate: large leaderboards', () => {
  // 600 competitors is past the exact sandwich's limit (500) and still quick to fit.
  const n = 600;
  const rng = new Rng(31);
  const theta = Array.from({ length: n }, () => 0.3 * rng.normal());
  const names = theta.map((_, k) => `m${k}`);
  const sim = simulateBattles(theta, { battles: 60_000, seed: 4 });

  it('uses the O(pairs) diagonal sandwich above 500 competitors and says so in ciMethod', async () => {
    const m = memoryIO({ 'b.jsonl': toArenaJsonl(simulatedBattleObjects(sim, names)) });
    const t0 = performance.now();
    expect(await rateCommand(['--input', 'b.jsonl', '--json'], m.io)).toBe(0);
    const seconds = (performance.now() - t0) / 1000;
    const res = JSON.parse(m.out());
    expect(res.ciMethod).toBe('sandwich-diagonal');
    expect(res.ratings).toHaveLength(n);
    for (const r of res.ratings) expect(r.ci[1] - r.ci[0]).toBeGreaterThan(0);
    // The exact dense sandwich alone took 39 s at 1,000 competitors (scripts/rate/runs/compare_intervals.json).
    expect(seconds).toBeLessThan(20);
  });

  it('the diagonal sandwich is within 3% of the exact one where both run', () => {
    const counts = aggregateIndexedBattles(names, sim.modelA, sim.modelB, sim.outcome);
    for (const anchor of [undefined, { name: 'm7', rating: 1100 }]) {
      const fit = fitBradleyTerry(counts, { ties: 'half', anchor });
      const exact = bradleyTerryCovariance(counts, fit).ratingSE.sandwich;
      const approx = diagonalSandwichRatingSE(counts, fit);
      for (let k = 0; k < n; k++) {
        if (anchor && names[k] === anchor.name) expect(approx[k]).toBe(0);
        else expect(Math.abs(approx[k]! / exact[k]! - 1)).toBeLessThan(0.03);
      }
    }
  });

  it('reports progress on stderr when stderr is a terminal', async () => {
    const m = memoryIO({ 'b.jsonl': valid }, true);
    expect(await rateCommand(['--input', 'b.jsonl', '--json'], m.io)).toBe(0);
    expect(m.err()).toMatch(/^rate: reading b\.jsonl/);
    expect(m.err()).toMatch(/rate: fitting Bradley–Terry/);
    expect(m.err()).toMatch(/rate: done/);
  });

  it('arenaRanks (sorted, O(n log n)) equals the pairwise definition (property)', () => {
    const bound = fc.oneof(fc.integer({ min: -5, max: 5 }), fc.constant(Number.NaN));
    fc.assert(
      fc.property(fc.array(fc.tuple(bound, bound), { maxLength: 30 }), (pairs) => {
        const lower = pairs.map((p) => p[0]);
        const upper = pairs.map((p) => p[1]);
        const expected = lower.map((_, i) => 1 + lower.filter((l, j) => j !== i && l > upper[i]!).length);
        expect(Array.from(arenaRanks(lower, upper))).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });
});
