/**
 * What the engine must redo to put the session's trained weights back: the learning calls the
 * live session made, in the order it made them, read off the raw log.
 *
 * Why the raw log and not `effectiveEvents`: undo takes a vote out of the datasets and ratings,
 * but the weights had already learned from it (the Duel cell says so when undoing). The
 * weights are a function of what the engine was actually given, so undone votes are replayed.
 *
 * How train steps relate to votes. Live, a vote appends a `vote` event, then the Train cell's
 * `feedback` call appends one `train_step` per optimizer step it took (`stepsPerVote` when
 * "update after every vote" is on and the vote is decisive, else none); "Train now" appends its
 * steps whenever it ran. The log does not say which of the steps right after a vote were the
 * vote's and which a "Train now" click during the next generation, and it need not: the
 * trainer's `feedback(train)` is "add the pair, then take `stepsPerVote` steps", and `train(n)`
 * is "take n steps", both with one sampler, so feedback with k steps followed by train(n) moves
 * the weights exactly as feedback with k + n steps. Replay therefore gives each vote the run of
 * train steps that follows it directly (configuring `stepsPerVote` to the run's length), and
 * turns any other run into `train(n)`. Runs are split where the recorded hyperparameters change.
 *
 * Reward-model relabelling. After a vote the Duel cell may have the reward model label fresh
 * pairs (`relabel` events, one per engine call, accepted or not). An accepted pair entered the
 * policy's buffer and its call took the optimizer steps logged right after the event; replay
 * makes the same call at the same point (the reward model has then seen the same votes, so it
 * decides the same) and gives it those steps, as it gives a vote its own. A rejected call
 * changed nothing in the engine; replay redoes it anyway to check that the decision holds.
 *
 * Restarts. The trainer numbers its steps from 1 after every model load, and the log records
 * that number. When the numbers go back (a reload before replay existed, the Policy cell run
 * again, a cancelled replay followed by new votes), the weights that existed when the log was
 * written started from the checkpoint there: replay redoes only the learning after the last
 * restart, and the steps before it are reported as not in the weights.
 */
import type { CandidatesEvent, PairVoteEvent, RankVoteEvent, RelabelEvent, SessionDocument, ThumbsVoteEvent, TrainHyper, TrainStepEvent } from './schema.ts';
import { IMPORTED_SNAPSHOT } from './dataset.ts';

/** One logged optimizer step, as replay must reproduce it. */
export interface LoggedStep {
  seq: number;
  cellId: string;
  /** The trainer's step number the log recorded. */
  step: number;
  hyper: TrainHyper;
  metrics: Record<string, number | null>;
}

export type WeightReplayOp =
  /** A judged pair: `feedback` with these token ids, taking `steps.length` optimizer steps. */
  | { kind: 'pair'; seq: number; vote: PairVoteEvent; prompt: string; aIds: number[]; bIds: number[]; steps: LoggedStep[] }
  /**
   * A ranking or thumbs vote: `feedbackRanking` / `feedbackThumbs` with the candidates' token
   * ids. Steps logged right after one are in `steps` (taken by its call).
   */
  | { kind: 'rank'; seq: number; vote: RankVoteEvent; prompt: string; rankedIds: number[][]; steps: LoggedStep[] }
  | { kind: 'thumbs'; seq: number; vote: ThumbsVoteEvent; prompt: string; completionIds: number[]; steps: LoggedStep[] }
  /**
   * The reward model labelled a fresh pair: `relabel` with the logged token ids and bounds,
   * training (`steps.length` steps) when steps were logged right after it. Not a vote.
   */
  | { kind: 'relabel'; seq: number; relabel: RelabelEvent; prompt: string; steps: LoggedStep[] }
  /** "Train now": `train(steps.length)` on the buffer as it is. */
  | { kind: 'train'; steps: LoggedStep[] }
  /** The Arena cell saved the weights here under `name` (its recorded `step`). */
  | { kind: 'snapshot'; seq: number; name: string; step: number }
  /** Candidates shown here, which the executor may regenerate to compare token ids. */
  | { kind: 'candidates'; seq: number; prompt: string; event: CandidatesEvent };

export interface WeightReplayPlan {
  ops: WeightReplayOp[];
  /** Votes that replay sends to the engine (pairs, rankings and thumbs). */
  votes: number;
  /** Reward-model relabelling calls replay redoes (accepted and rejected; none is a vote). */
  relabels: number;
  /** Optimizer steps the plan redoes. */
  steps: number;
  /** Logged steps before the last restart: the weights at the end of the log never saw them. */
  stepsBeforeRestart: LoggedStep[];
  /** `seq` of the first event after the last restart (null when the log never restarts). */
  restartSeq: number | null;
  /** Places where the step numbers jump forward (steps taken but never logged). */
  gaps: { seq: number; expected: number; logged: number }[];
}

export interface WeightReplayOptions {
  /** Whether a duel cell's votes reach a Train cell (the live app only trains on those). */
  learnsFrom: (duelCellId: string) => boolean;
}

const sameHyper = (a: TrainHyper, b: TrainHyper): boolean =>
  a.objective === b.objective && a.beta === b.beta && a.epsilon === b.epsilon && a.lr === b.lr && a.batchSize === b.batchSize && a.seed === b.seed;

/** The `seq` of the (first) event an op reproduces. */
export const opSeq = (op: WeightReplayOp): number => (op.kind === 'train' ? op.steps[0]!.seq : op.seq);

const loggedStep = (e: TrainStepEvent): LoggedStep => ({ seq: e.seq, cellId: e.cellId, step: e.step, hyper: e.hyper, metrics: e.metrics });

