/**
 * What the set-level numbers do not see in a run's evaluation samples: answers that say a word
 * twice in a row ("great great great") and how often the run's most over-used word occurs,
 * policy against reference. seq-rep-4 (the `repetition` column) needs a repeated 4-gram and
 * distinct-2 pools bigrams over the set, so a doubled word in many different answers passes both.
 *
 *   npx tsx scripts/sim/word_doubling.ts RUN.json [RUN.json …] [--out FILE]
 *
 * "Doubles a word" is the engine's `hasDoubledWord`, the number sim and the Simulate cell report.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { hasDoubledWord } from '../../src/engine/stats/index.ts';

const args = process.argv.slice(2);
const outAt = args.indexOf('--out');
const out = outAt >= 0 ? args[outAt + 1] : null;
const files = args.filter((a, i) => a !== '--out' && i !== outAt + 1);

const words = (t: string): string[] => t.toLowerCase().match(/[a-z']+/g) ?? [];

interface Sample {
  policy: string;
  reference: string;
}

const rows = files.map((file) => {
  const { samples } = JSON.parse(readFileSync(file, 'utf8')) as { samples: Sample[] };
  const count = (side: keyof Sample): Map<string, number> => {
    const freq = new Map<string, number>();
    for (const s of samples) for (const w of words(s[side])) freq.set(w, (freq.get(w) ?? 0) + 1);
    return freq;
  };
  const [pol, ref] = [count('policy'), count('reference')];
  // The word the policy uses most above the reference's use of it (ties: first in text order).
  let top = '';
  for (const [w, n] of pol) if (!top || n - (ref.get(w) ?? 0) > pol.get(top)! - (ref.get(top) ?? 0)) top = w;
  return {
    file,
    samples: samples.length,
    policyDoubledWordAnswers: samples.filter((s) => hasDoubledWord(s.policy)).length,
    referenceDoubledWordAnswers: samples.filter((s) => hasDoubledWord(s.reference)).length,
    mostOverusedWord: top,
    policyCount: pol.get(top) ?? 0,
    referenceCount: ref.get(top) ?? 0,
  };
});
for (const r of rows) {
  console.log(`${r.file}: ${r.policyDoubledWordAnswers} of ${r.samples} answers double a word (reference ${r.referenceDoubledWordAnswers}); "${r.mostOverusedWord}" ${r.policyCount} times (reference ${r.referenceCount})`);
}
if (out) writeFileSync(out, JSON.stringify({ command: `npx tsx scripts/sim/word_doubling.ts ${files.join(' ')} --out ${out}`, rows }, null, 2) + '\n');
