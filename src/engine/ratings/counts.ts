/**
 * Aggregation of battles into counts, the step that makes every fit fast: a million battles
 * between 100 competitors collapse into at most 100·99 ordered cells, and every likelihood,
 * gradient, bootstrap resample and sandwich term is a sum over cells instead of battles.
 *
 * All structures are plain objects of typed arrays so they cross a worker boundary by
 * structured clone (or transfer) without conversion.
 */
import type { Battle, Outcome } from './battles';
import { PairIndex } from './pair_index';

/** Numeric outcome codes for the indexed (typed-array) battle path. */
export const OUTCOME_CODE: Readonly<Record<Outcome, number>> = { a: 0, b: 1, tie: 2, bothbad: 3 };

/**
 * Counts per *ordered* pair (who sat in position A, who in B). Position is kept so that
 * position bias can be measured; fits fold the two orders together (see `foldPairs`).
 * Counts are float64 so that soft (probabilistic) verdicts and resampled weights fit too.
 */
export interface BattleCounts {
  readonly names: readonly string[];
  /** Competitor index in position A / B for each cell (a ≠ b). */
  readonly cellA: Int32Array;
  readonly cellB: Int32Array;
  /** Battles in the cell won by A, won by B, tied, and judged both bad. */
  readonly winsA: Float64Array;
  readonly winsB: Float64Array;
  readonly ties: Float64Array;
  readonly bothBad: Float64Array;
}

/**
 * Counts per unordered pair i < j, the form every fit consumes. `ties` holds whatever the
 * fold was asked to treat as a tie (ties, plus both-bad unless excluded); `bothBad` is kept
 * separately too, for reporting.
 */
export interface PairTable {
  readonly n: number;
  readonly i: Int32Array;
  readonly j: Int32Array;
  /** i beat j. */
  readonly wins: Float64Array;
  /** j beat i. */
  readonly losses: Float64Array;
  /** Tied outcomes used by the fit (ties + both-bad when `bothBad: 'tie'`). */
  readonly ties: Float64Array;
  /** Both-bad outcomes (already included in `ties` when folded as ties). */
  readonly bothBad: Float64Array;
}

export interface BattleTotals {
  readonly battles: number;
  readonly winsA: number;
  readonly winsB: number;
  readonly ties: number;
  readonly bothBad: number;
}

/** How a fit uses "both bad": as a tie (Arena's choice) or not at all. */
export type BothBadPolicy = 'tie' | 'exclude';

/** Growable typed-array buffer of battle indices, used while names are still being discovered. */
class IndexBuffer {
  a = new Int32Array(1024);
  b = new Int32Array(1024);
  o = new Uint8Array(1024);
  length = 0;
  push(a: number, b: number, o: number): void {
    if (this.length === this.a.length) {
      const cap = this.length * 2;
      const na = new Int32Array(cap);
      na.set(this.a);
      const nb = new Int32Array(cap);
      nb.set(this.b);
      const no = new Uint8Array(cap);
      no.set(this.o);
      this.a = na;
      this.b = nb;
      this.o = no;
    }
    this.a[this.length] = a;
    this.b[this.length] = b;
    this.o[this.length] = o;
    this.length++;
  }
}

/**
 * Aggregate battles into ordered-pair counts. `names` fixes the competitor order (and may
 * list competitors with no battles); names not in it are appended in order of appearance.
 */
export function aggregateBattles(battles: Iterable<Battle>, opts: { names?: readonly string[] } = {}): BattleCounts {
  const names: string[] = [...(opts.names ?? [])];
  const index = new Map<string, number>();
  names.forEach((nm, k) => {
    if (index.has(nm)) throw new Error(`aggregateBattles: duplicate name "${nm}"`);
    index.set(nm, k);
  });
  const idOf = (nm: string): number => {
    let k = index.get(nm);
    if (k === undefined) {
      k = names.length;
      names.push(nm);
      index.set(nm, k);
    }
    return k;
  };
  const buf = new IndexBuffer();
  for (const bt of battles) {
    const a = idOf(bt.modelA);
    const b = idOf(bt.modelB);
    if (a === b) throw new Error(`aggregateBattles: "${bt.modelA}" battles itself`);
    // Battles may come from an imported file: an outcome such as "toString" is not a code.
    if (!Object.hasOwn(OUTCOME_CODE, bt.outcome)) throw new Error(`aggregateBattles: unknown outcome ${JSON.stringify(bt.outcome)}`);
    buf.push(a, b, OUTCOME_CODE[bt.outcome]);
  }
  return aggregateIndexedBattles(names, buf.a.subarray(0, buf.length), buf.b.subarray(0, buf.length), buf.o.subarray(0, buf.length));
}

