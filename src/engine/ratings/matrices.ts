/**
 * Pairwise matrices for the leaderboard's heat maps: battle counts, observed win rates and
 * the win rates a fitted model predicts. Row i, column j is "i against j"; the diagonal is
 * NaN (a competitor never battles itself). Plain number[][] so they clone to the UI as is.
 */
import type { BattleCounts } from './counts';
import { winProbability } from './bradley_terry';

function nanMatrix(n: number): number[][] {
  return Array.from({ length: n }, () => new Array<number>(n).fill(NaN));
}

/** Battles between i and j in either position, all outcomes (symmetric). */
export function battleCountMatrix(counts: BattleCounts): number[][] {
  const n = counts.names.length;
  const m = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let c = 0; c < counts.cellA.length; c++) {
    const a = counts.cellA[c]!;
    const b = counts.cellB[c]!;
    const total = counts.winsA[c]! + counts.winsB[c]! + counts.ties[c]! + counts.bothBad[c]!;
    m[a]![b]! += total;
    m[b]![a]! += total;
  }
  for (let k = 0; k < n; k++) m[k]![k] = NaN;
  return m;
}

/**
 * Observed rate at which i beat j. `exclude` (default, Arena's "fraction of non-tied
 * battles won") ignores ties and both-bad; `half` counts them as half a win each.
 * NaN where there is nothing to divide.
 */
export function winRateMatrix(counts: BattleCounts, opts: { ties?: 'exclude' | 'half' } = {}): number[][] {
  const n = counts.names.length;
  const half = opts.ties === 'half';
  const won = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  const total = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let c = 0; c < counts.cellA.length; c++) {
    const a = counts.cellA[c]!;
    const b = counts.cellB[c]!;
    const tied = half ? counts.ties[c]! + counts.bothBad[c]! : 0;
    const decisive = counts.winsA[c]! + counts.winsB[c]!;
    won[a]![b]! += counts.winsA[c]! + 0.5 * tied;
    won[b]![a]! += counts.winsB[c]! + 0.5 * tied;
    total[a]![b]! += decisive + tied;
    total[b]![a]! += decisive + tied;
  }
  const out = nanMatrix(n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j && total[i]![j]! > 0) out[i]![j] = won[i]![j]! / total[i]![j]!;
  return out;
}

/** Predicted P(i beats j) = 1/(1 + 10^((R_j − R_i)/scale)) from ratings. */
export function predictedWinRateMatrix(ratings: ArrayLike<number>, scale = 400): number[][] {
  const n = ratings.length;
  const out = nanMatrix(n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) out[i]![j] = winProbability(ratings[i]!, ratings[j]!, scale);
  return out;
}
