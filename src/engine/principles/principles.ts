/**
 * Interpretable style principles a person might prefer, and the cheap text features behind them.
 *
 * This file is the ONE source list. It is a list of *axes*: each axis is one deterministic
 * feature computed from the completion text alone, and carries the principles (its *poles*) a
 * person could name, e.g. the `length` axis has the poles `shorter` (direction −1: prefers a
 * lower feature value) and `longer` (direction +1). Opposite preferences therefore share one
 * feature: "yes: shorter", "no: longer" and the critique "too long" all point at the `length`
 * feature with sign −1 (see `principleDirection`). An axis may have a single pole
 * (`less_repetitive`): a person rarely asks for more repetition, and "no: less repetition" is
 * still expressible as that pole with polarity −1.
 *
 * Each axis also carries its critique lexicon (read by `critique_matcher.ts`): the words and
 * phrases a person types for a *higher* (`up`) or *lower* (`down`) value of the feature, each
 * tagged by how the bare word reads in a critique:
 *   - `neutral`: naming it asks for it ("shorter!!", "numbers"); a negation flips it
 *     ("not shorter").
 *   - `virtue`: a quality the person values; asserted or denied it still asks for it
 *     ("B is concise", "A isn't concise" both → wants concise).
 *   - `fault`: a quality the person dislikes; asserted or denied it still asks for less
 *     ("A is wordy", "B isn't wordy" both → wants less wordy).
 * The matcher's rules for modifiers ("too", "more", "less", "not so", …) are in its own header.
 *
 * The features never read a simulated annotator's configuration, nor import its scorers:
 * everything comes from the text. They are cheap (one linear pass over the text, plus the AFINN
 * lookup of the `sentiment` package) because they run on every candidate. Feature values are on
 * their natural scales (documented per axis) and bounded; a model that uses them should
 * standardise them (e.g. `reward/standardizer.ts`).
 */
import Sentiment from 'sentiment';
import { sequenceRepetition } from '../stats/text_metrics.ts';

/** How a bare lexicon word reads in a critique (see the header). */
export type TermTag = 'neutral' | 'virtue' | 'fault';

/** Words and phrases (lowercase, words separated by single spaces) by their tag. */
export interface TermGroup {
  readonly neutral?: readonly string[];
  readonly virtue?: readonly string[];
  readonly fault?: readonly string[];
}

export interface PrinciplePole {
  /** Stable id: it is stored in session events (confirmations, matched critiques). */
  readonly id: string;
  /** Short human label, as the "what you seem to prefer" panel shows it. */
  readonly label: string;
  /** +1: the principle prefers a higher feature value; −1: a lower one. */
  readonly direction: 1 | -1;
}

/** Precomputed pieces of one text that several features share (one pass over the text). */
export interface TextStats {
  /** Word tokens: maximal runs of letters/digits (apostrophes inside a word kept), lowercased. */
  readonly words: readonly string[];
  /** Letters and digits inside the words. */
  readonly wordChars: number;
  /** Sentences: runs of `.!?` followed by a space or the end (a trailing fragment counts), ≥ 1. */
  readonly sentences: number;
  /** Sentence-ending runs that contain '!' / '?'. */
  readonly exclamatoryEnds: number;
  readonly questionEnds: number;
  /** Sentence-ending runs (the trailing fragment without a mark is not one). */
  readonly markedEnds: number;
  /** Runs of punctuation marks `. , ; : ! ?` and dashes (— –), "!!!" counting once. */
  readonly punctuationRuns: number;
  /** Words containing a digit, or spelling a number ("three", "hundred", "percent"). */
  readonly numberWords: number;
  /** Syllables over the words (`syllablesOf`). */
  readonly syllables: number;
}

/**
 * Syllables of a lowercased word, by the usual vowel-group heuristic: groups of a e i o u y,
 * one fewer for a silent final "e" (not "-le", as in "table"), at least one per word (a word
 * without letters, such as "1990", counts one). Readability formulas since Flesch (1948) count
 * syllables this way when they have no dictionary. The simulated annotators count syllables
 * too (`countSyllables` in src/engine/annotators/scorers.ts, a slightly different rule); this
 * one is written apart on purpose, since principles never import an annotator
 * (tests/unit/principles.test.ts checks that).
 */
