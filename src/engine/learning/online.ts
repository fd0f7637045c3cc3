import type { GPT2Model } from '../model/gpt2';
import { RewardEnsemble, bestOfN, mostUncertainPair, type ObserveResult, type VoteOutcome } from '../reward';
import { distinctCompletions, distinctN, doubledWordRate, meanWords, repetitionRate, selfSimilarity } from '../stats';
import type {
  CollapseMetrics,
  FeedbackResult,
  PrincipleEstimate,
  PrincipleVerdict,
  BestOfNPick,
  PairFeedback,
  PairSelection,
  RankingFeedback,
  RelabelRequest,
  RelabelResult,
  ExplanationWeight,
  RewardModelStatus,
  StepMetrics,
  ThumbsFeedback,
  TrainerSettings,
} from '../api';
import { WORD_BUCKETS, principleBlockOffset, referencePass, wordBlockOffset, type ReferencePassResult } from './reference_pass';
import { createRewardModel } from './reward_model';
import { bordaScores, diversePick } from './diverse_pick';
import { scoreSequencesUnder } from '../batch';
import { ExplainedVotes } from './explanations';
import { PreferenceTrainer, type TrainerState } from './trainer';
import { cloneState } from './clone_state';
import { critiqueEvidence, principleEstimates, statePrinciple, type PrincipleStatements } from './principle_prefs';
import { PRINCIPLE_FEATURE_IDS, principleDirection, principleFeatures, textStats, type CritiqueMatch } from '../principles';

/**
 * Reward-model features (Float32Array: the reference pass's output, buffered as is) are never
 * written after they are made, so a learner state shares them instead of copying ~34 kB each.
 */
const immutableFeatures = (v: object): boolean => v instanceof Float32Array;

/** An OnlineLearner's state apart from the policy weights (host memory). */
export interface LearnerState {
  trainer: TrainerState;
  rewardModel: RewardEnsemble;
  explained: ExplainedVotes;
  recent: string[];
  lastThumbs: Map<string, { up?: Float32Array; down?: Float32Array }>;
  judgedItems: number;
  syntheticPairs: number;
  statements: PrincipleStatements;
}

/**
 * The collapse guard on synthetic pairs: a reward model fitted to a few votes rewards whatever
 * correlates with them, and a policy trained on its labels learns that first. Measured: with two
 * relabelled pairs per vote against a sentiment taste, 2 of 3 seeds won 0.80 after 30 votes by
 * lists of positive words ("their rights and justice and prosperity and …"), longer and more
 * repetitive than the reference. So a relabelled pair whose winner is more than `lengthRatio`
 * times longer (in words) than its loser, or more repetitive by more than `repetition` (seq-rep-2,
 * the repetition principle), is not used.
 */
export const COLLAPSE_GUARD = { lengthRatio: 1.5, repetition: 0.05 } as const;

export function collapseGuardReason(winner: string, loser: string): string | null {
  const w = textStats(winner);
  const l = textStats(loser);
  if (w.words.length > COLLAPSE_GUARD.lengthRatio * Math.max(1, l.words.length)) {
    return `collapse guard: the winner is ${w.words.length} words against ${l.words.length} (more than ${COLLAPSE_GUARD.lengthRatio}×)`;
  }
  const rep = principleFeatures(winner)[REPETITION] - principleFeatures(loser)[REPETITION];
  if (rep > COLLAPSE_GUARD.repetition) return `collapse guard: the winner repeats itself more (seq-rep-2 +${rep.toFixed(2)})`;
  return null;
}

const REPETITION = PRINCIPLE_FEATURE_IDS.indexOf('repetition');

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
 * Every result carries collapse indicators — distinct-2, repetition, distinct completions, mean
 * length and self-similarity over the last COLLAPSE_WINDOW completions feedback was given on —
 * so collapse onto a few rewarded strings, long or short, shows while it happens, not only in a
 * post-hoc evaluation.
 */