/**
 * Aggregate battles given as parallel typed arrays of competitor indices and outcome codes
 * (`OUTCOME_CODE`). The fast path for simulations that never build battle objects.
 */
export function aggregateIndexedBattles(
  names: readonly string[],
  modelA: ArrayLike<number>,
  modelB: ArrayLike<number>,
  outcome: ArrayLike<number>,
): BattleCounts {
  const n = names.length;
  const m = modelA.length;
  if (modelB.length !== m || outcome.length !== m) throw new Error('aggregateIndexedBattles: arrays differ in length');
  // Dense cell lookup while n² is modest (100 competitors → 10⁴ entries); a hash table beyond.
  const dense = n <= 4096 ? new Int32Array(n * n).fill(-1) : null;
  const sparse = dense ? null : new PairIndex(Math.min(m, 1 << 22));
  const cellA: number[] = [];
  const cellB: number[] = [];
  let counts = new Float64Array(4 * 64);
  for (let t = 0; t < m; t++) {
    const a = modelA[t]!;
    const b = modelB[t]!;
    const o = outcome[t]!;
    if (!(a >= 0 && a < n && b >= 0 && b < n) || a === b) throw new Error(`aggregateIndexedBattles: bad pair (${a}, ${b}) at ${t}`);
    if (!(o >= 0 && o <= 3)) throw new Error(`aggregateIndexedBattles: bad outcome code ${o} at ${t}`);
    const key = a * n + b;
    let c = dense ? dense[key]! : sparse!.get(a, b);
    if (c < 0) {
      c = cellA.length;
      cellA.push(a);
      cellB.push(b);
      if (dense) dense[key] = c;
      else sparse!.set(a, b, c);
      if (4 * cellA.length > counts.length) {
        const grown = new Float64Array(counts.length * 2);
        grown.set(counts);
        counts = grown;
      }
    }
    counts[4 * c + o]! += 1;
  }
  const k = cellA.length;
  const winsA = new Float64Array(k);
  const winsB = new Float64Array(k);
  const ties = new Float64Array(k);
  const bothBad = new Float64Array(k);
  for (let c = 0; c < k; c++) {
    winsA[c] = counts[4 * c]!;
    winsB[c] = counts[4 * c + 1]!;
    ties[c] = counts[4 * c + 2]!;
    bothBad[c] = counts[4 * c + 3]!;
  }
  return { names: [...names], cellA: Int32Array.from(cellA), cellB: Int32Array.from(cellB), winsA, winsB, ties, bothBad };
}

/** Battle totals (both-bad counted separately from ties). */
export function battleTotals(counts: BattleCounts): BattleTotals {
  let winsA = 0;
  let winsB = 0;
  let ties = 0;
  let bothBad = 0;
  for (let c = 0; c < counts.cellA.length; c++) {
    winsA += counts.winsA[c]!;
    winsB += counts.winsB[c]!;
    ties += counts.ties[c]!;
    bothBad += counts.bothBad[c]!;
  }
  return { battles: winsA + winsB + ties + bothBad, winsA, winsB, ties, bothBad };
}

/**
 * Fold ordered cells into unordered pairs i < j. Both-bad joins the fit's ties under
 * `'tie'` (Arena's practice) or is left out of the fit under `'exclude'`; either way it stays
 * visible in `bothBad`.
 */
export function foldPairs(counts: BattleCounts, bothBad: BothBadPolicy = 'tie'): PairTable {
  const index = new PairIndex(counts.cellA.length);
  const pi: number[] = [];
  const pj: number[] = [];
  const k = counts.cellA.length;
  const w: number[] = [];
  const l: number[] = [];
  const t: number[] = [];
  const bb: number[] = [];
  for (let c = 0; c < k; c++) {
    const a = counts.cellA[c]!;
    const b = counts.cellB[c]!;
    const i = Math.min(a, b);
    const j = Math.max(a, b);
    let p = index.get(i, j);
    if (p < 0) {
      p = pi.length;
      index.set(i, j, p);
      pi.push(i);
      pj.push(j);
      w.push(0);
      l.push(0);
      t.push(0);
      bb.push(0);
    }
    const aFirst = a === i;
    w[p]! += aFirst ? counts.winsA[c]! : counts.winsB[c]!;
    l[p]! += aFirst ? counts.winsB[c]! : counts.winsA[c]!;
    t[p]! += counts.ties[c]! + (bothBad === 'tie' ? counts.bothBad[c]! : 0);
    bb[p]! += counts.bothBad[c]!;
  }
  return {
    n: counts.names.length,
    i: Int32Array.from(pi),
    j: Int32Array.from(pj),
    wins: Float64Array.from(w),
    losses: Float64Array.from(l),
    ties: Float64Array.from(t),
    bothBad: Float64Array.from(bb),
  };
}

