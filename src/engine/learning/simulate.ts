import { generateAll, type GenerateOptions } from '../generate';
import type { LoadedPolicy } from '../model/load';
import type { GPT2Model } from '../model/gpt2';
import { Rng } from '../rng';
import { SimulatedAnnotator, personCritique, type AnnotatorConfig } from '../annotators';
import { resultForPolicy, winRate, type PairwiseResult } from '../stats';
import type {
  LearningSettings,
  ReduceResult,
  SimulationFluency,
  SimulationLoop,
  SimulationProgressEvent,
  SimulationRequest,
  SimulationSeriesPoint,
  SimulationSummary,
  StepMetrics,
  VoteOutcome,
} from '../api';
import { evaluationFluency, runVerdict } from './frontier';
import { LogReducer, NO_CHECKPOINTS } from './log_reducer';
import { policyHealth } from './health';

/**
 * What `runSimulation` needs: the worker's `SimulationRequest` with the annotator built (the
 * request names a criterion and a flip rate; the command line sets every knob) and the knobs the
 * worker fixes.
 */
export interface SimulationConfig extends Pick<SimulationRequest, 'trainer' | 'votes' | 'seed' | 'trainPrompts' | 'evalPrompts' | 'maxNewTokens' | 'loop'> {
  annotator: Omit<AnnotatorConfig, 'seed'>;
  temperature: number;
  /** Word list for the English-word rate of the evaluation samples. */
  englishWords?: ReadonlySet<string>;
}

/** A point of the worker's curves plus what only the command line prints. */
export interface SimulationPoint extends SimulationSeriesPoint {
  chosenLogp: number | null;
  rejectedLogp: number | null;
  stepMs: number | null;
}

/** The worker's SimulationSummary with the full per-vote series the CLI prints. */
export interface SimulationResult extends Omit<SimulationSummary, 'series'> {
  series: SimulationPoint[];
  /** With `loop.critiqueRate` > 0: critiques the simulated person wrote, how many matched a principle, the synthetic pairs they added. */
  critiques?: { written: number; understood: number; syntheticPairs: number };
}

/** One simulated vote as it happened: what was shown and what the annotator said. */
export interface SimulatedVote {
  vote: number;
  prompt: string;
  a: string;
  b: string;
  outcome: VoteOutcome;
  /** The annotator's hidden scores of a and b. */
  scores: { a: number; b: number };
  /** The reward model's P(a ≻ b) before it saw this vote (null for ties and both bad). */
  rmPredictedPAB: number | null;
  /** The simulated person's critique (`--critiques`) and what the loop understood it as. */
  critique?: string;
  understood?: string;
}

export type SimulationProgress = SimulationProgressEvent;

/** The loop before it was the playground's: random pairs at temperature 1, no relabelling. */
export const LEGACY_LOOP: SimulationLoop = {
  sampling: { temperature: 1, topK: 0, topP: 1 },
  pairSelection: { rule: 'random', k: 2 },
  relabel: { pairs: 0, minConfidence: 0.8, maxStd: 0.1 },
};

/**
 * The whole loop without a person (AlpacaFarm-style), through the playground's own path: the
 * policy proposes candidates (a random pair, or the most uncertain of k), a simulated annotator
 * with hidden preferences votes, and each vote is a pair intent reduced by the same LogReducer
 * the page uses (reference pass, reward model, policy steps, relabelling). Finally the policy is
 * compared with the frozen reference on held-out prompts by the same kind of annotator (a
 * separate seed), with KL(π‖π_ref) and fluency measured on the same samples so a win bought by
 * collapse is visible, and the reward model is scored on a fixed set of reference pairs.
 */
