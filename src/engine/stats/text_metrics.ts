/**
 * Pure text metrics for spotting policy collapse and loss of fluency in recent samples.
 * Word tokens are whitespace-separated and lowercased throughout.
 *
 * - distinct-n (Li et al. 2016): unique n-grams / total n-grams over a set of samples; falls
 *   when the policy keeps saying the same thing.
 * - repetition rate (seq-rep-n, Welleck et al. 2019): per sample, 1 − unique n-grams / n-grams,
 *   averaged over samples; rises with degenerate loops ("the the the …").
 * - duplicate rate: share of samples identical to an earlier one (whitespace-normalised);
 *   mode collapse in its bluntest form.
 * - English-word rate: share of letters-only tokens that are in a given English word set; the
 *   caller passes the Set (e.g. built from `an-array-of-english-words`) so this module does not
 *   pull a 2.7 MB list into every bundle that imports it.
 *
 * Set-level diversity (mode collapse: many completions that are the same few short strings).
 * distinct-n pools n-grams, so a one-word completion adds no bigram and a set of 76 identical
 * " progress." samples can still score a high distinct-2 on the few long ones; these three look
 * at the completions as a set and count every completion, empty and one-word ones included:
 * - distinct completions: distinct non-empty normalised texts / all texts. Normalised = word
 *   tokens joined by one space (lowercased, whitespace collapsed; punctuation kept, so this is
 *   exact-match collapse). An empty completion is never distinct: it adds nothing to the set.
 * - mean length in words: mean whitespace-token count over all texts, empty ones as 0.
 * - self-similarity: mean Jaccard similarity of the completions' word-bigram sets over all
 *   N(N−1)/2 pairs, each text padded with a start and an end marker so that a one-word text has
 *   two bigrams ("⟨s⟩ w", "w ⟨/s⟩") and an empty one has one ("⟨s⟩ ⟨/s⟩"): identical short
 *   completions are similar (1), not skipped. Jaccard rather than Self-BLEU-2 because it is
 *   symmetric, bounded in [0, 1] and defined for every length, where BLEU's geometric mean and
 *   brevity penalty need smoothing to say anything about a one-word text, which is exactly the
 *   case collapse produces. O(N²) set comparisons: fine for 40 recent or 100 evaluation texts.
 *
 * Repetition inside an answer that neither of the above sees:
 * - doubled-word share: the share of texts in which a word directly follows itself ("a great
 *   great increase"). seq-rep-4 needs a repeated 4-gram, and distinct-2 pools bigrams over the
 *   set, so the same doubled word in many different answers passes both; reading the 30-vote runs
 *   that pass the learning bar found it in 16–29 of 100 answers (the reference's: 0–2). Words
 *   are runs of letters and apostrophes, lowercased, so "Great, great" counts.
 *
 * Empty inputs give NaN (undefined, not zero): charts show a gap rather than a fake collapse.
 */

export function wordTokens(text: string): string[] {
  const t = text.trim().toLowerCase();
  return t === '' ? [] : t.split(/\s+/);
}

function ngrams(tokens: readonly string[], n: number): string[] {
  const out: string[] = [];
  // U+0001 cannot occur inside a whitespace-split token, so the join is unambiguous enough.
  for (let i = 0; i + n <= tokens.length; i++) out.push(tokens.slice(i, i + n).join('\u0001'));
  return out;
}

function checkN(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`n must be a positive integer, got ${n}`);
}

/** Corpus-level distinct-n over `texts` (n-grams never span two samples). */
export function distinctN(texts: readonly string[], n: number): number {
  checkN(n);
  const seen = new Set<string>();
  let total = 0;
  for (const t of texts) {
    for (const g of ngrams(wordTokens(t), n)) {
      seen.add(g);
      total++;
    }
  }
  return total === 0 ? NaN : seen.size / total;
}

/** seq-rep-n of one text: 1 − unique/total n-grams (NaN when it has no n-gram). */
export function sequenceRepetition(text: string, n = 4): number {
  checkN(n);
  const gs = ngrams(wordTokens(text), n);
  return gs.length === 0 ? NaN : 1 - new Set(gs).size / gs.length;
}

