/**
 * What a duel needs from the notebook around it (the app store implements it; tests fake it).
 * Its own module so the duel's helpers can each name the part they use without importing the
 * duel itself.
 */
import type { DuelConfig, NewSessionEvent } from '../session/index';
import type { ReduceResult } from '../engine/api';
import type { ArenaDraw } from './duel_sources';
import type { EngineState } from './engine.svelte';
import type { JudgeClient } from './judge_client';
import type { PromptsState } from './prompts.svelte';
import type { SessionState } from './session.svelte';

/** What a duel needs from the notebook around it (kept narrow so the class is testable). */
export interface DuelHost {
  readonly engine: EngineState;
  readonly session: SessionState;
  duelConfig(cellId: string): DuelConfig | undefined;
  /** Saves duel options in the session (so a reload, export or share link keeps them). */
  updateDuelConfig(cellId: string, patch: Partial<DuelConfig>): void;
  promptsForDuel(cellId: string): Promise<PromptsState | null>;
  /**
   * After the duel appended an intent (a vote, ranking, thumbs or undo): the engine reduces the
   * new intents in one request and the derived records are logged. Resolves with the engine's
   * result (null when nothing was sent or it failed; the Train cell shows why). Never throws.
   */
  learn(): Promise<ReduceResult | null>;
  /** Whether a pairwise vote cast now defers its policy steps to a catch-up step group (absent: never). */
  defersSteps?(): boolean;
  /** A `settings` event to append right before a vote when the cells changed the learning settings. */
  settingsEvents(): NewSessionEvent[];
  /** The page's ONNX judge worker (shared by every duel: one ORT queue). */
  readonly judges: JudgeClient;
  /** The next arena battle for this duel, or why there is none. */
  arenaPair(duelId: string): Promise<ArenaDraw | string>;
  /** In a shared room, the display name a person's votes carry (`voter`); null when solo. */
  voterName?(): string | null;
}
