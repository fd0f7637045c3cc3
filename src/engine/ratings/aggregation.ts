/**
 * Ranking N candidates (e.g. N sampled answers to one prompt) from a pairwise judge that
 * returns P(a ≻ b). Used for best-of-N selection and for building preference pairs.
 *
 * - Borda: expected number of wins, s_i = Σ_j P(i≻j) (the "soft" Borda count; it uses the
 *   judge's confidence, not just its verdict).
 * - Enhanced Borda (LLaMA-Berry, Zhang et al. 2024): take the majority relation i→j when
 *   P(i≻j) > ½, close it transitively (Floyd–Warshall), and score each candidate by how many
 *   others it reaches. Transitive closure lets a candidate get credit for wins it was never
 *   directly judged on, and puts a cycle's members level with each other.
 * - Copeland: majority wins minus majority losses.
 * - Knockout: a seeded single-elimination bracket, n − 1 comparisons.
 * Ties in any score are broken by soft Borda, then by index, so results are deterministic.
 */
import { Rng, type RngSeed } from '../rng';

/** P(a ≻ b) in [0, 1]. */
export type PreferenceJudge = (a: number, b: number) => number;

/** P[i][j] = P(i ≻ j); P[j][i] = 1 − P[i][j]; diagonal ½. */
export type PreferenceMatrix = readonly (readonly number[])[];

export interface CandidateRanking {
  /** Candidate indices, best first. */
  readonly ranking: number[];
  /** The method's score per candidate (higher is better). */
  readonly scores: number[];
}

/**
 * Query a judge on every pair. With `bothOrders` each pair is judged in both presentation
 * orders and averaged, P = (P(i≻j) + 1 − P(j≻i))/2, cancelling a judge's position bias at
 * twice the cost.
 */
export function preferenceMatrix(n: number, judge: PreferenceJudge, opts: { bothOrders?: boolean } = {}): number[][] {
  const P = Array.from({ length: n }, () => new Array<number>(n).fill(0.5));
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      let p = checkProbability(judge(i, j));
      if (opts.bothOrders) p = 0.5 * (p + 1 - checkProbability(judge(j, i)));
      P[i]![j] = p;
      P[j]![i] = 1 - p;
    }
  }
  return P;
}

function checkProbability(p: number): number {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`judge returned ${p}, not a probability`);
  return p;
}

function softBorda(P: PreferenceMatrix): number[] {
  const n = P.length;
  const s = new Array<number>(n).fill(0);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) s[i]! += P[i]![j]!;
  return s;
}

function orderBy(primary: readonly number[], secondary: readonly number[]): number[] {
  return primary
    .map((_, k) => k)
    .sort((x, y) => primary[y]! - primary[x]! || secondary[y]! - secondary[x]! || x - y);
}

/** Soft Borda count: expected wins Σ_j P(i≻j). */
export function bordaRanking(P: PreferenceMatrix): CandidateRanking {
  const scores = softBorda(P);
  return { ranking: orderBy(scores, scores), scores };
}

/** Enhanced Borda count: number of candidates reachable in the transitive closure of the majority relation. */
export function enhancedBordaRanking(P: PreferenceMatrix): CandidateRanking {
  const n = P.length;
  const reach = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => i !== j && P[i]![j]! > 0.5));
  for (let k = 0; k < n; k++) {
    for (let i = 0; i < n; i++) {
      if (!reach[i]![k]) continue;
      for (let j = 0; j < n; j++) if (reach[k]![j]) reach[i]![j] = true;
    }
  }
  const scores = reach.map((row, i) => row.reduce((acc, r, j) => acc + (r && j !== i ? 1 : 0), 0));
  return { ranking: orderBy(scores, softBorda(P)), scores };
}

/** Copeland: (majority wins) − (majority losses); exact ½ counts as neither. */
export function copelandRanking(P: PreferenceMatrix): CandidateRanking {
  const n = P.length;
  const scores = new Array<number>(n).fill(0);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (i === j) continue;
      if (P[i]![j]! > 0.5) scores[i]! += 1;
      else if (P[i]![j]! < 0.5) scores[i]! -= 1;
    }
  }
  return { ranking: orderBy(scores, softBorda(P)), scores };
}

export interface KnockoutMatch {
  readonly round: number;
  readonly a: number;
  readonly b: number;
  /** The judge's P(a ≻ b). */
  readonly probability: number;
  readonly winner: number;
}

export interface KnockoutResult {
  readonly winner: number;
  /** Champion first; then by the round a candidate went out in (later is better), closer losses first. */
  readonly ranking: number[];
  readonly matches: KnockoutMatch[];
}

/**
 * The bracket as a coroutine: yields each pair [a, b] to be judged and receives P(a ≻ b).
 * Entrants are shuffled with `rng`; with n not a power of two, the first entrants drawn get
 * byes into round 2. An exact ½ is settled by a seeded coin flip.
 */
export function* knockoutBracket(n: number, rng: Rng): Generator<readonly [number, number], KnockoutResult, number> {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`knockout needs at least one candidate, got ${n}`);
  const order = Array.from({ length: n }, (_, k) => k);
  for (let k = n - 1; k > 0; k--) {
    const r = rng.int(k + 1);
    [order[k], order[r]] = [order[r]!, order[k]!];
  }
  if (n === 1) return { winner: order[0]!, ranking: [order[0]!], matches: [] };
  let size = 1;
  while (size < n) size *= 2;
  const byes = size - n;
  const matches: KnockoutMatch[] = [];
  const outRound = new Array<number>(n).fill(Infinity);
  const lossMargin = new Array<number>(n).fill(1);
  // Round 1: the first `byes` entrants advance unopposed.
  let alive = order.slice(0, byes);
  const playing = order.slice(byes);
  let round = 1;
  let current: number[] = [];
  for (let k = 0; k < playing.length; k += 2) current.push(playing[k]!, playing[k + 1]!);
  // Bye holders meet round-1 winners in round 2, so the bracket stays balanced.
  for (;;) {
    const winners: number[] = [];
    for (let k = 0; k + 1 < current.length; k += 2) {
      const a = current[k]!;
      const b = current[k + 1]!;
      const p = yield [a, b] as const;
      if (!(p >= 0 && p <= 1)) throw new RangeError(`knockout: P(${a} ≻ ${b}) = ${p} is not a probability`);
      const winner = p > 0.5 ? a : p < 0.5 ? b : rng.next() < 0.5 ? a : b;
      const loser = winner === a ? b : a;
      outRound[loser] = round;
      lossMargin[loser] = winner === a ? 1 - p : p;
      matches.push({ round, a, b, probability: p, winner });
      winners.push(winner);
    }
    const next = [...alive, ...winners];
    alive = [];
    if (next.length <= 1) {
      const winner = next[0] ?? order[0]!;
      const ranking = Array.from({ length: n }, (_, k) => k).sort(
        (x, y) => outRound[y]! - outRound[x]! || lossMargin[y]! - lossMargin[x]! || x - y,
      );
      return { winner, ranking, matches };
    }
    current = next;
    round++;
  }
}

/** Run a knockout tournament with a judge; n − 1 judge calls. */
export function knockoutTournament(n: number, judge: PreferenceJudge, opts: { seed?: RngSeed } = {}): KnockoutResult {
  const rng = new Rng(opts.seed ?? 0).fork('knockout');
  const gen = knockoutBracket(n, rng);
  let step = gen.next();
  while (!step.done) {
    const [a, b] = step.value;
    step = gen.next(judge(a, b));
  }
  return step.value;
}
