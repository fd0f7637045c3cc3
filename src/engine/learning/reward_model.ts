/**
 * The reward model the online loop trains: a Bradley–Terry ensemble on the reference pass's
 * features (see `rewardFeatureBlocks`). One constructor, used by the loop, the simulation and
 * scripts/rm/replay_votes.ts, so the accuracy measured offline is the accuracy of the loop.
 */
import { RewardEnsemble, type RewardEnsembleConfig } from '../reward';
import { rewardFeatureBlocks, rewardFeatureDim } from './reference_pass';

/**
 * Settings chosen on recorded sim votes (scripts/rm/README.md has the tables):
 * - ties skip the reward model: with noiseless lexicon judges most ties are two completions
 *   with no sentiment word at all, and fitting them as "equal" cost accuracy (0.82/0.75 with
 *   soft ties vs 0.84/0.76 skipped, token-bag features, seeds 2/3);
 * - every head is refitted on its whole bootstrap-weighted buffer after each vote (50
 *   warm-started full-batch Adam steps on C·Σ loss + ½‖w‖², C = 30): a few minibatch steps per
 *   vote under-fit the sparse bags (0.83/0.77 online vs 0.82/0.83 refitted);
 * - Poisson online bagging keeps the ensemble's spread for active selection.
 */
export const ONLINE_REWARD_MODEL: Omit<RewardEnsembleConfig, 'dim' | 'seed' | 'blocks'> = {
  heads: 5,
  tieMode: 'skip',
  bootstrap: 'poisson',
  fit: 'refit',
  refitIterations: 50,
  refitC: 30,
  // Features are V + 4096 + 2C floats per completion: 512 pairs ≈ 36 MB in float32.
  bufferCapacity: 512,
};

export function createRewardModel(
  config: { nEmbd: number; vocabSize: number },
  seed: string,
  overrides: Partial<Omit<RewardEnsembleConfig, 'dim' | 'seed'>> = {},
): RewardEnsemble {
  return new RewardEnsemble({
    ...ONLINE_REWARD_MODEL,
    dim: rewardFeatureDim(config),
    blocks: rewardFeatureBlocks(config),
    seed,
    ...overrides,
  });
}
