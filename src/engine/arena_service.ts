/**
 * Ratings of policy snapshots for the Arena cell, computed with the ratings module the way
 * Chatbot Arena computes its leaderboard. Pure: runs in the arena worker and in Node.
 */
import type { ArenaApi, ArenaRequest, ArenaResult, ArenaRow, PairRequest } from './arena_api';
import { createPairSampler } from './selection/index';
import {
  aggregateBattles,
  battleCountMatrix,
  buildLeaderboard,
  computeOnlineElo,
  predictedWinRateMatrix,
  winRateMatrix,
} from './ratings/index';

export function computeLeaderboard(request: ArenaRequest): ArenaResult {
  const t0 = performance.now();
  const level = request.level ?? 0.95;
  const empty: ArenaResult = {
    rows: [],
    names: [],
    winRate: [],
    predicted: [],
    counts: [],
    tieModel: request.tieModel,
    tieParameter: null,
    ciMethod: request.bootstrapRounds > 0 ? 'bootstrap' : 'sandwich',
    level,
    battles: 0,
    converged: true,
    warnings: [],
    fitMs: 0,
  };
  const battles = request.battles.filter((b) => b.modelA !== b.modelB);
  if (battles.length === 0) return empty;

  const counts = aggregateBattles(battles);
  const board = buildLeaderboard(counts, {
    ties: request.tieModel,
    bootstrapRounds: request.bootstrapRounds,
    seed: request.seed,
    level,
  });
  const elo = computeOnlineElo(battles);
  const eloOf = new Map(elo.names.map((name, k) => [name, elo.ratings[k]!]));
  const rows: ArenaRow[] = board.rows.map((row) => ({
    name: row.name,
    rating: row.rating,
    lower: row.ci[0],
    upper: row.ci[1],
    rank: row.rank,
    battles: row.battles,
    wins: row.wins,
    losses: row.losses,
    ties: row.ties,
    bothBad: row.bothBad,
    elo: eloOf.get(row.name) ?? 1000,
  }));

  // Matrices in leaderboard order, so the heat map reads best to worst.
  const order = rows.map((row) => counts.names.indexOf(row.name));
  const reorder = (m: number[][]) => order.map((i) => order.map((j) => m[i]![j]!));
  return {
    rows,
    names: rows.map((row) => row.name),
    winRate: reorder(winRateMatrix(counts)),
    predicted: reorder(predictedWinRateMatrix(board.fit.ratings)),
    counts: reorder(battleCountMatrix(counts)),
    tieModel: board.fit.tieModel,
    tieParameter: board.fit.tieParameter,
    ciMethod: board.ciMethod,
    level: board.level,
    battles: board.fit.battles,
    converged: board.fit.converged,
    warnings: [...board.fit.warnings],
    fitMs: performance.now() - t0,
  };
}

/**
 * The next pair by a selection rule: a fresh seeded sampler is fed every past battle between
 * the current competitors, in order, then asked once. The seed should change as battles
 * accrue (the caller mixes in their count), so a rule whose draw is random moves on.
 */
export function proposePair(request: PairRequest): [string, string] | null {
  const names = [...new Set(request.names)];
  if (names.length < 2) return null;
  const index = new Map(names.map((name, k) => [name, k]));
  const sampler = createPairSampler({ kind: request.selection, size: names.length, seed: request.seed });
  for (const battle of request.battles) {
    const a = index.get(battle.modelA);
    const b = index.get(battle.modelB);
    if (a === undefined || b === undefined || a === b) continue;
    sampler.update(a, b, battle.outcome);
  }
  const pair = sampler.next();
  return pair ? [names[pair[0]]!, names[pair[1]]!] : null;
}

/** The arena worker's service (`ArenaApi`): the two pure functions above, behind the contract. */
export class ArenaService implements ArenaApi {
  async leaderboard(request: ArenaRequest): Promise<ArenaResult> {
    return computeLeaderboard(request);
  }

  async nextPair(request: PairRequest): Promise<[string, string] | null> {
    return proposePair(request);
  }
}
