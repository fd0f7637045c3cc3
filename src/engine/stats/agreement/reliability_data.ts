/**
 * Reliability data in a compact form: who gave which label to which item, as integer codes
 * grouped by item. Built once in one pass; every agreement statistic (Krippendorff's α, Cohen's
 * κ, leave-one-out consensus, gold accuracy) reads these arrays instead of the records.
 *
 * Items, annotators and labels are kept as the values people wrote: the item `1` and the item
 * `"1"` are two items, the label `2` and the label `"2"` two labels (a Map compares them as
 * different keys), because a JSON file that mixes them means two things.
 */

export type AgreementLabel = string | number;
export type ItemId = string | number;

export interface Annotation {
  item: ItemId;
  annotator: string;
  label: AgreementLabel;
}

export interface ReliabilityData {
  /** Distinct items in first-seen order; `itemOffsets[u]..itemOffsets[u+1]` index its labels. */
  items: ItemId[];
  annotators: string[];
  /** Distinct labels in first-seen order; a label's code is its index here. */
  labels: AgreementLabel[];
  /** Length items + 1: CSR offsets into `annotatorOf` / `labelOf`, grouped by item. */
  itemOffsets: Int32Array;
  annotatorOf: Int32Array;
  labelOf: Int32Array;
}

/**
 * Groups annotations by item. Throws when one annotator labelled one item twice: the callers
 * decide which one counts (the CLI reports the line and keeps the first with --skip-invalid).
 */
export function buildReliabilityData(annotations: readonly Annotation[]): ReliabilityData {
  const itemIndex = new Map<ItemId, number>();
  const annotatorIndex = new Map<string, number>();
  const labelIndex = new Map<AgreementLabel, number>();
  const items: ItemId[] = [];
  const annotators: string[] = [];
  const labels: AgreementLabel[] = [];
  const n = annotations.length;
  const itemOfRecord = new Int32Array(n);
  const annotatorOfRecord = new Int32Array(n);
  const labelOfRecord = new Int32Array(n);
  const code = <K>(map: Map<K, number>, list: K[], key: K): number => {
    let c = map.get(key);
    if (c === undefined) {
      c = list.length;
      map.set(key, c);
      list.push(key);
    }
    return c;
  };
  for (let r = 0; r < n; r++) {
    const a = annotations[r]!;
    itemOfRecord[r] = code(itemIndex, items, a.item);
    annotatorOfRecord[r] = code(annotatorIndex, annotators, a.annotator);
    labelOfRecord[r] = code(labelIndex, labels, a.label);
  }
  // Counting sort by item keeps the records of one item together, in input order.
  const itemOffsets = new Int32Array(items.length + 1);
  for (let r = 0; r < n; r++) itemOffsets[itemOfRecord[r]! + 1]!++;
  for (let u = 0; u < items.length; u++) itemOffsets[u + 1]! += itemOffsets[u]!;
  const cursor = itemOffsets.slice(0, items.length);
  const annotatorOf = new Int32Array(n);
  const labelOf = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    const at = cursor[itemOfRecord[r]!]!++;
    annotatorOf[at] = annotatorOfRecord[r]!;
    labelOf[at] = labelOfRecord[r]!;
  }
  // Duplicate (item, annotator) pairs: a per-annotator stamp of the last item seen.
  const lastItem = new Int32Array(annotators.length).fill(-1);
  for (let u = 0; u < items.length; u++) {
    for (let j = itemOffsets[u]!; j < itemOffsets[u + 1]!; j++) {
      const c = annotatorOf[j]!;
      if (lastItem[c] === u) {
        throw new Error(`annotator ${JSON.stringify(annotators[c])} labelled item ${JSON.stringify(items[u])} more than once`);
      }
      lastItem[c] = u;
    }
  }
  return { items, annotators, labels, itemOffsets, annotatorOf, labelOf };
}
