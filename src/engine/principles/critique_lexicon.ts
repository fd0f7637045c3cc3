/**
 * The critique matcher's word lists and spelling rule (critique_matcher.ts has the rules in
 * full): cue words (negations, degree words, desire verbs, side words), the phrases recognised
 * only to be ignored, the lexicon compiled from principles.ts, and rule 2, "Spelling":
 * optimal-string-alignment distance ≤ 1 at ≥ 5 letters, ≤ 2 at ≥ 8, never for a correctly
 * spelt English word (respell_guard.ts).
 */
import { RESPELL_GUARD } from './respell_guard.ts';
import { PRINCIPLE_AXES, type PrincipleAxis, type TermTag } from './principles.ts';

// Cue words.

export const NEGATORS = new Set([
  'not', 'no', 'never', 'neither', 'nor', 'none', 'nothing', 'without', 'hardly', 'cannot',
  'dont', 'doesnt', 'didnt', 'isnt', 'arent', 'wasnt', 'werent', 'cant', 'couldnt', 'wont',
  'wouldnt', 'shouldnt', 'hasnt', 'havent', 'hadnt', 'aint', 'nope',
]);

export function isNegator(w: string): boolean {
  return NEGATORS.has(w) || w.endsWith("n't");
}

export type Degree = 'excess' | 'more' | 'less';
export const DEGREE: ReadonlyMap<string, Degree> = new Map<string, Degree>([
  ['too', 'excess'], ['overly', 'excess'], ['excessively', 'excess'], ['so', 'excess'],
  ['more', 'more'], ['extra', 'more'], ['increase', 'more'], ['add', 'more'],
  ['less', 'less'], ['fewer', 'less'], ['reduce', 'less'], ['without', 'less'],
]);
/** Words that may stand between a degree word and its term ("too many exclamation marks"). */
export const FILLERS = new Set([
  'much', 'many', 'a', 'bit', 'little', 'few', 'lot', 'lots', 'way', 'far', 'slightly', 'even', 'of',
  'the', 'it', 'its', "it's", 'this', 'that', 'all', 'these', 'those', 'any', 'some', 'really', 'very',
  'kinda', 'somewhat', 'rather', 'quite', 'pretty',
]);
/** Degree words that must stand right before the term, or before much/many only. */
export const TIGHT_DEGREE = new Set(['so', 'add', 'increase', 'reduce']);
/** "to X" is read as a misspelt "too X" after these words or at a clause start. */
export const TO_AS_TOO_AFTER = new Set([
  'is', 'was', 'are', 'were', "it's", 'its', "that's", 'thats', 'way', 'much', 'far', 'bit', 'a', 'b',
  'seems', 'sounds', 'feels', 'looks', 'just', 'still', 'getting', 'got', 'being',
]);

export const DESIRE: ReadonlyMap<string, 1 | -1> = new Map<string, 1 | -1>([
  ...(['like', 'likes', 'liked', 'love', 'loves', 'loved', 'prefer', 'prefers', 'preferred', 'preferring',
    'want', 'wants', 'wanted', 'need', 'needs', 'needed', 'enjoy', 'enjoyed', 'enjoys',
    'appreciate', 'appreciated', 'lacks', 'lacking', 'lacked', 'lack', 'missing', 'misses', 'wish',
    'favor', 'favour'] as const).map((w) => [w, 1 as const] as const),
  ...(['hate', 'hates', 'hated', 'dislike', 'dislikes', 'disliked', 'avoid', 'stop', 'remove', 'drop',
    'ditch', 'lose', 'cut', 'ban', 'skip', 'eliminate', 'minimize', 'minimise'] as const).map(
    (w) => [w, -1 as const] as const,
  ),
]);

