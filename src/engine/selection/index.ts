/** Pair selection: which two candidates to compare next. See `types.ts` for the contract. */
import type { RngSeed } from '../rng';
import { CcbSampler, DoubleThompsonSampler, RucbSampler } from './bandits';
import { ArenaWeightedSampler, ClosenessUncertaintySampler, EnsembleDisagreementSampler, UniformSampler, type ArenaWeightedOptions, type DisagreementMeasure, type EnsembleScores } from './online';
import { KnockoutSampler, PairsSampler } from './sorting';
import type { PairSampler } from './types';

export * from './types';
export * from './tally';
export * from './online';
export * from './bandits';
export * from './sorting';
export * from './simulate';

/**
 * A serialisable description of a sampler (what a session document stores), so a notebook
 * cell can say `{kind: 'rucb', size: 6, seed: 3}` and replay to the same pairs.
 */
export type PairSamplerSpec =
  | { kind: 'uniform'; size: number; seed?: RngSeed }
  | ({ kind: 'arena-weighted' } & ArenaWeightedOptions)
  | { kind: 'closeness-uncertainty'; size: number; seed?: RngSeed; priorSd?: number }
  | { kind: 'ensemble-disagreement'; size: number; seed?: RngSeed; measure?: DisagreementMeasure; repeatPenalty?: number }
  | { kind: 'pairs'; size: number; seed?: RngSeed; beamWidth?: number; uncertainty?: number }
  | { kind: 'knockout'; size: number; seed?: RngSeed }
  | { kind: 'rucb' | 'ccb' | 'double-thompson'; size: number; seed?: RngSeed; alpha?: number };

/**
 * Build a sampler from its spec. The ensemble sampler also needs the live reward-model
 * ensemble scores (members × candidates), passed as `ensembleScores`.
 */
export function createPairSampler(spec: PairSamplerSpec, deps: { ensembleScores?: () => EnsembleScores } = {}): PairSampler {
  switch (spec.kind) {
    case 'uniform':
      return new UniformSampler(spec);
    case 'arena-weighted':
      return new ArenaWeightedSampler(spec);
    case 'closeness-uncertainty':
      return new ClosenessUncertaintySampler(spec);
    case 'ensemble-disagreement': {
      const scores = deps.ensembleScores;
      if (!scores) throw new Error('ensemble-disagreement sampler needs ensembleScores');
      return new EnsembleDisagreementSampler({ ...spec, scores });
    }
    case 'pairs':
      return new PairsSampler(spec);
    case 'knockout':
      return new KnockoutSampler(spec);
    case 'rucb':
      return new RucbSampler(spec);
    case 'ccb':
      return new CcbSampler(spec);
    case 'double-thompson':
      return new DoubleThompsonSampler(spec);
  }
}
