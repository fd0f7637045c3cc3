/**
 * Deterministic matcher from a one-line free-text critique to style principles.
 *
 * `matchCritique("A is too wordy")` → `[{ principleId: 'longer', polarity: -1, side: 'a', … }]`:
 * the person wants *less* of "longer answers" and named candidate A. The words it knows are the
 * lexicons in `principles.ts` (the ONE place they are written); the cue words and the spelling
 * rule are in `critique_lexicon.ts`; this file applies the rules.
 *
 * Rules, in the order they apply:
 *
 * 1. Tokens. One linear pass: a word is a run of letters/digits (apostrophes inside a word kept,
 *    curly ones straightened, so "don't"/"don’t" are one token); everything is lowercased, so
 *    matching is case- and punctuation-insensitive. Hyphens and other symbols separate words
 *    ("long-winded" = "long winded"). `. , ; : ! ? ( ) [ ] { }` and line breaks end a clause,
 *    and so do the words "but", "however", "whereas", "while", "although", "though", "yet".
 *
 * 2. Spelling. A token of ≥ 5 letters that is not a lexicon word, not a cue word (negations,
 *    modifiers, side words, …) and not a correctly spelt English word (`respell_guard.ts`,
 *    generated from the `an-array-of-english-words` list: "better" is never a misspelt "bitter",
 *    nor "through" of "thorough") is compared with the lexicon's words by optimal string
 *    alignment (Damerau–Levenshtein with adjacent transpositions, no substring edited twice).
 *    With m = the shorter of the two lengths it may differ by ≤ 1 edit when m ≥ 5 and ≤ 2 edits
 *    when m ≥ 8; shorter words must be exact. The closest word wins; ties go to the word listed
 *    first in `principles.ts`. A match through a misspelling loses 15 % confidence per edit.
 *
 * 3. Terms. At each position the longest lexicon phrase wins ("long sentences" is about
 *    readability, "long" alone about length). A few phrases are recognised only to be ignored
 *    ("as long as", "no longer", "kind of", "the question", …) so their words do not match.
 *
 * 4. What the person wants of the term's named quality, w = ±1. The cues are looked for before
 *    the term, in its clause, and no further back than the previous term or 6 tokens (so each
 *    cue belongs to the nearest term after it):
 *    a. "enough": "not long enough" / "not enough detail" → +1 (asks for more); "long enough"
 *       without a negation → +1 with low confidence.
 *    b. Lack: "too little X" / "too few X" → +1.
 *    (A degree word may stand up to 3 filler words from its term: "too many exclamation marks",
 *    "a lot less repetition"; "so", "add", "increase", "reduce" only right before it.)
 *    c. Excess: "too X", "overly X", "excessively X", "so X" (and "to X" after "is"/"it's"/… as a
 *       misspelt "too") → −1. With a negation right before it: "not so X" → −1 (English "not so
 *       negative" asks for less), but "not too X" / "isn't too X" / "neither is too X" → +1 with low
 *       confidence (the amount of X is acceptable: no complaint).
 *    d. Comparison: "more X" / "extra X" → +1, "less X" / "fewer X" / "without X" → −1; a negation
 *       right before flips it ("no more exclamations" → −1), and so does a negated or negative
 *       desire verb before it ("I don't want more numbers" → −1).
 *    e. Desire: "like/love/prefer/want/need/lacks/missing …" → +1 ("like" not after looks/sounds/
 *       is/…, where it is a preposition), "hate/dislike/avoid/stop/remove/drop …" → −1; a negation
 *       within 3 tokens before the verb flips it ("i don't want it shorter" → −1), and so does a
 *       negation between the verb and the term.
 *    f. Bare term, by its tag (principles.ts): `neutral` → +1, flipped by any negation in reach
 *       ("not shorter" → −1) except "has no X" / "with no X" (it lacks X → +1); `virtue` → +1 and
 *       `fault` → −1 whether asserted or denied ("B isn't repetitive" still means repetition is bad).
 *    Negations: not, no, never, neither, nor, none, nothing, without, hardly, cannot and any word
 *    ending in n't (plus dont, doesnt, isnt, arent, wasnt, cant, wont, shouldnt, …).
 *
 * 5. From the term to a principle. Each term names one direction of one feature axis (up/down).
 *    The reported principle is the pole it names, with polarity w ("too long" → longer, −1); when
 *    that axis has no such pole, the opposite pole with −w ("B repeats itself" → less_repetitive,
 *    +1). `principleDirection` in principles.ts turns either into a feature and a sign.
 *
 * 6. Sides. "B" is always candidate B; "A" (or "a") is candidate A only where it cannot be the
 *    article: before a verb such as is/was/seems/has/repeats/uses/…, before and/or/vs/than/because,
 *    at the end of a clause ("I prefer A"), or after answer/option/response/candidate. "left"/"right"
 *    (→ a/b) and "first"/"second"/"1st"/"2nd" (→ a/b) count before one/answer/response/…, or after
 *    "the" at a clause end or before a verb ("the first is too long"); "former"/"latter" always;
 *    "option 1", "answer 2", "#1". A match takes the side named nearest before it in its clause, else
 *    nearest after it in the clause, else the only side the whole critique names; none when the
 *    clause says "neither"/"both"/"either"/"none" before naming a side ("either" ending a clause is
 *    the adverb), or names A and B joined by and/or.
 *
 * 7. Output. Matches in text order, de-duplicated by (principle, polarity, side) keeping the most
 *    confident; `matchedText` is the critique's own text from the first cue used to the end of the
 *    term. No match → `unmatched: true` with a reason. Confidence is a fixed number per rule (see
 *    CONFIDENCE), times the misspelling factor, rounded to 2 decimals: a ranking of how literal
 *    the reading is, not a calibrated probability.
 *
 * Cost: tokenizing is one pass with no regular expression over the whole text; each distinct
 * token is spell-checked once, against the lexicon words within 2 letters of its length whose
 * letter sets are close enough (a popcount), by a banded early-exit alignment; the cue scan per
 * term is bounded (6 tokens back, 1 ahead); sides are looked up per clause. A 10,000-character
 * critique takes about 10 ms once the lexicon is compiled (a few ms, on first use).
 */