export function syllablesOf(word: string): number {
  const w = word.replace(/[^a-z]/g, '');
  if (w.length <= 3) return 1;
  let n = w.match(/[aeiouy]+/g)?.length ?? 0;
  if (n > 1 && w.endsWith('e') && !/[^aeiouy]le$/.test(w)) n--;
  return Math.max(1, n);
}

export interface PrincipleAxis {
  /** Stable feature id. */
  readonly id: string;
  /** What the feature measures, for people. */
  readonly label: string;
  /** The exact definition, for people and for the report. */
  readonly definition: string;
  readonly compute: (text: string, stats: TextStats) => number;
  /**
   * Typical spread of the feature over ordinary completions (its standard deviation over the
   * shipped policy's 800 recorded candidates, scripts/principles/spreads.json, rounded), so the
   * reward model sees every principle in comparable units. A feature the pool never varies
   * gets a stated floor instead.
   */
  readonly spread: number;
  readonly poles: readonly PrinciplePole[];
  /** Critique lexicon: `up` names a higher feature value, `down` a lower one. */
  readonly lexicon: { readonly up: TermGroup; readonly down: TermGroup };
}

let sentimentAnalyzer: Sentiment | null = null;

/** AFINN-165 score per token of the `sentiment` package (its own tokenizer and negation rule). */
function afinnPerToken(text: string): number {
  sentimentAnalyzer ??= new Sentiment();
  const v = sentimentAnalyzer.analyze(text).comparative;
  return Number.isFinite(v) ? v : 0;
}

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

/**
 * Where the two readability parts are centred: their means over the shipped policy's 740
 * non-empty recorded candidates, rounded (scripts/principles/spreads.ts; its `nonEmptyMean` of
 * each centred axis is about 0).
 */
const WORD_DIFFICULTY_MIDDLE = 1.45;
const SENTENCE_LENGTH_MIDDLE = 13;

/**
 * The axes, in feature order. Ids and order are stable: `principleFeatures` returns one value
 * per axis in this order, and sessions store pole ids.
 */
