import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  agreementReport,
  alphaBootstrap,
  buildReliabilityData,
  coincidenceMatrix,
  goldAccuracy,
  pairableItems,
  krippendorffAlpha,
  leaveOneOutConsensus,
  numericScheme,
  ordinalScheme,
  pairwiseKappa,
  parseAnnotationJsonl,
  parseGoldJsonl,
  PAIR_LABEL_ALIASES,
  PAIR_LABEL_SCALE,
  type AgreementLabel,
  type Annotation,
} from '../../src/engine/stats/index.ts';
import { Rng } from '../../src/engine/rng.ts';

/** Reliability data in its canonical form, one row per coder, null where a coder gave no value. */
function fromRows(coders: readonly string[], rows: readonly (readonly (AgreementLabel | null)[])[]): Annotation[] {
  const out: Annotation[] = [];
  rows.forEach((row, c) =>
    row.forEach((label, u) => {
      if (label !== null) out.push({ item: u + 1, annotator: coders[c]!, label });
    }),
  );
  return out;
}

/**
 * Krippendorff, K. (2011). "Computing Krippendorff's Alpha-Reliability". Annenberg School for
 * Communication, Departmental Papers 43 (https://repository.upenn.edu/asc_papers/43), the worked
 * example "C. Nominal data, any number of observers, missing data": 4 observers × 12 units; unit
 * 12 has a single value (observer B's 3), so it is not pairable; n = 40 pairable values. The paper
 * gives α_nominal = .743 there and, for the same data, α_ordinal = .815 and α_interval = .849 in
 * the metric sections that follow. The paper text could not be opened when this was written (the
 * section letter is from the paper's layout as remembered); the values are cross-checked: the
 * same data is asserted at ordinal .815 (and ratio .797) in pln-fing-udelar/fast-krippendorff,
 * tests/test_krippendorff.py (test_ordinal_metric), and the test below rebuilds the paper's
 * coincidence matrix cell by cell.
 */
const KRIPPENDORFF_2011_C = fromRows(
  ['A', 'B', 'C', 'D'],
  [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, null, null, null],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, null, 3],
    [null, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, null],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, null],
  ],
);

/**
 * Wikipedia, "Krippendorff's alpha", section "A computational example" (3 coders × 15 units):
 * unit 1 was coded only by B and units 2 and 14 by no one, so only 12 units are pairable;
 * α_nominal = 0.691 there. The interval value 0.810845 for the same data is asserted in
 * pln-fing-udelar/fast-krippendorff, tests/test_krippendorff.py (test_interval_metric).
 */
const WIKIPEDIA_EXAMPLE = fromRows(
  ['A', 'B', 'C'],
  [
    [null, null, null, null, null, 3, 4, 1, 2, 1, 1, 3, 3, null, 3],
    [1, null, 2, 1, 3, 3, 4, 3, null, null, null, null, null, null, null],
    [null, null, 2, 1, 3, 4, 4, null, 2, 1, 1, 3, 3, null, 4],
  ],
);

