import { describe, it, expect } from 'vitest';
import { rateCommand } from '../../src/cli/commands/rate.ts';
import { simulateBattles, simulatedBattleObjects, toArenaJsonl } from '../../src/engine/ratings/index.ts';

function memoryIO(files: Record<string, string>) {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: {
      stdout: (s: string) => void out.push(s),
      stderr: (s: string) => void err.push(s),
      readFile: async (p: string) => {
        if (!(p in files)) throw new Error(`ENOENT: ${p}`);
        return files[p]!;
      },
    },
    out: () => out.join(''),
    err: () => err.join(''),
  };
}

interface RateJson {
  ratings: { name: string; rating: number; ci: [number, number]; rank: number }[];
  battles: number;
  ties: number;
  bothbad: number;
  ciMethod: string;
}

const theta = [0.3, 0.1, 0, -0.15, -0.25];
const names = ['alpha', 'beta', 'gamma', 'delta', 'epsilon'];
const jsonl = toArenaJsonl(
  simulatedBattleObjects(simulateBattles(theta, { battles: 2000, seed: 3, tieModel: 'davidson', tieParameter: 0.5, bothBadShare: 0.3 }), names),
);

describe('duelbook rate', () => {
  it('prints Arena-style JSON sorted by rating, with ties and both-bad counted separately', async () => {
    const m = memoryIO({ 'b.jsonl': jsonl });
    const code = await rateCommand(['--input', 'b.jsonl', '--json'], m.io);
    expect(code).toBe(0);
    const res = JSON.parse(m.out()) as RateJson;
    expect(res.battles).toBe(2000);
    expect(res.ties).toBeGreaterThan(0);
    expect(res.bothbad).toBeGreaterThan(0);
    expect(res.ties + res.bothbad).toBeLessThan(2000);
    expect(res.ciMethod).toBe('sandwich');
    expect(res.ratings.map((r) => r.name)[0]).toBe('alpha');
    const ratings = res.ratings.map((r) => r.rating);
    expect([...ratings].sort((a, b) => b - a)).toEqual(ratings);
    // Mean-centred at 1000 without an anchor.
    expect(ratings.reduce((s, r) => s + r, 0) / ratings.length).toBeCloseTo(1000, 2);
    for (const r of res.ratings) {
      expect(r.ci[0]).toBeLessThan(r.rating);
      expect(r.ci[1]).toBeGreaterThan(r.rating);
      expect(Object.keys(r)).toEqual(expect.arrayContaining(['name', 'rating', 'ci', 'rank']));
    }
    expect(res.ratings[0]!.rank).toBe(1);
  });

  it('seeded bootstrap: same seed same output, anchor pins a rating, tie models switch', async () => {
    const run = async (...args: string[]) => {
      const m = memoryIO({ 'b.jsonl': jsonl });
      expect(await rateCommand(['--input', 'b.jsonl', '--json', ...args], m.io)).toBe(0);
      return JSON.parse(m.out()) as RateJson;
    };
    const a = await run('--bootstrap', '50', '--seed', '9', '--ties', 'davidson', '--anchor', 'gamma=1114');
    const b = await run('--bootstrap', '50', '--seed', '9', '--ties', 'davidson', '--anchor', 'gamma=1114');
    expect(a).toEqual(b);
    expect(a.ciMethod).toBe('bootstrap');
    expect(a.ratings.find((r) => r.name === 'gamma')!.rating).toBeCloseTo(1114, 3);
    const c = await run('--bootstrap', '50', '--seed', '10', '--ties', 'davidson', '--anchor', 'gamma=1114');
    expect(c.ratings.map((r) => r.ci)).not.toEqual(a.ratings.map((r) => r.ci));
    const rk = await run('--ties', 'rao-kupper');
    expect(rk.ratings.map((r) => r.rating)).not.toEqual((await run()).ratings.map((r) => r.rating));
  });

  it('reports malformed lines with their numbers and fails unless --skip-invalid', async () => {
    const bad =
      '{"model_a": "x", "model_b": "y", "winner": "model_a"}\n' +
      '{"model_a": "x", "model_b": "y", "winner": "model_c"}\n' +
      '\n' +
      '{oops}\n' +
      '{"model_a": "y", "model_b": "x", "winner": "tie (bothbad)"}\n' +
      '{"model_a": "y", "model_b": "x", "winner": "model_a"}\n';
    const m = memoryIO({ 'bad.jsonl': bad });
    expect(await rateCommand(['--input', 'bad.jsonl', '--json'], m.io)).toBe(1);
    expect(m.out()).toBe('');
    const lines = m.err().trim().split('\n');
    expect(lines[0]).toMatch(/^line 2: .*winner/);
    expect(lines[1]).toMatch(/^line 4: invalid JSON/);
    expect(m.err()).toMatch(/2 invalid lines/);

    const skip = memoryIO({ 'bad.jsonl': bad });
    expect(await rateCommand(['--input', 'bad.jsonl', '--json', '--skip-invalid'], skip.io)).toBe(0);
    const res = JSON.parse(skip.out()) as RateJson;
    expect(res.battles).toBe(3);
    expect(res.bothbad).toBe(1);
    expect(res.ties).toBe(0);
    expect(skip.err()).toMatch(/^line 2: /);
  });

  it('usage errors exit 2 with a message', async () => {
    for (const args of [[], ['--input', 'b.jsonl', '--ties', 'coinflip'], ['--input', 'b.jsonl', '--anchor', 'gamma'], ['--input', 'b.jsonl', '--bootstrap', '-3'], ['--input', 'b.jsonl', '--anchor', 'nobody=1000'], ['--bogus']]) {
      const m = memoryIO({ 'b.jsonl': jsonl });
      expect(await rateCommand(args, m.io)).toBe(2);
      expect(m.err()).toMatch(/duelbook rate: /);
    }
    const missing = memoryIO({});
    expect(await rateCommand(['--input', 'none.jsonl'], missing.io)).toBe(1);
    expect(missing.err()).toMatch(/cannot read none.jsonl/);
  });

  it('prints a readable table without --json', async () => {
    const m = memoryIO({ 'b.jsonl': jsonl });
    expect(await rateCommand(['--input', 'b.jsonl'], m.io)).toBe(0);
    expect(m.out()).toMatch(/rank\s+model\s+rating/);
    expect(m.out()).toMatch(/2000 battles/);
  });
});