export const PRINCIPLE_AXES = [
  {
    id: 'length',
    label: 'answer length',
    definition: 'ln(1 + number of words); words are runs of letters/digits',
    spread: 0.99,
    compute: (_t, s) => Math.log1p(s.words.length),
    poles: [
      { id: 'shorter', label: 'shorter answers', direction: -1 },
      { id: 'longer', label: 'longer, more detailed answers', direction: 1 },
    ],
    lexicon: {
      up: {
        neutral: ['longer', 'lengthen', 'expand', 'elaborate', 'detail', 'details', 'say more', 'go deeper', 'more words', 'more text'],
        virtue: ['detailed', 'thorough', 'comprehensive', 'in depth', 'fuller', 'complete', 'informative'],
        fault: [
          'long', 'lengthy', 'wordy', 'verbose', 'verbosity', 'rambling', 'rambles', 'ramble', 'rambly',
          'rambled', 'ramblings', 'long winded', 'longwinded', 'padded', 'padding', 'waffle', 'waffles', 'waffling', 'bloated',
          'drags on', 'goes on and on', 'too much text',
        ],
      },
      down: {
        neutral: ['shorter', 'briefer', 'shorten', 'shortened', 'trim', 'tighten', 'tighter', 'fewer words', 'less text'],
        virtue: [
          'short', 'brief', 'concise', 'succinct', 'terse', 'compact', 'crisp', 'pithy', 'snappy',
          'to the point', 'short and sweet', 'brevity', 'conciseness', 'concision',
        ],
        fault: ['curt', 'abrupt', 'truncated', 'cut off', 'skimpy', 'incomplete', 'unfinished'],
      },
    },
  },
  {
    id: 'valence',
    label: 'sentiment valence',
    definition: 'AFINN-165 score per token (the `sentiment` package\'s "comparative"); 0 for no tokens',
    spread: 0.25,
    compute: (t) => afinnPerToken(t),
    poles: [
      { id: 'positive', label: 'a more positive, upbeat tone', direction: 1 },
      { id: 'negative', label: 'a more negative, darker tone', direction: -1 },
    ],
    lexicon: {
      up: {
        neutral: ['happier', 'cheerier', 'friendlier', 'warmer', 'kinder', 'brighter', 'sunnier', 'positivity'],
        virtue: [
          'positive', 'happy', 'cheerful', 'upbeat', 'optimistic', 'hopeful', 'uplifting', 'warm', 'friendly',
          'kind', 'pleasant', 'joyful', 'joyous', 'encouraging', 'sunny', 'feel good', 'optimism',
        ],
        fault: ['saccharine', 'sappy', 'sugary', 'syrupy', 'gushing'],
      },
      down: {
        neutral: ['sadder', 'darker', 'grimmer', 'gloomier', 'angrier', 'harsher', 'edgier', 'grittier', 'bleaker'],
        virtue: ['critical', 'blunt', 'gritty', 'edgy'],
        fault: [
          'negative', 'negativity', 'sad', 'unhappy', 'gloomy', 'depressing', 'depressed', 'dark', 'grim',
          'bleak', 'pessimistic', 'pessimism', 'angry', 'hostile', 'rude', 'harsh', 'bitter',
          'cynical', 'morbid', 'miserable', 'sour', 'grumpy', 'downer', 'doom and gloom', 'grief',
          'sorrow', 'hateful',
        ],
      },
    },
  },
  {
    id: 'readability',
    label: 'ease of reading',
    definition:
      '−ARI / 10, ARI = 4.71·(letters and digits per word) + 0.5·(words per sentence) − 21.43 ' +
      '(Automated Readability Index, a US grade level); clamped to [−5, 5]; 0 for no words',
    spread: 0.6,
    compute: (_t, s) => {
      if (s.words.length === 0) return 0;
      const ari = 4.71 * (s.wordChars / s.words.length) + 0.5 * (s.words.length / s.sentences) - 21.43;
      return clamp(-ari / 10, -5, 5);
    },
    poles: [
      { id: 'simpler', label: 'simpler, easier-to-read wording', direction: 1 },
      { id: 'more_complex', label: 'richer, more sophisticated wording', direction: -1 },
    ],
    lexicon: {
      up: {
        neutral: ['simpler', 'plainer', 'clearer', 'easier', 'simplify', 'simplified', 'clarify', 'easier to read', 'easier to follow', 'dumb it down'],
        virtue: [
          'simple', 'plain', 'clear', 'clarity', 'readable', 'lucid', 'accessible', 'straightforward',
          'understandable', 'easy to read', 'easy to follow', 'plain english', 'plain language',
          'simple words', 'short words', 'short sentences',
        ],
        fault: ['simplistic', 'childish', 'babyish', 'dumbed down', 'basic'],
      },
      down: {
        neutral: ['fancier', 'smarter', 'vocabulary', 'bigger words'],
        virtue: ['sophisticated', 'eloquent', 'eloquence', 'articulate', 'nuanced', 'literary', 'elegant', 'advanced'],
        fault: [
          'complicated', 'complex', 'convoluted', 'confusing', 'dense', 'jargon', 'jargony', 'technical',
          'pretentious', 'pompous', 'flowery', 'overwritten', 'obscure', 'unclear', 'unreadable',
          'incomprehensible', 'hard to read', 'hard to follow', 'difficult to read', 'long sentences',
          'long words', 'big words',
        ],
      },
    },
  },
  {
    id: 'repetition',
    label: 'repetition',
    definition:
      'seq-rep-2 (Welleck et al. 2019; stats/text_metrics.ts): 1 − unique word bigrams / word ' +
      'bigrams, over the lowercased words without punctuation; 0 with fewer than two words',
    spread: 0.042,
    compute: (_t, s) => {
      const r = sequenceRepetition(s.words.join(' '), 2);
      return Number.isNaN(r) ? 0 : r;
    },
    poles: [{ id: 'less_repetitive', label: 'less repetition', direction: -1 }],
    lexicon: {
      up: {
        fault: [
          'repetitive', 'repetition', 'repetitions', 'repetitious', 'repeats', 'repeat', 'repeated', 'repeatedly',
          'repeating', 'redundant', 'redundancy', 'same thing', 'same words', 'over and over',
          'again and again', 'broken record', 'monotonous', 'loops', 'looping', 'parrots',
        ],
      },
      down: {
        neutral: ['vary', 'variety'],
        virtue: ['varied', 'diverse', 'fresh', 'different words'],
      },
    },
  },
  {
    id: 'exclamation',
    label: 'exclamations',
    definition: "share of sentence-ending runs of '.!?' that contain '!'; 0 without one",
    // No answer in the pool ends with one; a quarter of sentence ends is a visible change.
    spread: 0.25,
    compute: (_t, s) => (s.markedEnds === 0 ? 0 : s.exclamatoryEnds / s.markedEnds),
    poles: [
      { id: 'fewer_exclamations', label: 'fewer exclamations, a calmer tone', direction: -1 },
      { id: 'more_exclamations', label: 'more exclamations and excitement', direction: 1 },
    ],
    lexicon: {
      up: {
        neutral: ['exclamation marks', 'exclamation points', 'exclamations', 'exclamation'],
        virtue: ['excited', 'exciting', 'enthusiastic', 'enthusiasm', 'energetic', 'energy', 'lively', 'punchy', 'passionate'],
        fault: ['shouty', 'shouting', 'yelling', 'screaming', 'hyper', 'overexcited', 'breathless'],
      },
      down: {
        neutral: ['calmer', 'quieter', 'tone it down'],
        virtue: ['calm', 'measured', 'restrained', 'understated', 'toned down', 'sober'],
      },
    },
  },
  {
    id: 'questions',
    label: 'questions asked',
    definition: "share of sentence-ending runs of '.!?' that contain '?'; 0 without one",
    // One answer in 800 in the pool asks one; a quarter of sentence ends is a visible change.
    spread: 0.25,
    compute: (_t, s) => (s.markedEnds === 0 ? 0 : s.questionEnds / s.markedEnds),
    poles: [{ id: 'questions', label: 'asking questions', direction: 1 }],
    lexicon: {
      up: {
        neutral: ['questions', 'question marks'],
        virtue: ['inquisitive', 'curious'],
      },
      down: {},
    },
  },
  {
    id: 'numbers',
    label: 'numbers and figures',
    definition: 'share of words that contain a digit or spell a number (two … billion, percent, dozen, half)',
    spread: 0.062,
    compute: (_t, s) => (s.words.length === 0 ? 0 : s.numberWords / s.words.length),
    poles: [{ id: 'numbers', label: 'specific numbers and figures', direction: 1 }],
    lexicon: {
      up: {
        neutral: [
          'numbers', 'numerals', 'figures', 'statistics', 'stats', 'digits', 'numeric', 'numerical',
          'quantitative', 'percentages', 'data',
        ],
        virtue: ['specific', 'specifics', 'precise', 'concrete'],
      },
      down: { fault: ['vague', 'wishy washy'] },
    },
  },
  {
    id: 'punctuation',
    label: 'punctuation',
    definition: 'punctuation runs (. , ; : ! ? — –) per word, clamped to [0, 1]; 0 for no words',
    spread: 0.21,
    compute: (_t, s) => (s.words.length === 0 ? 0 : clamp(s.punctuationRuns / s.words.length, 0, 1)),
    poles: [{ id: 'more_punctuation', label: 'properly punctuated sentences', direction: 1 }],
    lexicon: {
      up: {
        virtue: [
          'punctuation', 'punctuated', 'commas', 'full stops', 'periods', 'full sentences',
          'proper sentences', 'complete sentences',
        ],
      },
      down: { fault: ['run on', 'runon', 'unpunctuated', 'no punctuation'] },
    },
  },
  // The two parts of readability formulas (Flesch 1948; Kincaid et al. 1975), as their own
  // axes: the readability axis above weighs letters per word against words per sentence one
  // fixed way (ARI), and people differ in which of the two they mind.
  {
    id: 'word_difficulty',
    label: 'word difficulty',
    definition:
      'syllables per word (vowel groups, a silent final e dropped, at least one per word) − 1.45, ' +
      'the middle of ordinary answers; 0 for no words',
    spread: 0.34,
    // Centred, so no words (0) reads as neither plain nor learned: "an answer over none" is its own matter.
    compute: (_t, s) => (s.words.length === 0 ? 0 : s.syllables / s.words.length - WORD_DIFFICULTY_MIDDLE),
    poles: [
      { id: 'plainer_words', label: 'shorter, plainer words', direction: -1 },
      { id: 'longer_words', label: 'longer, more learned words', direction: 1 },
    ],
    lexicon: { up: {}, down: {} },
  },
  {
    id: 'sentence_length',
    label: 'sentence length',
    definition: 'words per sentence, clamped to [0, 100], − 13, the middle of ordinary answers; 0 for no words',
    spread: 10,
    compute: (_t, s) => (s.words.length === 0 ? 0 : clamp(s.words.length / s.sentences, 0, 100) - SENTENCE_LENGTH_MIDDLE),
    poles: [
      { id: 'shorter_sentences', label: 'shorter sentences', direction: -1 },
      { id: 'longer_sentences', label: 'longer sentences', direction: 1 },
    ],
    lexicon: { up: {}, down: {} },
  },
] as const satisfies readonly PrincipleAxis[];

