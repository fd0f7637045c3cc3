/**
 * Synthetic battles from known strengths, for tests, benchmarks and the playground's
 * "simulate an arena" cell: uniform random pairs, random sides, outcomes drawn from a tie
 * model. Returns the indexed form (`aggregateIndexedBattles`) so a million battles cost a few
 * typed arrays, not a million objects.
 */
import { Rng, type RngSeed } from '../rng';
import type { Battle, Outcome } from './battles';
import { OUTCOME_CODE } from './counts';
import { outcomeProbabilities, type TieModel } from './tie_models';

export interface SimulatedBattlesOptions {
  battles: number;
  seed: RngSeed;
  /** `half` draws no ties; `davidson`/`rao-kupper` draw ties with parameter `tieParameter`. */
  tieModel?: TieModel;
  /** ν (Davidson) or θ ≥ 1 (Rao–Kupper). */
  tieParameter?: number;
  /** Fraction of drawn ties recorded as "both bad" instead (default 0). */
  bothBadShare?: number;
}

export interface SimulatedBattles {
  readonly modelA: Int32Array;
  readonly modelB: Int32Array;
  readonly outcome: Uint8Array;
}

/** Battles between competitors with base-10 log-strengths `theta` (rating = 400θ + 1000). */
export function simulateBattles(theta: ArrayLike<number>, opts: SimulatedBattlesOptions): SimulatedBattles {
  const n = theta.length;
  if (n < 2) throw new RangeError('simulateBattles needs at least two competitors');
  const model = opts.tieModel ?? 'half';
  const tau = model === 'half' ? 0 : Math.log(opts.tieParameter ?? (model === 'davidson' ? 0.5 : 1.5));
  const bothBadShare = opts.bothBadShare ?? 0;
  const rng = new Rng(opts.seed).fork('simulate-battles');
  const m = opts.battles;
  const modelA = new Int32Array(m);
  const modelB = new Int32Array(m);
  const outcome = new Uint8Array(m);
  for (let t = 0; t < m; t++) {
    const a = rng.int(n);
    let b = rng.int(n - 1);
    if (b >= a) b++;
    const [pw, pl] = outcomeProbabilities(model, Math.LN10 * (theta[a]! - theta[b]!), tau);
    const u = rng.next();
    let o: Outcome;
    if (u < pw) o = 'a';
    else if (u < pw + pl) o = 'b';
    else o = rng.next() < bothBadShare ? 'bothbad' : 'tie';
    modelA[t] = a;
    modelB[t] = b;
    outcome[t] = OUTCOME_CODE[o];
  }
  return { modelA, modelB, outcome };
}

const OUTCOME_OF_CODE: readonly Outcome[] = ['a', 'b', 'tie', 'bothbad'];

/** The same battles as objects with names (for parser/CLI round trips). */
export function simulatedBattleObjects(sim: SimulatedBattles, names: readonly string[]): Battle[] {
  const out: Battle[] = new Array(sim.modelA.length);
  for (let t = 0; t < sim.modelA.length; t++) {
    out[t] = { modelA: names[sim.modelA[t]!]!, modelB: names[sim.modelB[t]!]!, outcome: OUTCOME_OF_CODE[sim.outcome[t]!]! };
  }
  return out;
}