/** "like" after these is a preposition ("sounds like a sad story"), not a desire. */
export const LIKE_AS_PREPOSITION = new Set([
  'look', 'looks', 'looked', 'sound', 'sounds', 'sounded', 'feel', 'feels', 'felt', 'seem', 'seems',
  'seemed', 'is', 'was', 'are', "it's", 'its', 'read', 'reads', 'something', 'anything', 'nothing', 'more',
]);

export const HAVE = new Set(['has', 'have', 'had', 'with', 'contains', 'includes', 'got', 'gets', "there's", 'theres']);

export const CLAUSE_WORDS = new Set(['but', 'however', 'whereas', 'while', 'although', 'though', 'yet']);
export const SIDELESS = new Set(['neither', 'both', 'either', 'none']);

export const SIDE_FOLLOWERS = new Set([
  'is', 'was', 'seems', 'seemed', 'sounds', 'sounded', 'feels', 'felt', 'looks', 'looked', 'reads',
  'has', 'had', 'uses', 'used', 'repeats', 'rambles', 'says', 'said', 'goes', 'gets', 'got', 'keeps',
  'kept', 'does', 'did', "doesn't", 'doesnt', "isn't", 'isnt', "wasn't", 'wasnt', 'should', 'could',
  'would', 'needs', 'wins', 'won', 'and', 'or', 'vs', 'versus', 'because', 'since', 'than', 'over',
  'too', 'comes', 'came', 'tends', 'gives', 'gave', 'contains', 'includes', 'mentions', 'talks',
  'just', 'also', 'starts', 'ends', 'sucks', 'lacks', 'misses',
  'uses', 'overuses', 'went', 'makes', 'made', 'stays', 'asks', 'nor',
]);
export const SIDE_NOUNS = new Set(['answer', 'option', 'response', 'candidate', 'choice', 'output', 'completion', 'version', 'reply']);
export const SIDE_ONE = new Set([...SIDE_NOUNS, 'one', 'side', 'text', 'column', 'panel']);

// ---------------------------------------------------------------------------------------------
// The lexicon, compiled once from principles.ts.

export interface LexEntry {
  readonly words: readonly string[];
  readonly axisIndex: number;
  /** +1: the term names a higher feature value; −1: a lower one. */
  readonly dir: 1 | -1;
  readonly tag: TermTag;
  /** Position in principles.ts, for deterministic tie-breaking. */
  readonly order: number;
  readonly ignore: false;
}
export interface IgnoreEntry {
  readonly words: readonly string[];
  readonly ignore: true;
}

/** Phrases recognised only so that their words do not match a principle. */
const IGNORED_PHRASES = [
  'as long as', 'so long as', 'no longer', 'any longer', 'long time', 'a long time', 'long ago',
  'before long', 'in short', 'in brief', 'kind of', 'sort of', 'the question', 'this question',
  'that question', 'a number of', 'number of', 'the number', 'make sense', 'makes sense', 'at least',
  'first of all', 'at first', 'right now', 'all right', 'never mind', 'mean to', 'dark horse',
  'positive that', 'in detail',
];

export interface Compiled {
  readonly byFirst: ReadonlyMap<string, readonly (LexEntry | IgnoreEntry)[]>;
  /** Every word of every lexicon phrase. */
  readonly lexWords: ReadonlySet<string>;
  /** Lexicon words of ≥ 5 letters by length, in lexicon order, with their letter sets. */
  readonly respellable: ReadonlyMap<number, readonly { word: string; mask: number }[]>;
  /** Words never respelled: cue words and the words of ignored phrases. */
  readonly exactOnly: ReadonlySet<string>;
  /** Each lexicon word's first position in principles.ts (ties in rule 2). */
  readonly wordRank: ReadonlyMap<string, number>;
}

let compiled: Compiled | null = null;

function splitPhrase(p: string): string[] {
  return p.split(' ').filter((w) => w !== '');
}

/** Which letters a word has: bits 0–25 for a–z, bit 26 for anything else. */
function letterMask(word: string): number {
  let m = 0;
  for (let i = 0; i < word.length; i++) {
    const c = word.charCodeAt(i) - 97;
    m |= 1 << (c >= 0 && c < 26 ? c : 26);
  }
  return m;
}