export async function runSimulation(
  policy: LoadedPolicy,
  reference: GPT2Model,
  cfg: SimulationConfig,
  onProgress?: (p: SimulationProgress) => void,
  signal?: { cancelled: boolean },
  onVote?: (v: SimulatedVote) => void,
): Promise<SimulationResult> {
  const t0 = performance.now();
  if (cfg.trainPrompts.length === 0 || cfg.evalPrompts.length === 0) throw new Error('simulation: need train and eval prompts');
  const rng = new Rng(cfg.seed).fork('simulation');
  const voter = new SimulatedAnnotator({ ...cfg.annotator, seed: `${cfg.seed}-voter` });
  const evaluator = new SimulatedAnnotator({ ...cfg.annotator, seed: `${cfg.seed}-evaluator` });
  const loop = cfg.loop ?? { ...LEGACY_LOOP, sampling: { ...LEGACY_LOOP.sampling, temperature: cfg.temperature } };
  const reducer = new LogReducer({ policy: policy.model, reference, tokenizer: policy.tokenizer, eosTokenId: policy.eosTokenId }, NO_CHECKPOINTS);
  const tok = policy.tokenizer;
  const sampling = { ...loop.sampling, maxNewTokens: cfg.maxNewTokens, eosTokenId: policy.eosTokenId };
  const settings: LearningSettings = {
    trainer: cfg.trainer,
    updateAfterVote: true,
    relabel: { ...loop.relabel, maxNewTokens: cfg.maxNewTokens, ...loop.sampling },
  };
  const series: SimulationPoint[] = [];
  const prequential: number[] = [];
  let decisive = 0;
  const critiques = { written: 0, understood: 0, syntheticPairs: 0 };
  let last: ReduceResult | null = null;
  // The log's order: votes and catch-ups share one increasing seq (a smaller one would land before reduced intents).
  let seq = 1;
  const catchUpEvery = loop.catchUpEvery ?? 0;
  if (!Number.isInteger(catchUpEvery) || catchUpEvery < 0) throw new Error('simulation: catchUpEvery must be a whole number ≥ 0');
  let deferred = 0;
  try {
    await reducer.reduce({ intents: [{ seq: 0, type: 'settings', settings }] });
    for (let v = 0; v < cfg.votes; v++) {
      if (signal?.cancelled) throw new Error('simulation cancelled');
      const prompt = cfg.trainPrompts[rng.int(cfg.trainPrompts.length)];
      const promptIds = tok.encode(prompt);
      const uncertain = loop.pairSelection.rule === 'uncertain';
      // Sequence b of a request does not depend on its size: the random pair is the first two of k.
      const drawn = await generateAll(policy.model, promptIds, { ...sampling, numSequences: uncertain ? loop.pairSelection.k : 2, seed: cfg.seed * 1_000_003 + v });
      const pick = uncertain ? await reducer.learner.selectPair(promptIds, drawn) : { i: 0, j: 1 };
      const aIds = drawn[pick.i]!;
      const bIds = drawn[pick.j]!;
      const a = tok.decode(aIds);
      const b = tok.decode(bIds);
      const judged = voter.judge(prompt, a, b);
      if (judged.outcome === 'a' || judged.outcome === 'b') decisive++;
      const critique = personCritique(cfg.annotator.scorer, judged.outcome, a, b, loop.critiqueRate ?? 0, rng.fork(`critique-${v}`));
      const defer = catchUpEvery > 0 && v > 0;
      last = await reducer.reduce({ intents: [{ seq: seq++, type: 'pair', prompt, aIds, bIds, outcome: judged.outcome, ...(critique !== null ? { critique } : {}), ...(defer ? { deferSteps: true as const } : {}) }] });
      const reduced = last.reduced[0]!;
      if (defer && ++deferred === catchUpEvery) {
        deferred = 0;
        // The vote's series point shows the catch-up's step (it ends this vote's turn).
        const caughtUp = await reducer.reduce({ intents: [{ seq: seq++, type: 'train', steps: 1, catchUp: true }] });
        reduced.steps.push(...caughtUp.reduced[0]!.steps);
      }
      if (reduced.critique) {
        critiques.written++;
        if (reduced.critique.matches.length > 0) critiques.understood++;
        critiques.syntheticPairs += reduced.critique.syntheticPairs;
      }
      if (reduced.skippedReason !== undefined) throw new Error(`simulation: vote ${v + 1} was not learned: ${reduced.skippedReason}`);
      const r = { steps: reduced.steps, rewardModel: reduced.rewardModel! };
      const watch = last.collapse;
      if (r.rewardModel.correct !== null) prequential.push(r.rewardModel.correct ? 1 : 0);
      onVote?.({ vote: v + 1, prompt, a, b, outcome: judged.outcome, scores: judged.scores, rmPredictedPAB: r.rewardModel.predictedPAB, ...(critique !== null && reduced.critique ? { critique, understood: reduced.critique.understood } : {}) });
      const lastStep: StepMetrics | undefined = r.steps.at(-1);
      series.push({
        vote: v + 1,
        loss: lastStep?.loss ?? null,
        margin: lastStep?.rewardsMargins ?? null,
        chosenLogp: lastStep?.logpsChosen ?? null,
        rejectedLogp: lastStep?.logpsRejected ?? null,
        rmPrequentialAccuracy: r.rewardModel.prequentialAccuracy,
        // The learner's collapse watch, the numbers the page charts: the last 40 candidates voted on.
        recentDistinct2: watch.recentDistinct2,
        recentRepetition: watch.recentRepetition,
        recentDistinctCompletions: watch.recentDistinctCompletions,
        recentMeanWords: watch.recentMeanWords,
        recentSelfSimilarity: watch.recentSelfSimilarity,
        recentDoubledWords: watch.recentDoubledWords,
        stepMs: last ? r.steps.reduce((s, x) => s + x.stepMs, 0) / r.steps.length : null,
      });
      onProgress?.({ phase: 'votes', done: v + 1, total: cfg.votes });
    }
    // The trainer goes idle with votes still deferred: the page's last catch-up.
    if (deferred > 0) await reducer.reduce({ intents: [{ seq: seq++, type: 'train', steps: 1, catchUp: true }] });

    const fixed = await fixedPairsAccuracy(reducer, reference, tok, cfg, sampling, onProgress, signal);

    // Evaluation: one policy and one reference sample per held-out prompt, same seed for both.
    const results: PairwiseResult[] = [];
    const samples: SimulationResult['samples'] = [];
    for (let i = 0; i < cfg.evalPrompts.length; i++) {
      if (signal?.cancelled) throw new Error('simulation cancelled');
      const prompt = cfg.evalPrompts[i];
      const promptIds = tok.encode(prompt);
      const seed = cfg.seed * 7_000_001 + i;
      const [pIds] = await generateAll(policy.model, promptIds, { ...sampling, numSequences: 1, seed });
      const [rIds] = await generateAll(reference, promptIds, { ...sampling, numSequences: 1, seed });
      const p = tok.decode(pIds);
      const ref = tok.decode(rIds);
      // Random presentation order, so an annotator's position bias cannot favour either side.
      const policyFirst = rng.next() < 0.5;
      const j = policyFirst ? evaluator.judge(prompt, p, ref) : evaluator.judge(prompt, ref, p);
      results.push(resultForPolicy(j.outcome, policyFirst ? 'a' : 'b'));
      samples.push({ prompt, policy: p, reference: ref });
      onProgress?.({ phase: 'evaluation', done: i + 1, total: cfg.evalPrompts.length });
    }
    const wr = winRate(results);
    // KL on fresh temperature-1 samples (the distribution KL(π‖π_ref) is defined on).
    const health = await policyHealth(policy.model, reference, tok, cfg.evalPrompts, {
      seed: cfg.seed + 1, maxNewTokens: cfg.maxNewTokens, eosTokenId: policy.eosTokenId,
    });
    const last100 = prequential.slice(-100);
    const policyTexts = samples.map((s) => s.policy);
    const referenceTexts = samples.map((s) => s.reference);
    const fluency: SimulationFluency = evaluationFluency(policyTexts, referenceTexts, cfg.englishWords);
    return {
      win_rate: wr.winRate,
      win_rate_ci: wr.ci95,
      wins: wr.wins,
      losses: wr.losses,
      ties: wr.ties,
      kl: health.kl,
      rm_prequential_accuracy: reducer.learner.rewardSummary.accuracy,
      rm_prequential_accuracy_last100: last100.length ? last100.reduce((a, b) => a + b, 0) / last100.length : NaN,
      rm_fixed_pairs_accuracy: fixed.accuracy,
      rm_fixed_pairs: fixed.pairs,
      synthetic_pairs: last?.syntheticPairs ?? 0,
      ...((loop.critiqueRate ?? 0) > 0 ? { critiques } : {}),
      votes: cfg.votes,
      decisive_votes: decisive,
      optimizer_steps: reducer.policyStep,
      seconds: (performance.now() - t0) / 1000,
      fluency,
      verdict: runVerdict({ win_rate_ci: wr.ci95, kl: health.kl, fluency }),
      series,
      samples,
    };
  } finally {
    reducer.dispose();
  }
}