describe("Krippendorff's α: golden values", () => {
  it('reproduces Krippendorff (2011) section C: nominal .743, ordinal .815, interval .849, n = 40', () => {
    const data = buildReliabilityData(KRIPPENDORFF_2011_C);
    const nominal = krippendorffAlpha(data, 'nominal');
    expect(nominal.alpha).toBeCloseTo(0.743, 3);
    expect(nominal.pairableValues).toBe(40);
    expect(nominal.pairableItems).toBe(11);
    expect(krippendorffAlpha(data, 'ordinal').alpha).toBeCloseTo(0.815, 3);
    expect(krippendorffAlpha(data, 'interval').alpha).toBeCloseTo(0.849, 3);
  });

  it("builds the paper's coincidence matrix for that data (rows sum to n_c = 9, 13, 10, 5, 3)", () => {
    // Krippendorff (2011), section C, the coincidence matrix of values 1..5 (in thirds).
    const thirds = [
      [21, 4, 1, 1, 0],
      [4, 30, 4, 1, 0],
      [1, 4, 24, 1, 0],
      [1, 1, 1, 12, 0],
      [0, 0, 0, 0, 9],
    ];
    const data = buildReliabilityData(KRIPPENDORFF_2011_C);
    const o = coincidenceMatrix(pairableItems(data, numericScheme(data)));
    thirds.flat().forEach((t, cell) => expect(o[cell], `cell ${cell}`).toBeCloseTo(t / 3, 12));
  });

  it('reproduces the Wikipedia example with units coded by one coder or none: nominal 0.691, interval 0.8108', () => {
    const data = buildReliabilityData(WIKIPEDIA_EXAMPLE);
    const nominal = krippendorffAlpha(data, 'nominal');
    expect(nominal.alpha).toBeCloseTo(0.691358, 6);
    expect(nominal.pairableItems).toBe(12);
    expect(krippendorffAlpha(data, 'interval').alpha).toBeCloseTo(0.810845, 6);
  });

  it('leaves values that have no partner out: extra single-coder units, even with new labels, change nothing', () => {
    const base = krippendorffAlpha(buildReliabilityData(KRIPPENDORFF_2011_C), 'nominal');
    const lonely: Annotation[] = [
      { item: 'only-A', annotator: 'A', label: 9 },
      { item: 'only-B', annotator: 'B', label: 1 },
      { item: 'only-C', annotator: 'C', label: 5 },
    ];
    for (const metric of ['nominal', 'ordinal', 'interval'] as const) {
      const more = krippendorffAlpha(buildReliabilityData([...KRIPPENDORFF_2011_C, ...lonely]), metric);
      expect(more.alpha, metric).toBeCloseTo(krippendorffAlpha(buildReliabilityData(KRIPPENDORFF_2011_C), metric).alpha!, 12);
      expect(more.pairableValues).toBe(base.pairableValues);
    }
  });
});

describe('α is undefined, not NaN or 1, where 0/0', () => {
  it('no item with two values: null with a reason', () => {
    const r = krippendorffAlpha(buildReliabilityData([
      { item: 1, annotator: 'x', label: 'a' },
      { item: 2, annotator: 'y', label: 'b' },
    ]));
    expect(r.alpha).toBeNull();
    expect(r.reason).toMatch(/no pairable values/);
    expect(r.pairableItems).toBe(0);
  });

  it('one label used throughout: expected disagreement 0, null with a reason', () => {
    // Item 3's "a" has no partner (z alone labelled it), so every pairable value is "tie".
    const same = fromRows(['x', 'y', 'z'], [['tie', 'tie', null], ['tie', 'tie', null], ['tie', null, 'a']]);
    const r = krippendorffAlpha(buildReliabilityData(same));
    expect(r.alpha).toBeNull();
    expect(r.reason).toMatch(/expected disagreement is 0/);
    expect(r.observedDisagreement).toBe(0);
  });

  it('the bootstrap reports a null interval when no item is pairable', () => {
    const data = buildReliabilityData([{ item: 1, annotator: 'x', label: 'a' }]);
    expect(alphaBootstrap(data, { rounds: 50, seed: 1 }).ci).toBeNull();
  });
});

