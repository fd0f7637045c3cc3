/**
 * Small explanations of a person's votes, weighed against the loop's reward model and a group
 * test over words ("answers that mention particular words") by their evidence
 * (`EvidenceMixture`): the style principles jointly, each principle alone, "prefers an answer
 * whose length is near μ" for seven values of μ (ideal points: a peaked taste for
 * length, which no weight on ln(1 + words) can express), "prefers an answer to no answer", and
 * easy (or hard) reading as word difficulty and sentence length together. Ties weigh them too:
 * an explanation that called a tied pair close gains against one that called it clear.
 *
 * Why: in the first 30 votes the reward model, with tens of thousands of bag dimensions beside
 * the principles, spreads what it learns over all of them, while most tastes are about one
 * thing. On the taste panel (scripts/rm/README.md: 20 seeds × 7 tastes, 10 % flips, decisive
 * votes 11–30) this mixture took the pooled accuracy from 0.674 to 0.710, both length tastes by
 * 0.09–0.10; the non-empty column and the one-explanation prior variance took it to 0.73, and
 * reading ease and ties to 0.743 (40 seeds, runs/taste_panel_30_explained_3_40seeds.json), and
 * the group test over words (`WordMentions`, a second outside model) to 0.763, the keyword
 * tastes from 0.53–0.62 to 0.71–0.78 (runs/taste_panel_30_explained_4_40seeds.json).
 * Everything here comes from the texts: μ are quantiles of a normal fitted to the length
 * feature of the shipped policy's 800 recorded candidates, never a taste's target.
 */
import { EvidenceMixture, PrequentialTracker, WordMentions, type MixtureCandidate, type ObserveResult, type RewardEnsemble, type VoteOutcome } from '../reward';
import { PRINCIPLE_AXES, PRINCIPLE_FEATURE_COUNT, PRINCIPLE_FEATURE_IDS } from '../principles';
import type { ExplanationWeight } from '../api';

/**
 * Mean of the length feature, ln(1 + words), over the shipped policy's 800 recorded candidates
 * (scripts/principles/spreads.json: 2.2145, std 0.9894; about 8 words).
 */
const LENGTH_MEAN = 2.2145;
/** Standard normal quantiles at 1/8, 2/8, …, 7/8: the ideal points' places in that spread. */
const IDEAL_POINT_Z = [-1.1503, -0.6745, -0.3186, 0, 0.3186, 0.6745, 1.1503];

const LENGTH_AXIS = PRINCIPLE_FEATURE_IDS.indexOf('length');
const WORD_DIFFICULTY_AXIS = PRINCIPLE_FEATURE_IDS.indexOf('word_difficulty');
const SENTENCE_LENGTH_AXIS = PRINCIPLE_FEATURE_IDS.indexOf('sentence_length');
const LENGTH_SPREAD = PRINCIPLE_AXES[LENGTH_AXIS]!.spread;

/** The ideal points μ, in the principle block's units (ln(1 + words) / its spread). */
export const LENGTH_IDEAL_POINTS: readonly number[] = IDEAL_POINT_Z.map((z) => (LENGTH_MEAN + z * LENGTH_SPREAD) / LENGTH_SPREAD);

/**
 * Prior probabilities of the groups of explanations (shared equally within a group; all are
 * renormalised): chosen on the taste panel, where six settings gave 0.695–0.712 pooled
 * (runs/taste_panel_30_mixture_grid.txt). `wordMentions` (the group test over words, an outside
 * model like the reward model) was set on the same panel (runs/taste_panel_30_explained_4_grid.txt):
 * 0.1 and 0.2 gave the same rows outside the keyword tastes and 0.766 / 0.770 pooled (20 seeds).
 */
export const EXPLANATION_PRIORS = { rewardModel: 0.05, wordMentions: 0.2, principlesJointly: 0.05, eachPrinciple: 0.5, lengthIdealPoints: 0.4 } as const;
/** Chance that a vote is a coin flip whatever an explanation says (AlpacaFarm's flip noise is 0.1–0.25). */
export const EXPLANATION_LAPSE = 0.1;

/**
 * Prior variance of the weights of a one-principle or one-ideal-point explanation (its own
 * column and the non-empty one). Columns are in spread units, and a taste that decides 90 % of
 * votes needs a weight of 2–3 at a one-spread difference: under N(0, 1) that is 2–3 σ out, so
 * the right explanation predicted timidly for its first votes and its evidence grew slowly.
 * On the taste panel (40 seeds, runs/taste_panel_30_explained_2_grid.txt) variance 5 gave 0.731
 * pooled against 0.713 at 1 (sentiment 0.742 → 0.798, length 8 words 0.747 → 0.779; the keyword
 * tastes 0.01–0.02 lower), 3 gave 0.721, 10 0.728 and 30 0.716. The joint explanation keeps
 * N(0, 1): with eleven columns a wide prior lets it overfit its first votes (its own
 * predictions, traced in runs not kept: 0.66 pooled at variance 1, 0.60 at 10).
 */
