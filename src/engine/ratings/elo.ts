/**
 * Online Elo, as in Chatbot Arena's `compute_online_elo`: battles are replayed in order and
 * each one moves both ratings by K·(score − expected score). Order-dependent by design (it is
 * the "live" rating a person watches move); the Bradley–Terry fit is the order-free estimate.
 */
import type { Battle, Outcome } from './battles';

export interface EloOptions {
  /** Step size. Default 4, Arena's choice for its large, stationary battle log. */
  k?: number;
  /** Rating points per factor `base` in odds (default 400). */
  scale?: number;
  /** Odds base (default 10). */
  base?: number;
}

export interface OnlineEloOptions extends EloOptions {
  /** Rating of a competitor before its first battle (default 1000). */
  initialRating?: number;
  /** Fix the competitor order (others are appended in order of appearance). */
  names?: readonly string[];
}

/** Expected score of A against B: 1/(1 + base^((R_B − R_A)/scale)). */
export function eloExpectedScore(ratingA: number, ratingB: number, scale = 400, base = 10): number {
  return 1 / (1 + Math.pow(base, (ratingB - ratingA) / scale));
}

/** Score of A for an outcome: 1 win, 0 loss, ½ tie; "both bad" is a tie here, as in Arena. */
export function eloScore(outcome: Outcome): number {
  return outcome === 'a' ? 1 : outcome === 'b' ? 0 : 0.5;
}

/** One Elo update; returns the new ratings of A and B (zero-sum: the changes cancel). */
export function eloUpdate(ratingA: number, ratingB: number, outcome: Outcome, opts: EloOptions = {}): { a: number; b: number } {
  const k = opts.k ?? 4;
  const expected = eloExpectedScore(ratingA, ratingB, opts.scale ?? 400, opts.base ?? 10);
  const delta = k * (eloScore(outcome) - expected);
  return { a: ratingA + delta, b: ratingB - delta };
}

/** Replay battles in order and return every competitor's final online Elo rating. */
export function computeOnlineElo(battles: Iterable<Battle>, opts: OnlineEloOptions = {}): { names: string[]; ratings: Float64Array } {
  const initial = opts.initialRating ?? 1000;
  const names: string[] = [...(opts.names ?? [])];
  const index = new Map<string, number>(names.map((nm, k) => [nm, k]));
  let ratings: number[] = names.map(() => initial);
  const idOf = (nm: string): number => {
    let k = index.get(nm);
    if (k === undefined) {
      k = names.length;
      names.push(nm);
      index.set(nm, k);
      ratings.push(initial);
    }
    return k;
  };
  for (const b of battles) {
    const i = idOf(b.modelA);
    const j = idOf(b.modelB);
    const next = eloUpdate(ratings[i]!, ratings[j]!, b.outcome, opts);
    ratings[i] = next.a;
    ratings[j] = next.b;
  }
  const out = Float64Array.from(ratings);
  ratings = [];
  return { names, ratings: out };
}