import {
  CLAUSE_WORDS,
  DEGREE,
  DESIRE,
  FILLERS,
  HAVE,
  LIKE_AS_PREPOSITION,
  SIDE_FOLLOWERS,
  SIDE_NOUNS,
  SIDE_ONE,
  SIDELESS,
  TIGHT_DEGREE,
  TO_AS_TOO_AFTER,
  isNegator,
  lexicon,
  respell,
  type Compiled,
  type Degree,
  type IgnoreEntry,
  type LexEntry,
  type Spelled,
} from './critique_lexicon.ts';
import { PRINCIPLE_AXES, principleById, leaningPrinciple, type PrincipleAxis, type PrincipleId } from './principles.ts';

export { allowedEdits, boundedOsaDistance, nearestLexiconWord, respellGuardFrom } from './critique_lexicon.ts';

export type CritiqueSide = 'a' | 'b';

export interface CritiqueMatch {
  principleId: PrincipleId;
  /** +1: wants more of the principle; −1: wants less of it. */
  polarity: 1 | -1;
  /** The candidate the critique names for this match, or null. */
  side: CritiqueSide | null;
  /** In (0, 1]: how literal the reading is (see rule 7), not a calibrated probability. */
  confidence: number;
  /** The critique's own words that gave this match, from the first cue to the end of the term. */
  matchedText: string;
}

export interface CritiqueMatchResult {
  matches: CritiqueMatch[];
  unmatched: boolean;
  /** Why nothing matched; null when something did. */
  reason: string | null;
}

/** The fixed confidence of each rule (rule 7). */
export const CONFIDENCE = {
  enoughNegated: 0.9,
  enoughPlain: 0.4,
  lack: 0.9,
  excess: 0.95,
  notSo: 0.8,
  notToo: 0.4,
  comparison: 0.95,
  desire: 0.9,
  bare: 0.8,
  bareNegated: 0.7,
  /** Per edit of a misspelling, the confidence is multiplied by (1 − this). */
  perEdit: 0.15,
} as const;

// ---------------------------------------------------------------------------------------------
// Tokens.