export type PrincipleAxisId = (typeof PRINCIPLE_AXES)[number]['id'];
export type PrincipleId = (typeof PRINCIPLE_AXES)[number]['poles'][number]['id'];

/** A principle (one pole of one axis) with the index of its feature. */
export interface Principle extends PrinciplePole {
  readonly id: PrincipleId;
  readonly axis: PrincipleAxisId;
  /** Index into `principleFeatures(text)`. */
  readonly featureIndex: number;
  /** The other pole of the same axis, when the axis has two. */
  readonly opposite: PrincipleId | null;
}

/** Every principle, in axis order then pole order. */
export const PRINCIPLES: readonly Principle[] = PRINCIPLE_AXES.flatMap((axis, featureIndex) =>
  axis.poles.map((p) => ({
    id: p.id,
    label: p.label,
    direction: p.direction,
    axis: axis.id,
    featureIndex,
    opposite: (axis.poles as readonly PrinciplePole[]).find((q) => q.id !== p.id)?.id as PrincipleId | undefined ?? null,
  })),
);

export const PRINCIPLE_FEATURE_IDS: readonly PrincipleAxisId[] = PRINCIPLE_AXES.map((a) => a.id);
export const PRINCIPLE_FEATURE_COUNT = PRINCIPLE_AXES.length;

