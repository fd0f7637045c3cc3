/**
 * Hidden "taste" functions of the simulated annotators: each maps a completion to a scalar
 * score (higher = preferred). Each kind has its own natural unit, and the annotator's noise
 * temperature is expressed in that unit (see DEFAULT_TEMPERATURE).
 */
import Sentiment from 'sentiment';

export type ScorerConfig =
  /**
   * AFINN-165 sentiment via the `sentiment` package. 'comparative' (default) = total AFINN
   * score / number of tokens: a per-word valence, so this annotator does not also reward
   * length (the `length` annotator owns that). 'total' = the raw AFINN sum.
   */
  | { kind: 'sentiment'; mode?: 'comparative' | 'total' }
  /** −|words − targetWords|: prefers answers close to a target length (in words). */
  | { kind: 'length'; targetWords: number }
  /** Number of keyword occurrences (case-insensitive, whole words). */
  | { kind: 'keyword'; keywords: readonly string[] }
  /** Flesch reading ease (higher = easier), syllables by a vowel-group heuristic. */
  | { kind: 'readability' };

export type ScorerKind = ScorerConfig['kind'];

/** Temperature T of the Bradley–Terry noise, in each scorer's own unit, when not given. */
export const DEFAULT_TEMPERATURE: Readonly<Record<ScorerKind, number>> = {
  sentiment: 0.1, // comparative AFINN per word; typical texts span about ±0.5
  length: 5, // words
  keyword: 0.5, // hits
  readability: 8, // Flesch points; the scale spans about 0–120
};

let sentimentAnalyzer: Sentiment | null = null;

export function sentimentScore(text: string, mode: 'comparative' | 'total' = 'comparative'): number {
  sentimentAnalyzer ??= new Sentiment();
  const r = sentimentAnalyzer.analyze(text);
  const v = mode === 'comparative' ? r.comparative : r.score;
  return Number.isFinite(v) ? v : 0;
}

/** Whitespace-separated, non-empty tokens. */
export function countWords(text: string): number {
  const t = text.trim();
  return t === '' ? 0 : t.split(/\s+/).length;
}

export function lengthScore(text: string, targetWords: number): number {
  return -Math.abs(countWords(text) - targetWords);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function keywordHits(text: string, keywords: readonly string[]): number {
  let hits = 0;
  for (const k of keywords) {
    const kw = k.trim();
    if (kw === '') continue;
    const re = new RegExp(`(?<![\\p{L}\\p{N}])${escapeRegExp(kw)}(?![\\p{L}\\p{N}])`, 'giu');
    hits += text.match(re)?.length ?? 0;
  }
  return hits;
}

/**
 * Syllables of one English word by heuristic: count vowel groups (y counts as a vowel), after
 * dropping a silent final "e"/"es"/"ed" (but not "-le", as in "table"); at least 1.
 */
export function countSyllables(word: string): number {
  let w = word.toLowerCase().replace(/[^a-z]/g, '');
  if (w.length === 0) return 0;
  if (w.length <= 3) return 1;
  w = w.replace(/(?:[^laeiouy]es|[^laeiouy]ed|[^laeiouy]e)$/, (m) => m[0]!);
  w = w.replace(/^y/, '');
  const groups = w.match(/[aeiouy]+/g);
  return Math.max(1, groups?.length ?? 0);
}

export interface ReadabilityStats {
  words: number;
  sentences: number;
  syllables: number;
  /** 206.835 − 1.015·(words/sentences) − 84.6·(syllables/words); 0 for a text without words. */
  fleschReadingEase: number;
}

export function readability(text: string): ReadabilityStats {
  const words = text.match(/[A-Za-z]+(?:'[A-Za-z]+)*/g) ?? [];
  if (words.length === 0) return { words: 0, sentences: 0, syllables: 0, fleschReadingEase: 0 };
  // Sentence ends: runs of . ! ? ; a trailing fragment without one still counts as a sentence.
  const ends = text.match(/[.!?]+(?=\s|$)/g)?.length ?? 0;
  const trailing = /[A-Za-z0-9][^.!?]*$/.test(text.trim()) ? 1 : 0;
  const sentences = Math.max(1, ends + trailing);
  let syllables = 0;
  for (const w of words) syllables += countSyllables(w);
  const fre = 206.835 - 1.015 * (words.length / sentences) - 84.6 * (syllables / words.length);
  return { words: words.length, sentences, syllables, fleschReadingEase: fre };
}

export function scoreText(config: ScorerConfig, text: string): number {
  switch (config.kind) {
    case 'sentiment':
      return sentimentScore(text, config.mode);
    case 'length':
      return lengthScore(text, config.targetWords);
    case 'keyword':
      return keywordHits(text, config.keywords);
    case 'readability':
      return readability(text).fleschReadingEase;
  }
}

/** A short human-readable description of what the scorer measures, for critiques. */
export function describeScorer(config: ScorerConfig): string {
  switch (config.kind) {
    case 'sentiment':
      return config.mode === 'total' ? 'AFINN sentiment (total)' : 'AFINN sentiment per word';
    case 'length':
      return `closeness to ${config.targetWords} words`;
    case 'keyword':
      return `mentions of ${config.keywords.map((k) => `"${k}"`).join(', ')}`;
    case 'readability':
      return 'Flesch reading ease';
  }
}