describe("Cohen's κ for each pair", () => {
  /** Two readers' yes/no answers from a 2×2 table: [yes-yes, A yes B no, A no B yes, no-no]. */
  function twoReaders(table: [number, number, number, number]): Annotation[] {
    const cells: [string, string][] = [['yes', 'yes'], ['yes', 'no'], ['no', 'yes'], ['no', 'no']];
    const out: Annotation[] = [];
    let item = 0;
    cells.forEach(([a, b], k) => {
      for (let i = 0; i < table[k]!; i++, item++) {
        out.push({ item, annotator: 'A', label: a }, { item, annotator: 'B', label: b });
      }
    });
    return out;
  }

  it('reproduces the Wikipedia "Cohen\'s kappa" examples: κ = 0.4, 0.1304, 0.2593', () => {
    // Wikipedia, "Cohen's kappa", section "Examples": 50 grant proposals, 20 yes–yes, 5 A-yes/B-no,
    // 10 A-no/B-yes, 15 no–no → p_o = 0.7, p_e = 0.5, κ = 0.4; and the two tables with the same
    // p_o = 0.6 but κ = 0.1304 (45, 15, 25, 15) and κ = 0.2593 (25, 35, 5, 35).
    const cases: [[number, number, number, number], number, number][] = [
      [[20, 5, 10, 15], 0.4, 0.7],
      [[45, 15, 25, 15], 0.1304, 0.6],
      [[25, 35, 5, 35], 0.2593, 0.6],
    ];
    for (const [table, kappa, po] of cases) {
      const { pairs } = pairwiseKappa(buildReliabilityData(twoReaders(table)));
      expect(pairs).toHaveLength(1);
      expect(pairs[0]!.kappa).toBeCloseTo(kappa, 4);
      expect(pairs[0]!.agreement).toBeCloseTo(po, 12);
    }
  });

  it('uses only the items both labelled, and counts pairs that share none', () => {
    const data = buildReliabilityData([
      ...twoReaders([20, 5, 10, 15]),
      // C only meets A, on items A's κ with B does not see; D meets no one.
      { item: 'c1', annotator: 'A', label: 'yes' },
      { item: 'c1', annotator: 'C', label: 'yes' },
      { item: 'c2', annotator: 'A', label: 'no' },
      { item: 'c2', annotator: 'C', label: 'yes' },
      { item: 'd1', annotator: 'D', label: 'no' },
    ]);
    const { pairs, pairsWithoutSharedItems } = pairwiseKappa(data);
    expect(pairs.map((p) => `${p.a}-${p.b}:${p.items}`)).toEqual(['A-B:50', 'A-C:2']);
    expect(pairs[0]!.kappa).toBeCloseTo(0.4, 12);
    expect(pairsWithoutSharedItems).toBe(6 - 2);
  });

  it('is null with a reason when both used one and the same label', () => {
    const { pairs } = pairwiseKappa(buildReliabilityData(twoReaders([7, 0, 0, 0])));
    expect(pairs[0]!.kappa).toBeNull();
    expect(pairs[0]!.reason).toMatch(/expected agreement is 1/);
    expect(pairs[0]!.agreement).toBe(1);
  });

  it('annotators named after Object.prototype members are ordinary annotators', () => {
    const names = ['__proto__', 'constructor', 'toString'];
    const anns: Annotation[] = [];
    for (let i = 0; i < 6; i++) for (const n of names) anns.push({ item: i, annotator: n, label: i % 2 === 0 ? 'a' : 'b' });
    const data = buildReliabilityData(anns);
    expect(data.annotators).toEqual(names);
    const { pairs } = pairwiseKappa(data);
    expect(pairs.map((p) => p.kappa)).toEqual([1, 1, 1]);
  });
});

describe('ordinal α over the pair labels', () => {
  it('equals the numeric ordinal α with b = 0, tie = bothbad = 1, a = 2', () => {
    const rng = new Rng('agreement-ordinal');
    const labels = ['a', 'b', 'tie', 'bothbad'];
    const anns: Annotation[] = [];
    for (let item = 0; item < 60; item++) {
      for (const who of ['p', 'q', 'r']) if (rng.next() < 0.85) anns.push({ item, annotator: who, label: labels[rng.int(4)]! });
    }
    const numbers: Record<string, number> = { b: 0, tie: 1, bothbad: 1, a: 2 };
    const asNumbers = anns.map((x) => ({ ...x, label: numbers[x.label as string]! }));
    const pairData = buildReliabilityData(anns);
    const viaScale = krippendorffAlpha(pairData, 'ordinal', ordinalScheme(pairData, PAIR_LABEL_SCALE, PAIR_LABEL_ALIASES));
    const viaNumbers = krippendorffAlpha(buildReliabilityData(asNumbers), 'ordinal');
    expect(viaScale.alpha).not.toBeNull();
    expect(viaScale.alpha).toBeCloseTo(viaNumbers.alpha!, 12);
  });

  it('counts A against B as a larger disagreement than A against tie, where nominal α does not', () => {
    const agreeing = (n: number): Annotation[] =>
      Array.from({ length: n }, (_, i) => [
        { item: i, annotator: 'x', label: ['a', 'b', 'tie'][i % 3]! },
        { item: i, annotator: 'y', label: ['a', 'b', 'tie'][i % 3]! },
      ]).flat();
    const withDisagreement = (other: string) => [...agreeing(30), { item: 'd', annotator: 'x', label: 'a' }, { item: 'd', annotator: 'y', label: other }];
    const report = (other: string) => agreementReport(withDisagreement(other));
    expect(report('b').nominal.alpha).toBeCloseTo(report('tie').nominal.alpha!, 12);
    expect(report('b').ordinal!.alpha!).toBeLessThan(report('tie').ordinal!.alpha!);
    expect(report('b').labelKind).toBe('pair');
  });

  it('reports no ordinal α for labels with no order, and says why', () => {
    const r = agreementReport(fromRows(['x', 'y'], [['red', 'blue'], ['red', 'green']]));
    expect(r.ordinal).toBeNull();
    expect(r.ordinalReason).toMatch(/neither all numbers nor the pair labels/);
    expect(r.interval).toBeNull();
  });
});