/** Total battles per competitor (both positions, all outcomes). */
export function battlesPerCompetitor(counts: BattleCounts): Float64Array {
  const out = new Float64Array(counts.names.length);
  for (let c = 0; c < counts.cellA.length; c++) {
    const total = counts.winsA[c]! + counts.winsB[c]! + counts.ties[c]! + counts.bothBad[c]!;
    out[counts.cellA[c]!]! += total;
    out[counts.cellB[c]!]! += total;
  }
  return out;
}

/**
 * Warnings when the maximum-likelihood Bradley–Terry strengths do not exist (Ford 1957): a
 * competitor that never lost (or never won), or a comparison graph that splits into groups
 * whose strengths the data cannot relate. Ties count as evidence in both directions.
 */
export function identifiabilityWarnings(table: PairTable, names: readonly string[]): string[] {
  const n = table.n;
  const beats: number[][] = Array.from({ length: n }, () => []);
  const played = new Uint8Array(n);
  for (let p = 0; p < table.i.length; p++) {
    const i = table.i[p]!;
    const j = table.j[p]!;
    const w = table.wins[p]!;
    const l = table.losses[p]!;
    const t = table.ties[p]!;
    if (w + l + t > 0) {
      played[i] = 1;
      played[j] = 1;
    }
    if (w + t > 0) beats[i]!.push(j);
    if (l + t > 0) beats[j]!.push(i);
  }
  const warnings: string[] = [];
  const unplayed = names.filter((_, k) => !played[k]);
  if (unplayed.length > 0) warnings.push(`no battles for ${listNames(unplayed)}: their ratings are set by the prior alone`);
  const comps = stronglyConnectedComponents(beats);
  const playedComps = comps.filter((c) => c.some((k) => played[k]));
  if (playedComps.length > 1) {
    warnings.push(
      `the win graph is not strongly connected (${playedComps.length} groups, e.g. ${listNames(playedComps[0]!.map((k) => names[k]!))}): ` +
        'some maximum-likelihood ratings are infinite and are held finite only by the regularisation',
    );
  }
  return warnings;
}

function listNames(xs: readonly string[]): string {
  const shown = xs.slice(0, 3).map((x) => `"${x}"`).join(', ');
  return xs.length > 3 ? `${shown} and ${xs.length - 3} more` : shown;
}

/** Tarjan's strongly connected components, iterative (no recursion limit on large graphs). */
export function stronglyConnectedComponents(adj: readonly (readonly number[])[]): number[][] {
  const n = adj.length;
  const index = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const onStack = new Uint8Array(n);
  const stack: number[] = [];
  const comps: number[][] = [];
  let counter = 0;
  const callStack: Array<[number, number]> = [];
  for (let root = 0; root < n; root++) {
    if (index[root] !== -1) continue;
    callStack.push([root, 0]);
    while (callStack.length > 0) {
      const frame = callStack[callStack.length - 1]!;
      const v = frame[0];
      if (frame[1] === 0 && index[v] === -1) {
        index[v] = low[v] = counter++;
        stack.push(v);
        onStack[v] = 1;
      }
      const edges = adj[v]!;
      if (frame[1] < edges.length) {
        const w = edges[frame[1]++]!;
        if (index[w] === -1) callStack.push([w, 0]);
        else if (onStack[w]) low[v] = Math.min(low[v]!, index[w]!);
        continue;
      }
      callStack.pop();
      if (callStack.length > 0) {
        const parent = callStack[callStack.length - 1]![0];
        low[parent] = Math.min(low[parent]!, low[v]!);
      }
      if (low[v] === index[v]) {
        const comp: number[] = [];
        let w: number;
        do {
          w = stack.pop()!;
          onStack[w] = 0;
          comp.push(w);
        } while (w !== v);
        comps.push(comp);
      }
    }
  }
  return comps;
}
