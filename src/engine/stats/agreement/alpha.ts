/**
 * Krippendorff's α as the coincidence matrix defines it (Krippendorff, "Computing Krippendorff's
 * Alpha-Reliability", 2011), computed from its sums (see `PairableItems`):
 *
 *   o_ck = Σ_u (number of c–k pairs of values in item u) / (m_u − 1)
 *   α    = 1 − (n − 1) · Σ_ck o_ck δ²_ck / Σ_ck n_c n_k δ²_ck,   n_c = Σ_k o_ck, n = Σ_c n_c
 *
 * Only pairable values count: an item labelled by a single annotator has m_u = 1 and adds
 * nothing (its value has no one to agree or disagree with). One pass over the items gathers what
 * α needs, O(labels on the item) each.
 *
 * α is undefined, and returned as null with the reason, when no item has two values (n = 0) or
 * when the expected disagreement is 0 (every pairable value is the same label): 0/0 is neither
 * perfect agreement nor NaN.
 */
import { Rng, type RngSeed } from '../../rng.ts';
import { quantile } from '../win_rate.ts';
import type { AgreementLabel, ReliabilityData } from './reliability_data.ts';

/**
 * δ²_ck. nominal: 1 for any two different labels; ordinal: (Σ_{g=c..k} n_g − (n_c + n_k)/2)², the
 * pairable values ranked between them; interval: (c − k)² for numbers.
 */
export type AlphaMetric = 'nominal' | 'ordinal' | 'interval';

/**
 * How labels become α's categories. `category[labelCode]` is the category index (−1 drops the
 * label: it is treated as missing). For the ordinal metric the index is the rank (0 lowest);
 * `value` gives each category's number for the interval metric.
 */
export interface CategoryScheme {
  categories: number;
  category: Int32Array;
  value?: Float64Array;
}

export interface AlphaResult {
  /** null when α is undefined; `reason` says why. */
  alpha: number | null;
  reason?: string;
  metric: AlphaMetric;
  /** Items with values from two or more annotators (the only ones α uses). */
  pairableItems: number;
  /** n: the number of pairable values. */
  pairableValues: number;
  observedDisagreement: number | null;
  expectedDisagreement: number | null;
}

/** Every label its own category, in first-seen order (the nominal scheme). */
export function nominalScheme(data: ReliabilityData): CategoryScheme {
  const category = new Int32Array(data.labels.length);
  for (let c = 0; c < category.length; c++) category[c] = c;
  return { categories: data.labels.length, category };
}

/**
 * An ordered scale: `scale[0]` lowest. `alias` maps a label onto a scale point (the pair label
 * "bothbad" counted as "tie"). A label that is neither on the scale nor aliased is an error:
 * dropping it silently would change α.
 */
export function ordinalScheme(
  data: ReliabilityData,
  scale: readonly AgreementLabel[],
  alias: ReadonlyMap<AgreementLabel, AgreementLabel> = new Map(),
): CategoryScheme {
  const rankOf = new Map<AgreementLabel, number>();
  scale.forEach((label, rank) => rankOf.set(label, rank));
  const category = new Int32Array(data.labels.length);
  data.labels.forEach((label, code) => {
    const rank = rankOf.get(label) ?? rankOf.get(alias.get(label) as AgreementLabel);
    if (rank === undefined) throw new Error(`label ${JSON.stringify(label)} is not on the ordinal scale ${JSON.stringify(scale)}`);
    category[code] = rank;
  });
  const value = new Float64Array(scale.length);
  for (let r = 0; r < scale.length; r++) value[r] = r;
  return { categories: scale.length, category, value };
}

/** Numeric labels as themselves, sorted ascending (ordinal ranks and interval values both). */
export function numericScheme(data: ReliabilityData): CategoryScheme {
  const numbers = data.labels.map((label) => {
    if (typeof label !== 'number') throw new Error(`label ${JSON.stringify(label)} is not a number`);
    return label;
  });
  const sorted = [...new Set(numbers)].sort((x, y) => x - y);
  const rankOf = new Map(sorted.map((v, r) => [v, r]));
  const category = new Int32Array(numbers.length);
  numbers.forEach((v, code) => (category[code] = rankOf.get(v)!));
  return { categories: sorted.length, category, value: Float64Array.from(sorted) };
}

/**
 * The pairable items as sparse rows of label counts: item i has `count[e]` values in category
 * `category[e]` for e in `start[i]..start[i+1]`, `values[i]` = m_i ≥ 2 in all. α needs nothing
 * more: the coincidence matrix's margins are n_c = Σ_i n_ic, and item i's observed disagreement
 * Σ_ck o^i_ck δ²_ck is (m_i² − Σ_c n_ic²)/(m_i − 1) for the nominal metric and
 * 2 m_i Σ_c n_ic (x_c − x̄_i)² / (m_i − 1) when δ²_ck = (x_c − x_k)². Nothing is V×V, so
 * numeric labels may have as many distinct values as there are lines, and a bootstrap round
 * costs one pass over these rows.
 */
