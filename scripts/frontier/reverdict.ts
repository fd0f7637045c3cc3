/**
 * Every committed simulation's verdict under the bar as it is now (issue #11's set-level rules:
 * ≥ 80 % of the evaluation completions distinct, mean length ≥ ½ × the reference's) beside the
 * bar it was judged by before (KL, English-word rate, distinct-2 only). Nothing is simulated
 * again: win rate, interval, KL, English-word rate and distinct-2 are the numbers each run
 * recorded, and the set-level numbers come from its committed evaluation samples (checked to be
 * the whole evaluation set; see committed_run.ts).
 *
 *   npx tsx scripts/frontier/reverdict.ts [--out scripts/frontier/reverdict.json]
 *
 * Prints a Markdown table and writes the JSON the README's numbers are taken from.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { FLUENCY_BAR, failedFluencyChecks, runVerdict, verdictOf, type FluencyCheck } from '../../src/engine/learning/frontier';
import { normalizedText } from '../../src/engine/stats';
import { runFluency, type CommittedRun } from './committed_run';

const DIRS = ['scripts/frontier/runs', 'scripts/rm/runs'];
/** The checks the bar had before issue #11 (the verdicts the README and frontier.json reported). */
const OLD_CHECKS: readonly FluencyCheck[] = ['kl', 'english', 'distinct2'];

/** The most frequent normalised policy completion and how many of the samples it is. */
function mostCommon(texts: readonly string[]): { text: string; count: number } {
  const counts = new Map<string, { text: string; count: number }>();
  for (const t of texts) {
    const key = normalizedText(t);
    const c = counts.get(key) ?? { text: t, count: 0 };
    c.count++;
    counts.set(key, c);
  }
  let best = { text: '', count: 0 };
  for (const c of counts.values()) if (c.count > best.count) best = c;
  return best;
}

const { values } = parseArgs({ options: { out: { type: 'string', default: 'scripts/frontier/reverdict.json' } } });
const runs = [];
for (const dir of DIRS) {
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const rel = path.join(dir, file);
    const r = JSON.parse(readFileSync(rel, 'utf8')) as CommittedRun;
    const t = r.config.trainer;
    let judged;
    try {
      judged = runFluency(r);
    } catch (e) {
      runs.push({ file: rel, judged: false, why: e instanceof Error ? e.message : String(e) });
      continue;
    }
    const f = judged.fluency;
    const input = { win_rate_ci: r.win_rate_ci, kl: r.kl, fluency: f };
    const failed = failedFluencyChecks(input);
    const wins = r.win_rate_ci[0] > 0.5;
    const oldFailed = failed.filter((x) => OLD_CHECKS.includes(x.check));
    const top = mostCommon(r.samples.map((s) => s.policy));
    runs.push({
      file: rel,
      judged: true,
      objective: t.objective,
      beta: t.beta,
      lr: t.lr,
      votes: r.config.votes,
      seed: r.config.seed,
      win_rate: r.win_rate,
      win_rate_ci: r.win_rate_ci,
      kl: r.kl,
      samples: r.samples.length,
      set_level: judged.setLevel,
      fluency: f,
      /** Policy distinct completions as a count of the samples (e.g. 18 of 100). */
      policy_distinct_count: Math.round(f.policy_distinct_completions * r.samples.length),
      mean_words_ratio: f.policy_mean_words / f.reference_mean_words,
      english_ratio: f.policy_english_rate !== null && f.reference_english_rate !== null ? f.policy_english_rate / f.reference_english_rate : null,
      distinct2_ratio: f.policy_distinct2 / f.reference_distinct2,
      most_common_policy_completion: top,
      /** What the run printed when it ran (absent in runs older than verdicts). */
      recorded_verdict: r.verdict ?? null,
      old_verdict: verdictOf(wins, oldFailed.length === 0),
      old_failures: oldFailed.map((x) => x.message),
      new_verdict: runVerdict(input),
      new_failures: failed.map((x) => x.message),
    });
  }
}

const doc = {
  format: 'duelbook.reverdict',
  version: 1,
  note: 'Written by scripts/frontier/reverdict.ts from the committed runs (no re-simulation). old_verdict: the bar of KL, English-word rate and distinct-2; new_verdict: FLUENCY_BAR below.',
  bar: FLUENCY_BAR,
  runs,
};
writeFileSync(values.out!, JSON.stringify(doc, null, 1) + '\n');

const f3 = (x: number) => x.toFixed(3);
console.log('| run | win rate [95 %] | KL | distinct completions | mean words policy / reference (ratio) | self-similarity | old verdict | new verdict |');
console.log('|---|---|---|---|---|---|---|---|');
for (const x of runs) {
  if (!x.judged) {
    console.log(`| ${x.file} | — | — | — | — | — | — | too few samples to judge: ${x.why} |`);
    continue;
  }
  const f = x.fluency!;
  console.log(
    `| ${x.file} | ${f3(x.win_rate!)} [${x.win_rate_ci!.map((c) => c.toFixed(2)).join(', ')}] | ${x.kl!.toFixed(1)} | ${x.policy_distinct_count} of ${x.samples} | ` +
      `${f.policy_mean_words.toFixed(2)} / ${f.reference_mean_words.toFixed(2)} (${f3(x.mean_words_ratio!)}) | ${f3(f.policy_self_similarity)} | ${x.old_verdict} | ${x.new_verdict} |`,
  );
}
