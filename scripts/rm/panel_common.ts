/**
 * What the reward-model studies share: the recorded pool of candidate pairs and its features,
 * and the panel of simulated tastes they are measured on.
 */
import { readFileSync } from 'node:fs';
import type { LoadedPolicy } from '../../src/engine/model/load';
import type { AnnotatorSpec } from '../../src/engine/api';
import { referencePass } from '../../src/engine/learning/reference_pass';
import { Rng } from '../../src/engine/rng';

/** The command-line options every panel study takes (`parseArgs` options; each adds its own). */
export const PANEL_OPTIONS = {
  pool: { type: 'string', default: 'scripts/rm/runs/pool_400_seed11.jsonl' },
  seeds: { type: 'string', default: '20' },
  'flip-rate': { type: 'string', default: '0.1' },
} as const;

export interface PoolPair {
  prompt: string;
  a: string;
  b: string;
}

export function loadPool(file: string): PoolPair[] {
  return readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as PoolPair);
}

/** Reward features of every pool pair (the loop's reference pass on the re-encoded texts). */
export async function poolFeatures(policy: LoadedPolicy, pool: readonly PoolPair[]): Promise<[Float32Array, Float32Array][]> {
  const t0 = performance.now();
  const out: [Float32Array, Float32Array][] = [];
  for (const p of pool) {
    const r = await referencePass(policy.model, policy.tokenizer.encode(p.prompt), [policy.tokenizer.encode(p.a), policy.tokenizer.encode(p.b)], (ids) => policy.tokenizer.decode(ids));
    out.push([r.features[0]!, r.features[1]!]);
  }
  console.error(`features of ${pool.length} pairs in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return out;
}

export interface Taste {
  name: string;
  /** Named tastes are fixed; "random words" draws its list per seed. */
  spec: (seed: number) => AnnotatorSpec;
  /** Outside every feature list and word list we wrote. */
  unseen: boolean;
}

// Stop words stay out of random keyword lists: a taste for "the" is not a taste.
const STOP = new Set(
  'the a an and or of to in on at by for with from as is are was were be been it its this that these those he she they we you i his her their our your them him us my me not no but so if then than which who whom what when where there here all any some such shall will would should can could may might must have has had do does did upon into out up over also more most other only own same very'.split(' '),
);

/**
 * The panel: sentiment, two length targets, readability (Flesch, which no principle computes),
 * and keyword lists — two named, and six words drawn per seed from the pool's own words (in
 * 2–8 % of pairs: frequent enough that 30 pairs see some, rare enough to be a taste).
 */
export function panelTastes(pool: readonly PoolPair[], flipRate: number): Taste[] {
  const wordCounts = new Map<string, number>();
  for (const p of pool) {
    for (const w of new Set(`${p.a} ${p.b}`.toLowerCase().match(/[a-z]+/g) ?? [])) wordCounts.set(w, (wordCounts.get(w) ?? 0) + 1);
  }
  const candidates = [...wordCounts]
    .filter(([w, n]) => w.length >= 4 && !STOP.has(w) && n >= 0.02 * pool.length && n <= 0.08 * pool.length)
    .map(([w]) => w)
    .sort();
  const base = (seed: number, criterion: string, params: Record<string, string | number> = {}): AnnotatorSpec => ({
    id: `panel-${criterion}`,
    criterion,
    labelNoise: flipRate,
    positionBias: 0,
    seed: `panel-${seed}`,
    params,
  });
  return [
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
}

/** 0 … n−1 in a seeded Fisher–Yates order. */
export function shuffled(n: number, rng: Rng): number[] {
  const xs = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
}

export const mean = (xs: readonly number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

/** 95 % percentile bootstrap of the mean over runs (resampling whole runs: votes within a run are not independent). */
export function bootstrapMean(perRun: readonly (readonly number[])[], rng: Rng, n = 2000): [number, number] {
  const stats: number[] = [];
  for (let i = 0; i < n; i++) {
    const sample: number[] = [];
    for (let j = 0; j < perRun.length; j++) sample.push(...perRun[rng.int(perRun.length)]!);
    stats.push(mean(sample));
  }
  stats.sort((a, b) => a - b);
  return [stats[Math.floor(0.025 * n)]!, stats[Math.floor(0.975 * n)]!];
}
