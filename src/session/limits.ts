/**
 * Hard limits on what a session document may hold. They exist so that a hostile or broken
 * file (an import, a share link, a corrupted IndexedDB record) cannot make the tab allocate
 * without bound; real sessions stay far below them.
 */
import { MAX_CRITIQUE_CHARS } from '../engine/learning/log_reducer.ts';

export const SESSION_LIMITS = {
  maxCells: 200,
  maxEvents: 100_000,
  maxPromptChars: 20_000,
  maxCandidateChars: 20_000,
  maxCritiqueChars: MAX_CRITIQUE_CHARS,
  maxNoteChars: 100_000,
  /** Pasted prompt lists are notes-sized: many prompts in one text area. */
  maxPastedPromptsChars: 100_000,
  maxImportedPrompts: 10_000,
  maxTitleChars: 200,
  maxIdChars: 64,
  maxNameChars: 128,
  maxUrlChars: 2_048,
  maxCandidatesPerEvent: 16,
  maxTokenIdsPerCandidate: 8_192,
  maxMetricsPerStep: 64,
  maxVoteSeqsPerStep: 4_096,
  /** A stored simulation result: curve points, sample triples, and characters per sample text. */
  maxSimulationPoints: 5_000,
  maxSimulationSamples: 200,
  maxSimulationSampleChars: 2_000,
  /** UTF-8 bytes of the JSON text; also the cap on what a share link may decompress to. */
  maxDocumentBytes: 20 * 1024 * 1024,
  /**
   * Deepest JSON nesting a session file or link may have. Real documents nest about 8 deep (a
   * simulation result inside a cell inside the document); 64 leaves room for growth, and the
   * check runs before `JSON.parse`: a file of a million `[` took 0.7 s (idle) to 5.7 s (loaded
   * machine) to be refused after parsing.
   */
  maxJsonDepth: 64,
  /** A shared room's display name on a vote (RoomState caps what it sends at the same length). */
  maxVoterChars: 40,
} as const;

/** Limits on JSONL datasets (import and export). */
export const DATASET_LIMITS = {
  maxBytes: 20 * 1024 * 1024,
  maxRows: 100_000,
  maxTextChars: 20_000,
  maxRankedCompletions: 16,
  maxModelNameChars: 200,
} as const;

/** The share-link cap in URL characters (the whole `#s=…` hash); longer sessions go to a file. */
export const SHARE_LINK_MAX_CHARS = 8_000;

/** Formats a count with a thin grouping so limits read as "100 000" in messages. */
export function formatCount(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
}

/** "20 MB", "1.5 KB", "512 bytes". */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${Number((bytes / (1024 * 1024)).toFixed(1))} MB`;
  if (bytes >= 1024) return `${Number((bytes / 1024).toFixed(1))} KB`;
  return `${bytes} bytes`;
}