describe('item bootstrap of α', () => {
  it('is reproducible from the seed, and its interval holds α', () => {
    const data = buildReliabilityData(KRIPPENDORFF_2011_C);
    const a = alphaBootstrap(data, { rounds: 400, seed: 11 });
    const b = alphaBootstrap(data, { rounds: 400, seed: 11 });
    const c = alphaBootstrap(data, { rounds: 400, seed: 12 });
    expect(a).toEqual(b);
    expect(c.ci).not.toEqual(a.ci);
    const alpha = krippendorffAlpha(data).alpha!;
    expect(a.ci![0]).toBeLessThan(alpha);
    expect(a.ci![1]).toBeGreaterThanOrEqual(alpha);
    expect(a.method).toBe('item-bootstrap');
  });

  it('covers the α of the population the items were drawn from about 95% of the time', () => {
    // 40 simulated crowds of 4 annotators × 150 items from one population (each annotator copies
    // the item's true label with probability 0.6, else picks one of 3 labels at random); the
    // population α is estimated from one large draw. A percentile item bootstrap should cover it
    // in most crowds; 40 trials make 30/40 a loose lower bound (P(X ≤ 30 | p = 0.95) < 0.001).
    const crowd = (seed: string, items: number): Annotation[] => {
      const rng = new Rng(seed);
      const out: Annotation[] = [];
      for (let i = 0; i < items; i++) {
        const truth = rng.int(3);
        for (const who of ['p', 'q', 'r', 's']) out.push({ item: i, annotator: who, label: rng.next() < 0.6 ? truth : rng.int(3) });
      }
      return out;
    };
    const population = krippendorffAlpha(buildReliabilityData(crowd('population', 20_000))).alpha!;
    let covered = 0;
    for (let t = 0; t < 40; t++) {
      const ci = alphaBootstrap(buildReliabilityData(crowd(`crowd-${t}`, 150)), { rounds: 200, seed: t }).ci!;
      if (ci[0] <= population && population <= ci[1]) covered++;
    }
    expect(covered).toBeGreaterThanOrEqual(30);
  });
});