export interface PairableItems {
  categories: number;
  start: Int32Array;
  category: Int32Array;
  count: Float64Array;
  values: Int32Array;
}

export function pairableItems(data: ReliabilityData, scheme: CategoryScheme): PairableItems {
  const V = scheme.categories;
  const tally = new Float64Array(V);
  const touched: number[] = [];
  const start: number[] = [0];
  const category: number[] = [];
  const count: number[] = [];
  const values: number[] = [];
  const { itemOffsets, labelOf } = data;
  for (let u = 0; u + 1 < itemOffsets.length; u++) {
    let m = 0;
    touched.length = 0;
    for (let j = itemOffsets[u]!; j < itemOffsets[u + 1]!; j++) {
      const c = scheme.category[labelOf[j]!]!;
      if (c < 0) continue;
      if (tally[c] === 0) touched.push(c);
      tally[c]!++;
      m++;
    }
    // A value no one else gave to its item has no partner: not pairable, left out.
    if (m >= 2) {
      for (const c of touched) {
        category.push(c);
        count.push(tally[c]!);
      }
      start.push(category.length);
      values.push(m);
    }
    for (const c of touched) tally[c] = 0;
  }
  return { categories: V, start: Int32Array.from(start), category: Int32Array.from(category), count: Float64Array.from(count), values: Int32Array.from(values) };
}

/** The dense V×V coincidence matrix (row-major), to inspect small examples; α itself never builds it. */
export function coincidenceMatrix(items: PairableItems): Float64Array {
  const V = items.categories;
  if (V > 4096) throw new Error(`coincidenceMatrix: ${V} categories is too many for a dense matrix`);
  const o = new Float64Array(V * V);
  for (let i = 0; i < items.values.length; i++) {
    const m = items.values[i]!;
    for (let e = items.start[i]!; e < items.start[i + 1]!; e++) {
      for (let f = items.start[i]!; f < items.start[i + 1]!; f++) {
        const nc = items.count[e]!;
        const pairs = e === f ? nc * (nc - 1) : nc * items.count[f]!;
        o[items.category[e]! * V + items.category[f]!]! += pairs / (m - 1);
      }
    }
  }
  return o;
}

/** Σ_ck o^i_ck δ²_ck of item i: nominal when `position` is null, (x_c − x_k)² otherwise. */
function itemDisagreement(items: PairableItems, i: number, position: Float64Array | null): number {
  const m = items.values[i]!;
  const from = items.start[i]!;
  const to = items.start[i + 1]!;
  if (position === null) {
    let squares = 0;
    for (let e = from; e < to; e++) squares += items.count[e]! * items.count[e]!;
    return (m * m - squares) / (m - 1);
  }
  let mean = 0;
  for (let e = from; e < to; e++) mean += items.count[e]! * position[items.category[e]!]!;
  mean /= m;
  let spread = 0;
  for (let e = from; e < to; e++) spread += items.count[e]! * (position[items.category[e]!]! - mean) ** 2;
  return (2 * m * spread) / (m - 1);
}

export type AlphaCore = Pick<AlphaResult, 'alpha' | 'reason' | 'observedDisagreement' | 'expectedDisagreement'> & { n: number };

/**
 * α of the items, each counted `times[i]` times (once by default), in O(rows + V). Ordinal
 * δ_ck = Σ_{g=c..k} n_g − (n_c + n_k)/2 equals |x_c − x_k| with x_g = Σ_{h<g} n_h + n_g/2 (the
 * category's mid position among the sorted pairable values), so ordinal is the interval metric
 * on x; and Σ_ck n_c n_k (x_c − x_k)² = 2n Σ_c n_c (x_c − x̄)².
 */
