/**
 * The typical spread of each style principle over ordinary completions: the standard deviation
 * of `principleFeatures` over the texts of a recorded pool (default: the shipped policy's 800
 * candidates in scripts/rm/runs/pool_400_seed11.jsonl, playground sampling, no training). The
 * reward model divides each principle by it (`PRINCIPLE_SPREADS` in src/engine/principles), so
 * one unit of every principle means "as different as two ordinary answers".
 *
 *   npx tsx scripts/principles/spreads.ts [POOL.jsonl] > scripts/principles/spreads.json
 */
import { readFileSync } from 'node:fs';
import { PRINCIPLE_FEATURE_IDS, principleFeatures, textStats } from '../../src/engine/principles';

const file = process.argv[2] ?? 'scripts/rm/runs/pool_400_seed11.jsonl';
const texts = readFileSync(file, 'utf8').trim().split('\n').flatMap((l) => {
  const p = JSON.parse(l) as { a: string; b: string };
  return [p.a, p.b];
});
const rows = texts.map((t) => principleFeatures(t));
// The mean over texts with words too: where an axis that gives "no words" the middle is centred.
const nonEmpty = texts.map((t) => textStats(t).words.length > 0);
const spreads: Record<string, { mean: number; std: number; nonEmptyMean: number }> = {};
PRINCIPLE_FEATURE_IDS.forEach((id, k) => {
  const xs = rows.map((r) => r[k]!);
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
  const withWords = xs.filter((_, i) => nonEmpty[i]);
  spreads[id] = { mean: m, std: sd, nonEmptyMean: withWords.reduce((a, b) => a + b, 0) / withWords.length };
});
console.log(JSON.stringify({ pool: file, texts: texts.length, nonEmptyTexts: nonEmpty.filter(Boolean).length, spreads }, null, 1));
