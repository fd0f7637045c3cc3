/**
 * What the engine must redo, in order, to reproduce a session from its log: the same prompts,
 * the same generation requests (seed, sampling parameters, and the weights they were made
 * with), the same votes, and the same training steps with their recorded hyperparameters and
 * batches. Undone events are left out, as if they had never happened.
 *
 * The plan is pure data; the engine executes it and can check each step against what the log
 * recorded (candidate texts and token ids, training metrics) to detect divergence.
 */
import { effectiveEvents } from './events.ts';
import type {
  Candidate,
  PolicySnapshotRef,
  RelabelEvent,
  Sampling,
  SessionDocument,
  TrainHyper,
  VoteEvent,
} from './schema.ts';
import { IMPORTED_SNAPSHOT } from './dataset.ts';

interface StepBase {
  /** `seq` of the event this step reproduces. */
  seq: number;
  cellId: string;
}

export type ReplayStep =
  | (StepBase & { kind: 'seed'; seed: number })
  | (StepBase & { kind: 'prompt'; promptId: string; text: string })
  | (StepBase & {
      kind: 'generate';
      promptId: string;
      prompt: string;
      seed: number;
      sampling: Sampling;
      /** Optimizer steps replayed before this request: the weights a "current policy" request uses. */
      policyStep: number;
      /**
       * What to regenerate, and what the log says came out. A candidate's snapshot may be older
       * than `policyStep` (e.g. the reference policy in a comparison): load that snapshot.
       */
      candidates: { id: string; policySnapshot: PolicySnapshotRef; expectedText: string; expectedTokenIds?: number[] }[];
      /** Candidates imported from a dataset: nothing to generate, only to restore. */
      imported: boolean;
    })
  | (StepBase & { kind: 'vote'; vote: VoteEvent })
  /** The reward model labelled a fresh pair: redo the call with the same token ids and bounds. */
  | (StepBase & { kind: 'relabel'; relabel: RelabelEvent })
  | (StepBase & {
      kind: 'train';
      step: number;
      hyper: TrainHyper;
      /** The votes forming the batch, when recorded; otherwise the trainer redraws with `hyper.seed`. */
      voteSeqs?: number[];
      expectedMetrics: Record<string, number | null>;
    })
  | (StepBase & { kind: 'snapshot'; name: string; step: number });

function isImported(candidates: readonly Candidate[]): boolean {
  return candidates.every((c) => c.policySnapshot.name === IMPORTED_SNAPSHOT.name);
}

/** The steps that reproduce `doc`, in log order. */
export function* replayPlan(doc: SessionDocument): Generator<ReplayStep, void, undefined> {
  const promptTexts = new Map<string, string>();
  let policyStep = 0;
  for (const event of effectiveEvents(doc.events)) {
    const base = { seq: event.seq, cellId: event.cellId };
    switch (event.type) {
      case 'seed':
        yield { ...base, kind: 'seed', seed: event.seed };
        break;
      case 'prompt':
        promptTexts.set(event.promptId, event.text);
        yield { ...base, kind: 'prompt', promptId: event.promptId, text: event.text };
        break;
      case 'candidates': {
        const prompt = promptTexts.get(event.promptId);
        // The prompt was undone after its candidates were made: nothing can be regenerated.
        if (prompt === undefined) break;
        yield {
          ...base,
          kind: 'generate',
          promptId: event.promptId,
          prompt,
          seed: event.seed,
          sampling: event.sampling,
          policyStep,
          candidates: event.candidates.map((c) => ({
            id: c.id,
            policySnapshot: c.policySnapshot,
            expectedText: c.text,
            ...(c.tokenIds === undefined ? {} : { expectedTokenIds: c.tokenIds }),
          })),
          imported: isImported(event.candidates),
        };
        break;
      }
      case 'vote':
        yield { ...base, kind: 'vote', vote: event };
        break;
      case 'relabel':
        yield { ...base, kind: 'relabel', relabel: event };
        break;
      case 'train_step':
        policyStep = event.step;
        yield {
          ...base,
          kind: 'train',
          step: event.step,
          hyper: event.hyper,
          ...(event.voteSeqs === undefined ? {} : { voteSeqs: event.voteSeqs }),
          expectedMetrics: event.metrics,
        };
        break;
      case 'snapshot':
        yield { ...base, kind: 'snapshot', name: event.name, step: event.step };
        break;
      case 'undo':
        // effectiveEvents has already applied and removed undo events.
        break;
    }
  }
}
