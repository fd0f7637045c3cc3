/**
 * The reward model's accuracy in the first 30 votes, on a panel of simulated tastes, replayed on
 * a recorded pool of candidate pairs (issue 11: "replaying the reward model alone on recorded
 * candidates is fine"). The pool is pairs the shipped policy wrote with the playground's sampling
 * and no training (`pool_400_seed11.jsonl`, made by the command in scripts/rm/README.md).
 *
 * For each taste and seed: draw `--votes` pairs from the pool in a seeded order, let the taste's
 * simulated annotator vote on each (AlpacaFarm flip noise, `--flip-rate`), and replay the votes
 * through the loop's reward model (`createRewardModel`, features from the same reference pass as
 * the loop). Each decisive vote is predicted before the model learns from it; the score is the
 * accuracy on decisive votes 11–30, against the vote as given (noisy) and against the noiseless
 * taste. Some tastes are outside every feature list we wrote: keyword lists drawn at random per
 * seed from the pool's own words, and a length target no principle names.
 *
 *   npx tsx scripts/rm/taste_panel.ts [--pool FILE] [--seeds 20] [--votes 30] [--flip-rate 0.1]
 *        [--variants default,...] [--selection random|uncertain] [--json OUT]
 *        [--bma [--full-prior P]] [--mixture [--mix-full P --mix-words P --mix-joint P
 *        --mix-single P --mix-ideal P]] [--ideal-points K] [--lapse L]
 *
 * --mixture weighs the loop's reward model (and, with --mix-words, the same model on the bag of
 * words alone) against small Bayesian explanations by their prequential evidence
 * (evidence_mixture.ts): the principles jointly, each principle alone, and "prefers a length
 * near μ" for K values of μ (ideal points, quantiles of the pool's own lengths). The --mix-*
 * values are the groups' prior probabilities, shared equally within a group.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadCliPolicy } from '../../src/cli/policy_cli';
import { annotatePair, annotatePersonCritique, annotateScores } from '../../src/engine/learning/annotator_spec';
import { critiqueEvidence, type PrincipleStatements } from '../../src/engine/learning/principle_prefs';
import { matchCritique } from '../../src/engine/principles';
import { WORD_BUCKETS, principleBlockOffset, rewardFeatureBlocks, wordBlockOffset } from '../../src/engine/learning/reference_pass';
import { PRINCIPLE_FEATURE_COUNT, PRINCIPLE_FEATURE_IDS } from '../../src/engine/principles';
import { ModelAverage } from './model_average';
import { EvidenceMixture } from '../../src/engine/reward/evidence_mixture';
import { ExplainedVotes } from '../../src/engine/learning/explanations';
import { bootstrapMean, loadPool, mean, panelTastes, poolFeatures, shuffled, type Taste, PANEL_OPTIONS } from './panel_common';
import { createRewardModel } from '../../src/engine/learning/reward_model';
import type { RewardEnsembleConfig } from '../../src/engine/reward';
import { Rng } from '../../src/engine/rng';


const { values } = parseArgs({
  options: {
    ...PANEL_OPTIONS,
    votes: { type: 'string', default: '30' },
    variants: { type: 'string', default: 'default' },
    /** Average the variant with one-principle models by their evidence (src/engine/reward/model_average.ts). */
    bma: { type: 'boolean', default: false },
    lapse: { type: 'string', default: '0.1' },
    /** Evidence mixture (evidence_mixture.ts): full model, principles jointly, each principle, length ideal points; group priors. */
    mixture: { type: 'boolean', default: false },
    /** The loop's path: votes through ExplainedVotes (src/engine/learning/explanations.ts), as OnlineLearner observes them. */
    'reward-model-only': { type: 'boolean', default: false },
    'mix-full': { type: 'string', default: '0.05' },
    /** Prior of a second outside model: the same reward model on the bag of words alone (0: left out). */
    'mix-words': { type: 'string', default: '0' },
    'mix-joint': { type: 'string', default: '0.25' },
    'mix-single': { type: 'string', default: '0.4' },
    'mix-ideal': { type: 'string', default: '0.3' },
    /** Prior of the group "two principles together" (every pair of axes; 0: left out). */
    'mix-pairs': { type: 'string', default: '0' },
    /** With --bma: also one-feature models "prefers length near μ" for this many μ (the pool's length quantiles). */
    'ideal-points': { type: 'string', default: '0' },
    'full-prior': { type: 'string', default: '0.5' },
    /** Share of decisive votes with a person-style critique (`personCritique`), matched and used as the loop does. */
    critiques: { type: 'string', default: '0' },
    json: { type: 'string' },
  },
});
const seeds = Number(values.seeds);
const nVotes = Number(values.votes);
const flipRate = Number(values['flip-rate']);
const critiqueRate = Number(values.critiques);
let critiquesWritten = 0;
let critiquesUnderstood = 0;

