/**
 * The leaderboard as Chatbot Arena publishes it: Bradley–Terry ratings on the 400θ + 1000
 * scale, an interval per competitor (seeded bootstrap percentiles, or sandwich standard errors
 * when no bootstrap is asked for), Arena's rank rule, and the battle counts behind each row.
 */
import type { RngSeed } from '../rng';
import { fitBradleyTerry, type BradleyTerryFit, type BradleyTerryOptions } from './bradley_terry';
import { battleTotals, type BattleCounts, type BattleTotals } from './counts';
import { arenaRanks, bootstrapBradleyTerry, bradleyTerryCovariance, normalIntervals, type BootstrapResult } from './intervals';

export interface LeaderboardOptions extends BradleyTerryOptions {
  /** Bootstrap rounds; 0 or absent → sandwich intervals. */
  bootstrapRounds?: number;
  seed?: RngSeed;
  /** Two-sided interval level (default 0.95). */
  level?: number;
}

export interface LeaderboardRow {
  readonly name: string;
  readonly rating: number;
  readonly ci: readonly [number, number];
  readonly rank: number;
  /** Battles this competitor took part in, by outcome from its side. */
  readonly battles: number;
  readonly wins: number;
  readonly losses: number;
  readonly ties: number;
  readonly bothBad: number;
}

export interface Leaderboard {
  /** Sorted by rating, highest first. */
  readonly rows: LeaderboardRow[];
  readonly fit: BradleyTerryFit;
  readonly ciMethod: 'bootstrap' | 'sandwich';
  readonly level: number;
  readonly totals: BattleTotals;
  readonly bootstrap: BootstrapResult | null;
}

export function buildLeaderboard(counts: BattleCounts, opts: LeaderboardOptions = {}): Leaderboard {
  const level = opts.level ?? 0.95;
  const fit = fitBradleyTerry(counts, opts);
  const n = counts.names.length;
  let lower: ArrayLike<number>;
  let upper: ArrayLike<number>;
  let bootstrap: BootstrapResult | null = null;
  const rounds = opts.bootstrapRounds ?? 0;
  if (rounds > 0) {
    bootstrap = bootstrapBradleyTerry(counts, { ...opts, rounds, seed: opts.seed ?? 0, level, fit });
    lower = bootstrap.lower;
    upper = bootstrap.upper;
  } else {
    const cov = bradleyTerryCovariance(counts, fit, opts.bothBad ?? 'tie');
    ({ lower, upper } = normalIntervals(fit.ratings, cov.ratingSE.sandwich, level));
  }
  const ranks = arenaRanks(lower, upper);
  const wins = new Float64Array(n);
  const losses = new Float64Array(n);
  const ties = new Float64Array(n);
  const bothBad = new Float64Array(n);
  for (let c = 0; c < counts.cellA.length; c++) {
    const a = counts.cellA[c]!;
    const b = counts.cellB[c]!;
    wins[a]! += counts.winsA[c]!;
    losses[b]! += counts.winsA[c]!;
    wins[b]! += counts.winsB[c]!;
    losses[a]! += counts.winsB[c]!;
    ties[a]! += counts.ties[c]!;
    ties[b]! += counts.ties[c]!;
    bothBad[a]! += counts.bothBad[c]!;
    bothBad[b]! += counts.bothBad[c]!;
  }
  const rows: LeaderboardRow[] = counts.names.map((name, k) => ({
    name,
    rating: fit.ratings[k]!,
    ci: [lower[k]!, upper[k]!] as const,
    rank: ranks[k]!,
    battles: wins[k]! + losses[k]! + ties[k]! + bothBad[k]!,
    wins: wins[k]!,
    losses: losses[k]!,
    ties: ties[k]!,
    bothBad: bothBad[k]!,
  }));
  rows.sort((x, y) => y.rating - x.rating || x.name.localeCompare(y.name));
  return { rows, fit, ciMethod: bootstrap ? 'bootstrap' : 'sandwich', level, totals: battleTotals(counts), bootstrap };
}
