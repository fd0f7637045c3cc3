/**
 * Why the reading-ease explanation (src/engine/learning/explanations.ts): on the recorded pool,
 * how often the readability principle (ARI, letters per word) orders a pair as Flesch reading
 * ease (syllables per word) does, and how each reading explanation alone predicts the Flesch
 * taste of the taste panel (20 seeds, 10 % flips, decisive votes 11–30, each predicted before it
 * is learned, as taste_panel.ts scores).
 *
 *   npx tsx scripts/rm/reading_parts.ts [--json runs/reading_parts.json]
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadCliPolicy } from '../../src/cli/policy_cli';
import { annotatePair, annotateScores } from '../../src/engine/learning/annotator_spec';
import { NON_EMPTY_COLUMN, SINGLE_EXPLANATION_PRIOR_VARIANCE, explanationFeatures } from '../../src/engine/learning/explanations';
import { principleBlockOffset } from '../../src/engine/learning/reference_pass';
import { EvidenceMixture } from '../../src/engine/reward/evidence_mixture';
import { PRINCIPLE_FEATURE_IDS, type PrincipleAxisId } from '../../src/engine/principles';
import { Rng } from '../../src/engine/rng';
import { loadPool, mean, panelTastes, poolFeatures, shuffled } from './panel_common';

const { values } = parseArgs({ options: { json: { type: 'string' }, seeds: { type: 'string', default: '20' } } });
const pool = loadPool('scripts/rm/runs/pool_400_seed11.jsonl');
const policy = await loadCliPolicy(undefined);
const features = await poolFeatures(policy, pool);
const offset = principleBlockOffset(policy.config);
const flesch = panelTastes(pool, 0.1).find((t) => t.name.startsWith('readability'))!;
const col = (id: PrincipleAxisId) => PRINCIPLE_FEATURE_IDS.indexOf(id);

// 1. ARI against Flesch on the pool's pairs (noiseless): the same order?
let same = 0;
let decided = 0;
pool.forEach((p, i) => {
  const [sa, sb] = annotateScores(flesch.spec(0), [p.a, p.b]);
  const [fa, fb] = features[i]!;
  const ari = fa[offset + col('readability')]! - fb[offset + col('readability')]!;
  if (sa === sb || ari === 0) return;
  decided++;
  if (ari > 0 === sa! > sb!) same++;
});

// 2. Each reading explanation alone, on the panel's Flesch votes.
const models: Record<string, number[]> = {
  'readability (ARI), non-empty': [col('readability'), NON_EMPTY_COLUMN],
  'word difficulty, non-empty': [col('word_difficulty'), NON_EMPTY_COLUMN],
  'reading ease: word difficulty, sentence length, non-empty': [col('word_difficulty'), col('sentence_length'), NON_EMPTY_COLUMN],
};
const alone: Record<string, Record<string, number>> = {};
for (const variance of [1, SINGLE_EXPLANATION_PRIOR_VARIANCE]) {
  for (const [name, columns] of Object.entries(models)) {
    const scores: number[] = [];
    for (let s = 0; s < Number(values.seeds); s++) {
      const spec = flesch.spec(s);
      const mix = new EvidenceMixture({ externalPriors: [], candidates: [{ name, columns, prior: 1, priorVariance: variance }] });
      shuffled(pool.length, new Rng(`panel-order-${s}`)).slice(0, 30).forEach((idx, v) => {
        const p = pool[idx]!;
        const verdict = annotatePair(spec, v, p.prompt, p.a, p.b);
        if (verdict.outcome !== 'a' && verdict.outcome !== 'b') return;
        const x = explanationFeatures(features[idx]![0], features[idx]![1], offset);
        const pAB = mix.predict([], x);
        if (v >= 10) scores.push(pAB === 0.5 ? 0.5 : pAB > 0.5 === (verdict.outcome === 'a') ? 1 : 0);
        mix.observe([], x, verdict.outcome === 'a');
      });
    }
    (alone[name] ??= {})[`variance ${variance}`] = mean(scores);
    console.error(`${name.padEnd(58)} variance ${variance}: ${mean(scores).toFixed(3)}`);
  }
}
const report = { pool: 'scripts/rm/runs/pool_400_seed11.jsonl', ariOrdersLikeFlesch: same / decided, pairsBothDecide: decided, fleschTasteAlone: alone, seeds: Number(values.seeds) };
console.error(`ARI orders ${same} of ${decided} pairs as Flesch does (${(same / decided).toFixed(3)})`);
if (values.json) writeFileSync(values.json, JSON.stringify(report, null, 1) + '\n');
