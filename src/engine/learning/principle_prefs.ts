/**
 * The style principles inside the reward model: what the "what you seem to prefer" panel shows
 * (each principle's weight with an interval) and what a person's statements and critiques do to
 * it. The principles are the last block of the reward features (`rewardFeatureBlocks`), one
 * weight per axis, in spread units.
 *
 * Statements and critiques say which way a person leans, not how much. So they enter the
 * reward model as votes along one spread of the principle (pseudo-votes in its likelihood),
 * never as a prior mean: a prior at "one unit" would cap a weight that the person's real votes
 * put at three (traced on one seed: as priors, accumulated critiques held the valence weight
 * near 1.3 where the votes alone took it to 3–5; scripts/rm/README.md).
 */
import { PRINCIPLE_STATEMENT, type PrincipleEstimate, type PrincipleVerdict } from '../api';
import { PRINCIPLE_AXES, PRINCIPLE_FEATURE_COUNT, isPrincipleId, principleById, principleDirection, type CritiqueMatch } from '../principles';
import type { RewardEnsemble } from '../reward';
import { principleBlockOffset, rewardFeatureBlocks } from './reference_pass';

/** A matched critique counts as this many votes along one spread (times the match's confidence). */
export const CRITIQUE_VOTES = 1;

type ModelShape = { nEmbd: number; vocabSize: number };

/** What the person has said about one principle axis: a statement, and critiques' pseudo-votes for more / less of it. */
export interface AxisEvidence {
  stated: { principleId: string; verdict: 'confirm' | 'reject' } | null;
  critiquesMore: number;
  critiquesLess: number;
}

/** By axis id. */
export type PrincipleStatements = Map<string, AxisEvidence>;

function blockScale(config: ModelShape): number {
  const blocks = rewardFeatureBlocks(config);
  return blocks[blocks.length - 1]!.scale;
}

/** Puts an axis's evidence into the reward model: the prior and the pseudo-votes it implies. */
function applyAxis(rm: RewardEnsemble, config: ModelShape, axis: string, e: AxisEvidence): void {
  const featureIndex = PRINCIPLE_AXES.findIndex((a) => a.id === axis);
  const index = principleBlockOffset(config) + featureIndex;
  if (e.stated?.verdict === 'reject') {
    // The person's explicit "no" wins over their critiques on the same axis.
    // One refit for both changes (each setter would otherwise refit on its own).
    rm.setPseudoVotes(index, 0, 0, false);
    rm.setPrior(index, { mean: 0, precision: PRINCIPLE_STATEMENT.rejectPrecision });
    return;
  }
  let more = e.critiquesMore;
  let less = e.critiquesLess;
  if (e.stated?.verdict === 'confirm') {
    const { sign } = principleDirection(e.stated.principleId as Parameters<typeof principleDirection>[0], 1);
    if (sign > 0) more += PRINCIPLE_STATEMENT.confirmVotes;
    else less += PRINCIPLE_STATEMENT.confirmVotes;
  }
  rm.setPrior(index, null, false);
  rm.setPseudoVotes(index, more, less);
}

function evidenceOf(statements: PrincipleStatements, axis: string): AxisEvidence {
  let e = statements.get(axis);
  if (!e) {
    e = { stated: null, critiquesMore: 0, critiquesLess: 0 };
    statements.set(axis, e);
  }
  return e;
}

/**
 * A statement about a principle (see PRINCIPLE_STATEMENT); "clear" forgets the statement (not
 * the critiques). Returns a reason when the statement cannot apply (an id this engine does not
 * know), else null.
 */
export function statePrinciple(
  rm: RewardEnsemble,
  config: ModelShape,
  statements: PrincipleStatements,
  principleId: string,
  verdict: PrincipleVerdict,
): string | null {
  if (!isPrincipleId(principleId)) return `unknown principle "${principleId}"`;
  const axis = principleById(principleId).axis;
  const e = evidenceOf(statements, axis);
  e.stated = verdict === 'clear' ? null : { principleId, verdict };
  applyAxis(rm, config, axis, e);
  return null;
}

/**
 * A matched critique as evidence: each match adds CRITIQUE_VOTES × its confidence votes along
 * one spread of its axis, in the direction it asks for. Returns the axes it moved.
 */
export function critiqueEvidence(rm: RewardEnsemble, config: ModelShape, statements: PrincipleStatements, matches: readonly CritiqueMatch[]): string[] {
  const moved = new Set<string>();
  for (const m of matches) {
    const axis = principleById(m.principleId).axis;
    const e = evidenceOf(statements, axis);
    const { sign } = principleDirection(m.principleId, m.polarity);
    if (sign > 0) e.critiquesMore += CRITIQUE_VOTES * m.confidence;
    else e.critiquesLess += CRITIQUE_VOTES * m.confidence;
    moved.add(axis);
  }
  for (const axis of moved) applyAxis(rm, config, axis, statements.get(axis)!);
  return [...moved];
}

/**
 * The principles' weights now, in reward per spread, with 95 % Laplace intervals, strongest
 * (largest |weight|) first.
 */
export function principleEstimates(rm: RewardEnsemble, config: ModelShape, statements: PrincipleStatements): PrincipleEstimate[] {
  const offset = principleBlockOffset(config);
  const scale = blockScale(config);
  const post = rm.posterior(Array.from({ length: PRINCIPLE_FEATURE_COUNT }, (_, k) => offset + k));
  const out = PRINCIPLE_AXES.map((axis, k): PrincipleEstimate => {
    const weight = post.mean[k]! * scale;
    const half = 1.96 * post.std[k]! * scale;
    return { axis: axis.id, weight, low: weight - half, high: weight + half, stated: statements.get(axis.id)?.stated ?? null };
  });
  return out.sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight) || a.axis.localeCompare(b.axis));
}

/** The panel before the reward model exists (no vote or statement yet): every weight at its N(0, 1) prior. */
export function priorPrincipleEstimates(config: ModelShape): PrincipleEstimate[] {
  const half = 1.96 * blockScale(config);
  return PRINCIPLE_AXES.map((axis) => ({ axis: axis.id, weight: 0, low: -half, high: half, stated: null }));
}
