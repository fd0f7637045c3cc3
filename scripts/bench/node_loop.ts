/**
 * The page bench's Node leg alone (bench/page_latency.ts `measureNodeLoop`): the shipped policy,
 * the starter session's settings, each vote's pair drawn and then reduced, `--repeats` sessions
 * of `--votes` votes one after another in one process (a fresh engine each). Written to answer
 * whether the same draw gets slower as a session goes on in Node, without the page run that
 * precedes the Node leg in scripts/bench/page_latency.ts.
 *
 *   npx tsx scripts/bench/node_loop.ts [--votes 30] [--repeats 2] [--steps-per-vote N] [--batch-size N]
 *        [--out FILE.json]
 *
 * scripts/bench/page_latency.ts --node runs this as its Node leg, in a process of its own.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { measureNodeLoop } from '../../bench/page_latency.ts';

const { values } = parseArgs({
  options: {
    votes: { type: 'string', default: '30' },
    repeats: { type: 'string', default: '2' },
    'steps-per-vote': { type: 'string' },
    'batch-size': { type: 'string' },
    out: { type: 'string' },
  },
});
const train = {
  ...(values['steps-per-vote'] !== undefined ? { stepsPerVote: Number(values['steps-per-vote']) } : {}),
  ...(values['batch-size'] !== undefined ? { batchSize: Number(values['batch-size']) } : {}),
};
const flags = `${train.stepsPerVote !== undefined ? ` --steps-per-vote ${train.stepsPerVote}` : ''}${train.batchSize !== undefined ? ` --batch-size ${train.batchSize}` : ''}`;
const votes = Number(values.votes);
const repeats = Number(values.repeats);
if (!Number.isInteger(votes) || votes < 20 || votes > 200) throw new Error('--votes must be an integer in 20…200');
if (!Number.isInteger(repeats) || repeats < 1 || repeats > 5) throw new Error('--repeats must be an integer in 1…5');
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const loadBefore = os.loadavg()[0]!;
const sessions = [];
for (let r = 0; r < repeats; r++) {
  const run = await measureNodeLoop({ root, votes, train, log: (s) => process.stderr.write(`session ${r + 1}: ${s}\n`) });
  const mem = process.memoryUsage();
  sessions.push({ summary: run.summary, policySteps: run.policySteps, rssMBAfter: Math.round(mem.rss / 1e6), timings: run.timings });
}
const json = JSON.stringify(
  {
    what: "the page bench's Node leg alone: next pair (the draw) and updated weights (draw + reduce) per vote, shipped policy, starter settings",
    command: `npx tsx scripts/bench/node_loop.ts --votes ${votes} --repeats ${repeats}${flags}`,
    train: Object.keys(train).length ? train : "the starter session's",
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? 'unknown', loadAverage1mBefore: Math.round(loadBefore * 10) / 10, node: process.version },
    sessions,
  },
  null,
  2,
) + '\n';
if (values.out) writeFileSync(values.out, json);
process.stdout.write(json);
