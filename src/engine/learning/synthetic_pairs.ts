/**
 * The two sources of synthetic pairs that follow a pairwise vote, as the log reducer runs them:
 * relabelling (fresh policy samples labelled by what the loop believes) and a critique (fresh
 * samples decided by the principles the critique was matched to). Both sample with seeds named
 * by the vote's seq, so a replay draws the same, and both put their steps in the vote's list.
 * They live apart from `LogReducer` because they are about *what* a vote adds to the buffer,
 * the reducer about *when* (the log, undo and checkpoints).
 */
import { RELABEL_CANDIDATES, type CritiqueReading, type LearningSettings, type RelabelRecord, type StepMetrics } from '../api';
import { generateAll } from '../generate';
import type { GPT2Model } from '../model/gpt2';
import { describeMatch, matchCritique } from '../principles';
import { Rng } from '../rng';
import type { OnlineLearner } from './online';
import type { ReferencePassResult } from './reference_pass';

/** Fresh policy samples a critique's principles decide among. */
export const CRITIQUE_SAMPLES = 4;
/** Synthetic pairs a matched critique adds at most. */
export const CRITIQUE_PAIRS = 2;

/** What the drivers read: the policy being trained, the learner, and the settings in force. */
export interface SyntheticPairContext {
  policy: GPT2Model;
  eosTokenId: number | null;
  learner: OnlineLearner;
  settings: LearningSettings;
}

/** New tokens a synthetic sample may have after `promptIds` (< 1: none fit the context). */
function roomFor(ctx: SyntheticPairContext, promptIds: number[]): number {
  return Math.min(ctx.settings.relabel.maxNewTokens, ctx.policy.config.nPositions - promptIds.length);
}

/**
 * Relabelling after a pairwise vote: `pairs` fresh pairs sampled from the policy as it is
 * after the vote, seeded by the vote's seq (so a replay samples the same), each labelled by the
 * loop's mixture and, when confident, added to the buffer (with its own policy steps unless
 * `ownSteps` is off). With `candidates` > 2 each pair is the DivPO pick among that many samples
 * (`OnlineLearner.diversePair`), whose reference pass the label reuses.
 */
export async function relabelAfterVote(ctx: SyntheticPairContext, seq: number, promptIds: number[], steps: StepMetrics[], train: boolean): Promise<RelabelRecord[]> {
  const r = ctx.settings.relabel;
  const maxNewTokens = roomFor(ctx, promptIds);
  if (maxNewTokens < 1) return [];
  const records: RelabelRecord[] = [];
  const candidates = r.candidates ?? 2;
  for (let k = 0; k < r.pairs; k++) {
    const drawn = await generateAll(ctx.policy, promptIds, {
      numSequences: candidates,
      maxNewTokens,
      temperature: r.temperature,
      topK: r.topK,
      topP: r.topP,
      // A named stream per (vote, pair): the same whatever was drawn before.
      seed: new Rng(ctx.settings.trainer.seed).fork(`relabel-${seq}-${k}`).int(2 ** 31),
      eosTokenId: ctx.eosTokenId,
    });
    let aIds = drawn[0];
    let bIds = drawn[1];
    let pass: ReferencePassResult | undefined;
    if (candidates > 2) {
      // An empty answer has no per-token likelihood to rank by.
      const answers = drawn.filter((ids) => ids.length > 0);
      if (answers.length < 2) continue;
      const pick = await ctx.learner.diversePair(promptIds, answers, r.matchLength ?? false);
      aIds = answers[pick.chosen];
      bIds = answers[pick.rejected];
      pass = pick.pass;
    }
    if (!aIds || !bIds) continue;
    const request = { promptIds, aIds, bIds, minConfidence: r.minConfidence, maxStd: r.maxStd, train: train && (r.ownSteps ?? true), collapseGuard: r.collapseGuard ?? false };
    const result = await ctx.learner.relabel(request, pass);
    steps.push(...result.steps);
    records.push({
      aIds,
      bIds,
      accepted: result.accepted,
      ...(result.rejectedReason !== undefined ? { rejectedReason: result.rejectedReason } : {}),
      preferred: result.preferred,
      pAB: result.pAB,
      std: result.std,
      steps: result.steps.length,
    });
  }
  return records;
}

