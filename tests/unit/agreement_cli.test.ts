import { describe, it, expect } from 'vitest';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { agreementCommand } from '../../src/cli/commands/agreement.ts';
import { main } from '../../src/cli/main.ts';

/**
 * Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C (4 observers ×
 * 12 units, unit 12 coded by one observer only): α_nominal = .743, α_ordinal = .815,
 * α_interval = .849. The fixture holds that table as one JSONL line per value.
 */
const KRIPPENDORFF_FIXTURE = fileURLToPath(new URL('../fixtures/agreement/krippendorff_2011_c.jsonl', import.meta.url));

function memoryIO(files: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: {
      stdout: (s: string) => void out.push(s),
      stderr: (s: string) => void err.push(s),
      readFile: async (p: string) => (Object.hasOwn(files, p) ? files[p]! : readFile(p, 'utf8')),
      isTTY: false,
    },
    out: () => out.join(''),
    err: () => err.join(''),
  };
}

const line = (item: string | number, annotator: string, label: string | number) => JSON.stringify({ item, annotator, label }) + '\n';

describe('duelbook agreement, end to end', () => {
  it("prints Krippendorff's α of the paper's example through the command line entry point", async () => {
    const m = memoryIO();
    expect(await main(['agreement', '--input', KRIPPENDORFF_FIXTURE, '--json'], m.io)).toBe(0);
    expect(m.err()).toBe('');
    const res = JSON.parse(m.out());
    expect(res.alpha).toBeCloseTo(0.743, 3);
    expect(res.ordinal.alpha).toBeCloseTo(0.815, 3);
    expect(res.interval.alpha).toBeCloseTo(0.849, 3);
    expect(res).toMatchObject({ items: 12, pairableItems: 11, pairableValues: 40, annotators: 4, annotations: 41, skipped: 0, labelKind: 'numeric', ci: null });
    expect(res.ordinal.scale).toEqual([1, 2, 3, 4, 5]);
    // Cohen's κ for A and B on their 9 shared units: p_o = 8/9, p_e = 23/81, κ = 49/58.
    expect(res.kappa).toHaveLength(6);
    expect(res.kappa[0]).toMatchObject({ pair: ['A', 'B'], items: 9 });
    expect(res.kappa[0].kappa).toBeCloseTo(49 / 58, 12);
    expect(res.perAnnotator.map((p: { annotator: string }) => p.annotator)).toEqual(['A', 'B', 'C', 'D']);
    expect(res.gold).toBeNull();
  });

  it('prints a readable table with the same α', async () => {
    const m = memoryIO();
    expect(await agreementCommand(['--input', KRIPPENDORFF_FIXTURE], m.io)).toBe(0);
    expect(m.out()).toMatch(/^Krippendorff's α, nominal: 0\.7434\n/);
    expect(m.out()).toMatch(/Krippendorff's α, ordinal \(1 < 2 < 3 < 4 < 5\): 0\.8154\n/);
    expect(m.out()).toMatch(/12 items \(11 with labels from two or more annotators, 40 pairable labels\), 4 annotators, 41 labels\n/);
  });

  it('adds a seeded bootstrap interval that replays exactly', async () => {
    const run = async (seed: string) => {
      const m = memoryIO();
      expect(await agreementCommand(['--input', KRIPPENDORFF_FIXTURE, '--json', '--bootstrap', '300', '--seed', seed], m.io)).toBe(0);
      return JSON.parse(m.out());
    };
    const a = await run('5');
    expect(a.bootstrap).toMatchObject({ rounds: 300, seed: 5, level: 0.95, method: 'item-bootstrap' });
    expect(a.ci[0]).toBeLessThan(a.alpha);
    expect(a.ci[1]).toBeGreaterThanOrEqual(a.alpha);
    expect((await run('5')).ci).toEqual(a.ci);
    expect((await run('6')).ci).not.toEqual(a.ci);
  });

  it('reports the ordinal α over the pair labels, bothbad counted as tie', async () => {
    const text = line(1, 'x', 'a') + line(1, 'y', 'a') + line(2, 'x', 'b') + line(2, 'y', 'b') + line(3, 'x', 'tie') + line(3, 'y', 'bothbad') + line(4, 'x', 'a') + line(4, 'y', 'tie');
    const m = memoryIO({ 'p.jsonl': text });
    expect(await agreementCommand(['--input', 'p.jsonl', '--json'], m.io)).toBe(0);
    const res = JSON.parse(m.out());
    expect(res.labelKind).toBe('pair');
    expect(res.ordinal.scale).toEqual(['b', 'tie', 'a']);
    expect(res.ordinal.alpha).toBeGreaterThan(res.alpha);
    expect(res.interval).toBeNull();
  });
});

describe('duelbook agreement: strict input', () => {
  const valid = line(1, 'x', 'a') + line(1, 'y', 'b') + line(2, 'x', 'a') + line(2, 'y', 'a');

  it('a malformed line is a one-line error naming its number, and nothing is printed', async () => {
    const m = memoryIO({ 'l.jsonl': valid + '{"item": 3, "annotator": "x"}\n' + 'not json\n' });
    expect(await agreementCommand(['--input', 'l.jsonl', '--json'], m.io)).toBe(1);
    expect(m.out()).toBe('');
    expect(m.err()).toMatch(/^line 5: missing "label"\nline 6: invalid JSON \([^\n]*\)\nduelbook agreement: 2 invalid lines \(use --skip-invalid to use the rest\)\n$/);
  });

  it('--skip-invalid uses the rest and counts the skipped lines, in JSON and in the table', async () => {
    const text = valid + line(1, 'x', 'b') + '{"item": 3}\n';
    const m = memoryIO({ 'l.jsonl': text });
    expect(await agreementCommand(['--input', 'l.jsonl', '--json', '--skip-invalid'], m.io)).toBe(0);
    const res = JSON.parse(m.out());
    expect(res.skipped).toBe(2);
    expect(res.annotations).toBe(4);
    expect(m.err()).toMatch(/^line 5: annotator "x" already labelled item 1 on line 1\nline 6: missing "annotator"\n$/);
    const t = memoryIO({ 'l.jsonl': text });
    expect(await agreementCommand(['--input', 'l.jsonl', '--skip-invalid'], t.io)).toBe(0);
    expect(t.out()).toMatch(/; 2 invalid lines skipped\n/);
  });

  it('prints null α with the reason when every pairable label is the same', async () => {
    const m = memoryIO({ 'l.jsonl': line(1, 'x', 'tie') + line(1, 'y', 'tie') + line(2, 'z', 'a') });
    expect(await agreementCommand(['--input', 'l.jsonl', '--json'], m.io)).toBe(0);
    const res = JSON.parse(m.out());
    expect(res.alpha).toBeNull();
    expect(res.alphaReason).toMatch(/expected disagreement is 0/);
    const t = memoryIO({ 'l.jsonl': line(1, 'x', 'tie') + line(2, 'y', 'tie') });
    expect(await agreementCommand(['--input', 'l.jsonl'], t.io)).toBe(0);
    expect(t.out()).toMatch(/^Krippendorff's α, nominal: undefined \(no pairable values: no item has labels from two or more annotators\)\n/);
  });

  it('escapes terminal control characters in annotator names in the table and the JSON', async () => {
    const evil = '\u001b[2J\u202eevil';
    const m = memoryIO({ 'l.jsonl': line(1, evil, 'a') + line(1, 'y', 'a') + line(2, evil, 'b') + line(2, 'y', 'a') });
    expect(await agreementCommand(['--input', 'l.jsonl'], m.io)).toBe(0);
    expect(m.out()).not.toMatch(/[\u001b\u202e]/);
    expect(m.out()).toContain('\\x1b[2J\\u202eevil');
    const j = memoryIO({ 'l.jsonl': line(1, evil, 'a') + line(1, 'y', 'a') });
    expect(await agreementCommand(['--input', 'l.jsonl', '--json'], j.io)).toBe(0);
    expect(j.out()).not.toMatch(/[\u001b\u202e]/);
    expect(JSON.parse(j.out()).perAnnotator[0].annotator).toBe(evil);
  });

  it('rejects bad flags with one line naming the flag', async () => {
    const cases: [string[], RegExp][] = [
      [[], /^duelbook agreement: --input is required\n$/],
      [['--input', 'l.jsonl', '--bootstrap=-1'], /^duelbook agreement: --bootstrap must be an integer from 0 to 100000, got -1\n$/],
      [['--input', 'l.jsonl', '--bootstrap', '1e3'], /--bootstrap must be an integer/],
      [['--input', 'l.jsonl', '--seed', ''], /--seed must not be empty/],
      [['--input', 'l.jsonl', '--level', '1'], /--level must be a number in \(0, 1\)/],
      [['--input', 'l.jsonl', '--gold-threshold', '0.5'], /--gold-threshold and --gold-min need --gold/],
      [['--input', 'l.jsonl', '--gold', 'g.jsonl', '--gold-threshold', '2'], /--gold-threshold must be a number in \[0, 1\]/],
      [['--input', 'l.jsonl', '--frobnicate'], /Unknown option '--frobnicate'/],
    ];
    for (const [argv, message] of cases) {
      const m = memoryIO({ 'l.jsonl': valid });
      expect(await agreementCommand(argv, m.io), argv.join(' ')).toBe(2);
      expect(m.err(), argv.join(' ')).toMatch(message);
      expect(m.out()).toBe('');
    }
  });

  it('an unreadable input is one line naming the file', async () => {
    const m = memoryIO();
    expect(await agreementCommand(['--input', '/nonexistent/labels.jsonl'], m.io)).toBe(1);
    expect(m.err()).toMatch(/^duelbook agreement: cannot read \/nonexistent\/labels\.jsonl: [^\n]*\n$/);
  });
});

describe('duelbook agreement --gold', () => {
  const labels = [0, 1, 2, 3, 4].map((i) => line(`g${i}`, 'careful', 'a') + line(`g${i}`, 'careless', i < 2 ? 'a' : 'b')).join('');
  const gold = [0, 1, 2, 3, 4].map((i) => JSON.stringify({ item: `g${i}`, label: 'a' }) + '\n').join('');

  it('flags the careless annotator in JSON and in the table', async () => {
    const m = memoryIO({ 'l.jsonl': labels, 'g.jsonl': gold });
    expect(await agreementCommand(['--input', 'l.jsonl', '--gold', 'g.jsonl', '--json'], m.io)).toBe(0);
    const res = JSON.parse(m.out());
    expect(res.gold).toEqual({ threshold: 0.7, minItems: 3, itemsUsed: 5, itemsUnused: 0, flagged: ['careless'] });
    expect(res.perAnnotator[1]).toMatchObject({ annotator: 'careless', goldItems: 5, goldCorrect: 2, goldAccuracy: 0.4, flagged: true });
    const t = memoryIO({ 'l.jsonl': labels, 'g.jsonl': gold });
    expect(await agreementCommand(['--input', 'l.jsonl', '--gold', 'g.jsonl', '--gold-threshold', '0.3'], t.io)).toBe(0);
    expect(t.out()).not.toMatch(/below threshold/);
    expect(t.out()).toMatch(/flagged below 0\.3 accuracy after at least 3 gold items: 0\n$/);
  });

  it('an invalid gold file fails, naming the file and the line', async () => {
    const m = memoryIO({ 'l.jsonl': labels, 'g.jsonl': gold + '{"item": "g9"}\n' });
    expect(await agreementCommand(['--input', 'l.jsonl', '--gold', 'g.jsonl', '--skip-invalid'], m.io)).toBe(1);
    expect(m.err()).toBe('g.jsonl: line 6: missing "label"\nduelbook agreement: 1 invalid line in --gold g.jsonl\n');
    expect(m.out()).toBe('');
  });
});