/**
 * The reward model's accuracy on pairs it never chose: two reference samples per evaluation
 * prompt (seeded apart from every other draw), labelled by the annotator's hidden taste without
 * noise; ties are left out. Active pair selection picks the pairs the model learns from, so its
 * prequential accuracy is measured on pairs it chose; this set is the same for every rule.
 */
async function fixedPairsAccuracy(
  reducer: LogReducer,
  reference: GPT2Model,
  tok: LoadedPolicy['tokenizer'],
  cfg: SimulationConfig,
  sampling: Omit<GenerateOptions, 'numSequences' | 'seed'>,
  onProgress?: (p: SimulationProgress) => void,
  signal?: { cancelled: boolean },
): Promise<{ accuracy: number; pairs: number }> {
  const taste = new SimulatedAnnotator({ ...cfg.annotator, noise: { type: 'flip', flipRate: 0 }, seed: `${cfg.seed}-fixed-pairs` });
  let right = 0;
  let pairs = 0;
  for (let i = 0; i < cfg.evalPrompts.length; i++) {
    if (signal?.cancelled) throw new Error('simulation cancelled');
    const prompt = cfg.evalPrompts[i]!;
    const promptIds = tok.encode(prompt);
    const [aIds, bIds] = await generateAll(reference, promptIds, { ...sampling, numSequences: 2, seed: 0x5eed_f1 + i });
    if (!aIds || !bIds) continue;
    const judged = taste.judge(prompt, tok.decode(aIds), tok.decode(bIds));
    if (judged.outcome !== 'a' && judged.outcome !== 'b') continue;
    const p = await reducer.learner.rewardPredict(promptIds, aIds, bIds);
    pairs++;
    if ((p.pAB > 0.5) === (judged.outcome === 'a')) right++;
    onProgress?.({ phase: 'reference', done: i + 1, total: cfg.evalPrompts.length });
  }
  return { accuracy: pairs === 0 ? NaN : right / pairs, pairs };
}
