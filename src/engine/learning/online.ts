import type { GPT2Model } from '../model/gpt2';
import { RewardEnsemble, type ObserveResult } from '../reward';
import { distinctN, repetitionRate } from '../stats';
import type {
  CollapseMetrics,
  FeedbackResult,
  PairFeedback,
  RankingFeedback,
  RewardModelStatus,
  StepMetrics,
  ThumbsFeedback,
  TrainerSettings,
} from '../../worker_api/engine_api';
import { referencePass } from './reference_pass';
import { createRewardModel } from './reward_model';
import { PreferenceTrainer } from './trainer';

/** Completions the collapse metrics look back over (the simulation's window too). */
export const COLLAPSE_WINDOW = 40;
/** Prompts whose latest thumbs the learner remembers for reward-model pairs. */
const THUMBS_MEMORY = 1024;

/**
 * The online loop behind every piece of feedback: the reward model predicts a vote before
 * learning from it (prequential accuracy), the feedback enters the policy's replay buffer with
 * reference log-probs cached, and the policy takes `stepsPerVote` optimizer steps when the
 * feedback gives the current objective something to train on (see PreferenceTrainer). Ties
 * and "both bad" are recorded for the reward model but give the DPO family nothing to prefer.
 *
 * Every result carries collapse indicators — distinct-2 and repetition over the last
 * COLLAPSE_WINDOW completions feedback was given on — so collapse onto a few rewarded strings
 * shows while it happens, not only in a post-hoc evaluation.
 */
export class OnlineLearner {
  readonly trainer: PreferenceTrainer;
  readonly rewardModel: RewardEnsemble;
  private readonly recent: string[] = [];
  /** Per prompt, the reward-model features of its latest 👍 and 👎 completion. */
  private readonly lastThumbs = new Map<string, { up?: Float32Array; down?: Float32Array }>();

  /**
   * @param decode token ids → text for the collapse metrics; without one (engine tests) the
   *   metrics are computed over token ids written as words, i.e. on token n-grams.
   */
  constructor(
    readonly policy: GPT2Model,
    readonly reference: GPT2Model,
    settings: TrainerSettings,
    private readonly decode: (ids: number[]) => string = (ids) => ids.join(' '),
  ) {
    this.trainer = new PreferenceTrainer(policy, reference, settings);
    // Features: bag of tokens and pooled hidden states of the reference (see referencePass).
    this.rewardModel = createRewardModel(reference.config, `rm-${settings.seed}`);
  }

  async feedback(f: PairFeedback): Promise<FeedbackResult> {
    const ref = await referencePass(this.reference, f.promptIds, [f.aIds, f.bIds]);
    const obs = this.rewardModel.observe({ a: ref.features[0], b: ref.features[1], outcome: f.outcome });
    this.remember([f.aIds, f.bIds]);
    if (f.outcome !== 'a' && f.outcome !== 'b') {
      const why = f.outcome === 'tie' ? 'a tie' : '"both bad"';
      return this.result([], obs, f.train ? `${why} says neither completion is better, so the policy has nothing to prefer` : undefined);
    }
    const aWins = f.outcome === 'a';
    this.trainer.add({
      kind: 'pair',
      promptIds: f.promptIds,
      chosen: aWins ? { ids: f.aIds, ref: ref.sums[0] } : { ids: f.bIds, ref: ref.sums[1] },
      rejected: aWins ? { ids: f.bIds, ref: ref.sums[1] } : { ids: f.aIds, ref: ref.sums[0] },
    });
    return this.trainNewest(f.train, obs);
  }

