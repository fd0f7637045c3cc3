/**
 * Each annotator against the crowd without them, and against items with known answers.
 *
 * Leave-one-out consensus: on every item an annotator labelled, the consensus is the most
 * frequent label among the *other* annotators' labels (the annotator's own vote is left out,
 * or a lone dissenter on a two-person item would agree with themself). Items where the others
 * split evenly between their top labels have no consensus and are counted, not compared.
 * Reported per annotator: the share of compared items that match, and the nominal α of the two
 * "coders" annotator and consensus on those items (chance-corrected, so an annotator who always
 * says "tie" in a crowd that mostly says "tie" does not look reliable).
 *
 * Gold items: items with a known label. Accuracy = matches / gold items answered; an annotator
 * is flagged when they answered at least `minItems` gold items and their accuracy is below
 * `threshold` (defaults 3 and 0.7: conventions to adjust per task, not measured values).
 */
import { alphaOfItems } from './alpha.ts';
import type { AgreementLabel, ItemId, ReliabilityData } from './reliability_data.ts';

export interface AnnotatorConsensus {
  annotator: string;
  /** Labels this annotator gave. */
  labels: number;
  /** Items compared with a leave-one-out consensus. */
  compared: number;
  /** Items where the others tied between labels (no consensus). */
  noConsensus: number;
  /** Share of compared items that match the consensus; null when nothing was compared. */
  agreement: number | null;
  /** Nominal α of annotator vs consensus on the compared items; null with a reason when undefined. */
  alpha: number | null;
  alphaReason?: string;
}

export function leaveOneOutConsensus(data: ReliabilityData): AnnotatorConsensus[] {
  const A = data.annotators.length;
  const V = data.labels.length;
  const labelsGiven = new Float64Array(A);
  const compared = new Float64Array(A);
  const agreed = new Float64Array(A);
  const noConsensus = new Float64Array(A);
  // Per annotator, the (own label, consensus label) of each compared item, flattened.
  const compareds: number[][] = Array.from({ length: A }, () => []);
  const count = new Float64Array(V);
  const touched: number[] = [];
  const { itemOffsets, annotatorOf, labelOf } = data;
  for (let u = 0; u + 1 < itemOffsets.length; u++) {
    const from = itemOffsets[u]!;
    const to = itemOffsets[u + 1]!;
    touched.length = 0;
    for (let j = from; j < to; j++) {
      const c = labelOf[j]!;
      if (count[c] === 0) touched.push(c);
      count[c]!++;
      labelsGiven[annotatorOf[j]!]!++;
    }
    if (to - from >= 2) {
      for (let j = from; j < to; j++) {
        const own = labelOf[j]!;
        const who = annotatorOf[j]!;
        let best = -1;
        let bestCount = 0;
        let tied = false;
        for (const c of touched) {
          const n = count[c]! - (c === own ? 1 : 0);
          if (n > bestCount) {
            best = c;
            bestCount = n;
            tied = false;
          } else if (n === bestCount && n > 0) tied = true;
        }
        if (tied) {
          noConsensus[who]!++;
          continue;
        }
        compared[who]!++;
        if (best === own) agreed[who]!++;
        compareds[who]!.push(own, best);
      }
    }
    for (const c of touched) count[c] = 0;
  }
  return data.annotators.map((annotator, a) => {
    const row: AnnotatorConsensus = {
      annotator,
      labels: labelsGiven[a]!,
      compared: compared[a]!,
      noConsensus: noConsensus[a]!,
      agreement: compared[a]! > 0 ? agreed[a]! / compared[a]! : null,
      alpha: null,
    };
    // Each compared item is a two-value unit (own label, consensus label).
    const pairs = compareds[a]!;
    const units = pairs.length / 2;
    const start = new Int32Array(units + 1);
    const category: number[] = [];
    const count: number[] = [];
    for (let i = 0; i < units; i++) {
      const own = pairs[2 * i]!;
      const consensus = pairs[2 * i + 1]!;
      if (own === consensus) {
        category.push(own);
        count.push(2);
      } else {
        category.push(own, consensus);
        count.push(1, 1);
      }
      start[i + 1] = category.length;
    }
    const r = alphaOfItems(
      { categories: V, start, category: Int32Array.from(category), count: Float64Array.from(count), values: new Int32Array(units).fill(2) },
      'nominal',
    );
    row.alpha = r.alpha;
    if (r.reason) row.alphaReason = r.reason;
    return row;
  });
}

export interface GoldOptions {
  /** Flag below this accuracy (default 0.7). */
  threshold?: number;
  /** Flag only annotators who answered at least this many gold items (default 3). */
  minItems?: number;
}

export interface AnnotatorGold {
  annotator: string;
  goldItems: number;
  correct: number;
  accuracy: number | null;
  flagged: boolean;
}

export interface GoldReport {
  threshold: number;
  minItems: number;
  /** Gold items that some annotator labelled. */
  goldItemsUsed: number;
  /** Gold items no annotator labelled (an id typo in the gold file shows up here). */
  goldItemsUnused: number;
  annotators: AnnotatorGold[];
}

export function goldAccuracy(data: ReliabilityData, gold: ReadonlyMap<ItemId, AgreementLabel>, options: GoldOptions = {}): GoldReport {
  const threshold = options.threshold ?? 0.7;
  const minItems = options.minItems ?? 3;
  const A = data.annotators.length;
  const answered = new Float64Array(A);
  const correct = new Float64Array(A);
  let used = 0;
  const { itemOffsets, annotatorOf, labelOf } = data;
  data.items.forEach((item, u) => {
    if (!gold.has(item)) return;
    used++;
    const answer = gold.get(item);
    for (let j = itemOffsets[u]!; j < itemOffsets[u + 1]!; j++) {
      answered[annotatorOf[j]!]!++;
      // Same value and same type: the label 1 is not the label "1" (see reliability_data.ts).
      if (data.labels[labelOf[j]!] === answer) correct[annotatorOf[j]!]!++;
    }
  });
  return {
    threshold,
    minItems,
    goldItemsUsed: used,
    goldItemsUnused: gold.size - used,
    annotators: data.annotators.map((annotator, a) => {
      const accuracy = answered[a]! > 0 ? correct[a]! / answered[a]! : null;
      return { annotator, goldItems: answered[a]!, correct: correct[a]!, accuracy, flagged: accuracy !== null && answered[a]! >= minItems && accuracy < threshold };
    }),
  };
}
