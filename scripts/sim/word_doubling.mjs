#!/usr/bin/env node
/**
 * What the set-level numbers do not see in a run's evaluation samples: answers that say a word
 * twice in a row ("great great great") and how often the run's most over-used word occurs,
 * policy against reference. seq-rep-4 (the `repetition` column) needs a repeated 4-gram and
 * distinct-2 pools bigrams over the set, so a doubled word in many different answers passes both.
 *
 *   node scripts/sim/word_doubling.mjs RUN.json [RUN.json …] [--out FILE]
 */
import { readFileSync, writeFileSync } from 'node:fs';

const args = process.argv.slice(2);
const outAt = args.indexOf('--out');
const out = outAt >= 0 ? args[outAt + 1] : null;
const files = args.filter((a, i) => a !== '--out' && i !== outAt + 1);

const words = (t) => t.toLowerCase().match(/[a-z']+/g) ?? [];
const doubles = (t) => words(t).some((w, i, ws) => i > 0 && ws[i - 1] === w);

const rows = files.map((file) => {
  const { samples } = JSON.parse(readFileSync(file, 'utf8'));
  const count = (side) => {
    const freq = new Map();
    for (const s of samples) for (const w of words(s[side])) freq.set(w, (freq.get(w) ?? 0) + 1);
    return freq;
  };
  const [pol, ref] = [count('policy'), count('reference')];
  // The word the policy uses most above the reference's use of it (ties: first in text order).
  let top = '';
  for (const [w, n] of pol) if (!top || n - (ref.get(w) ?? 0) > pol.get(top) - (ref.get(top) ?? 0)) top = w;
  return {
    file,
    samples: samples.length,
    policyDoubledWordAnswers: samples.filter((s) => doubles(s.policy)).length,
    referenceDoubledWordAnswers: samples.filter((s) => doubles(s.reference)).length,
    mostOverusedWord: top,
    policyCount: pol.get(top) ?? 0,
    referenceCount: ref.get(top) ?? 0,
  };
});
for (const r of rows) {
  console.log(`${r.file}: ${r.policyDoubledWordAnswers} of ${r.samples} answers double a word (reference ${r.referenceDoubledWordAnswers}); "${r.mostOverusedWord}" ${r.policyCount} times (reference ${r.referenceCount})`);
}
if (out) writeFileSync(out, JSON.stringify({ command: `node scripts/sim/word_doubling.mjs ${files.join(' ')} --out ${out}`, rows }, null, 2) + '\n');