interface Token {
  /** Lowercased, apostrophes straightened; '' for a clause break. */
  readonly w: string;
  /** As typed. */
  readonly raw: string;
  readonly start: number;
  readonly end: number;
  readonly clause: number;
  readonly brk: boolean;
}

const NON_ASCII_WORD = /[\p{L}\p{N}\p{M}]/u;

function isWordCode(text: string, i: number, code: number): boolean {
  if (code < 128) return (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || (code >= 48 && code <= 57);
  return NON_ASCII_WORD.test(text[i]!);
}

function isApostrophe(code: number): boolean {
  return code === 39 || code === 0x2019 || code === 0x2018;
}

/** . , ; : ! ? ( ) [ ] { } and line breaks. */
function isClauseBreak(code: number): boolean {
  return (
    code === 46 || code === 44 || code === 59 || code === 58 || code === 33 || code === 63 || code === 40 ||
    code === 41 || code === 91 || code === 93 || code === 123 || code === 125 || code === 10 || code === 13
  );
}

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let clause = 0;
  let pendingBreak = false;
  const n = text.length;
  let i = 0;
  while (i < n) {
    const code = text.charCodeAt(i);
    if (isWordCode(text, i, code)) {
      let j = i + 1;
      let curly = false;
      while (j < n) {
        const cj = text.charCodeAt(j);
        if (isWordCode(text, j, cj)) j++;
        else if (isApostrophe(cj) && j + 1 < n && isWordCode(text, j + 1, text.charCodeAt(j + 1))) {
          if (cj !== 39) curly = true;
          j++;
        } else break;
      }
      const raw = text.slice(i, j);
      const lower = raw.toLowerCase();
      const w = curly ? lower.replace(/[\u2018\u2019]/g, "'") : lower;
      if (CLAUSE_WORDS.has(w)) {
        pendingBreak = true;
      } else {
        if (pendingBreak && out.length > 0) {
          clause++;
          out.push({ w: '', raw: '', start: i, end: i, clause, brk: true });
        }
        pendingBreak = false;
        out.push({ w, raw, start: i, end: j, clause, brk: false });
      }
      i = j;
      continue;
    }
    if (isClauseBreak(code)) pendingBreak = true;
    i++;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Sides.

interface SideMention {
  readonly index: number;
  readonly side: CritiqueSide;
}

function wordAt(tokens: readonly Token[], i: number, clause: number): string | null {
  const t = tokens[i];
  return t === undefined || t.brk || t.clause !== clause ? null : t.w;
}

function sideOf(tokens: readonly Token[], i: number, text: string): CritiqueSide | null {
  const t = tokens[i]!;
  const w = t.w;
  const next = wordAt(tokens, i + 1, t.clause);
  const prev = wordAt(tokens, i - 1, t.clause);
  const atEnd = next === null;
  if (w === 'b' || w === "b's") return 'b';
  if (w === "a's") return 'a';
  if (w === 'a') {
    if (atEnd || SIDE_FOLLOWERS.has(next) || (prev !== null && SIDE_NOUNS.has(prev))) return 'a';
    return null;
  }
  if (w === 'former') return 'a';
  if (w === 'latter') return 'b';
  const ordinal =
    w === 'left' || w === 'first' || w === '1st' ? 'a' : w === 'right' || w === 'second' || w === '2nd' ? 'b' : null;
  if (ordinal !== null) {
    if (next !== null && SIDE_ONE.has(next)) return ordinal;
    if ((prev === 'the' || prev === 'on') && (atEnd || SIDE_FOLLOWERS.has(next))) return ordinal;
    return null;
  }
  if (w === '1' || w === '2') {
    const hash = t.start > 0 && text.charCodeAt(t.start - 1) === 35; // '#1'
    if (hash || (prev !== null && (SIDE_NOUNS.has(prev) || prev === 'number' || prev === 'no'))) {
      return w === '1' ? 'a' : 'b';
    }
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Matching.

interface TermHit {
  readonly entry: LexEntry;
  readonly start: number; // token index
  readonly end: number; // token index, exclusive
  readonly edits: number;
}

const NO_ENTRIES: readonly (LexEntry | IgnoreEntry)[] = [];

function findTerms(tokens: readonly Token[], lex: Compiled, cache: Map<string, Spelled>): TermHit[] {
  const hits: TermHit[] = [];
  let i = 0;
  while (i < tokens.length) {
    const t = tokens[i]!;
    if (t.brk) {
      i++;
      continue;
    }
    const first = respell(t.w, cache);
    // Ignored phrases start with cue words, which are never respelled: one list serves both.
    const candidates = lex.byFirst.get(first.word) ?? NO_ENTRIES;
    let best: { e: LexEntry | IgnoreEntry; edits: number } | null = null;
    for (const e of candidates) {
      if (best !== null && e.words.length < best.e.words.length) continue;
      let edits = 0;
      let ok = true;
      for (let k = 0; k < e.words.length; k++) {
        const tk = tokens[i + k];
        if (tk === undefined || tk.brk) {
          ok = false;
          break;
        }
        if (e.ignore) {
          if (tk.w !== e.words[k]) ok = false;
        } else {
          const s = respell(tk.w, cache);
          if (tk.w === e.words[k]) continue;
          if (s.word !== e.words[k]) ok = false;
          else edits += s.edits;
        }
        if (!ok) break;
      }
      if (!ok) continue;
      if (
        best === null ||
        e.words.length > best.e.words.length ||
        (e.words.length === best.e.words.length && e.ignore && !best.e.ignore)
      ) {
        best = { e, edits };
      }
    }
    if (best === null) {
      i++;
      continue;
    }
    if (!best.e.ignore) hits.push({ entry: best.e, start: i, end: i + best.e.words.length, edits: best.edits });
    i += best.e.words.length;
  }
  return hits;
}

interface Reading {
  readonly w: 1 | -1;
  readonly confidence: number;
  /** Token index of the first cue used (or the term's start). */
  readonly from: number;
  /** Token index just past the last token used. */
  readonly to: number;
}

const MAX_LOOKBACK = 6;

function readTerm(tokens: readonly Token[], hit: TermHit, floor: number): Reading {
  const clause = tokens[hit.start]!.clause;
  let lo = Math.max(floor, hit.start - MAX_LOOKBACK);
  while (lo < hit.start && (tokens[lo]!.brk || tokens[lo]!.clause !== clause)) lo++;
  const w = (i: number): string => (i >= lo && i < hit.start ? tokens[i]!.w : '');
  const claimed = new Set<number>();
  let from = hit.start;
  let to = hit.end;

  // Degree word before the term, over at most 3 fillers.
  let dIdx = -1;
  let degree: Degree | 'lack' | null = null;
  let enoughPre = false;
  {
    let j = hit.start - 1;
    let fillers = 0;
    let sawLack = false;
    while (j >= lo && fillers <= 3) {
      const x = w(j);
      if (x === 'enough' && j === hit.start - 1 - fillers) {
        enoughPre = true;
        dIdx = j;
        break;
      }
      const d = DEGREE.get(x);
      if (d !== undefined) {
        const between = hit.start - 1 - j;
        const tight = TIGHT_DEGREE.has(x);
        const onlyMuch = (() => {
          for (let k = j + 1; k < hit.start; k++) if (w(k) !== 'much' && w(k) !== 'many') return false;
          return true;
        })();
        if (!tight || between === 0 || onlyMuch) {
          dIdx = j;
          degree = d === 'excess' && sawLack ? 'lack' : d;
        }
        break;
      }
      if (x === 'to' && j === hit.start - 1) {
        const before = w(j - 1);
        if (j === 0 || tokens[j - 1]!.brk || tokens[j - 1]!.clause !== clause) {
          dIdx = j;
          degree = 'excess';
        } else if (TO_AS_TOO_AFTER.has(before)) {
          dIdx = j;
          degree = 'excess';
        }
        break;
      }
      if (!FILLERS.has(x)) break;
      if (x === 'little' || x === 'few') sawLack = true;
      fillers++;
      j--;
    }
  }
  if (dIdx >= 0) {
    claimed.add(dIdx);
    from = dIdx;
  }

  // A negation right before the degree word ("not too", "isn't too", "neither is too", "no more").
  let negD = false;
  if (dIdx >= 0) {
    for (let k = Math.max(lo, dIdx - 2); k < dIdx; k++) {
      if (isNegator(w(k))) {
        negD = true;
        claimed.add(k);
        from = Math.min(from, k);
      }
    }
  }

  // A desire verb before the degree word (or the term), and its own negation.
  let vIdx = -1;
  let vSign: 1 | -1 = 1;
  for (let k = (dIdx >= 0 ? Math.min(dIdx, ...claimed) : hit.start) - 1; k >= lo; k--) {
    const s = DESIRE.get(w(k));
    if (s !== undefined && !(w(k).startsWith('like') && LIKE_AS_PREPOSITION.has(w(k - 1)))) {
      vIdx = k;
      vSign = s;
      break;
    }
  }
  let negV = false;
  if (vIdx >= 0) {
    claimed.add(vIdx);
    from = Math.min(from, vIdx);
    for (let k = Math.max(lo, vIdx - 3); k < vIdx; k++) {
      if (isNegator(w(k)) && !claimed.has(k)) {
        negV = !negV;
        claimed.add(k);
        from = Math.min(from, k);
      }
    }
  }

  // Any other negation in reach, and whether it is "has no X".
  let negT = false;
  let lackingNo = false;
  for (let k = lo; k < hit.start; k++) {
    const x = w(k);
    if (!claimed.has(k) && isNegator(x)) {
      negT = !negT;
      from = Math.min(from, k);
      if ((x === 'no' || x === 'without') && HAVE.has(w(k - 1))) lackingNo = true;
    }
  }

  const afterIdx = hit.end;
  const after = tokens[afterIdx];
  const enoughPost = after !== undefined && !after.brk && after.clause === clause && after.w === 'enough';
  if (enoughPost) to = afterIdx + 1;

  const tag = hit.entry.tag;
  const anyNeg = negT || negD || negV;
  let r: { w: 1 | -1; c: number };
  if (enoughPost || (enoughPre && anyNeg)) {
    r = anyNeg ? { w: 1, c: CONFIDENCE.enoughNegated } : { w: 1, c: CONFIDENCE.enoughPlain };
  } else if (degree === 'lack') {
    r = negD ? { w: -1, c: CONFIDENCE.notToo } : { w: 1, c: CONFIDENCE.lack };
  } else if (degree === 'excess') {
    if (!negD) r = { w: -1, c: CONFIDENCE.excess };
    else if (w(dIdx) === 'so') r = { w: -1, c: CONFIDENCE.notSo };
    else r = { w: 1, c: CONFIDENCE.notToo };
  } else if (degree === 'more' || degree === 'less') {
    let s: 1 | -1 = degree === 'more' ? 1 : -1;
    if (negD) s = -s as 1 | -1;
    if (vIdx >= 0) s = (s * vSign * (negV ? -1 : 1)) as 1 | -1;
    r = { w: s, c: CONFIDENCE.comparison };
  } else if (vIdx >= 0) {
    r = { w: (vSign * (negV ? -1 : 1) * (negT ? -1 : 1)) as 1 | -1, c: CONFIDENCE.desire };
  } else if (tag === 'neutral') {
    r = negT ? { w: lackingNo ? 1 : -1, c: CONFIDENCE.bareNegated } : { w: 1, c: enoughPre ? 0.5 : CONFIDENCE.bare };
  } else {
    r = { w: tag === 'fault' ? -1 : 1, c: CONFIDENCE.bare };
  }
  const c = Math.round(r.c * Math.max(0, 1 - CONFIDENCE.perEdit * hit.edits) * 100) / 100;
  return { w: r.w, confidence: c, from, to };
}

interface ClauseSides {
  /** Side mentions of each clause, in text order. */
  readonly mentions: ReadonlyMap<number, readonly SideMention[]>;
  /** Clauses that say neither/both/either/none before naming a side. */
  readonly sideless: ReadonlySet<number>;
  /** The only side the whole critique names, if exactly one and no clause is sideless. */
  readonly only: CritiqueSide | null;
}

function findSides(tokens: readonly Token[], text: string): ClauseSides {
  const mentions = new Map<number, SideMention[]>();
  const sideless = new Set<number>();
  const seen = new Set<CritiqueSide>();
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.brk) continue;
    // "either" ending its clause is the adverb ("A isn't long either").
    const sidelessWord = SIDELESS.has(t.w) && !(t.w === 'either' && wordAt(tokens, i + 1, t.clause) === null);
    if (sidelessWord && !mentions.has(t.clause)) sideless.add(t.clause);
    const side = sideOf(tokens, i, text);
    if (side === null) continue;
    seen.add(side);
    const list = mentions.get(t.clause);
    if (list === undefined) mentions.set(t.clause, [{ index: i, side }]);
    else list.push({ index: i, side });
  }
  return { mentions, sideless, only: seen.size === 1 && sideless.size === 0 ? [...seen][0]! : null };
}

function sideFor(tokens: readonly Token[], hit: TermHit, sides: ClauseSides): CritiqueSide | null {
  const clause = tokens[hit.start]!.clause;
  if (sides.sideless.has(clause)) return null;
  const inClause = sides.mentions.get(clause) ?? [];
  // The last mention before the term (binary search: mentions are in text order).
  let lo = 0;
  let hi = inClause.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (inClause[mid]!.index < hit.start) lo = mid + 1;
    else hi = mid;
  }
  if (lo > 0) {
    const last = inClause[lo - 1]!;
    const prior = inClause[lo - 2];
    if (prior !== undefined && prior.side !== last.side) {
      let joined = true;
      for (let k = prior.index + 1; k < last.index; k++) {
        const x = tokens[k]!.w;
        if (x !== 'and' && x !== 'or' && x !== 'nor' && x !== 'vs' && x !== 'versus') joined = false;
      }
      if (joined) return null;
    }
    return last.side;
  }
  const afterMention = inClause[lo];
  if (afterMention !== undefined && afterMention.index >= hit.end) return afterMention.side;
  return sides.only;
}

/** Matches a one-line critique to principles (rules in this file's header). */
export function matchCritique(critique: string): CritiqueMatchResult {
  if (critique.trim() === '') return { matches: [], unmatched: true, reason: 'the critique is empty' };
  const lex = lexicon();
  const tokens = tokenize(critique);
  const cache = new Map<string, Spelled>();
  const hits = findTerms(tokens, lex, cache);
  if (hits.length === 0) {
    return {
      matches: [],
      unmatched: true,
      reason: 'no word in it names a principle this matcher knows (length, tone, readability, repetition, exclamations, questions, numbers, punctuation)',
    };
  }
  const sides = findSides(tokens, critique);

  const out: CritiqueMatch[] = [];
  const byKey = new Map<string, number>();
  let floor = 0;
  for (const hit of hits) {
    const reading = readTerm(tokens, hit, floor);
    floor = hit.end;
    const axis: PrincipleAxis = PRINCIPLE_AXES[hit.entry.axisIndex]!;
    const named = axis.poles.find((p) => p.direction === hit.entry.dir);
    const pole = named ?? axis.poles[0]!;
    const polarity = (named !== undefined ? reading.w : -reading.w) as 1 | -1;
    const side = sideFor(tokens, hit, sides);
    const match: CritiqueMatch = {
      principleId: pole.id as PrincipleId,
      polarity,
      side,
      confidence: reading.confidence,
      matchedText: critique.slice(tokens[reading.from]!.start, tokens[reading.to - 1]!.end),
    };
    const key = `${match.principleId}|${match.polarity}|${match.side ?? '-'}`;
    const at = byKey.get(key);
    if (at === undefined) {
      byKey.set(key, out.length);
      out.push(match);
    } else if (match.confidence > out[at]!.confidence) {
      out[at] = match;
    }
  }
  return { matches: out, unmatched: false, reason: null };
}

/**
 * How a match reads for a person, e.g. "shorter answers (about A)" for "A is too long", or
 * "not: asking questions" for "no questions please"; "perhaps …" when the reading is weak
 * (confidence < 0.5, e.g. "neither is too long").
 */
export function describeMatch(m: CritiqueMatch): string {
  const lean = leaningPrinciple(m.principleId, m.polarity);
  const label = principleById(lean.principleId).label;
  const text = (m.confidence < 0.5 ? 'perhaps ' : '') + (lean.polarity === 1 ? label : `not: ${label}`);
  return m.side === null ? text : `${text} (about ${m.side.toUpperCase()})`;
}
