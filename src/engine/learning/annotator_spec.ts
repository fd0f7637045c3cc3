/**
 * A session's simulated annotator (`AnnotatorSpec`, the schema's AnnotatorConfig) as the
 * engine's `SimulatedAnnotator`, and verdicts that replay: vote `index` of annotator `seed`
 * is always drawn from the same random stream, whatever was judged before it, so a session
 * replayed (or resumed in another tab) gets the same votes in the same places.
 */
import { SimulatedAnnotator, personCritique, type AnnotatorConfig, type ScorerConfig } from '../annotators';
import { Rng } from '../rng';
import { ANNOTATOR_CRITERIA, type AnnotatorSpec, type AnnotatorVerdict } from '../api';

export { ANNOTATOR_CRITERIA };

function scorerFor(spec: AnnotatorSpec): ScorerConfig {
  const p = spec.params ?? {};
  switch (spec.criterion) {
    case 'sentiment': {
      const mode = p['mode'] ?? 'comparative';
      if (mode !== 'comparative' && mode !== 'total') throw new RangeError(`params.mode must be "comparative" or "total", got ${String(mode)}`);
      return { kind: 'sentiment', mode };
    }
    case 'length': {
      const targetWords = p['targetWords'] ?? 20;
      if (typeof targetWords !== 'number' || !(targetWords >= 0)) throw new RangeError('params.targetWords must be a number ≥ 0');
      return { kind: 'length', targetWords };
    }
    case 'keyword': {
      // Comma-separated, as the Simulate cell stores them (params are scalars in the schema).
      const raw = p['keywords'] ?? 'sea';
      if (typeof raw !== 'string') throw new RangeError('params.keywords must be a comma-separated string');
      const keywords = raw.split(',').map((k) => k.trim()).filter((k) => k !== '');
      if (keywords.length === 0) throw new RangeError('params.keywords names no keyword');
      return { kind: 'keyword', keywords };
    }
    case 'readability':
      return { kind: 'readability' };
    default:
      throw new RangeError(`unknown annotator criterion "${spec.criterion}" (one of ${ANNOTATOR_CRITERIA.join(', ')})`);
  }
}

function optionalNumber(spec: AnnotatorSpec, name: string): number | undefined {
  const v = spec.params?.[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new RangeError(`params.${name} must be a finite number`);
  return v;
}

/**
 * The annotator that gives vote `index`. Mapping:
 * - labelNoise → AlpacaFarm flip noise p (with probability 2p the label is a coin flip);
 * - positionBias b ∈ [−1, 1] → the coin's (and an exact tie's) chance of landing on the
 *   first-shown answer, (1 + b)/2: AlpacaFarm's flip model has no other place for position
 *   bias, so it shows exactly when the annotator is unsure (b = +1: every coin says "first");
 * - params.tieThreshold / tieProbability / bothBadThreshold → the annotator's own knobs
 *   (default: exactly equal scores are a tie, never "both bad").
 * The seed is derived from (spec.seed, index) through a named fork, so verdicts do not depend
 * on the order in which votes are requested.
 */
export function annotatorForVote(spec: AnnotatorSpec, index: number): SimulatedAnnotator {
  if (!Number.isInteger(index) || index < 0) throw new RangeError('the vote index must be an integer ≥ 0');
  if (!(spec.labelNoise >= 0 && spec.labelNoise <= 0.5)) {
    throw new RangeError('labelNoise is a flip rate p (with probability 2p the label is a coin flip) and must be in [0, 0.5]');
  }
  if (!(spec.positionBias >= -1 && spec.positionBias <= 1)) throw new RangeError('positionBias must be in [−1, 1]');
  if (typeof spec.seed !== 'number' && typeof spec.seed !== 'string') throw new RangeError('seed must be a number or a string');
  const config: AnnotatorConfig = {
    id: spec.id,
    scorer: scorerFor(spec),
    noise: { type: 'flip', flipRate: spec.labelNoise },
    firstWhenUnsure: (1 + spec.positionBias) / 2,
    tieThreshold: optionalNumber(spec, 'tieThreshold') ?? 1e-9,
    tieProbability: optionalNumber(spec, 'tieProbability'),
    bothBadThreshold: optionalNumber(spec, 'bothBadThreshold'),
    critique: true,
    seed: new Rng(spec.seed).fork(`${spec.id}/vote-${index}`).seedPath,
  };
  return new SimulatedAnnotator(config);
}

export function annotatePair(spec: AnnotatorSpec, index: number, prompt: string, a: string, b: string): AnnotatorVerdict {
  const j = annotatorForVote(spec, index).judge(prompt, a, b);
  return { outcome: j.outcome, pAB: j.pAB, scores: j.scores, critique: j.critique ?? '' };
}

/** The hidden scores (no noise: noise belongs to verdicts, not to what the annotator values). */
export function annotateScores(spec: AnnotatorSpec, completions: readonly string[]): number[] {
  const annotator = annotatorForVote(spec, 0);
  return completions.map((c) => annotator.score(c));
}

/**
 * The critique a person with this taste might write on vote `index` (see `personCritique`):
 * with probability `rate`, for a decisive vote that agrees with the taste; never a score, a
 * target or a word list. Its own named random stream, so critiques do not shift the votes.
 */
export function annotatePersonCritique(spec: AnnotatorSpec, index: number, outcome: string, a: string, b: string, rate: number): string | null {
  if (!(rate > 0)) return null;
  return personCritique(scorerFor(spec), outcome, a, b, rate, new Rng(spec.seed).fork(`${spec.id}/critique-${index}`));
}
