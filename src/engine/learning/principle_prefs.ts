/**
 * The style principles inside the reward model: what the "what you seem to prefer" panel shows
 * (each principle's weight with an interval) and what a person's statements and critiques do to
 * it (Gaussian priors on those weights). The principles are the last block of the reward
 * features (`rewardFeatureBlocks`), one weight per axis, in spread units.
 */
import { PRINCIPLE_STATEMENT, type PrincipleEstimate, type PrincipleVerdict } from '../api';
import { PRINCIPLE_AXES, PRINCIPLE_FEATURE_COUNT, isPrincipleId, principleById, principleDirection, type CritiqueMatch } from '../principles';
import type { RewardEnsemble, WeightPrior } from '../reward';
import { principleBlockOffset, rewardFeatureBlocks } from './reference_pass';

/**
 * A matched critique is evidence about one axis worth about one decisive vote along one spread
 * (C·p(1−p) ≈ 30·0.2): it adds this precision to the axis's prior, at the statement's margin in
 * the direction the critique asks for, times the match's confidence.
 */
export const CRITIQUE_PRECISION = 6;

type ModelShape = { nEmbd: number; vocabSize: number };

/** What the person has said about each axis, by axis id. */
export type PrincipleStatements = Map<string, { principleId: string; verdict: 'confirm' | 'reject' }>;

function blockScale(config: ModelShape): number {
  const blocks = rewardFeatureBlocks(config);
  return blocks[blocks.length - 1]!.scale;
}

/**
 * A statement about a principle: sets the prior of its axis (see PRINCIPLE_STATEMENT). Returns
 * a reason when the statement cannot apply (an id this engine does not know), else null.
 */
export function statePrinciple(
  rm: RewardEnsemble,
  config: ModelShape,
  statements: PrincipleStatements,
  principleId: string,
  verdict: PrincipleVerdict,
): string | null {
  if (!isPrincipleId(principleId)) return `unknown principle "${principleId}"`;
  const principle = principleById(principleId);
  const index = principleBlockOffset(config) + principle.featureIndex;
  if (verdict === 'clear') {
    statements.delete(principle.axis);
    rm.setPrior(index, null);
    return null;
  }
  const { sign } = principleDirection(principleId, 1);
  const mean = verdict === 'confirm' ? (sign * PRINCIPLE_STATEMENT.confirmMargin) / blockScale(config) : 0;
  statements.set(principle.axis, { principleId, verdict });
  rm.setPrior(index, { mean, precision: PRINCIPLE_STATEMENT.precision });
  return null;
}

/**
 * A matched critique as evidence: each match multiplies its axis's prior by a Gaussian
 * pseudo-observation (mean ± margin in the asked direction, precision CRITIQUE_PRECISION ×
 * confidence). An axis the person rejected outright ignores critiques: the person's explicit
 * word wins. Returns the axes it moved.
 */
export function critiqueEvidence(rm: RewardEnsemble, config: ModelShape, statements: PrincipleStatements, matches: readonly CritiqueMatch[]): string[] {
  const moved: string[] = [];
  const offset = principleBlockOffset(config);
  const scale = blockScale(config);
  for (const m of matches) {
    const principle = principleById(m.principleId);
    if (statements.get(principle.axis)?.verdict === 'reject') continue;
    const { featureIndex, sign } = principleDirection(m.principleId, m.polarity);
    const index = offset + featureIndex;
    const prior: WeightPrior = rm.priorOf(index) ?? { mean: 0, precision: 1 };
    const add = CRITIQUE_PRECISION * m.confidence;
    const target = (sign * PRINCIPLE_STATEMENT.confirmMargin) / scale;
    rm.setPrior(index, { mean: (prior.precision * prior.mean + add * target) / (prior.precision + add), precision: prior.precision + add });
    moved.push(principle.axis);
  }
  return moved;
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
    return { axis: axis.id, weight, low: weight - half, high: weight + half, stated: statements.get(axis.id) ?? null };
  });
  return out.sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight) || a.axis.localeCompare(b.axis));
}

/** The panel before the reward model exists (no vote or statement yet): every weight at its N(0, 1) prior. */
export function priorPrincipleEstimates(config: ModelShape): PrincipleEstimate[] {
  const half = 1.96 * blockScale(config);
  return PRINCIPLE_AXES.map((axis) => ({ axis: axis.id, weight: 0, low: -half, high: half, stated: null }));
}
