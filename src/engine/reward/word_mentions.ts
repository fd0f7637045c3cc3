/**
 * "Prefers answers that mention certain words", learned as a group test. The person has a
 * hidden set S of words they like to see; each word w is in S with probability π_w (prior π₀).
 * An answer counts for the words of S it has and the other answer lacks, so a pair is:
 * - a tie when neither answer has such a word (and, when both have one, half the time);
 * - won by the answer that alone has one (a coin when both have);
 * and, as with AlpacaFarm's flip noise, a decisive vote is a coin flip with probability 2·`flip`.
 * Words both answers contain cancel, as in a count difference.
 *
 * Each vote updates the words one answer has and the other lacks, each by Bayes' rule given the
 * others at their current probabilities (one mean-field sweep, in log order): a tie clears them
 * (had one been in S, the pair would likely have been decided), and a decisive vote credits the
 * winner's words in proportion to how little the others already explain it. So after a tie or
 * two have cleared the common words, one decisive vote can make a later call confident, where a
 * bag-of-words weight learns only a little from each vote and splits it over every word of the
 * pair. Its own tie probability (`tie`) is what the evidence mixture weighs it by on ties and
 * decisive votes alike: a taste about a few words shows mostly as ties, which is what this model
 * expects and the others do not.
 *
 * Why: the keyword tastes of the taste panel (scripts/rm/README.md) were the three rows under
 * 0.65; no other explanation had the evidence to stand out in them after the 3–4 decisive votes
 * of the first ten. Words are the hashed buckets of the reward features' bag of words
 * (`addWordBag`), present when their frequency is above 0: nothing here reads a taste's list.
 */

export interface WordMentionsConfig {
  /** Hash buckets (the bag-of-words block's size). */
  size: number;
  /** Prior probability π₀ that a word is one the person likes to see (default 0.02). */
  prior?: number;
  /** Flip rate of a decisive vote (default 0.1, the explanations' lapse). */
  flip?: number;
}

/** P(tie), P(a wins) and P(b wins) of a vote. */
interface Outcomes {
  tie: number;
  a: number;
  b: number;
}

/** The model never rules a word in or out for good: one mistaken vote must stay recoverable. */
const MIN_PROBABILITY = 1e-6;
/** Its tie call is kept inside [1 %, 99 %], so one surprise cannot wipe out its evidence. */
const TIE_BOUNDS = [0.01, 0.99] as const;

export class WordMentions {
  private readonly pi: Float64Array;
  private readonly flip: number;

  constructor(private readonly config: WordMentionsConfig) {
    const prior = config.prior ?? 0.02;
    this.flip = config.flip ?? 0.1;
    if (!(prior > 0 && prior < 1)) throw new RangeError(`WordMentions: prior must be in (0, 1), got ${prior}`);
    if (!(this.flip >= 0 && this.flip <= 0.5)) throw new RangeError(`WordMentions: flip must be in [0, 0.5], got ${this.flip}`);
    this.pi = new Float64Array(config.size).fill(prior);
  }

  /** The words only a has and the words only b has (bucket indices). */
  private sides(a: ArrayLike<number>, b: ArrayLike<number>, offset: number): [number[], number[]] {
    const onlyA: number[] = [];
    const onlyB: number[] = [];
    for (let k = 0; k < this.config.size; k++) {
      const inA = a[offset + k]! > 0;
      const inB = b[offset + k]! > 0;
      if (inA && !inB) onlyA.push(k);
      else if (inB && !inA) onlyB.push(k);
    }
    return [onlyA, onlyB];
  }

  /** P(none of these words is in S). */
  private none(words: readonly number[]): number {
    let z = 1;
    for (const k of words) z *= 1 - this.pi[k]!;
    return z;
  }

  /** The vote's distribution given P(a's own words hold none of S) = zA and likewise zB. */
  private outcomes(zA: number, zB: number): Outcomes {
    const both = (1 - zA) * (1 - zB);
    const cleanA = (1 - zA) * zB + 0.25 * both;
    const cleanB = zA * (1 - zB) + 0.25 * both;
    const coin = this.flip * (cleanA + cleanB);
    return { tie: zA * zB + 0.5 * both, a: (1 - 2 * this.flip) * cleanA + coin, b: (1 - 2 * this.flip) * cleanB + coin };
  }

  /**
   * Its call on a pair, from one walk over the bag: P(a ≻ b | the vote is decisive) and P(tie)
   * (within [1 %, 99 %]). `offset` is where the bag of words starts in a and b.
   */
  assess(a: ArrayLike<number>, b: ArrayLike<number>, offset = 0): { pAB: number; tie: number } {
    const [onlyA, onlyB] = this.sides(a, b, offset);
    const o = this.outcomes(this.none(onlyA), this.none(onlyB));
    return { pAB: o.a + o.b > 0 ? o.a / (o.a + o.b) : 0.5, tie: Math.min(TIE_BOUNDS[1], Math.max(TIE_BOUNDS[0], o.tie)) };
  }

  /** P(a ≻ b | the vote is decisive) (`assess`). */
  predict(a: ArrayLike<number>, b: ArrayLike<number>, offset = 0): number {
    return this.assess(a, b, offset).pAB;
  }

  /** P(the vote is a tie), within [1 %, 99 %] (`assess`). */
  tie(a: ArrayLike<number>, b: ArrayLike<number>, offset = 0): number {
    return this.assess(a, b, offset).tie;
  }

  /** Folds one vote into the word probabilities: a ≻ b, b ≻ a, or a tie. */
  observe(a: ArrayLike<number>, b: ArrayLike<number>, outcome: 'a' | 'b' | 'tie', offset = 0): void {
    const [onlyA, onlyB] = this.sides(a, b, offset);
    const zA = this.none(onlyA);
    const zB = this.none(onlyB);
    const likelihood = (o: Outcomes) => Math.max(1e-12, o[outcome]);
    // Every word is updated from the same starting point (the probabilities before this vote).
    const updated: [number, number][] = [];
    for (const k of onlyA) {
      const p = this.pi[k]!;
      const inS = likelihood(this.outcomes(0, zB));
      const notInS = likelihood(this.outcomes(zA / (1 - p), zB));
      updated.push([k, (p * inS) / (p * inS + (1 - p) * notInS)]);
    }
    for (const k of onlyB) {
      const p = this.pi[k]!;
      const inS = likelihood(this.outcomes(zA, 0));
      const notInS = likelihood(this.outcomes(zA, zB / (1 - p)));
      updated.push([k, (p * inS) / (p * inS + (1 - p) * notInS)]);
    }
    for (const [k, p] of updated) this.pi[k] = Math.min(1 - MIN_PROBABILITY, Math.max(MIN_PROBABILITY, p));
  }

  /** P(word bucket k is one the person likes to see). */
  probability(k: number): number {
    return this.pi[k]!;
  }
}