export function alphaOfItems(
  items: PairableItems,
  metric: AlphaMetric,
  value?: Float64Array,
  times?: ArrayLike<number>,
  /** Each item's observed disagreement, when the positions do not depend on the margins (not ordinal). */
  within?: Float64Array,
): AlphaCore {
  const V = items.categories;
  const N = items.values.length;
  const marginals = new Float64Array(V);
  let n = 0;
  for (let i = 0; i < N; i++) {
    const t = times ? times[i]! : 1;
    if (t === 0) continue;
    for (let e = items.start[i]!; e < items.start[i + 1]!; e++) marginals[items.category[e]!]! += t * items.count[e]!;
    n += t * items.values[i]!;
  }
  if (n === 0) {
    return { alpha: null, reason: 'no pairable values: no item has labels from two or more annotators', observedDisagreement: null, expectedDisagreement: null, n: 0 };
  }
  // Exactly when one category holds every pairable value (distinct categories differ under every
  // metric); testing the expected disagreement > 0 would let rounding pass for disagreement.
  let used = 0;
  for (let c = 0; c < V && used < 2; c++) if (marginals[c]! > 0) used++;
  if (used < 2) {
    return { alpha: null, reason: 'expected disagreement is 0: every pairable value is the same label', observedDisagreement: 0, expectedDisagreement: 0, n };
  }
  let position: Float64Array | null = null;
  if (metric === 'ordinal') {
    position = new Float64Array(V);
    let below = 0;
    for (let g = 0; g < V; g++) {
      position[g] = below + marginals[g]! / 2;
      below += marginals[g]!;
    }
  } else if (metric === 'interval') {
    if (!value) throw new Error('interval α needs numeric categories');
    position = value;
  }
  let observed = 0;
  for (let i = 0; i < N; i++) {
    const t = times ? times[i]! : 1;
    if (t !== 0) observed += t * (within ? within[i]! : itemDisagreement(items, i, position));
  }
  let expected: number;
  if (position === null) {
    let squares = 0;
    for (let c = 0; c < V; c++) squares += marginals[c]! * marginals[c]!;
    expected = n * n - squares;
  } else {
    let mean = 0;
    for (let c = 0; c < V; c++) mean += marginals[c]! * position[c]!;
    mean /= n;
    let spread = 0;
    for (let c = 0; c < V; c++) spread += marginals[c]! * (position[c]! - mean) ** 2;
    expected = 2 * n * spread;
  }
  const Do = observed / n;
  const De = expected / (n * (n - 1));
  return { alpha: 1 - Do / De, observedDisagreement: Do, expectedDisagreement: De, n };
}

/** Krippendorff's α of `data` under `metric`, with the categories from `scheme` (nominal by default). */
export function krippendorffAlpha(data: ReliabilityData, metric: AlphaMetric = 'nominal', scheme?: CategoryScheme): AlphaResult {
  const s = scheme ?? (metric === 'nominal' ? nominalScheme(data) : numericScheme(data));
  const items = pairableItems(data, s);
  const r = alphaOfItems(items, metric, s.value);
  const result: AlphaResult = {
    alpha: r.alpha,
    metric,
    pairableItems: items.values.length,
    pairableValues: Math.round(r.n),
    observedDisagreement: r.observedDisagreement,
    expectedDisagreement: r.expectedDisagreement,
  };
  if (r.reason) result.reason = r.reason;
  return result;
}

export interface AlphaInterval {
  /** Percentile interval; null when fewer than 2 replicates had a defined α. */
  ci: [number, number] | null;
  level: number;
  rounds: number;
  /** Replicates whose α was undefined (e.g. a resample where every value is one label); left out of the interval. */
  undefinedRounds: number;
  method: 'item-bootstrap';
}

/**
 * Item-level percentile bootstrap of α: resample the pairable items with replacement (each
 * keeps all its labels), recompute α from the resampled items, take the (1 ± level)/2
 * quantiles. This is not Hayes & Krippendorff's (2007) bootstrap, which resamples pairs of
 * values from the coincidences; resampling items treats the prompts as the sample drawn from a
 * population, which is the question a crowd session asks. Seeded from `src/engine/rng.ts`.
 */
export function alphaBootstrap(
  data: ReliabilityData,
  options: { metric?: AlphaMetric; scheme?: CategoryScheme; rounds: number; seed: RngSeed; level?: number },
): AlphaInterval {
  const metric = options.metric ?? 'nominal';
  const level = options.level ?? 0.95;
  const s = options.scheme ?? (metric === 'nominal' ? nominalScheme(data) : numericScheme(data));
  const items = pairableItems(data, s);
  const N = items.values.length;
  if (N === 0) return { ci: null, level, rounds: options.rounds, undefinedRounds: options.rounds, method: 'item-bootstrap' };
  const rng = new Rng(options.seed).fork('agreement-alpha-bootstrap');
  const times = new Float64Array(N);
  // Nominal and interval disagreement within an item does not change with the resample: once.
  let within: Float64Array | undefined;
  if (metric !== 'ordinal') {
    if (metric === 'interval' && !s.value) throw new Error('interval α needs numeric categories');
    within = new Float64Array(N);
    for (let i = 0; i < N; i++) within[i] = itemDisagreement(items, i, metric === 'interval' ? s.value! : null);
  }
  const alphas: number[] = [];
  let undefinedRounds = 0;
  for (let b = 0; b < options.rounds; b++) {
    times.fill(0);
    for (let i = 0; i < N; i++) times[rng.int(N)]!++;
    const r = alphaOfItems(items, metric, s.value, times, within);
    if (r.alpha === null) undefinedRounds++;
    else alphas.push(r.alpha);
  }
  alphas.sort((x, y) => x - y);
  const tail = (1 - level) / 2;
  const ci: [number, number] | null = alphas.length >= 2 ? [quantile(alphas, tail), quantile(alphas, 1 - tail)] : null;
  return { ci, level, rounds: options.rounds, undefinedRounds, method: 'item-bootstrap' };
}
