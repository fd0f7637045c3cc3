/**
 * One-line critiques as a person would write them, for measuring what critiques teach
 * (issue 11, item 3). A simulated annotator's own `critique` states its hidden scores; a person
 * states a reason in words: "B is too long", "I like the more upbeat one". These never carry a
 * score, the exact length target or a keyword list. They are written only for a decisive vote
 * that agrees with the taste (a person explains the choice they made for their reason; a
 * flipped label has no reason to give), and only with probability `rate`.
 *
 * Phrasings per taste (the side named is the one shown as A or B):
 * - sentiment: the loser "sounds too negative" / the winner "is more upbeat" / "friendlier";
 * - length: the side further from the target is "too long" or "too short", named by which way
 *   it is off (never the target itself);
 * - readability (Flesch): the loser "is hard to read" / the winner "is clearer" / "simpler";
 * - keyword: "I prefer {winner}, it stays on topic" — a topic no principle names, so the matcher
 *   should say it did not understand it.
 */
import { Rng } from '../rng.ts';
import { countWords, scoreText, type ScorerConfig } from './scorers.ts';

export function personCritique(scorer: ScorerConfig, outcome: string, a: string, b: string, rate: number, rng: Rng): string | null {
  if (outcome !== 'a' && outcome !== 'b') return null;
  const sa = scoreText(scorer, a);
  const sb = scoreText(scorer, b);
  if (sa === sb || (outcome === 'a') !== sa > sb) return null;
  if (!(rng.next() < rate)) return null;
  const winner = outcome.toUpperCase();
  const loser = outcome === 'a' ? 'B' : 'A';
  const pick = (options: string[]) => options[rng.int(options.length)]!;
  switch (scorer.kind) {
    case 'sentiment':
      return pick([`${loser} sounds too negative`, `${winner} is more upbeat`, `I like the friendlier one, ${winner}`, `${loser} is a bit gloomy`]);
    case 'length': {
      const loserWords = countWords(outcome === 'a' ? b : a);
      const tooLong = loserWords > scorer.targetWords;
      return tooLong ? pick([`${loser} is too long`, `${loser} rambles`, `${winner} is more concise`]) : pick([`${loser} is too short`, `${winner} has more detail`, `${loser} is too brief`]);
    }
    case 'readability':
      return pick([`${loser} is hard to read`, `${winner} is clearer`, `${winner} uses simpler words`, `${loser} is confusing`]);
    case 'keyword':
      return pick([`I prefer ${winner}, it stays on topic`, `${winner} talks about what I care about`]);
  }
}