const BY_ID = new Map<string, Principle>(PRINCIPLES.map((p) => [p.id, p]));

export function isPrincipleId(id: string): id is PrincipleId {
  return BY_ID.has(id);
}

export function principleById(id: PrincipleId): Principle {
  const p = BY_ID.get(id);
  if (p === undefined) throw new RangeError(`unknown principle "${id}"`);
  return p;
}

/**
 * Which feature a statement about a principle speaks for, and in which direction:
 * polarity +1 ("yes: shorter") gives the principle's own direction, −1 ("no: longer") the
 * reverse. "yes: shorter", "no: longer" and a critique "too long" all give
 * `{ featureIndex: length, sign: −1 }`.
 */
export function principleDirection(id: PrincipleId, polarity: 1 | -1): { featureIndex: number; sign: 1 | -1 } {
  const p = principleById(id);
  return { featureIndex: p.featureIndex, sign: (p.direction * polarity) as 1 | -1 };
}

/**
 * The pole a statement leans toward, for display: polarity +1 keeps the principle; −1 names the
 * opposite pole when the axis has one ("no: longer" → shorter, +1), else keeps it with −1.
 */
export function leaningPrinciple(id: PrincipleId, polarity: 1 | -1): { principleId: PrincipleId; polarity: 1 | -1 } {
  const p = principleById(id);
  if (polarity === 1 || p.opposite === null) return { principleId: id, polarity };
  return { principleId: p.opposite, polarity: 1 };
}

// ---------------------------------------------------------------------------------------------
// One linear pass over the text.

const NUMBER_WORDS: ReadonlySet<string> = new Set([
  'zero', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve',
  'thirteen', 'fourteen', 'fifteen', 'sixteen', 'seventeen', 'eighteen', 'nineteen', 'twenty', 'thirty',
  'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety', 'hundred', 'thousand', 'million', 'billion',
  'percent', 'dozen', 'half',
]);

const NON_ASCII_WORD = /[\p{L}\p{N}\p{M}]/u;