/** Mean seq-rep-n over the samples that have at least one n-gram (NaN if none do). */
export function repetitionRate(texts: readonly string[], n = 4): number {
  let s = 0;
  let k = 0;
  for (const t of texts) {
    const r = sequenceRepetition(t, n);
    if (!Number.isNaN(r)) {
      s += r;
      k++;
    }
  }
  return k === 0 ? NaN : s / k;
}

/** Whether some word of the text directly follows itself (words: letters and apostrophes, lowercased). */
export function hasDoubledWord(text: string): boolean {
  const words = text.toLowerCase().match(/[\p{L}']+/gu) ?? [];
  for (let i = 1; i < words.length; i++) if (words[i] === words[i - 1]) return true;
  return false;
}

/** Share of texts with a doubled word (`hasDoubledWord`); NaN for no texts. */
export function doubledWordRate(texts: readonly string[]): number {
  if (texts.length === 0) return NaN;
  let n = 0;
  for (const t of texts) if (hasDoubledWord(t)) n++;
  return n / texts.length;
}

/** Share of samples equal to an earlier sample after lowercasing and collapsing whitespace. */
export function duplicateRate(texts: readonly string[]): number {
  if (texts.length === 0) return NaN;
  const seen = new Set<string>();
  let dup = 0;
  for (const t of texts) {
    const key = wordTokens(t).join(' ');
    if (seen.has(key)) dup++;
    else seen.add(key);
  }
  return dup / texts.length;
}

/**
 * Letters-only word tokens of a text: whitespace-separated, lowercased, with punctuation
 * trimmed from both ends ("world." → "world"); a token that still contains anything but
 * letters ("x1", "don't", "http://…") is not letters-only and is left out, as are tokens that
 * were pure punctuation.
 */
export function letterTokens(text: string): string[] {
  const out: string[] = [];
  for (const raw of wordTokens(text)) {
    const t = raw.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '');
    if (t !== '' && /^\p{L}+$/u.test(t)) out.push(t);
  }
  return out;
}

/** Share of letters-only tokens found in `words` (pooled over all texts given). */
export function englishWordRate(texts: string | readonly string[], words: ReadonlySet<string>): number {
  const list = typeof texts === 'string' ? [texts] : texts;
  let hits = 0;
  let total = 0;
  for (const t of list) {
    for (const w of letterTokens(t)) {
      total++;
      if (words.has(w)) hits++;
    }
  }
  return total === 0 ? NaN : hits / total;
}

/** A completion as the set-level metrics compare it: word tokens joined by one space. */
export function normalizedText(text: string): string {
  return wordTokens(text).join(' ');
}

/**
 * Distinct non-empty normalised texts / number of texts (NaN for no texts). An empty completion
 * counts in the denominator and never as distinct, so empties lower the fraction.
 */
export function distinctCompletions(texts: readonly string[]): number {
  if (texts.length === 0) return NaN;
  const seen = new Set<string>();
  for (const t of texts) {
    const key = normalizedText(t);
    if (key !== '') seen.add(key);
  }
  return seen.size / texts.length;
}

/** Mean number of word tokens per text, empty texts counting 0 (NaN for no texts). */
export function meanWords(texts: readonly string[]): number {
  if (texts.length === 0) return NaN;
  let total = 0;
  for (const t of texts) total += wordTokens(t).length;
  return total / texts.length;
}

const START = '\u0002s';
const END = '\u0002/s';

/** The set of word bigrams of a text padded with start and end markers (never empty). */
export function paddedBigrams(text: string): Set<string> {
  return new Set(ngrams([START, ...wordTokens(text), END], 2));
}

/** |a ∩ b| / |a ∪ b| (NaN when both are empty). */
export function jaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  let both = 0;
  for (const g of small) if (large.has(g)) both++;
  const union = a.size + b.size - both;
  return union === 0 ? NaN : both / union;
}

/**
 * Mean pairwise Jaccard similarity of the texts' padded word-bigram sets over all N(N−1)/2
 * pairs (NaN for fewer than two texts): 1 when every completion is the same, near 0 for varied
 * text.
 */
export function selfSimilarity(texts: readonly string[]): number {
  if (texts.length < 2) return NaN;
  const sets = texts.map(paddedBigrams);
  let sum = 0;
  let pairs = 0;
  for (let i = 0; i < sets.length; i++) {
    for (let j = i + 1; j < sets.length; j++) {
      sum += jaccard(sets[i]!, sets[j]!);
      pairs++;
    }
  }
  return sum / pairs;
}