const pool = loadPool(values.pool!);
const policy = await loadCliPolicy(undefined);
const features = await poolFeatures(policy, pool);

const TASTES = panelTastes(pool, flipRate);

type Overrides = Partial<Omit<RewardEnsembleConfig, 'dim' | 'seed'>>;

/**
 * Ideal-point (unfolding) columns for the model average: for each μ, |b − μ| − |a − μ| on the
 * length principle, so a positive weight reads "prefers the answer whose length is nearer μ".
 * The μ are quantiles of the pool's own length feature (texts only, never a taste).
 */
const LENGTH_AXIS = PRINCIPLE_FEATURE_IDS.indexOf('length');
const idealPoints: number[] = (() => {
  const k = Number(values['ideal-points']);
  if (k <= 0) return [];
  const off = principleBlockOffset(policy.config);
  const xs = features.flatMap(([fa, fb]) => [fa[off + LENGTH_AXIS]!, fb[off + LENGTH_AXIS]!]).sort((a, b) => a - b);
  return Array.from({ length: k }, (_, i) => xs[Math.floor(((i + 1) / (k + 1)) * xs.length)]!);
})();
const [tokens, words, hidden, principles] = rewardFeatureBlocks(policy.config);
const VARIANTS: Record<string, Overrides> = {
  default: {},
  'no principles (before)': { blocks: [tokens!, words!, hidden!, { ...principles!, scale: 0 }] },
  'principles ×0.5': { blocks: [tokens!, words!, hidden!, { ...principles!, scale: 0.5 }] },
  'principles ×2': { blocks: [tokens!, words!, hidden!, { ...principles!, scale: 2 }] },
  'principles only': { blocks: [{ ...tokens!, scale: 0 }, { ...words!, scale: 0 }, { ...hidden!, scale: 0 }, principles!] },
  'hidden ×0.02': { blocks: [tokens!, words!, { ...hidden!, scale: 0.02 }, principles!] },
  'hidden ×0.05': { blocks: [tokens!, words!, { ...hidden!, scale: 0.05 }, principles!] },
  'words ×3': { blocks: [tokens!, { ...words!, scale: 3 }, hidden!, principles!] },
  'words ×10': { blocks: [tokens!, { ...words!, scale: 10 }, hidden!, principles!] },
  'bags ×3': { blocks: [{ ...tokens!, scale: 3 }, { ...words!, scale: 3 }, hidden!, principles!] },
  'bags ×3 principles ×0.5': { blocks: [{ ...tokens!, scale: 3 }, { ...words!, scale: 3 }, hidden!, { ...principles!, scale: 0.5 }] },
  'no bagging': { bootstrap: 'none' },
  'no prior draw': { priorScale: 0 },
  'no bagging no prior draw': { bootstrap: 'none', priorScale: 0 },
  'refit 200': { refitIterations: 200 },
  'C 10': { refitC: 10 },
  'C 100': { refitC: 100 },
};

interface Cell {
  /** Scores (1 right, 0 wrong, ½ no preference) on decisive votes 11–30, per seed. */
  vsVote: number[][];
  vsTaste: number[][];
}