describe('leave-one-out consensus and gold items', () => {
  it("compares each annotator with the others' majority, never with their own vote", () => {
    const anns = fromRows(
      ['p', 'q', 's', 'r'],
      [
        ['a', 'a', 'b', 'tie'],
        ['a', 'a', 'b', 'b'],
        ['a', 'a', 'b', null],
        ['b', 'b', 'a', null],
      ],
    );
    // Item 4 has p = tie, q = b: on a two-person item the other's label is the consensus, so
    // both disagree with it (counting their own vote would make one of them agree).
    const rows = leaveOneOutConsensus(buildReliabilityData(anns));
    const byName = Object.fromEntries(rows.map((r) => [r.annotator, r]));
    expect(byName.p).toMatchObject({ labels: 4, compared: 4, noConsensus: 0, agreement: 3 / 4 });
    expect(byName.q).toMatchObject({ labels: 4, compared: 4, noConsensus: 0, agreement: 3 / 4 });
    expect(byName.s).toMatchObject({ labels: 3, compared: 3, agreement: 1 });
    // r always dissents from a unanimous rest.
    expect(byName.r).toMatchObject({ labels: 3, compared: 3, agreement: 0 });
    expect(byName.r!.alpha).toBeLessThan(0);
  });

  it('skips items where the others tie, and counts them', () => {
    const anns = fromRows(['p', 'q', 'r'], [['a'], ['b'], ['a']]);
    const rows = leaveOneOutConsensus(buildReliabilityData(anns));
    // For r the others are p = a and q = b: no consensus. For p, the others are b and a: none either.
    expect(rows.map((r) => [r.annotator, r.compared, r.noConsensus])).toEqual([
      ['p', 0, 1],
      ['q', 1, 0],
      ['r', 0, 1],
    ]);
    expect(rows[0]!.agreement).toBeNull();
    expect(rows[0]!.alpha).toBeNull();
  });

  it('flags an annotator whose gold accuracy is below the threshold after enough gold items', () => {
    const anns: Annotation[] = [];
    for (let i = 0; i < 5; i++) {
      anns.push({ item: `g${i}`, annotator: 'careful', label: 'a' });
      anns.push({ item: `g${i}`, annotator: 'careless', label: i < 2 ? 'a' : 'b' });
      if (i < 2) anns.push({ item: `g${i}`, annotator: 'newcomer', label: 'b' });
    }
    const gold = new Map<string | number, AgreementLabel>([...Array.from({ length: 5 }, (_, i) => [`g${i}`, 'a'] as [string, AgreementLabel]), ['never-seen', 'a']]);
    const report = goldAccuracy(buildReliabilityData(anns), gold, { threshold: 0.7, minItems: 3 });
    expect(report.goldItemsUsed).toBe(5);
    expect(report.goldItemsUnused).toBe(1);
    expect(report.annotators.map((g) => [g.annotator, g.correct, g.goldItems, g.flagged])).toEqual([
      ['careful', 5, 5, false],
      ['careless', 2, 5, true],
      // 0/2 correct, but fewer than minItems gold items answered: not flagged yet.
      ['newcomer', 0, 2, false],
    ]);
  });

  it('a gold label 1 does not match an answer "1"', () => {
    const data = buildReliabilityData([{ item: 1, annotator: 'x', label: '1' }, { item: 1, annotator: 'y', label: 1 }]);
    const report = goldAccuracy(data, new Map([[1, 1]]), { minItems: 1 });
    expect(report.annotators.map((g) => g.correct)).toEqual([0, 1]);
  });
});

describe('annotation JSONL', () => {
  it('names the line of every malformed record', () => {
    const text = [
      '{"item": 1, "annotator": "x", "label": "a"}',
      '',
      '{"item": 1, "annotator": "y", "label": "a"',
      '{"annotator": "y", "label": "a"}',
      '{"item": 2, "label": "a"}',
      '{"item": 2, "annotator": "x"}',
      '{"item": 2, "annotator": "x", "label": 1e400}',
      '{"item": {"id": 2}, "annotator": "x", "label": "a"}',
      '{"item": 2, "annotator": "", "label": "a"}',
      '{"item": 2, "annotator": "x", "label": ""}',
      '[1, 2, 3]',
      '{"item": 1, "annotator": "x", "label": "b"}',
      '{"item": "1", "annotator": "x", "label": "b"}',
    ].join('\n');
    const parsed = parseAnnotationJsonl(text);
    expect(parsed.errors.map((e) => e.line)).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(parsed.errors.map((e) => e.message)).toEqual([
      expect.stringMatching(/^invalid JSON/),
      'missing "item"',
      'missing "annotator"',
      'missing "label"',
      '"label" must be a finite number or a non-empty string',
      '"item" must be a string or a number',
      '"annotator" must be a non-empty string',
      '"label" must not be empty',
      'expected a JSON object',
      'annotator "x" already labelled item 1 on line 1',
    ]);
    // The item "1" is not the item 1.
    expect(parsed.annotations).toEqual([
      { item: 1, annotator: 'x', label: 'a' },
      { item: '1', annotator: 'x', label: 'b' },
    ]);
    expect(parsed.lines).toBe(12);
  });

  it('reads fields as own properties only, even with a polluted Object.prototype', () => {
    const proto = Object.prototype as Record<string, unknown>;
    proto.item = 'inherited';
    proto.label = 'inherited';
    try {
      const parsed = parseAnnotationJsonl('{"__proto__": {"item": 1}, "annotator": "x", "label": "a"}\n{"item": 2, "annotator": "x"}\n');
      expect(parsed.errors).toEqual([
        { line: 1, message: 'missing "item"' },
        { line: 2, message: 'missing "label"' },
      ]);
      expect(parseGoldJsonl('{"label": "a"}\n').errors).toEqual([{ line: 1, message: 'missing "item"' }]);
    } finally {
      delete proto.item;
      delete proto.label;
    }
  });

  it('gold JSONL: one label per item', () => {
    const parsed = parseGoldJsonl('{"item": 1, "label": "a"}\r\n{"item": 1, "label": "b"}\n{"item": 2}\n');
    expect(parsed.errors).toEqual([
      { line: 2, message: 'item 1 already has a gold label on line 1' },
      { line: 3, message: 'missing "label"' },
    ]);
    expect([...parsed.gold]).toEqual([[1, 'a']]);
  });
});

