/**
 * Rating standard errors for leaderboards too large for the exact sandwich H⁻¹GH⁻¹, which is
 * dense and O(n³): 3,000 competitors took minutes in `duelbook rate`, and 10,000 would need
 * 800 MB per n×n matrix. This approximation is O(pairs).
 *
 * For competitor k, with every other strength held at its estimate, the one-parameter sandwich
 * variance is v_k = G_kk / H_kk², where H_kk = Σ_pairs∋k curvature (observed information) and
 * G_kk = Σ_battles∋k score² (the same per-category scores the exact sandwich uses). The
 * opponents' own errors then move θ̂_k by Σ_j (h_kj/H_kk)·(θ̂_j − θ_j) to first order, which
 * adds Σ_j (h_kj/H_kk)²·v_j (correlations between opponents are ignored). The tie parameter is
 * held fixed. Finally the variance is put in the reporting convention: deviation from the mean
 * (v_k(1 − 2/n) + Σv/n²) or from the anchor (v_k + v_b).
 *
 * How close this is to the exact sandwich: scripts/rate/runs/compare_intervals.json (within 1.3%
 * from 40 battles per competitor up, −3.3%…+9.2% at 20) and tests/unit/cli_rate_hostile.test.ts.
 */
import { LN10, type BradleyTerryFit } from './bradley_terry';
import { foldPairs, type BattleCounts, type BothBadPolicy, type PairTable } from './counts';
import { newPairDerivatives, pairDerivatives } from './tie_models';

/** Approximate sandwich standard errors of the ratings (rating points), in the fit's convention. */
export function diagonalSandwichRatingSE(data: BattleCounts | PairTable, fit: BradleyTerryFit, bothBad: BothBadPolicy = 'tie'): Float64Array {
  const table = 'cellA' in data ? foldPairs(data, bothBad) : data;
  const n = table.n;
  const P = table.i.length;
  const info = new Float64Array(n);
  const scoreSq = new Float64Array(n);
  const curvature = new Float64Array(P);
  const a = LN10;
  const unit = newPairDerivatives();
  for (let p = 0; p < P; p++) {
    const w = table.wins[p]!;
    const l = table.losses[p]!;
    const t = table.ties[p]!;
    if (w + l + t === 0) continue;
    const i = table.i[p]!;
    const j = table.j[p]!;
    const d = a * (fit.theta[i]! - fit.theta[j]!);
    // Scores and curvatures are linear in the counts: one evaluation per outcome gives both.
    let h = 0;
    let g = 0;
    if (w > 0) {
      pairDerivatives(fit.tieModel, d, fit.tau, 1, 0, 0, unit);
      h -= w * unit.hdd;
      g += w * (a * unit.gd) ** 2;
    }
    if (l > 0) {
      pairDerivatives(fit.tieModel, d, fit.tau, 0, 1, 0, unit);
      h -= l * unit.hdd;
      g += l * (a * unit.gd) ** 2;
    }
    if (t > 0) {
      pairDerivatives(fit.tieModel, d, fit.tau, 0, 0, 1, unit);
      h -= t * unit.hdd;
      g += t * (a * unit.gd) ** 2;
    }
    h *= a * a;
    curvature[p] = h;
    info[i]! += h;
    info[j]! += h;
    scoreSq[i]! += g;
    scoreSq[j]! += g;
  }
  const own = new Float64Array(n);
  for (let k = 0; k < n; k++) own[k] = info[k]! > 0 ? scoreSq[k]! / (info[k]! * info[k]!) : 0;
  const variance = Float64Array.from(own);
  for (let p = 0; p < P; p++) {
    const h = curvature[p]!;
    if (h === 0) continue;
    const i = table.i[p]!;
    const j = table.j[p]!;
    variance[i]! += (h / info[i]!) ** 2 * own[j]!;
    variance[j]! += (h / info[j]!) ** 2 * own[i]!;
  }
  const se = new Float64Array(n);
  if (fit.anchor) {
    const b = fit.names.indexOf(fit.anchor.name);
    for (let k = 0; k < n; k++) se[k] = k === b ? 0 : fit.scale * Math.sqrt(variance[k]! + variance[b]!);
  } else {
    let total = 0;
    for (let k = 0; k < n; k++) total += variance[k]!;
    for (let k = 0; k < n; k++) se[k] = fit.scale * Math.sqrt(Math.max(0, variance[k]! * (1 - 2 / n) + total / (n * n)));
  }
  return se;
}