function runTaste(taste: Taste, overrides: Overrides): Cell {
  const cell: Cell = { vsVote: [], vsTaste: [] };
  for (let s = 0; s < seeds; s++) {
    const spec = taste.spec(s);
    const order = shuffled(pool.length, new Rng(`panel-order-${s}`)).slice(0, nVotes);
    const rm = createRewardModel(policy.config, `panel-rm-${s}`, overrides);
    const vsVote: number[] = [];
    const vsTaste: number[] = [];
    const bmaFeatures = [...PRINCIPLE_FEATURE_IDS, ...idealPoints.map((mu) => `length near ${mu.toFixed(2)}`)];
    const bma = values.bma ? new ModelAverage({ features: bmaFeatures, lapse: Number(values.lapse), fullPrior: Number(values['full-prior']) }) : null;
    const P = PRINCIPLE_FEATURE_COUNT;
    const offset = principleBlockOffset(policy.config);
    // The loop reports the explanations' mixture (OnlineLearner); --reward-model-only, --bma and
    // --mixture replay the reward model alone (the latter two with their own averages on top).
    const explained = values['reward-model-only'] || values.bma || values.mixture ? null : new ExplainedVotes(offset, { offset: wordBlockOffset(policy.config), size: WORD_BUCKETS });
    const wordsRm = values.mixture && Number(values['mix-words']) > 0
      ? createRewardModel(policy.config, `panel-rm-words-${s}`, { blocks: [{ ...tokens!, scale: 0 }, words!, { ...hidden!, scale: 0 }, { ...principles!, scale: 0 }] })
      : null;
    const mix = values.mixture
      ? new EvidenceMixture({
          externalPriors: wordsRm ? [Number(values['mix-full']), Number(values['mix-words'])] : [Number(values['mix-full'])],
          lapse: Number(values.lapse),
          candidates: [
            { name: 'principles', columns: Array.from({ length: P }, (_, k) => k), prior: Number(values['mix-joint']) },
            ...PRINCIPLE_FEATURE_IDS.map((id, k) => ({ name: id, columns: [k], prior: Number(values['mix-single']) / P })),
            ...idealPoints.map((mu, i) => ({ name: `length near ${mu.toFixed(2)}`, columns: [P + i], prior: Number(values['mix-ideal']) / idealPoints.length })),
            ...(Number(values['mix-pairs']) > 0
              ? PRINCIPLE_FEATURE_IDS.flatMap((_, i) => PRINCIPLE_FEATURE_IDS.slice(i + 1).map((__, j) => ({ name: `pair ${i},${i + 1 + j}`, columns: [i, i + 1 + j], prior: Number(values['mix-pairs']) / ((P * (P - 1)) / 2) })))
              : []),
          ],
        })
      : null;
    const statements: PrincipleStatements = new Map();
    order.forEach((idx, v) => {
      const p = pool[idx]!;
      const verdict = annotatePair(spec, v, p.prompt, p.a, p.b);
      const [fa, fb] = features[idx]!;
      const o = explained ? explained.observe(rm, fa, fb, verdict.outcome) : rm.observe({ a: fa, b: fb, outcome: verdict.outcome });
      const ow = wordsRm?.observe({ a: fa, b: fb, outcome: verdict.outcome });
      const outside = ow ? [o.prediction.pAB, ow.prediction.pAB] : [o.prediction.pAB];
      const critique = annotatePersonCritique(spec, v, verdict.outcome, p.a, p.b, critiqueRate);
      if (critique !== null) {
        critiquesWritten++;
        const matched = matchCritique(critique).matches;
        if (matched.length > 0) critiquesUnderstood++;
        critiqueEvidence(rm, policy.config, statements, matched);
      }
      const la = fa[offset + LENGTH_AXIS]!;
      const lb = fb[offset + LENGTH_AXIS]!;
      const x = Float64Array.from({ length: PRINCIPLE_FEATURE_COUNT + idealPoints.length }, (_, k) =>
        k < PRINCIPLE_FEATURE_COUNT ? fa[offset + k]! - fb[offset + k]! : Math.abs(lb - idealPoints[k - PRINCIPLE_FEATURE_COUNT]!) - Math.abs(la - idealPoints[k - PRINCIPLE_FEATURE_COUNT]!),
      );
      const pAB = mix ? mix.predict(outside, x) : bma ? bma.predict(o.prediction.pAB, x) : o.prediction.pAB;
      const decisive = verdict.outcome === 'a' || verdict.outcome === 'b';
      if (bma && decisive) bma.observe(o.prediction.pAB, x, verdict.outcome === 'a');
      if (mix && decisive) mix.observe(outside, x, verdict.outcome === 'a');
      if (v < 10 || !decisive) return;
      vsVote.push(pAB === 0.5 ? 0.5 : (pAB > 0.5) === (verdict.outcome === 'a') ? 1 : 0);
      const [sa, sb] = annotateScores(spec, [p.a, p.b]);
      if (sa !== sb) vsTaste.push(pAB === 0.5 ? 0.5 : pAB > 0.5 === sa! > sb! ? 1 : 0);
    });
    cell.vsVote.push(vsVote);
    cell.vsTaste.push(vsTaste);
  }
  return cell;
}