function popcount32(x: number): number {
  let v = x - ((x >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

function compile(): Compiled {
  const byFirst = new Map<string, (LexEntry | IgnoreEntry)[]>();
  const lexWords = new Set<string>();
  const wordOrder: string[] = [];
  const add = (e: LexEntry | IgnoreEntry): void => {
    const first = e.words[0]!;
    const list = byFirst.get(first);
    if (list === undefined) byFirst.set(first, [e]);
    else list.push(e);
  };
  let order = 0;
  PRINCIPLE_AXES.forEach((axis: PrincipleAxis, axisIndex) => {
    for (const [dir, group] of [
      [1, axis.lexicon.up],
      [-1, axis.lexicon.down],
    ] as const) {
      for (const tag of ['neutral', 'virtue', 'fault'] as const) {
        for (const phrase of group[tag] ?? []) {
          const words = splitPhrase(phrase);
          add({ words, axisIndex, dir, tag, order: order++, ignore: false });
          for (const w of words) {
            if (!lexWords.has(w)) {
              lexWords.add(w);
              wordOrder.push(w);
            }
          }
        }
      }
    }
  });
  const exactOnly = new Set<string>([
    ...NEGATORS, ...DEGREE.keys(), ...FILLERS, ...DESIRE.keys(), ...HAVE, ...CLAUSE_WORDS, ...SIDELESS,
    ...SIDE_FOLLOWERS, ...SIDE_ONE, 'enough', 'little', 'few', 'left', 'right', 'first',
    'second', 'former', 'latter',
  ]);
  for (const p of IGNORED_PHRASES) {
    const words = splitPhrase(p);
    add({ words, ignore: true });
    for (const w of words) exactOnly.add(w);
  }
  // Longest phrase first; at equal length an ignored phrase wins, then lexicon order.
  for (const list of byFirst.values()) {
    list.sort((x, y) => {
      if (y.words.length !== x.words.length) return y.words.length - x.words.length;
      if (x.ignore !== y.ignore) return x.ignore ? -1 : 1;
      return (x.ignore ? 0 : x.order) - (y.ignore ? 0 : y.order);
    });
  }
  const respellable = new Map<number, { word: string; mask: number }[]>();
  for (const w of wordOrder) {
    if (w.length < 5) continue;
    const entry = { word: w, mask: letterMask(w) };
    const list = respellable.get(w.length);
    if (list === undefined) respellable.set(w.length, [entry]);
    else list.push(entry);
  }
  const wordRank = new Map(wordOrder.map((w, i) => [w, i] as const));
  return { byFirst, lexWords, respellable, exactOnly, wordRank };
}

export function lexicon(): Compiled {
  compiled ??= compile();
  return compiled;
}

/** Edits allowed between two words whose shorter length is m (rule 2). */
export function allowedEdits(m: number): number {
  return m >= 8 ? 2 : m >= 5 ? 1 : 0;
}

/**
 * Optimal string alignment distance (Damerau–Levenshtein with adjacent transpositions, no
 * substring edited twice) between a and b, or `bound + 1` as soon as it must exceed `bound`.
 * Only cells within `bound` of the diagonal are computed: O(|a|·bound).
 */
export function boundedOsaDistance(a: string, b: string, bound: number): number {
  const n = a.length;
  const m = b.length;
  if (Math.abs(n - m) > bound) return bound + 1;
  if (n === 0 || m === 0) return Math.max(n, m);
  const big = bound + 1;
  if (osaRows[0]!.length < m + 1) osaRows = [0, 1, 2].map(() => new Int32Array(2 * (m + 1)));
  let prev2 = osaRows[0]!;
  let prev = osaRows[1]!;
  let cur = osaRows[2]!;
  prev2.fill(big, 0, m + 1);
  for (let j = 0; j <= m; j++) prev[j] = j <= bound ? j : big;
  for (let i = 1; i <= n; i++) {
    cur.fill(big, 0, m + 1);
    if (i <= bound) cur[0] = i;
    const lo = Math.max(1, i - bound);
    const hi = Math.min(m, i + bound);
    let rowMin = cur[0]!;
    const ai = a.charCodeAt(i - 1);
    for (let j = lo; j <= hi; j++) {
      const bj = b.charCodeAt(j - 1);
      let v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (ai === bj ? 0 : 1));
      if (i > 1 && j > 1 && ai === b.charCodeAt(j - 2) && a.charCodeAt(i - 2) === bj) {
        v = Math.min(v, prev2[j - 2]! + 1);
      }
      if (v > big) v = big;
      cur[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > bound) return big;
    const t = prev2;
    prev2 = prev;
    prev = cur;
    cur = t;
  }
  return Math.min(prev[m]!, big);
}

/** Scratch rows of `boundedOsaDistance` (it allocates only when a longer word comes). */
let osaRows: Int32Array[] = [0, 1, 2].map(() => new Int32Array(64));

export interface Spelled {
  readonly word: string;
  readonly edits: number;
}

/**
 * The lexicon word a token is a misspelling of by the distance rule alone (rule 2), or null:
 * the closest lexicon word of length ≥ 5 within `allowedEdits(shorter length)`, ties to the
 * word listed first. Lexicon words, cue words and tokens under 5 letters, with a digit or an
 * apostrophe give null. `respell_guard.ts` is generated from this function.
 */
export function nearestLexiconWord(token: string): Spelled | null {
  const lex = lexicon();
  const w = token;
  if (w.length < 5 || w.length > 40 || lex.lexWords.has(w) || lex.exactOnly.has(w)) return null;
  for (let i = 0; i < w.length; i++) {
    const c = w.charCodeAt(i);
    if ((c >= 48 && c <= 57) || c === 39) return null; // a digit or an apostrophe
  }
  let best: string | null = null;
  let bestD = Infinity;
  let bestRank = Infinity;
  const mask = letterMask(w);
  for (let len = w.length - 2; len <= w.length + 2; len++) {
    const bound = allowedEdits(Math.min(len, w.length));
    if (bound === 0 || Math.abs(len - w.length) > bound) continue;
    for (const c of lex.respellable.get(len) ?? []) {
      // Letters present in one word only: one edit adds or removes at most one on each side.
      if (popcount32(mask ^ c.mask) > 2 * bound) continue;
      const d = boundedOsaDistance(w, c.word, bound);
      if (d > bound) continue;
      const rank = lex.wordRank.get(c.word)!;
      if (d < bestD || (d === bestD && rank < bestRank)) {
        best = c.word;
        bestD = d;
        bestRank = rank;
      }
    }
  }
  return best === null ? null : { word: best, edits: bestD };
}

/**
 * The guard list for `respell_guard.ts`: the words of `dictionary` that `nearestLexiconWord` would
 * read as misspellings, lowercased and sorted. `scripts/principles/respell_guard.ts` writes it;
 * a unit test checks that the committed list is this function's output for the shipped lexicon.
 */
export function respellGuardFrom(dictionary: Iterable<string>): string[] {
  const out = new Set<string>();
  for (const raw of dictionary) {
    const w = raw.toLowerCase();
    if (nearestLexiconWord(w) !== null) out.add(w);
  }
  return [...out].sort();
}

export function respell(w: string, cache: Map<string, Spelled>): Spelled {
  const hit = cache.get(w);
  if (hit !== undefined) return hit;
  // A correctly spelt English word is never read as a misspelling of another (respell_guard.ts).
  const near = RESPELL_GUARD.has(w) ? null : nearestLexiconWord(w);
  const out = near ?? { word: w, edits: 0 };
  cache.set(w, out);
  return out;
}