describe('α by its definition', () => {
  /** α straight from the paper's formulas: dense coincidence matrix, δ² for every cell. */
  function alphaByDefinition(annotations: Annotation[], metric: 'nominal' | 'ordinal' | 'interval'): number | null {
    const data = buildReliabilityData(annotations);
    const scheme = numericScheme(data);
    const V = scheme.categories;
    const o = coincidenceMatrix(pairableItems(data, scheme));
    const nc = Array.from({ length: V }, (_, c) => Array.from({ length: V }, (_, k) => o[c * V + k]!).reduce((x, y) => x + y, 0));
    const n = nc.reduce((x, y) => x + y, 0);
    const delta2 = (c: number, k: number): number => {
      if (metric === 'nominal') return c === k ? 0 : 1;
      if (metric === 'interval') return (scheme.value![c]! - scheme.value![k]!) ** 2;
      const [lo, hi] = c < k ? [c, k] : [k, c];
      let between = 0;
      for (let g = lo; g <= hi; g++) between += nc[g]!;
      return (between - (nc[c]! + nc[k]!) / 2) ** 2;
    };
    let observed = 0;
    let expected = 0;
    for (let c = 0; c < V; c++) {
      for (let k = 0; k < V; k++) {
        observed += o[c * V + k]! * delta2(c, k);
        expected += nc[c]! * nc[k]! * delta2(c, k);
      }
    }
    return expected === 0 ? null : 1 - ((n - 1) * observed) / expected;
  }

  it('matches the O(V²) formulas on random reliability data with missing values (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.option(fc.integer({ min: -3, max: 6 }), { nil: null }), { minLength: 4, maxLength: 4 }), { minLength: 1, maxLength: 25 }),
        (units) => {
          const annotations: Annotation[] = [];
          units.forEach((labels, u) => labels.forEach((label, c) => label !== null && annotations.push({ item: u, annotator: `c${c}`, label })));
          fc.pre(annotations.length > 0);
          const data = buildReliabilityData(annotations);
          for (const metric of ['nominal', 'ordinal', 'interval'] as const) {
            const fast = krippendorffAlpha(data, metric).alpha;
            const slow = alphaByDefinition(annotations, metric);
            if (slow === null || fast === null) expect(fast, metric).toBe(slow);
            else expect(fast, metric).toBeCloseTo(slow, 9);
          }
        },
      ),
      { numRuns: 300, seed: 14 },
    );
  });

  it('handles 100,000 numeric labels with 50,000 distinct values (no V×V matrix)', () => {
    const rng = new Rng('agreement-many-values');
    const annotations: Annotation[] = [];
    for (let item = 0; item < 20_000; item++) {
      const truth = rng.next() * 100;
      for (let k = 0; k < 5; k++) annotations.push({ item, annotator: `a${(item + 7 * k) % 50}`, label: Math.round((truth + rng.normal()) * 1e4) / 1e4 });
    }
    const started = performance.now();
    const report = agreementReport(annotations, { bootstrapRounds: 50, seed: 3 });
    const seconds = (performance.now() - started) / 1000;
    expect(report.labels.length).toBeGreaterThan(50_000);
    // Noise sd 1 on a spread of 100: interval α = 1 − 1/(1 + 100²/12) ≈ 0.9988.
    expect(report.interval!.alpha).toBeCloseTo(1 - 1 / (1 + 10_000 / 12), 3);
    expect(report.ordinal!.alpha).toBeGreaterThan(0.99);
    expect(report.nominalInterval!.ci).not.toBeNull();
    // Generous for a shared 2-core machine; the V×V version could not allocate at all.
    expect(seconds).toBeLessThan(30);
  }, 60_000);
});