const flat = (xs: number[][]) => xs.flat();

const report: Record<string, unknown> = {
  pool: values.pool,
  critiqueRate,
  modelAverage: values.bma ? { lapse: Number(values.lapse), fullPrior: Number(values['full-prior']), idealPoints } : null,
  evidenceMixture: values.mixture
    ? {
        lapse: Number(values.lapse),
        priors: { full: Number(values['mix-full']), words: Number(values['mix-words']), principlesJointly: Number(values['mix-joint']), eachPrinciple: Number(values['mix-single']), lengthIdealPoints: Number(values['mix-ideal']) },
        idealPoints,
      }
    : null,
  pairs: pool.length,
  seeds,
  votes: nVotes,
  flipRate,
  scored: 'decisive votes 11–30, predicted before learning from them',
  variants: {},
};
for (const name of values.variants!.split(',')) {
  const overrides = VARIANTS[name];
  if (!overrides) throw new Error(`unknown variant "${name}" (${Object.keys(VARIANTS).join(', ')})`);
  const rng = new Rng(`panel-bootstrap-${name}`);
  const rows: Record<string, unknown>[] = [];
  const pooled: number[][] = [];
  const pooledTaste: number[][] = [];
  const started = performance.now();
  critiquesWritten = 0;
  critiquesUnderstood = 0;
  for (const taste of TASTES) {
    const cell = runTaste(taste, overrides);
    pooled.push(...cell.vsVote);
    pooledTaste.push(...cell.vsTaste);
    const row = {
      taste: taste.name,
      unseen: taste.unseen,
      accuracy: mean(flat(cell.vsVote)),
      accuracy_ci: bootstrapMean(cell.vsVote, rng),
      accuracy_vs_taste: mean(flat(cell.vsTaste)),
      decisive_per_run: flat(cell.vsVote).length / seeds,
    };
    rows.push(row);
    console.error(`${name.padEnd(24)} ${taste.name.padEnd(34)} ${row.accuracy.toFixed(3)} [${row.accuracy_ci[0]!.toFixed(2)}, ${row.accuracy_ci[1]!.toFixed(2)}]  vs taste ${row.accuracy_vs_taste.toFixed(3)}  (${row.decisive_per_run.toFixed(1)} decisive 11–30 per run)`);
  }
  const summary = { critiques: { written: critiquesWritten, understood: critiquesUnderstood }, tastes: rows, pooled: mean(flat(pooled)), pooled_ci: bootstrapMean(pooled, rng), pooled_vs_taste: mean(flat(pooledTaste)), seconds: (performance.now() - started) / 1000 };
  console.error(`${name.padEnd(24)} pooled ${summary.pooled.toFixed(3)} [${summary.pooled_ci[0]!.toFixed(2)}, ${summary.pooled_ci[1]!.toFixed(2)}] vs taste ${summary.pooled_vs_taste.toFixed(3)}`);
  (report.variants as Record<string, unknown>)[name] = summary;
}
if (values.json) writeFileSync(values.json, JSON.stringify(report, null, 1) + '\n');

