#!/usr/bin/env node
/**
 * The learning-curve runs (issue 11, item 8): `duelbook sim` with the playground's defaults and
 * 10 % label noise (the evaluation judge has the same noise), for each annotator × seed × vote
 * count, two at a time (this machine has 2 cores). Each run's JSON goes to
 * scripts/sim/runs/curve/<annotator>_<votes>_seed<seed>.json; a run whose file exists is skipped,
 * so the batch resumes. `npx tsx scripts/sim/curve_table.ts` prints the table.
 *
 *   node scripts/sim/learning_curve.mjs [--votes 30,100] [--seeds 1,2,3] [--annotators sentiment,length,keyword,readability]
 *        [--flags="--relabel-pairs 2 …"] [--out DIR]
 *
 * --flags adds `duelbook sim` flags to every run (a variant of the defaults); give such runs
 * their own --out folder, so the table of the defaults never mixes them in.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    votes: { type: 'string', default: '30,100' },
    seeds: { type: 'string', default: '1,2,3' },
    annotators: { type: 'string', default: 'sentiment,length,keyword,readability' },
    parallel: { type: 'string', default: '2' },
    flags: { type: 'string', default: '' },
    out: { type: 'string', default: path.join('scripts', 'sim', 'runs', 'curve') },
  },
});
const out = values.out;
const extra = values.flags.split(/\s+/).filter(Boolean);
mkdirSync(out, { recursive: true });
const jobs = [];
for (const votes of values.votes.split(',')) {
  for (const annotator of values.annotators.split(',')) {
    for (const seed of values.seeds.split(',')) {
      const file = path.join(out, `${annotator}_${votes}_seed${seed}.json`);
      if (!existsSync(file)) jobs.push({ file, args: ['bin/duelbook.mjs', 'sim', '--annotator', annotator, '--votes', votes, '--seed', seed, '--flip-rate', '0.1', ...extra, '--json'] });
    }
  }
}

function run(job) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, job.args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    child.stdout.on('data', (d) => (text += d));
    child.on('close', (code) => {
      if (code === 0) writeFileSync(job.file, text);
      console.error(`${code === 0 ? 'done' : `failed (${code})`}: ${job.file}`);
      resolve();
    });
  });
}

const queue = [...jobs];
await Promise.all(
  Array.from({ length: Number(values.parallel) }, async () => {
    for (let job = queue.shift(); job; job = queue.shift()) await run(job);
  }),
);