export const SINGLE_EXPLANATION_PRIOR_VARIANCE = 5;

/**
 * The reading explanation: word difficulty and sentence length with weights of their own, the
 * two parts every readability formula combines, each in its own proportion (Flesch reading ease
 * weighs a syllable per word like 83 words per sentence, Flesch–Kincaid like 30; the
 * readability principle's ARI weighs letters, not syllables). No one formula is built in: the
 * votes set the proportion. On the taste panel (40 seeds, runs/taste_panel_30_explained_3_grid.txt)
 * the two axes with this explanation took the Flesch taste from 0.678 to 0.735.
 */
const READING_EXPLANATION = 'reading ease (word difficulty and sentence length)';

/** How the panel shows the group test over words (its words are hash buckets, so it cannot list them). */
export const WORD_MENTIONS_LABEL = 'answers that mention particular words';

/**
 * The outside models, in the order the mixture takes their calls (`ExplainedVotes.outside`):
 * what the panel calls each and its prior.
 */
const OUTSIDE_MODELS = [
  { label: 'the reward model (words, tokens and principles)', prior: EXPLANATION_PRIORS.rewardModel },
  { label: WORD_MENTIONS_LABEL, prior: EXPLANATION_PRIORS.wordMentions },
] as const;

/** Columns of `explanationFeatures`: the principles' differences, one per ideal point, then non-empty. */
export const EXPLANATION_COLUMNS = PRINCIPLE_FEATURE_COUNT + LENGTH_IDEAL_POINTS.length + 1;
/**
 * Column of "a has words and b has none" (+1), the reverse (−1), or neither (0). The
 * readability principle gives an empty answer 0 (the middle of its scale), yet people and
 * judges rank no answer below any answer (Flesch reading ease scores it 0, below nearly every
 * text); the length ideal points see it only as very short. Every explanation reads this column beside
 * its own, so "prefers simpler wording" can also say "and any answer over none". On the panel
 * (20 seeds, variance 1, the same grid file): Flesch 0.658 → 0.684, pooled 0.711 → 0.716, no
 * taste lower by more than 0.003.
 */
export const NON_EMPTY_COLUMN = PRINCIPLE_FEATURE_COUNT + LENGTH_IDEAL_POINTS.length;

/**
 * A fresh mixture: the reward model and the group test over words (the two outside models, in
 * that order) against the explanations. Names are
 * what the panel shows (`ExplainedVotes.weights`); a one-principle explanation is named by its
 * axis id and shown by the pole it leans to.
 */
export function createExplanations(): EvidenceMixture {
  const P = PRINCIPLE_FEATURE_COUNT;
  const single = { priorVariance: SINGLE_EXPLANATION_PRIOR_VARIANCE };
  // "Non-empty" and reading ease count as two more single principles in their group's prior.
  const eachPrinciple = EXPLANATION_PRIORS.eachPrinciple / (P + 2);
  const candidates: MixtureCandidate[] = [
    { name: 'several principles together', columns: [...Array.from({ length: P }, (_, k) => k), NON_EMPTY_COLUMN], prior: EXPLANATION_PRIORS.principlesJointly },
    ...PRINCIPLE_FEATURE_IDS.map((id, k) => ({ name: id, columns: [k, NON_EMPTY_COLUMN], prior: eachPrinciple, ...single })),
    { name: 'an answer over none', columns: [NON_EMPTY_COLUMN], prior: eachPrinciple, ...single },
    { name: READING_EXPLANATION, columns: [WORD_DIFFICULTY_AXIS, SENTENCE_LENGTH_AXIS, NON_EMPTY_COLUMN], prior: eachPrinciple, ...single },
    ...LENGTH_IDEAL_POINTS.map((mu, i) => ({
      name: `answers of about ${Math.round(Math.expm1(mu * LENGTH_SPREAD))} words`,
      columns: [P + i, NON_EMPTY_COLUMN],
      prior: EXPLANATION_PRIORS.lengthIdealPoints / LENGTH_IDEAL_POINTS.length,
      ...single,
    })),
  ];
  return new EvidenceMixture({ externalPriors: OUTSIDE_MODELS.map((m) => m.prior), lapse: EXPLANATION_LAPSE, candidates, ties: true });
}

/**
 * What the explanations read of a pair: each principle's difference a − b (spread units), then
 * for each ideal point μ, |l_b − μ| − |l_a − μ| (positive when a's length is nearer μ), then
 * non-empty (a has words) − (b has words): the length feature ln(1 + words) is 0 exactly when
 * a text has no words.
 * `offset` is where the principle block starts in the reward features (`principleBlockOffset`).
 */
export function explanationFeatures(a: ArrayLike<number>, b: ArrayLike<number>, offset: number): Float64Array {
  const P = PRINCIPLE_FEATURE_COUNT;
  const out = new Float64Array(EXPLANATION_COLUMNS);
  for (let k = 0; k < P; k++) out[k] = a[offset + k]! - b[offset + k]!;
  const la = a[offset + LENGTH_AXIS]!;
  const lb = b[offset + LENGTH_AXIS]!;
  LENGTH_IDEAL_POINTS.forEach((mu, i) => {
    out[P + i] = Math.abs(lb - mu) - Math.abs(la - mu);
  });
  out[NON_EMPTY_COLUMN] = (la > 0 ? 1 : 0) - (lb > 0 ? 1 : 0);
  return out;
}

