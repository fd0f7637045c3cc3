#!/usr/bin/env node
/**
 * How often the longer answer (in words) wins a decisive vote, over `duelbook sim --votes-out`
 * files: whether a taste itself leans long, so a policy's growing answers follow the votes.
 *
 *   node scripts/sim/longer_wins.mjs scripts/sim/runs/votes_sentiment_30_noiseless/seed*.jsonl
 *
 * The committed files came from `npx duelbook sim --annotator sentiment --votes 30 --seed S
 * --flip-rate 0 --eval-prompts 2 --votes-out FILE` for S = 1, 2, 3.
 */
import { readFileSync } from 'node:fs';

const words = (t) => t.trim().split(/\s+/).filter(Boolean).length;
let unequal = 0;
let longerWon = 0;
for (const file of process.argv.slice(2)) {
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const v = JSON.parse(line);
    if (v.outcome !== 'a' && v.outcome !== 'b') continue;
    const [a, b] = [words(v.a), words(v.b)];
    if (a === b) continue;
    unequal++;
    if ((v.outcome === 'a') === (a > b)) longerWon++;
  }
}
console.log(`decisive votes of unequal length: ${unequal}; the longer answer won ${longerWon} (${(longerWon / Math.max(1, unequal)).toFixed(2)})`);
