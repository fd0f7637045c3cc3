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
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadCliPolicy } from '../../src/cli/policy_cli';
import type { AnnotatorSpec } from '../../src/engine/api';
import { annotatePair, annotateScores } from '../../src/engine/learning/annotator_spec';
import { referencePass, rewardFeatureBlocks } from '../../src/engine/learning/reference_pass';
import { createRewardModel } from '../../src/engine/learning/reward_model';
import type { RewardEnsembleConfig } from '../../src/engine/reward';
import { Rng } from '../../src/engine/rng';

interface PoolPair {
  prompt: string;
  a: string;
  b: string;
}

const { values } = parseArgs({
  options: {
    pool: { type: 'string', default: 'scripts/rm/runs/pool_400_seed11.jsonl' },
    seeds: { type: 'string', default: '20' },
    votes: { type: 'string', default: '30' },
    'flip-rate': { type: 'string', default: '0.1' },
    variants: { type: 'string', default: 'default' },
    json: { type: 'string' },
  },
});
const seeds = Number(values.seeds);
const nVotes = Number(values.votes);
const flipRate = Number(values['flip-rate']);

const pool = readFileSync(values.pool!, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as PoolPair);
const policy = await loadCliPolicy(undefined);
const t0 = performance.now();
const features: [Float32Array, Float32Array][] = [];
for (const p of pool) {
  const r = await referencePass(policy.model, policy.tokenizer.encode(p.prompt), [policy.tokenizer.encode(p.a), policy.tokenizer.encode(p.b)], (ids) => policy.tokenizer.decode(ids));
  features.push([r.features[0]!, r.features[1]!]);
}
console.error(`features of ${pool.length} pairs in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

// Stop words stay out of random keyword lists: a taste for "the" is not a taste.
const STOP = new Set(
  'the a an and or of to in on at by for with from as is are was were be been it its this that these those he she they we you i his her their our your them him us my me not no but so if then than which who whom what when where there here all any some such shall will would should can could may might must have has had do does did upon into out up over also more most other only own same very'.split(' '),
);
const wordCounts = new Map<string, number>();
for (const p of pool) {
  for (const w of new Set(`${p.a} ${p.b}`.toLowerCase().match(/[a-z]+/g) ?? [])) wordCounts.set(w, (wordCounts.get(w) ?? 0) + 1);
}
// Words in 2–8 % of pairs: frequent enough that 30 pairs see some, rare enough to be a taste.
const candidates = [...wordCounts].filter(([w, n]) => w.length >= 4 && !STOP.has(w) && n >= 0.02 * pool.length && n <= 0.08 * pool.length).map(([w]) => w).sort();

interface Taste {
  name: string;
  /** Named tastes are fixed; "random words" draws its list per seed. */
  spec: (seed: number) => AnnotatorSpec;
  /** Outside every feature list and word list we wrote. */
  unseen: boolean;
}

const base = (seed: number, criterion: string, params: Record<string, string | number> = {}): AnnotatorSpec => ({
  id: `panel-${criterion}`,
  criterion,
  labelNoise: flipRate,
  positionBias: 0,
  seed: `panel-${seed}`,
  params,
});

const TASTES: Taste[] = [
  { name: 'sentiment', spec: (s) => base(s, 'sentiment'), unseen: false },
  { name: 'length (20 words)', spec: (s) => base(s, 'length', { targetWords: 20 }), unseen: false },
  { name: 'length (8 words)', spec: (s) => base(s, 'length', { targetWords: 8 }), unseen: true },
  { name: 'readability (Flesch)', spec: (s) => base(s, 'readability'), unseen: false },
  { name: 'keyword: sea,ship,whale,ocean', spec: (s) => base(s, 'keyword', { keywords: 'sea,ship,whale,ocean' }), unseen: false },
  { name: 'keyword: people,nation,country', spec: (s) => base(s, 'keyword', { keywords: 'people,nation,country' }), unseen: false },
  {
    name: 'keyword: 6 random words per seed',
    spec: (s) => {
      const rng = new Rng(`panel-words-${s}`);
      const pick = new Set<string>();
      while (pick.size < 6) pick.add(candidates[rng.int(candidates.length)]!);
      return base(s, 'keyword', { keywords: [...pick].join(',') });
    },
    unseen: true,
  },
];

type Overrides = Partial<Omit<RewardEnsembleConfig, 'dim' | 'seed'>>;
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
    order.forEach((idx, v) => {
      const p = pool[idx]!;
      const verdict = annotatePair(spec, v, p.prompt, p.a, p.b);
      const [fa, fb] = features[idx]!;
      const o = rm.observe({ a: fa, b: fb, outcome: verdict.outcome });
      if (v < 10 || o.score === null) return;
      vsVote.push(o.score);
      const [sa, sb] = annotateScores(spec, [p.a, p.b]);
      if (sa !== sb) vsTaste.push(o.prediction.pAB === 0.5 ? 0.5 : o.prediction.pAB > 0.5 === sa! > sb! ? 1 : 0);
    });
    cell.vsVote.push(vsVote);
    cell.vsTaste.push(vsTaste);
  }
  return cell;
}

const flat = (xs: number[][]) => xs.flat();
const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

/** 95 % percentile bootstrap over seeds (resampling whole runs: votes within a run are not independent). */
function bootstrap(perSeed: number[][], rng: Rng, n = 2000): [number, number] {
  const stats: number[] = [];
  for (let i = 0; i < n; i++) {
    const sample: number[] = [];
    for (let j = 0; j < perSeed.length; j++) sample.push(...perSeed[rng.int(perSeed.length)]!);
    stats.push(mean(sample));
  }
  stats.sort((a, b) => a - b);
  return [stats[Math.floor(0.025 * n)]!, stats[Math.floor(0.975 * n)]!];
}

const report: Record<string, unknown> = {
  pool: values.pool,
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
  for (const taste of TASTES) {
    const cell = runTaste(taste, overrides);
    pooled.push(...cell.vsVote);
    pooledTaste.push(...cell.vsTaste);
    const row = {
      taste: taste.name,
      unseen: taste.unseen,
      accuracy: mean(flat(cell.vsVote)),
      accuracy_ci: bootstrap(cell.vsVote, rng),
      accuracy_vs_taste: mean(flat(cell.vsTaste)),
      decisive_per_run: flat(cell.vsVote).length / seeds,
    };
    rows.push(row);
    console.error(`${name.padEnd(24)} ${taste.name.padEnd(34)} ${row.accuracy.toFixed(3)} [${row.accuracy_ci[0]!.toFixed(2)}, ${row.accuracy_ci[1]!.toFixed(2)}]  vs taste ${row.accuracy_vs_taste.toFixed(3)}  (${row.decisive_per_run.toFixed(1)} decisive 11–30 per run)`);
  }
  const summary = { tastes: rows, pooled: mean(flat(pooled)), pooled_ci: bootstrap(pooled, rng), pooled_vs_taste: mean(flat(pooledTaste)), seconds: (performance.now() - started) / 1000 };
  console.error(`${name.padEnd(24)} pooled ${summary.pooled.toFixed(3)} [${summary.pooled_ci[0]!.toFixed(2)}, ${summary.pooled_ci[1]!.toFixed(2)}] vs taste ${summary.pooled_vs_taste.toFixed(3)}`);
  (report.variants as Record<string, unknown>)[name] = summary;
}
if (values.json) writeFileSync(values.json, JSON.stringify(report, null, 1) + '\n');

/** 0 … n−1 in a seeded Fisher–Yates order. */
function shuffled(n: number, rng: Rng): number[] {
  const xs = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
}
