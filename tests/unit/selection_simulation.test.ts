import { describe, it, expect } from 'vitest';
import { Rng } from '../../src/engine/rng.ts';
import {
  ArenaWeightedSampler,
  BradleyTerryPosterior,
  CcbSampler,
  ClosenessUncertaintySampler,
  DoubleThompsonSampler,
  EnsembleDisagreementSampler,
  KnockoutSampler,
  PairsSampler,
  RucbSampler,
  UniformSampler,
  compareSamplers,
  type PairSampler,
} from '../../src/engine/selection/index.ts';

// Ten synthetic Bradley–Terry competitors (natural log-strengths). The best (index 0) beats
// the runner-up with probability σ(0.4) ≈ 0.60, so finding it takes real evidence.
const strengths = [1.2, 0.8, 0.6, 0.4, 0.2, 0, -0.2, -0.4, -0.6, -0.8];
const size = strengths.length;
const seeds = [1, 2, 3, 4, 5, 6, 7, 8, 9];
const budget = 1000;

/**
 * The ensemble sampler needs reward-model ensemble scores; in simulation the "ensemble" is
 * eight draws from the Laplace posterior of a Bradley–Terry model fitted to the votes so far
 * (what a bootstrap ensemble of reward models approximates).
 */
function ensembleSampler(seed: number): PairSampler {
  const posterior = new BradleyTerryPosterior(size);
  const draws = new Rng(seed).fork('ensemble-members');
  const sampler: EnsembleDisagreementSampler = new EnsembleDisagreementSampler({
    size,
    seed,
    scores: () => {
      posterior.fit(sampler.tally);
      return Array.from({ length: 8 }, () => posterior.sample(draws));
    },
  });
  return sampler;
}

describe('comparisons needed to identify the best of 10 Bradley–Terry competitors (median over 9 seeds)', () => {
  it('active samplers beat uniform', () => {
    const t0 = performance.now();
    const results = compareSamplers(
      {
        uniform: (seed) => new UniformSampler({ size, seed }),
        'arena-weighted': (seed) => new ArenaWeightedSampler({ size, seed }),
        'closeness-uncertainty': (seed) => new ClosenessUncertaintySampler({ size, seed }),
        'ensemble-disagreement': ensembleSampler,
        rucb: (seed) => new RucbSampler({ size, seed }),
        ccb: (seed) => new CcbSampler({ size, seed }),
        'double-thompson': (seed) => new DoubleThompsonSampler({ size, seed }),
      },
      { strengths, budget, seeds, checkEvery: 5 },
    );
    const elapsed = performance.now() - t0;
    const byName = new Map(results.map((r) => [r.name, r]));
    for (const r of results) {
      console.log(
        `[selection] ${r.name.padEnd(22)} median ${String(r.medianToIdentify).padStart(5)} comparisons to identify the best; ` +
          `identified at ${budget}: ${(r.identifiedFraction * 100).toFixed(0)}%; per seed ${r.runs.map((x) => x.comparisonsToIdentify).join(' ')}`,
      );
    }
    console.log(`[selection] simulation took ${elapsed.toFixed(0)} ms`);
    const uniform = byName.get('uniform')!.medianToIdentify;
    for (const name of ['closeness-uncertainty', 'ensemble-disagreement', 'rucb', 'ccb', 'double-thompson']) {
      expect(byName.get(name)!.medianToIdentify, name).toBeLessThan(uniform);
    }
  });

  it('sorting samplers with a noisy probability judge: comparisons used and how often the best comes first', () => {
    const judge = { kind: 'probability', noiseSd: 0.5 } as const;
    const many = Array.from({ length: 60 }, (_, k) => k + 1);
    const results = compareSamplers(
      {
        'pairs (beam 4)': (seed) => new PairsSampler({ size, seed }),
        'pairs (greedy)': (seed) => new PairsSampler({ size, seed, beamWidth: 1 }),
        knockout: (seed) => new KnockoutSampler({ size, seed }),
      },
      { strengths, budget, seeds: many, judge },
    );
    for (const r of results) {
      console.log(`[selection] ${r.name.padEnd(15)} ${r.meanComparisons.toFixed(1)} comparisons on average; best ranked first in ${(r.identifiedFraction * 100).toFixed(0)}% of ${many.length} seeds`);
      // A sort or bracket finishes within its worst case and ranks the best first far more
      // often than chance (10%).
      expect(r.meanComparisons).toBeLessThanOrEqual(size * Math.ceil(Math.log2(size)) * 1.5);
      expect(r.identifiedFraction).toBeGreaterThan(0.4);
    }
    expect(results.find((r) => r.name === 'knockout')!.meanComparisons).toBe(size - 1);
  });
});