  /**
   * Thumbs up/down on one completion. The Bradley–Terry reward model learns only from
   * comparisons: one unpaired label says nothing about how two completions compare, so a lone
   * thumbs does not reach it. When the same prompt already has a completion with the opposite
   * thumbs, the reward model observes the pair (this completion shown as a, the latest
   * opposite-thumbs completion of the prompt as b; a wins iff this one is 👍) — a prequential
   * prediction like any vote. The policy: see PreferenceTrainer (KTO uses every thumbs;
   * paired and listwise objectives only the up/down pairs of a prompt).
   */
  async feedbackThumbs(f: ThumbsFeedback): Promise<FeedbackResult> {
    const ref = await referencePass(this.reference, f.promptIds, [f.completionIds]);
    const key = f.promptIds.join(',');
    const memory = this.lastThumbs.get(key) ?? {};
    const counterpart = f.desirable ? memory.down : memory.up;
    const obs = counterpart ? this.rewardModel.observe({ a: ref.features[0], b: counterpart, outcome: f.desirable ? 'a' : 'b' }) : null;
    if (f.desirable) memory.up = ref.features[0];
    else memory.down = ref.features[0];
    this.lastThumbs.delete(key); // re-insert: the Map's order is recency, oldest evicted first
    this.lastThumbs.set(key, memory);
    if (this.lastThumbs.size > THUMBS_MEMORY) this.lastThumbs.delete(this.lastThumbs.keys().next().value!);
    this.remember([f.completionIds]);
    this.trainer.add({ kind: 'thumbs', promptIds: f.promptIds, completion: { ids: f.completionIds, ref: ref.sums[0] }, desirable: f.desirable });
    return this.trainNewest(f.train, obs);
  }

  /**
   * A ranking of N completions, best first. One reference pass scores all N (reference
   * log-probs cached once per completion). The reward model observes the N−1 ADJACENT pairs
   * (k ≻ k+1), best first: under Bradley–Terry they carry the whole order without counting one
   * ranking as N(N−1)/2 votes. Each is predicted before the model sees it; the result reports
   * the prediction for the top pair (first ≻ second). The policy: the whole list under a
   * listwise objective, all ordered pairs under a paired one, best/worst under KTO.
   */
  async feedbackRanking(f: RankingFeedback): Promise<FeedbackResult> {
    if (f.rankedIds.length < 2) throw new Error('a ranking needs at least 2 completions');
    const ref = await referencePass(this.reference, f.promptIds, f.rankedIds);
    let top: ObserveResult | null = null;
    for (let k = 0; k + 1 < f.rankedIds.length; k++) {
      const obs = this.rewardModel.observe({ a: ref.features[k], b: ref.features[k + 1], outcome: 'a' });
      top ??= obs;
    }
    this.remember(f.rankedIds);
    this.trainer.add({ kind: 'ranking', promptIds: f.promptIds, ranked: f.rankedIds.map((ids, k) => ({ ids, ref: ref.sums[k] })) });
    return this.trainNewest(f.train, top);
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

  /** Distinct-2 and repetition over the completions feedback was most recently given on. */
  get collapse(): CollapseMetrics {
    return { recentDistinct2: distinctN(this.recent, 2), recentRepetition: repetitionRate(this.recent), window: this.recent.length };
  }

  dispose(): void {
    this.trainer.dispose();
  }

  private remember(completions: readonly number[][]): void {
    for (const ids of completions) this.recent.push(this.decode(ids));
    while (this.recent.length > COLLAPSE_WINDOW) this.recent.shift();
  }

  /** Steps on the newest feedback when asked to and when it gives the objective anything. */
  private async trainNewest(train: boolean, obs: ObserveResult | null): Promise<FeedbackResult> {
    if (!train) return this.result([], obs);
    if (this.trainer.newestExampleCount() === 0) {
      // Only a thumbs can yield nothing (pairs and rankings always make examples).
      const objective = this.trainer.currentObjective;
      return this.result(
        [],
        obs,
        `a thumbs alone cannot train the ${this.trainer.family} objective "${objective}": it needs a 👍 and a 👎 on the same prompt (or the "kto" objective)`,
      );
    }
    const steps: StepMetrics[] = [];
    for (let k = 0; k < this.trainer.settings.stepsPerVote; k++) steps.push(await this.trainer.step());
    return this.result(steps, obs);
  }

  private result(steps: StepMetrics[], obs: ObserveResult | null, untrainedReason?: string): FeedbackResult {
    const summary = this.rewardModel.summary;
    const rewardModel: RewardModelStatus = {
      predictedPAB: obs === null || obs.score === null ? null : obs.prediction.pAB,
      correct: obs === null || obs.score === null ? null : obs.score > 0.5,
      prequentialAccuracy: summary.accuracy,
      windowAccuracy: summary.windowAccuracy,
      votesSeen: summary.votes,
    };
    return {
      steps,
      rewardModel,
      bufferSize: this.trainer.bufferLength,
      collapse: this.collapse,
      ...(untrainedReason !== undefined ? { untrainedReason } : {}),
    };
  }
}