/** The learning calls that reproduce the weights the log ended with, in order. */
export function planWeightReplay(doc: SessionDocument, options: WeightReplayOptions): WeightReplayPlan {
  const events = doc.events;
  const prompts = new Map<string, string>();
  const candidates = new Map<string, { text: string; tokenIds?: number[]; imported: boolean }>();
  let ops: WeightReplayOp[] = [];
  let stepsBeforeRestart: LoggedStep[] = [];
  let restartSeq: number | null = null;
  const gaps: WeightReplayPlan['gaps'] = [];
  /** Steps the trainer has taken since the (last) model load, as the log numbers them. */
  let trainerSteps = 0;
  /** The op that the next directly-following train step belongs to (a vote's call), if any. */
  let open: Extract<WeightReplayOp, { steps: LoggedStep[] }> | null = null;

  for (const event of events) {
    switch (event.type) {
      case 'prompt':
        prompts.set(event.promptId, event.text);
        open = null;
        break;
      case 'candidates': {
        for (const c of event.candidates) {
          candidates.set(c.id, {
            text: c.text,
            ...(c.tokenIds === undefined ? {} : { tokenIds: c.tokenIds }),
            imported: c.policySnapshot.name === IMPORTED_SNAPSHOT.name,
          });
        }
        const prompt = prompts.get(event.promptId);
        if (prompt !== undefined && options.learnsFrom(event.cellId)) ops.push({ kind: 'candidates', seq: event.seq, prompt, event });
        open = null;
        break;
      }
      case 'vote': {
        open = null;
        const prompt = prompts.get(event.promptId);
        if (prompt === undefined || !options.learnsFrom(event.cellId)) break;
        // Votes on imported rows, or on candidates without recorded tokens, never reached the engine.
        const ids = (id: string) => {
          const c = candidates.get(id);
          return c && !c.imported ? c.tokenIds : undefined;
        };
        if (event.kind === 'pair') {
          const aIds = ids(event.a);
          const bIds = ids(event.b);
          if (!aIds || !bIds) break;
          open = { kind: 'pair', seq: event.seq, vote: event, prompt, aIds, bIds, steps: [] };
        } else if (event.kind === 'rank') {
          const ranked = event.order.map(ids);
          if (ranked.some((r) => r === undefined)) break;
          open = { kind: 'rank', seq: event.seq, vote: event, prompt, rankedIds: ranked as number[][], steps: [] };
        } else {
          const completionIds = ids(event.candidate);
          if (!completionIds) break;
          open = { kind: 'thumbs', seq: event.seq, vote: event, prompt, completionIds, steps: [] };
        }
        ops.push(open);
        break;
      }
      case 'train_step': {
        const step = loggedStep(event);
        if (event.step <= trainerSteps) {
          // The numbering went back: the engine was loaded afresh before this step.
          stepsBeforeRestart = [...stepsBeforeRestart, ...ops.flatMap((op) => ('steps' in op ? op.steps : []))];
          // The votes since the last step before the restart may have reached either engine;
          // the new one is the likelier (a reload puts the last pair back on screen to vote on).
          let lastTrained = ops.length - 1;
          while (lastTrained >= 0 && !('steps' in ops[lastTrained]! && (ops[lastTrained] as { steps: LoggedStep[] }).steps.length > 0)) lastTrained--;
          ops = ops.slice(lastTrained + 1).filter((op) => op.kind !== 'snapshot');
          restartSeq = ops.length > 0 ? opSeq(ops[0]!) : event.seq;
          if (open && !ops.includes(open)) open = null;
          trainerSteps = event.step - 1;
        } else if (event.step > trainerSteps + 1) {
          gaps.push({ seq: event.seq, expected: trainerSteps + 1, logged: event.step });
        }
        trainerSteps = event.step;
        const last = open?.steps[open.steps.length - 1];
        // A vote's call takes all its steps with one set of hyperparameters.
        if (open && (last === undefined || sameHyper(last.hyper, step.hyper))) {
          open.steps.push(step);
        } else {
          const previous = ops[ops.length - 1];
          const previousLast = previous?.kind === 'train' ? previous.steps[previous.steps.length - 1] : undefined;
          if (previous?.kind === 'train' && previousLast && sameHyper(previousLast.hyper, step.hyper) && open === null) {
            previous.steps.push(step);
          } else {
            ops.push({ kind: 'train', steps: [step] });
          }
          open = null;
        }
        break;
      }
      case 'relabel': {
        open = null;
        const prompt = prompts.get(event.promptId);
        // Live, the Duel cell relabels only when a Train cell learns from it.
        if (prompt === undefined || !options.learnsFrom(event.cellId)) break;
        open = { kind: 'relabel', seq: event.seq, relabel: event, prompt, steps: [] };
        ops.push(open);
        break;
      }
      case 'snapshot':
        ops.push({ kind: 'snapshot', seq: event.seq, name: event.name, step: event.step });
        open = null;
        break;
      case 'seed':
      case 'undo':
        // Undo does not unlearn (see the file comment); seeds do not feed the trainer.
        break;
    }
  }
  let votes = 0;
  let relabels = 0;
  let steps = 0;
  for (const op of ops) {
    if (op.kind === 'pair' || op.kind === 'rank' || op.kind === 'thumbs') votes++;
    if (op.kind === 'relabel') relabels++;
    if ('steps' in op) steps += op.steps.length;
  }
  return { ops, votes, relabels, steps, stepsBeforeRestart, restartSeq, gaps };
}