/**
 * A critique on a pairwise vote: matched to principles (the deterministic `matchCritique`),
 * it is evidence in the reward model and decides synthetic pairs among CRITIQUE_SAMPLES fresh
 * samples of the policy for the prompt, seeded by the vote's seq (see OnlineLearner.critique).
 */
export async function critiqueAfterVote(ctx: SyntheticPairContext, seq: number, promptIds: number[], text: string, steps: StepMetrics[], train: boolean): Promise<CritiqueReading> {
  const result = matchCritique(text);
  const matches = result.matches.map((m) => ({ principleId: m.principleId, polarity: m.polarity, about: m.side ?? ('unknown' as const), confidence: m.confidence }));
  if (result.unmatched) return { understood: `not understood: ${result.reason ?? 'no principle matched'}`, matches, syntheticPairs: 0 };
  const understood = result.matches.map(describeMatch).join('; ');
  const r = ctx.settings.relabel;
  const maxNewTokens = roomFor(ctx, promptIds);
  const samples =
    maxNewTokens < 1
      ? []
      : await generateAll(ctx.policy, promptIds, {
          numSequences: CRITIQUE_SAMPLES,
          maxNewTokens,
          temperature: r.temperature,
          topK: r.topK,
          topP: r.topP,
          seed: new Rng(ctx.settings.trainer.seed).fork(`critique-${seq}`).int(2 ** 31),
          eosTokenId: ctx.eosTokenId,
        });
  const trained = await ctx.learner.critique(promptIds, result.matches, samples, CRITIQUE_PAIRS, train && (r.ownSteps ?? true));
  steps.push(...trained.steps);
  return { understood, matches, syntheticPairs: trained.syntheticPairs };
}

/** The relabel settings' checks, as the reducer runs them on a `settings` intent. */
export function checkRelabel(r: LearningSettings['relabel'], bad: (m: string) => never): void {
  if (!r || typeof r !== 'object') bad('relabel settings are missing');
  if (!Number.isInteger(r.pairs) || r.pairs < 0 || r.pairs > 8) bad('relabel.pairs must be 0…8');
  if (!(r.minConfidence >= 0.5 && r.minConfidence <= 1)) bad('relabel.minConfidence must be in [0.5, 1]');
  if (!(r.maxStd >= 0 && r.maxStd <= 0.5)) bad('relabel.maxStd must be in [0, 0.5]');
  if (!Number.isInteger(r.maxNewTokens) || r.maxNewTokens < 1 || r.maxNewTokens > 4096) bad('relabel.maxNewTokens must be 1…4096');
  if (!(r.temperature >= 0)) bad('relabel.temperature must be ≥ 0');
  if (!Number.isInteger(r.topK) || r.topK < 0) bad('relabel.topK must be a whole number ≥ 0');
  if (!(r.topP > 0 && r.topP <= 1)) bad('relabel.topP must be in (0, 1]');
  if (r.ownSteps !== undefined && typeof r.ownSteps !== 'boolean') bad('relabel.ownSteps must be true or false');
  if (r.collapseGuard !== undefined && typeof r.collapseGuard !== 'boolean') bad('relabel.collapseGuard must be true or false');
  const { min, max } = RELABEL_CANDIDATES;
  if (r.candidates !== undefined && !(Number.isInteger(r.candidates) && r.candidates >= min && r.candidates <= max)) bad(`relabel.candidates must be ${min}…${max}`);
  if (r.matchLength !== undefined && typeof r.matchLength !== 'boolean') bad('relabel.matchLength must be true or false');
}