export class OnlineLearner {
  readonly trainer: PreferenceTrainer;
  rewardModel: RewardEnsemble;
  /** Small explanations weighed against the reward model by their evidence (explanations.ts): what the loop reports. */
  explained: ExplainedVotes;
  private recent: string[] = [];
  /** Per prompt, the reward-model features of its latest 👍 and 👎 completion. */
  private lastThumbs = new Map<string, { up?: Float32Array; down?: Float32Array }>();
  /** Feedback items from the duel's judge that entered the policy's buffer (what the log records as votes). */
  private judgedItems = 0;
  /** Reward-model-labelled pairs that entered the policy's buffer (never logged as votes). */
  private syntheticPairs = 0;
  /** What the person said about each principle axis ("yes: shorter", "no: …"). */
  private statements: PrincipleStatements = new Map();

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
    this.explained = new ExplainedVotes(principleBlockOffset(reference.config), { offset: wordBlockOffset(reference.config), size: WORD_BUCKETS });
  }

  async feedback(f: PairFeedback): Promise<FeedbackResult> {
    const ref = await referencePass(this.reference, f.promptIds, [f.aIds, f.bIds], this.decode);
    const obs = this.observeVote(ref.features[0], ref.features[1], f.outcome);
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
    this.judgedItems++;
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
    const ref = await referencePass(this.reference, f.promptIds, [f.completionIds], this.decode);
    const key = f.promptIds.join(',');
    const memory = this.lastThumbs.get(key) ?? {};
    const counterpart = f.desirable ? memory.down : memory.up;
    const obs = counterpart ? this.observeVote(ref.features[0], counterpart, f.desirable ? 'a' : 'b') : null;
    if (f.desirable) memory.up = ref.features[0];
    else memory.down = ref.features[0];
    this.lastThumbs.delete(key); // re-insert: the Map's order is recency, oldest evicted first
    this.lastThumbs.set(key, memory);
    if (this.lastThumbs.size > THUMBS_MEMORY) this.lastThumbs.delete(this.lastThumbs.keys().next().value!);
    this.remember([f.completionIds]);
    this.trainer.add({ kind: 'thumbs', promptIds: f.promptIds, completion: { ids: f.completionIds, ref: ref.sums[0] }, desirable: f.desirable });
    this.judgedItems++;
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
    const ref = await referencePass(this.reference, f.promptIds, f.rankedIds, this.decode);
    let top: ObserveResult | null = null;
    for (let k = 0; k + 1 < f.rankedIds.length; k++) {
      const obs = this.observeVote(ref.features[k], ref.features[k + 1], 'a');
      top ??= obs;
    }
    this.remember(f.rankedIds);
    this.trainer.add({ kind: 'ranking', promptIds: f.promptIds, ranked: f.rankedIds.map((ids, k) => ({ ids, ref: ref.sums[k] })) });
    this.judgedItems++;
    return this.trainNewest(f.train, top);
  }

  async train(steps: number): Promise<StepMetrics[]> {
    return this.trainer.takeSteps(steps);
  }

  /**
   * The loop's P(a ≻ b) for two completions of a prompt (the reward model weighed against the
   * explanations, as every vote is scored) and its std between and within those models.
   */
  async rewardPredict(promptIds: number[], aIds: number[], bIds: number[]): Promise<{ pAB: number; std: number }> {
    const ref = await referencePass(this.reference, promptIds, [aIds, bIds], this.decode);
    const judged = this.judgePair(ref.features[0], ref.features[1]);
    return { pAB: judged.pAB, std: judged.std };
  }

  /**
   * Active pair selection: of K candidates of one prompt, the pair whose P(i ≻ j) the reward
   * model's heads disagree on most — the vote that should teach the reward model the most
   * (ensemble disagreement as a stand-in for expected information gain). One reference pass
   * gives every candidate's features; nothing is learned here.
   */
  async selectPair(promptIds: number[], candidateIds: number[][]): Promise<PairSelection> {
    const ref = await referencePass(this.reference, promptIds, candidateIds, this.decode);
    const pick = mostUncertainPair(this.rewardModel, ref.features);
    return { i: pick.i, j: pick.j, pAB: pick.pAB, std: pick.std };
  }

  /**
   * Best-of-n by the reward model: every candidate's mean and std reward over heads, and the
   * argmax of mean − pessimism·std (pessimism 0 is plain best-of-n; a positive value keeps a
   * candidate only one head over-rates from winning).
   */
  async bestOfN(promptIds: number[], candidateIds: number[][], pessimism: number): Promise<BestOfNPick> {
    const ref = await referencePass(this.reference, promptIds, candidateIds, this.decode);
    const pick = bestOfN(this.rewardModel, ref.features, { pessimism });
    return { index: pick.index, rewards: [...pick.rewards], stds: [...pick.stds], pessimism };
  }

  /**
   * The two of n policy samples a relabelled pair is made of, picked as DivPO does
   * (`diversePick`): quality is a Borda count of the loop's taste (the mixture's `tastePAB`, as
   * relabelling labels with), likelihood the policy's mean log-prob per token. Nothing is
   * learned here; the pair is labelled afterwards by `relabel`, whose gates still apply.
   */
  async diversePair(promptIds: number[], samples: number[][], matchLength: boolean): Promise<{ chosen: number; rejected: number; pass: ReferencePassResult }> {
    const ref = await referencePass(this.reference, promptIds, samples, this.decode);
    const quality = bordaScores(samples.length, (i, j) => this.judgePair(ref.features[i]!, ref.features[j]!).tastePAB);
    const [scored] = await scoreSequencesUnder([this.policy], samples.map((s) => [...promptIds, ...s]), samples.map(() => promptIds.length));
    const logpPerToken = samples.map((s, i) => scored!.sums[i]! / Math.max(1, s.length));
    const { chosen, rejected } = diversePick({ quality, logpPerToken, lengths: samples.map((s) => s.length), matchLength });
    // The picked pair's reference pass, in (chosen, rejected) order: `relabel` takes it instead of running its own.
    const pass = { sums: [ref.sums[chosen]!, ref.sums[rejected]!], features: [ref.features[chosen]!, ref.features[rejected]!] };
    return { chosen, rejected, pass };
  }

  /**
   * Relabelling of a fresh pair (online iterative DPO with AI feedback, as in RLHF Workflow,
   * Xiong et al. 2024) by what the loop believes: the reward model weighed against the
   * explanations (`ExplainedVotes`), the mixture the loop reports and scores, without the
   * vote's lapse (`tastePAB`). When it is confident (max(pAB, 1 − pAB) ≥ minConfidence) and
   * sure (the std of its P(a ≻ b), between and within its models, including the reward
   * model's heads' std, ≤ maxStd), the pair enters the policy's replay buffer with
   * reference log-probs from the same reference pass, exactly like a vote, and counts as
   * synthetic. Neither the reward model nor the explanations observe the pair: learning from
   * their own labels would only confirm what they already believe, and their prequential
   * accuracy must stay a measure of how well they predict the judge.
   */
  async relabel(req: RelabelRequest, pass?: ReferencePassResult): Promise<RelabelResult> {
    // A pass handed in (by `diversePair`, for the same a and b, from its pass over all the
    // candidates) holds the numbers this one would: bit for bit on the CPU backend (a sequence's
    // sums and features do not depend on its batch, tests/unit/reward_features.test.ts), within
    // float rounding on WebGPU, whose reductions follow the batch's padded length. Either way a
    // replay runs the same passes, so it gets the same label.
    if (pass && (pass.sums.length !== 2 || pass.features.length !== 2)) throw new Error('relabel: a pass handed in must be the pair\'s, (a, b) in that order');
    const ref = pass ?? (await referencePass(this.reference, req.promptIds, [req.aIds, req.bIds], this.decode));
    // The taste's P(a ≻ b), without the vote's lapse: the label says which answer the person
    // prefers, and a lapse-shrunk probability could never pass a minConfidence near 1.
    const { tastePAB: p, std } = this.judgePair(ref.features[0], ref.features[1]);
    const vote = { preferred: p >= 0.5 ? ('a' as const) : ('b' as const), pAB: p, std, confidence: Math.max(p, 1 - p) };
    const reject = (rejectedReason: string): RelabelResult => ({ accepted: false, rejectedReason, ...vote, ...this.relabelCounts([]) });
    // Before any vote the heads are their random priors: a "confident" label would be noise.
    if (this.rewardModel.summary.votes === 0) return reject('the reward model has seen no votes yet');
    if (!(vote.confidence >= req.minConfidence)) {
      return reject(`confidence ${vote.confidence.toFixed(2)} is below ${req.minConfidence}`);
    }
    if (!(vote.std <= req.maxStd)) return reject(`its models disagree or are unsure (std ${vote.std.toFixed(2)} > ${req.maxStd})`);
    const aWins = vote.preferred === 'a';
    if (req.collapseGuard) {
      const why = collapseGuardReason(this.decode(aWins ? req.aIds : req.bIds), this.decode(aWins ? req.bIds : req.aIds));
      if (why !== null) return reject(why);
    }
    this.trainer.add({
      kind: 'pair',
      promptIds: req.promptIds,
      chosen: aWins ? { ids: req.aIds, ref: ref.sums[0] } : { ids: req.bIds, ref: ref.sums[1] },
      rejected: aWins ? { ids: req.bIds, ref: ref.sums[1] } : { ids: req.aIds, ref: ref.sums[0] },
    });
    this.syntheticPairs++;
    const steps = req.train ? await this.trainer.takeSteps(this.trainer.settings.stepsPerVote) : [];
    return { accepted: true, ...vote, ...this.relabelCounts(steps) };
  }

  private relabelCounts(steps: StepMetrics[]): Pick<RelabelResult, 'steps' | 'syntheticPairs' | 'judgedItems' | 'bufferSize'> {
    return { steps, syntheticPairs: this.syntheticPairs, judgedItems: this.judgedItems, bufferSize: this.trainer.bufferLength };
  }

  /**
   * Distinct-2 and repetition, the set-level distinct completions, mean length and
   * self-similarity, and the share that double a word, over the completions feedback was most
   * recently given on (≤ 40: 780 bigram-set comparisons, a fraction of a millisecond).
   */
  get collapse(): CollapseMetrics {
    const r = this.recent;
    return {
      recentDistinct2: distinctN(r, 2),
      recentRepetition: repetitionRate(r),
      recentDistinctCompletions: distinctCompletions(r),
      recentMeanWords: meanWords(r),
      recentSelfSimilarity: selfSimilarity(r),
      recentDoubledWords: doubledWordRate(r),
      window: r.length,
    };
  }

  /**
   * The whole learner apart from the policy's weights: trainer (buffer, RNG, optimizer
   * moments), reward model, thumbs memory, collapse window and counts. Restoring it and the
   * weights puts the learner exactly where it was (see LogReducer's checkpoints). `reuse`: a
   * dropped checkpoint's AdamW moments, read into instead of allocating new arrays.
   */
  async capture(reuse?: Pick<LearnerState['trainer']['opt'], 'm' | 'v'>): Promise<LearnerState> {
    return {
      trainer: await this.trainer.capture(reuse),
      rewardModel: cloneState(this.rewardModel, immutableFeatures),
      explained: cloneState(this.explained),
      recent: [...this.recent],
      lastThumbs: cloneState(this.lastThumbs, immutableFeatures),
      judgedItems: this.judgedItems,
      syntheticPairs: this.syntheticPairs,
      statements: cloneState(this.statements),
    };
  }

  restore(state: LearnerState): void {
    this.trainer.restore(state.trainer);
    this.rewardModel = cloneState(state.rewardModel, immutableFeatures);
    this.explained = cloneState(state.explained);
    this.recent = [...state.recent];
    this.lastThumbs = cloneState(state.lastThumbs, immutableFeatures);
    this.judgedItems = state.judgedItems;
    this.syntheticPairs = state.syntheticPairs;
    this.statements = cloneState(state.statements);
  }

  /** A person's statement about a principle (see `statePrinciple`); a reason when it cannot apply. */
  statePrinciple(principleId: string, verdict: PrincipleVerdict): string | null {
    return statePrinciple(this.rewardModel, this.reference.config, this.statements, principleId, verdict);
  }

  /** The principles as the reward model weighs them now (the "what you seem to prefer" panel). */
  get preferences(): PrincipleEstimate[] {
    return principleEstimates(this.rewardModel, this.reference.config, this.statements);
  }

  /** The explanations the loop's call weighs, by posterior probability (`ExplainedVotes.weights`). */
  get explanations(): ExplanationWeight[] {
    return this.explained.weights();
  }

  /**
   * A matched critique trains (as C3PO does with verbal feedback): it is evidence on its
   * principles in the reward model (`critiqueEvidence`), and it decides synthetic pairs among
   * fresh samples of the policy for the prompt: two samples whose matched feature differs by at
   * least one spread, in the asked direction, enter the buffer as a synthetic pair (the pair
   * with the largest difference first, then the next disjoint one, up to `maxPairs`). Nothing
   * is learned from an unmatched critique.
   */
  async critique(promptIds: number[], matches: readonly CritiqueMatch[], samples: number[][], maxPairs: number, train: boolean): Promise<{ syntheticPairs: number; steps: StepMetrics[] }> {
    critiqueEvidence(this.rewardModel, this.reference.config, this.statements, matches);
    const steps: StepMetrics[] = [];
    const strongest = [...matches].sort((a, b) => b.confidence - a.confidence)[0];
    if (!strongest || samples.length < 2 || maxPairs < 1) return { syntheticPairs: 0, steps };
    const { featureIndex, sign } = principleDirection(strongest.principleId, strongest.polarity);
    // One reference pass over all samples gives both what a pair needs in the buffer (reference
    // log-probs) and each sample's principles in spread units (the reward features' last block).
    const ref = await referencePass(this.reference, promptIds, samples, this.decode);
    const at = principleBlockOffset(this.reference.config) + featureIndex;
    const value = ref.features.map((f) => sign * f[at]!);
    // Most of the asked feature first; ties in sample order.
    const order = samples.map((_, i) => i).sort((i, j) => value[j]! - value[i]! || i - j);
    let added = 0;
    for (let k = 0; k < Math.floor(order.length / 2) && added < maxPairs; k++) {
      const chosen = order[k]!;
      const rejected = order[order.length - 1 - k]!;
      if (value[chosen]! - value[rejected]! < 1) break;
      this.trainer.add({ kind: 'pair', promptIds, chosen: { ids: samples[chosen]!, ref: ref.sums[chosen]! }, rejected: { ids: samples[rejected]!, ref: ref.sums[rejected]! } });
      this.syntheticPairs++;
      added++;
      if (train) steps.push(...(await this.trainer.takeSteps(this.trainer.settings.stepsPerVote)));
    }
    return { syntheticPairs: added, steps };
  }

  /** Feedback items from the judge and synthetic pairs that entered the policy's buffer so far. */
  get counts(): { judgedItems: number; syntheticPairs: number } {
    return { judgedItems: this.judgedItems, syntheticPairs: this.syntheticPairs };
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
    const steps = await this.trainer.takeSteps(this.trainer.settings.stepsPerVote);
    return this.result(steps, obs);
  }

  /** The loop's call on a pair of reference features: the reward model (with its heads' std) weighed against the explanations. */
  private judgePair(a: Float32Array, b: Float32Array): { pAB: number; tastePAB: number; std: number } {
    return this.explained.judge(this.rewardModel.preference(a, b), a, b);
  }

  private observeVote(a: Float32Array, b: Float32Array, outcome: VoteOutcome): ObserveResult {
    return this.explained.observe(this.rewardModel, a, b, outcome);
  }

  /** The reward model's counts with the prequential accuracy of what it reports (the mixture's predictions). */
  get rewardSummary(): RewardEnsemble['summary'] {
    return { ...this.rewardModel.summary, ...this.explained.prequential.summary() };
  }

  private result(steps: StepMetrics[], obs: ObserveResult | null, untrainedReason?: string): FeedbackResult {
    const summary = this.rewardSummary;
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