function isWordChar(c: string, code: number): boolean {
  if (code < 128) return (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || (code >= 48 && code <= 57);
  return NON_ASCII_WORD.test(c);
}

function isDigitCode(code: number): boolean {
  return code >= 48 && code <= 57;
}

function isApostrophe(code: number): boolean {
  return code === 39 || code === 0x2019 || code === 0x2018;
}

/** Characters after a sentence-ending run that still close the sentence: quotes and brackets. */
function isCloser(code: number): boolean {
  return code === 34 || code === 39 || code === 41 || code === 93 || code === 0x201d || code === 0x2019 || code === 125;
}

function isWhitespace(code: number): boolean {
  return code === 32 || (code >= 9 && code <= 13) || code === 0xa0 || code === 0x2028 || code === 0x2029;
}

/** Splits and counts in one pass over the text (linear in its length). */
export function textStats(text: string): TextStats {
  const words: string[] = [];
  let wordChars = 0;
  let numberWords = 0;
  let syllables = 0;
  let markedEnds = 0;
  let exclamatoryEnds = 0;
  let questionEnds = 0;
  let punctuationRuns = 0;
  let lastEnd = -1; // index just past the last sentence-ending run
  let lastWordEnd = -1;
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text[i]!;
    const code = text.charCodeAt(i);
    if (isWordChar(c, code)) {
      let j = i;
      let hasDigit = false;
      let chars = 0;
      while (j < n) {
        const cj = text.charCodeAt(j);
        if (isWordChar(text[j]!, cj)) {
          if (isDigitCode(cj)) hasDigit = true;
          chars++;
          j++;
        } else if (isApostrophe(cj) && j + 1 < n && isWordChar(text[j + 1]!, text.charCodeAt(j + 1))) {
          j++;
        } else if (cj === 46 && hasDigit && j + 1 < n && isDigitCode(text.charCodeAt(j + 1))) {
          j++; // a decimal point inside a number ("3.5") is not a sentence end
        } else break;
      }
      const w = text.slice(i, j).toLowerCase().replace(/[\u2018\u2019]/g, "'");
      words.push(w);
      syllables += syllablesOf(w);
      wordChars += chars;
      if (hasDigit || NUMBER_WORDS.has(w)) numberWords++;
      lastWordEnd = j;
      i = j;
      continue;
    }
    if (code === 46 || code === 33 || code === 63) {
      // A run of . ! ? (with any spaces-free mix: "?!", "...").
      let j = i;
      let bang = false;
      let quest = false;
      while (j < n) {
        const cj = text.charCodeAt(j);
        if (cj === 33) bang = true;
        else if (cj === 63) quest = true;
        else if (cj !== 46) break;
        j++;
      }
      punctuationRuns++;
      let k = j;
      while (k < n && isCloser(text.charCodeAt(k))) k++;
      if (k === n || isWhitespace(text.charCodeAt(k))) {
        markedEnds++;
        if (bang) exclamatoryEnds++;
        if (quest) questionEnds++;
        lastEnd = k;
      }
      i = j;
      continue;
    }
    if (code === 44 || code === 59 || code === 58 || code === 0x2014 || code === 0x2013) {
      let j = i + 1;
      while (j < n && text.charCodeAt(j) === code) j++;
      punctuationRuns++;
      i = j;
      continue;
    }
    i++;
  }
  const trailingFragment = lastWordEnd > lastEnd ? 1 : 0;
  return {
    words,
    wordChars,
    sentences: Math.max(1, markedEnds + trailingFragment),
    exclamatoryEnds,
    questionEnds,
    markedEnds,
    punctuationRuns,
    numberWords,
    syllables,
  };
}

/** Each axis's `spread`, in `PRINCIPLE_AXES` order. */
export function principleSpreads(): Float64Array {
  return Float64Array.from(PRINCIPLE_AXES, (a) => a.spread);
}

/** One value per axis, in `PRINCIPLE_AXES` order (see each axis's `definition`). */
export function principleFeatures(text: string): Float64Array {
  const stats = textStats(text);
  const out = new Float64Array(PRINCIPLE_AXES.length);
  for (let k = 0; k < PRINCIPLE_AXES.length; k++) {
    const axis: PrincipleAxis = PRINCIPLE_AXES[k]!;
    out[k] = axis.compute(text, stats);
  }
  return out;
}
