/**
 * The session log as the engine reduces it: the intents (votes, rankings, thumbs, undo,
 * settings, "Train now", snapshots, statements about principles) with the data they need resolved (prompt text, the shown
 * candidates' token ids). Derived records (`train_step`, `relabel`) and bookkeeping (`prompt`,
 * `candidates`, `seed`) are not intents: the engine recomputes what follows from the intents.
 *
 * Live voting sends the intents after the last one the engine has; opening a session sends them
 * all. Both come from this one function, so the two paths cannot disagree on what a log means.
 */
import type { LearningSettings, LogIntent, StepMetrics } from '../engine/api.ts';
import { DEFAULT_LEARNING } from '../engine/learning/log_reducer.ts';
import { IMPORTED_SNAPSHOT } from './dataset.ts';
import type { CellOf, DuelConfig, SessionDocument, SessionEvent, SettingsEvent, TrainConfig, TrainStepEvent } from './schema.ts';

/** The `judge` of a vote a person cast (every other judge is a simulated annotator or a model). */
export { HUMAN_JUDGE, annotatorOf } from './annotators.ts';
import { HUMAN_JUDGE } from './annotators.ts';

/** Trainer settings the Train cell does not expose (TRL's defaults). */
export const TRAINER_FIXED = { maxGradNorm: 1.0, seed: 0 } as const;

/** Relabelling defaults when a duel never set them (also the Duel cell's): the engine's. */
export const RELABEL_DEFAULTS = {
  pairs: DEFAULT_LEARNING.relabel.pairs,
  minConfidence: DEFAULT_LEARNING.relabel.minConfidence,
  maxStd: DEFAULT_LEARNING.relabel.maxStd,
} as const;

/** The settings a Train cell (and the duel it learns from) put in force. */
export function learningSettings(train: TrainConfig, duel: DuelConfig | undefined): LearningSettings {
  const relabel: NonNullable<DuelConfig['relabel']> = duel?.relabel ?? RELABEL_DEFAULTS;
  const sampling = duel?.sampling;
  return {
    trainer: {
      objective: train.objective,
      beta: train.beta,
      epsilon: train.epsilon,
      lr: train.lr,
      ...(train.interpolation !== undefined ? { interpolation: train.interpolation } : {}),
      ...(train.rpoAlpha !== undefined ? { rpoAlpha: train.rpoAlpha } : {}),
      // R-DPO's term is the sigmoid loss's only: kept in the cell when the objective changes, in force with sigmoid.
      ...(train.lengthAlpha !== undefined && train.objective === 'sigmoid' ? { lengthAlpha: train.lengthAlpha } : {}),
      stepsPerVote: train.stepsPerVote,
      batchSize: train.batchSize,
      bufferSize: train.bufferSize,
      maxGradNorm: TRAINER_FIXED.maxGradNorm,
      seed: TRAINER_FIXED.seed,
    },
    updateAfterVote: train.updateAfterEveryVote,
    relabel: {
      pairs: (duel?.mode ?? 'pairwise') === 'pairwise' ? relabel.pairs : 0,
      minConfidence: relabel.minConfidence,
      maxStd: relabel.maxStd,
      ...(relabel.candidates !== undefined ? { candidates: relabel.candidates } : {}),
      // Matching lengths needs more than two samples; the box stays ticked in the cell, not in force.
      ...(relabel.matchLength !== undefined && (relabel.candidates ?? 2) > 2 ? { matchLength: relabel.matchLength } : {}),
      maxNewTokens: sampling?.maxTokens ?? 24,
      temperature: sampling?.temperature ?? 1,
      topK: sampling?.topK ?? 0,
      topP: sampling?.topP ?? 1,
    },
  };
}

export const sameSettings = (a: LearningSettings, b: LearningSettings): boolean => JSON.stringify(a) === JSON.stringify(b);

/** The settings event's fields from settings (the event is the intent, stored in the log). */
export const settingsEventFields = (s: LearningSettings): Pick<SettingsEvent, 'trainer' | 'updateAfterVote' | 'relabel'> => ({
  trainer: { ...s.trainer, objective: s.trainer.objective as SettingsEvent['trainer']['objective'] },
  updateAfterVote: s.updateAfterVote,
  relabel: { ...s.relabel },
});

const settingsOf = (e: SettingsEvent): LearningSettings => ({ trainer: { ...e.trainer }, updateAfterVote: e.updateAfterVote, relabel: { ...e.relabel } });

/** The last settings event of the log, as settings (null when none was logged). */
export function lastLoggedSettings(events: readonly SessionEvent[]): LearningSettings | null {
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i]!;
    if (e.type === 'settings') return settingsOf(e);
  }
  return null;
}

export interface IntentOptions {
  /** Whether a duel's votes reach a Train cell (the page only learns from those). */
  learnsFrom: (duelCellId: string) => boolean;
  /** Only intents with a larger `seq` (the engine has the rest). */
  afterSeq?: number;
}