/**
 * The reward model with the explanations weighed against it: what the loop (OnlineLearner) and
 * the taste panel (scripts/rm/taste_panel.ts) both observe votes through, so the panel measures
 * the loop. Each vote is predicted by the reward model and every explanation before any learns
 * it; the prediction reported and scored is the mixture's.
 */
export class ExplainedVotes {
  explanations: EvidenceMixture = createExplanations();
  /** "Prefers answers that mention certain words" (`WordMentions`), over the bag of words. */
  readonly mentions: WordMentions;
  /** Prequential record of the mixture's predictions. */
  prequential = new PrequentialTracker();

  /**
   * `principleOffset`: where the principle block starts in the reward features
   * (`principleBlockOffset`); `wordBlock`: where the bag of words starts and its size
   * (`wordBlockOffset`, `WORD_BUCKETS`).
   */
  constructor(
    private readonly principleOffset: number,
    private readonly wordBlock: { offset: number; size: number },
  ) {
    this.mentions = new WordMentions({ size: wordBlock.size, flip: EXPLANATION_LAPSE });
  }

  /** The outside models' P(a ≻ b): the reward model's (given), then the words model's. */
  private outside(rmPAB: number, a: ArrayLike<number>, b: ArrayLike<number>): number[] {
    return [rmPAB, this.mentions.predict(a, b, this.wordBlock.offset)];
  }

  observe(rm: RewardEnsemble, a: Float32Array, b: Float32Array, outcome: VoteOutcome): ObserveResult {
    const obs = rm.observe({ a, b, outcome });
    const x = explanationFeatures(a, b, this.principleOffset);
    const words = this.mentions.assess(a, b, this.wordBlock.offset);
    const outside = [obs.prediction.pAB, words.pAB];
    // The words model expects ties itself; the reward model's are Davidson's on its call.
    const ownTies = [undefined, words.tie];
    const pAB = this.explanations.predict(outside, x);
    let score: number | null = null;
    if (outcome === 'a' || outcome === 'b') {
      score = this.prequential.record(pAB, outcome);
      this.explanations.observe(outside, x, outcome === 'a', ownTies);
      this.mentions.observe(a, b, outcome, this.wordBlock.offset);
    } else {
      // "Both bad" says nothing about which is better, so it weighs no explanation.
      if (outcome === 'tie') {
        this.explanations.observeTie(outside, x, ownTies);
        this.mentions.observe(a, b, 'tie', this.wordBlock.offset);
      }
      this.prequential.recordUnscored();
    }
    return { ...obs, prediction: { ...obs.prediction, pAB }, score };
  }

  /** P(a ≻ b) of the mixture, from the reward model's own P(a ≻ b) for the pair. */
  predict(rmPAB: number, a: ArrayLike<number>, b: ArrayLike<number>): number {
    return this.explanations.predict(this.outside(rmPAB, a, b), explanationFeatures(a, b, this.principleOffset));
  }

  /**
   * Every explanation with what it says and its posterior probability, strongest first. A
   * one-principle explanation (named by its axis id) is labelled by the pole its posterior mean
   * leans to, or "the opposite of …" when the axis has that pole only the other way.
   */
  weights(): ExplanationWeight[] {
    const w = this.explanations.weights();
    const labels: string[] = OUTSIDE_MODELS.map((m) => m.label);
    this.explanations.candidateNames.forEach((name, m) => {
      if (name === READING_EXPLANATION) {
        // Its first two columns: word difficulty and sentence length (positive: harder wins).
        const [words, sentences] = this.explanations.posterior(m).mean;
        return void labels.push(words! + sentences! <= 0 ? 'easier reading: plainer words, shorter sentences' : 'harder reading: longer words and sentences');
      }
      const axis = PRINCIPLE_AXES.find((a) => a.id === name);
      if (!axis) return void labels.push(name);
      const lean = this.explanations.posterior(m).mean[0]!; // its own column comes first
      const pole = axis.poles.find((q) => q.direction === (lean >= 0 ? 1 : -1));
      labels.push(pole ? pole.label : `the opposite of ${axis.poles[0]!.label}`);
    });
    return labels.map((label, m) => ({ label, weight: w[m]! })).sort((a, b) => b.weight - a.weight);
  }

  /** The mixture's call on a pair and its uncertainty (`EvidenceMixture.judge`), from the reward model's P(a ≻ b) and its heads' std. */
  judge(rm: { pAB: number; std: number }, a: ArrayLike<number>, b: ArrayLike<number>): { pAB: number; tastePAB: number; std: number } {
    return this.explanations.judge(this.outside(rm.pAB, a, b), explanationFeatures(a, b, this.principleOffset), [rm.std]);
  }
}
