import type { GPT2Model } from '../model/gpt2';
import { RewardEnsemble } from '../reward';
import type { FeedbackResult, PairFeedback, StepMetrics, TrainerSettings } from '../../worker_api/engine_api';
import { referencePass, rewardFeatureDim } from './reference_pass';
import { PreferenceTrainer } from './trainer';

/**
 * The online loop behind every vote: the reward model predicts the vote before learning from
 * it (prequential accuracy), decisive votes enter the policy's replay buffer with reference
 * log-probs cached, and the policy takes `stepsPerVote` optimizer steps. Ties and "both bad"
 * are recorded but give the DPO family nothing to prefer, so they do not train the policy.
 */
export class OnlineLearner {
  readonly trainer: PreferenceTrainer;
  readonly rewardModel: RewardEnsemble;

  constructor(
    readonly policy: GPT2Model,
    readonly reference: GPT2Model,
    settings: TrainerSettings,
  ) {
    this.trainer = new PreferenceTrainer(policy, reference, settings);
    // Features: pooled input and final hidden states of the reference (see referencePass).
    this.rewardModel = new RewardEnsemble({ dim: rewardFeatureDim(reference.config), seed: `rm-${settings.seed}` });
  }

  async feedback(f: PairFeedback): Promise<FeedbackResult> {
    const ref = await referencePass(this.reference, f.promptIds, [f.aIds, f.bIds]);
    const obs = this.rewardModel.observe({ a: ref.features[0], b: ref.features[1], outcome: f.outcome });
    const steps: StepMetrics[] = [];
    if (f.outcome === 'a' || f.outcome === 'b') {
      const aWins = f.outcome === 'a';
      this.trainer.addScoredPair({
        promptIds: f.promptIds,
        chosenIds: aWins ? f.aIds : f.bIds,
        rejectedIds: aWins ? f.bIds : f.aIds,
        refChosen: aWins ? ref.sums[0] : ref.sums[1],
        refRejected: aWins ? ref.sums[1] : ref.sums[0],
      });
      if (f.train) for (let k = 0; k < this.trainer.settings.stepsPerVote; k++) steps.push(await this.trainer.step());
    }
    const summary = this.rewardModel.summary;
    return {
      steps,
      rewardModel: {
        predictedPAB: obs.score === null ? null : obs.prediction.pAB,
        correct: obs.score === null ? null : obs.score > 0.5,
        prequentialAccuracy: summary.accuracy,
        windowAccuracy: summary.windowAccuracy,
        votesSeen: summary.votes,
      },
      bufferSize: this.trainer.bufferLength,
    };
  }

  async train(steps: number): Promise<StepMetrics[]> {
    const out: StepMetrics[] = [];
    for (let k = 0; k < steps; k++) out.push(await this.trainer.step());
    return out;
  }

  /** The reward model's P(a ≻ b) for two completions of a prompt. */
  async rewardPredict(promptIds: number[], aIds: number[], bIds: number[]): Promise<{ pAB: number; std: number }> {
    const ref = await referencePass(this.reference, promptIds, [aIds, bIds]);
    const p = this.rewardModel.preference(ref.features[0], ref.features[1]);
    return { pAB: p.pAB, std: p.std };
  }

  dispose(): void {
    this.trainer.dispose();
  }
}