/** The intents of `doc`'s log, in order. */
export function logIntents(doc: SessionDocument, options: IntentOptions): LogIntent[] {
  const after = options.afterSeq ?? -1;
  const prompts = new Map<string, string>();
  const candidates = new Map<string, number[] | undefined>();
  const intents: LogIntent[] = [];
  for (const event of doc.events) {
    switch (event.type) {
      case 'prompt':
        prompts.set(event.promptId, event.text);
        break;
      case 'candidates':
        // Votes on imported rows, or on candidates without recorded tokens, never reach the engine.
        for (const c of event.candidates) candidates.set(c.id, c.policySnapshot.name === IMPORTED_SNAPSHOT.name ? undefined : c.tokenIds);
        break;
      default:
        if (event.seq <= after) break;
        {
          const intent = intentOf(event, prompts, candidates, options);
          if (intent) intents.push(intent);
        }
    }
  }
  return intents;
}

function intentOf(
  event: SessionEvent,
  prompts: ReadonlyMap<string, string>,
  candidates: ReadonlyMap<string, number[] | undefined>,
  options: IntentOptions,
): LogIntent | null {
  const seq = event.seq;
  switch (event.type) {
    case 'vote': {
      const prompt = prompts.get(event.promptId);
      if (prompt === undefined || !options.learnsFrom(event.cellId)) return null;
      if (event.kind === 'pair') {
        const aIds = candidates.get(event.a);
        const bIds = candidates.get(event.b);
        if (!aIds || !bIds) return null;
        // Only a person's critique reaches the engine: a simulated annotator's or an ONNX
        // judge's critique spells out its hidden scores, which the model must never read.
        const critique = event.judge === HUMAN_JUDGE && event.critique !== undefined && event.critique.trim() !== '' ? { critique: event.critique } : {};
        return { seq, type: 'pair', prompt, aIds, bIds, outcome: event.outcome, ...critique, ...(event.deferSteps ? { deferSteps: true as const } : {}) };
      }
      if (event.kind === 'rank') {
        const ranked = event.order.map((id) => candidates.get(id));
        return ranked.every((r) => r !== undefined) ? { seq, type: 'ranking', prompt, rankedIds: ranked as number[][] } : null;
      }
      const completionIds = candidates.get(event.candidate);
      return completionIds ? { seq, type: 'thumbs', prompt, completionIds, desirable: event.up } : null;
    }
    case 'undo':
      return { seq, type: 'undo', targetSeq: event.targetSeq };
    case 'settings':
      return { seq, type: 'settings', settings: settingsOf(event) };
    case 'train':
      return { seq, type: 'train', steps: event.steps, ...(event.catchUp ? { catchUp: true as const } : {}) };
    case 'snapshot':
      return { seq, type: 'snapshot', name: event.name };
    case 'principle':
      return { seq, type: 'principle', principleId: event.principleId, verdict: event.verdict };
    default:
      return null;
  }
}

/**
 * The settings a log that never logged any starts from (sessions saved before settings were
 * intents): the Train cell that learns from the first duel, as the page had it.
 */
export function initialSettings(doc: SessionDocument, train: CellOf<'train'> | undefined, duel: CellOf<'duel'> | undefined): LearningSettings | undefined {
  if (doc.events.some((e) => e.type === 'settings') || !train) return undefined;
  return learningSettings(train.config, duel?.config);
}

/**
 * The optimizer steps the log recorded for each intent: the last group logged for it (after an
 * undo, the engine reduces later intents again and the page logs their new steps).
 */
export function loggedStepsByIntent(events: readonly SessionEvent[]): Map<number, TrainStepEvent[]> {
  const groups = new Map<number, TrainStepEvent[]>();
  let current: { intentSeq: number; steps: TrainStepEvent[] } | null = null;
  for (const e of events) {
    if (e.type !== 'train_step' || e.intentSeq === undefined) {
      current = null;
      continue;
    }
    if (current === null || current.intentSeq !== e.intentSeq) {
      current = { intentSeq: e.intentSeq, steps: [] };
      groups.set(e.intentSeq, current.steps);
    }
    current.steps.push(e);
  }
  return groups;
}

/** Event types the engine derives from the intents (recomputed whenever a session opens). */
export const DERIVED_EVENT_TYPES = ['train_step', 'relabel'] as const;

/**
 * The document as others need it: intents and what they refer to, without the derived records
 * (opening it recomputes and logs them). What a live shared session exchanges.
 */
export function withoutDerivedRecords(doc: SessionDocument): SessionDocument {
  const derived: readonly string[] = DERIVED_EVENT_TYPES;
  return { ...doc, events: doc.events.filter((e) => !derived.includes(e.type)) };
}

/** Step metrics the log records by name, as `StepMetrics` keys (for the open-session check). */
export const COMPARED_STEP_METRICS = ['loss', 'rewardsChosen', 'rewardsRejected', 'rewardsMargins', 'logpsChosen', 'logpsRejected'] as const satisfies readonly (keyof StepMetrics)[];
