/**
 * The leaderboard as Chatbot Arena publishes it: Bradley–Terry ratings on the 400θ + 1000
 * scale, an interval per competitor (seeded bootstrap percentiles, or sandwich standard errors
 * when no bootstrap is asked for), Arena's rank rule, and the battle counts behind each row.
 */
import type { RngSeed } from '../rng';
import { fitBradleyTerry, type BradleyTerryFit, type BradleyTerryOptions } from './bradley_terry';
import { battleTotals, type BattleCounts, type BattleTotals } from './counts';
import { arenaRanks, bootstrapBradleyTerry, bradleyTerryCovariance, normalIntervals, type BootstrapResult } from './intervals';
import { diagonalSandwichRatingSE } from './diagonal_sandwich';

export interface LeaderboardOptions extends BradleyTerryOptions {
  /** Bootstrap rounds; 0 or absent → sandwich intervals. */
  bootstrapRounds?: number;
  seed?: RngSeed;
  /** Two-sided interval level (default 0.95). */
  level?: number;
  /**
   * Sandwich intervals are exact (dense, O(n³)) up to this many competitors and the O(pairs)
   * diagonal approximation (`diagonal_sandwich.ts`) beyond. Default: always exact.
   */
  exactSandwichMaxCompetitors?: number;
  /** Told what is about to run (fit, intervals, bootstrap round k), for progress reports. */
  onStage?: (stage: string) => void;
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
  /** Under `sandwich`: the exact H⁻¹GH⁻¹ or its diagonal approximation; null under `bootstrap`. */
  readonly sandwichForm: 'exact' | 'diagonal' | null;
  readonly level: number;
  readonly totals: BattleTotals;
  readonly bootstrap: BootstrapResult | null;
}

export function buildLeaderboard(counts: BattleCounts, opts: LeaderboardOptions = {}): Leaderboard {
  const level = opts.level ?? 0.95;
  const n = counts.names.length;
  opts.onStage?.(`fitting Bradley–Terry (${opts.ties ?? 'half'} ties, ${n} competitors, ${counts.cellA.length} ordered pairs)`);
  const fit = fitBradleyTerry(counts, opts);
  let lower: ArrayLike<number>;
  let upper: ArrayLike<number>;
  let bootstrap: BootstrapResult | null = null;
  let sandwichForm: 'exact' | 'diagonal' | null = 'exact';
  const rounds = opts.bootstrapRounds ?? 0;
  if (rounds > 0) {
    sandwichForm = null;
    const report = opts.onStage;
    const every = Math.max(1, Math.round(rounds / 20));
    opts.onStage?.(`fitted (${fit.solver}, ${fit.iterations} iterations); bootstrap of ${rounds} rounds`);
    bootstrap = bootstrapBradleyTerry(counts, {
      ...opts,
      rounds,
      seed: opts.seed ?? 0,
      level,
      fit,
      onRound: report ? (done) => void (done % every === 0 && done < rounds && report(`bootstrap round ${done}/${rounds}`)) : undefined,
    });
    lower = bootstrap.lower;
    upper = bootstrap.upper;
  } else if (n > (opts.exactSandwichMaxCompetitors ?? Infinity)) {
    sandwichForm = 'diagonal';
    opts.onStage?.(`fitted (${fit.solver}, ${fit.iterations} iterations); diagonal sandwich intervals for ${n} competitors`);
    ({ lower, upper } = normalIntervals(fit.ratings, diagonalSandwichRatingSE(counts, fit, opts.bothBad ?? 'tie'), level));
  } else {
    opts.onStage?.(`fitted (${fit.solver}, ${fit.iterations} iterations); exact sandwich intervals`);
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
  return { rows, fit, ciMethod: bootstrap ? 'bootstrap' : 'sandwich', sandwichForm, level, totals: battleTotals(counts), bootstrap };
}
