/**
 * The typed contract of the arena worker, which fits ratings of policy snapshots from the
 * session's battles (Bradley–Terry as Chatbot Arena fits it, seeded bootstrap intervals,
 * online Elo, win-rate matrices). Data types only; the logic is in src/engine/arena_service.ts.
 */

export type ArenaOutcome = 'a' | 'b' | 'tie' | 'bothbad';
export type ArenaTieModel = 'half' | 'davidson' | 'rao-kupper';

/** One verdict between two snapshots; `modelA` is the one shown on the left. */
export interface ArenaBattle {
  modelA: string;
  modelB: string;
  outcome: ArenaOutcome;
}

export interface ArenaRequest {
  battles: ArenaBattle[];
  tieModel: ArenaTieModel;
  /** Bootstrap rounds for the intervals; 0 gives sandwich (normal) intervals. */
  bootstrapRounds: number;
  seed: number;
  /** Two-sided interval level (default 0.95). */
  level?: number;
}

export interface ArenaRow {
  name: string;
  /** Bradley–Terry rating on the Arena scale (400θ + 1000). */
  rating: number;
  lower: number;
  upper: number;
  /** Arena's rank: 1 + the number of competitors whose lower bound is above this upper bound. */
  rank: number;
  battles: number;
  wins: number;
  losses: number;
  ties: number;
  bothBad: number;
  /** Online Elo (order-dependent, K = 4) for comparison. */
  elo: number;
}

export interface ArenaResult {
  /** Sorted by rating, highest first. */
  rows: ArenaRow[];
  /** Competitors in the matrices' order (the rows' order). */
  names: string[];
  /** Observed P(row beats column) over decisive battles; NaN where they never met decisively. */
  winRate: number[][];
  /** P(row beats column) the fitted ratings predict. */
  predicted: number[][];
  /** Battles between row and column, all outcomes. */
  counts: number[][];
  tieModel: ArenaTieModel;
  /** ν (Davidson) or θ (Rao–Kupper); null for `half`. */
  tieParameter: number | null;
  ciMethod: 'bootstrap' | 'sandwich';
  level: number;
  battles: number;
  converged: boolean;
  warnings: string[];
  fitMs: number;
}

/**
 * Pair-selection rules the Arena offers (names as src/engine/selection). The reward-model
 * ensemble-disagreement rule is not offered: it needs the ensemble's scores of snapshots.
 */
export const PAIR_SELECTIONS = ['uniform', 'arena-weighted', 'closeness-uncertainty', 'pairs', 'knockout', 'rucb', 'ccb', 'double-thompson'] as const;
export type PairSelection = (typeof PAIR_SELECTIONS)[number];

export interface PairRequest {
  selection: PairSelection;
  /** The competitors that can be drawn now. */
  names: string[];
  /** Battles so far (any names; those not in `names` are ignored). */
  battles: ArenaBattle[];
  seed: number;
}

export interface ArenaApi {
  leaderboard(request: ArenaRequest): Promise<ArenaResult>;
  /**
   * The next pair to compare, [left, right], by the selection rule replayed over the battles
   * so far; null when the rule has nothing left to ask (a finished sort or bracket).
   */
  nextPair(request: PairRequest): Promise<[string, string] | null>;
}
