/**
 * Cohen's κ for every pair of annotators, on the items both labelled (Cohen, 1960):
 *
 *   κ = (p_o − p_e) / (1 − p_e),   p_e = Σ_c p_A(c) · p_B(c)
 *
 * with p_A, p_B each annotator's label shares on those shared items. One pass over the items
 * visits every pair of annotators on each item (Σ m_u² steps); pairs that share no item are only
 * counted, not listed, so 1,000 annotators who never meet do not print a million rows.
 */
import type { ReliabilityData } from './reliability_data.ts';

export interface PairKappa {
  a: string;
  b: string;
  /** Items both labelled. */
  items: number;
  /** Share of those items with the same label. */
  agreement: number;
  /** null when p_e = 1 (both used one and the same label throughout): 0/0. */
  kappa: number | null;
  reason?: string;
}

interface PairTally {
  first: number;
  second: number;
  items: number;
  agreed: number;
  firstLabels: Map<number, number>;
  secondLabels: Map<number, number>;
}

function bump(map: Map<number, number>, key: number): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

/** κ from the tallies of one pair; exported for the two-annotator tests. */
export function kappaFromCounts(items: number, agreed: number, first: ReadonlyMap<number, number>, second: ReadonlyMap<number, number>): { kappa: number | null; reason?: string } {
  if (items === 0) return { kappa: null, reason: 'no shared items' };
  const po = agreed / items;
  let pe = 0;
  for (const [label, count] of first) pe += (count / items) * ((second.get(label) ?? 0) / items);
  if (pe >= 1) return { kappa: null, reason: 'expected agreement is 1: both used one and the same label on every shared item' };
  return { kappa: (po - pe) / (1 - pe) };
}

/** κ for each pair of annotators that share at least one item, in annotator order. */
export function pairwiseKappa(data: ReliabilityData): { pairs: PairKappa[]; pairsWithoutSharedItems: number } {
  const A = data.annotators.length;
  const tallies = new Map<number, PairTally>();
  const { itemOffsets, annotatorOf, labelOf } = data;
  for (let u = 0; u + 1 < itemOffsets.length; u++) {
    const from = itemOffsets[u]!;
    const to = itemOffsets[u + 1]!;
    for (let x = from; x < to; x++) {
      for (let y = x + 1; y < to; y++) {
        // Keep the lower annotator index first so each unordered pair has one tally.
        const [i, j] = annotatorOf[x]! < annotatorOf[y]! ? [x, y] : [y, x];
        const key = annotatorOf[i]! * A + annotatorOf[j]!;
        let t = tallies.get(key);
        if (!t) {
          t = { first: annotatorOf[i]!, second: annotatorOf[j]!, items: 0, agreed: 0, firstLabels: new Map(), secondLabels: new Map() };
          tallies.set(key, t);
        }
        t.items++;
        if (labelOf[i] === labelOf[j]) t.agreed++;
        bump(t.firstLabels, labelOf[i]!);
        bump(t.secondLabels, labelOf[j]!);
      }
    }
  }
  const pairs: PairKappa[] = [...tallies.entries()]
    .sort((p, q) => p[0] - q[0])
    .map(([, t]) => {
      const k = kappaFromCounts(t.items, t.agreed, t.firstLabels, t.secondLabels);
      const row: PairKappa = { a: data.annotators[t.first]!, b: data.annotators[t.second]!, items: t.items, agreement: t.agreed / t.items, kappa: k.kappa };
      if (k.reason) row.reason = k.reason;
      return row;
    });
  return { pairs, pairsWithoutSharedItems: (A * (A - 1)) / 2 - pairs.length };
}
