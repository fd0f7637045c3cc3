/**
 * Seeded simulations of pair samplers against synthetic Bradley–Terry competitors: how many
 * comparisons does each sampler need before its estimate of the best candidate is right and
 * stays right? Used by the selection tests and by the playground's "compare samplers" cell.
 */
import { Rng, type RngSeed } from '../rng';
import { sigmoid } from '../ratings/tie_models';
import type { PairSampler } from './types';

/** How the simulated annotator answers. */
export type SimulatedJudge =
  /** A vote drawn from the true P(a ≻ b) (a person, or a sampled LLM verdict). */
  | { readonly kind: 'vote' }
  /** A probability P̃ = σ(s_a − s_b + noise), noise ~ N(0, noiseSd²) per query (an LLM judge's logits). */
  | { readonly kind: 'probability'; readonly noiseSd: number };

export interface TopIdentificationOptions {
  /** Natural log-strengths: P(i ≻ j) = σ(s_i − s_j). */
  strengths: readonly number[];
  /** Most comparisons to spend. */
  budget: number;
  seed: RngSeed;
  judge?: SimulatedJudge;
  /** Read the sampler's current best every this many comparisons (default 1). */
  checkEvery?: number;
}

export interface TopIdentificationRun {
  readonly comparisons: number;
  /**
   * Comparisons after which the sampler's best stayed the true best until the end (for a
   * finished procedure: the comparisons it used). Infinity when it was wrong at the end.
   */
  readonly comparisonsToIdentify: number;
  readonly identified: boolean;
  readonly finalBest: number;
}

export function trueBest(strengths: readonly number[]): number {
  let best = 0;
  for (let k = 1; k < strengths.length; k++) if (strengths[k]! > strengths[best]!) best = k;
  return best;
}

/** Drive one sampler for up to `budget` comparisons against a simulated annotator. */
export function runTopIdentification(sampler: PairSampler, opts: TopIdentificationOptions): TopIdentificationRun {
  const s = opts.strengths;
  if (s.length !== sampler.size) throw new RangeError(`${s.length} strengths for a sampler of size ${sampler.size}`);
  const top = trueBest(s);
  const rng = new Rng(opts.seed).fork('simulated-annotator');
  const judge = opts.judge ?? { kind: 'vote' };
  const checkEvery = Math.max(1, Math.floor(opts.checkEvery ?? 1));
  let correctSince = sampler.ranking()[0] === top ? 0 : -1;
  let t = 0;
  while (t < opts.budget) {
    const pair = sampler.next();
    if (!pair) break;
    const [a, b] = pair;
    const p = sigmoid(s[a]! - s[b]!);
    if (judge.kind === 'vote') sampler.update(a, b, rng.next() < p ? 'a' : 'b');
    else sampler.update(a, b, { probability: sigmoid(s[a]! - s[b]! + judge.noiseSd * rng.normal()) });
    t++;
    if (t % checkEvery === 0 || sampler.done) {
      const best = sampler.ranking()[0];
      if (best !== top) correctSince = -1;
      else if (correctSince < 0) correctSince = t;
    }
  }
  const finalBest = sampler.ranking()[0]!;
  const identified = finalBest === top;
  if (!identified) correctSince = -1;
  else if (correctSince < 0) correctSince = t;
  return { comparisons: t, comparisonsToIdentify: identified ? (sampler.done ? t : correctSince) : Infinity, identified, finalBest };
}

export interface SamplerComparison {
  readonly name: string;
  /** Median of `comparisonsToIdentify` over seeds (Infinity if most runs failed). */
  readonly medianToIdentify: number;
  readonly identifiedFraction: number;
  readonly meanComparisons: number;
  readonly runs: readonly TopIdentificationRun[];
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length;
  if (m === 0) return NaN;
  return m % 2 === 1 ? s[(m - 1) / 2]! : 0.5 * (s[m / 2 - 1]! + s[m / 2]!);
}

/** Run each sampler factory over the same seeds (same annotator draws per seed). */
export function compareSamplers(
  factories: Readonly<Record<string, (seed: number) => PairSampler>>,
  opts: Omit<TopIdentificationOptions, 'seed'> & { seeds: readonly number[] },
): SamplerComparison[] {
  return Object.entries(factories).map(([name, make]) => {
    const runs = opts.seeds.map((seed) => runTopIdentification(make(seed), { ...opts, seed }));
    return {
      name,
      medianToIdentify: median(runs.map((r) => r.comparisonsToIdentify)),
      identifiedFraction: runs.filter((r) => r.identified).length / runs.length,
      meanComparisons: runs.reduce((acc, r) => acc + r.comparisons, 0) / runs.length,
      runs,
    };
  });
}
