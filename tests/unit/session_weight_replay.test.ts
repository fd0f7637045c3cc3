import { describe, expect, it } from 'vitest';
import {
  appendEvents,
  createCell,
  createIdGenerator,
  createSession,
  IMPORTED_SNAPSHOT,
  planWeightReplay,
  undoEvent,
  type NewSessionEvent,
  type SessionDocument,
} from '../../src/session/index.ts';

const T0 = Date.UTC(2025, 0, 1);
const sampling = { temperature: 1, topK: 0, topP: 1, maxTokens: 8 };
const hyper = { objective: 'sigmoid' as const, beta: 0.1, epsilon: 0, lr: 1e-4, batchSize: 8, seed: 0 };

/** A duel with a log written by hand in the shape the live app writes it. */
class LogBuilder {
  readonly nextId = createIdGenerator({ seed: 7 });
  readonly duel = createCell('duel', this.nextId);
  readonly train = createCell('train', this.nextId);
  doc: SessionDocument = createSession({ title: 'Replay', now: T0, cells: [this.duel, this.train] });
  #pairs = 0;

  add(events: NewSessionEvent[]): this {
    this.doc = appendEvents(this.doc, events, T0);
    return this;
  }

  /** A prompt and two candidates shown; returns their ids. */
  pair(): [string, string] {
    const n = this.#pairs++;
    const [a, b] = [`a${n}`, `b${n}`];
    this.add([
      { type: 'prompt', cellId: this.duel.id, promptId: `p${n}`, text: `prompt ${n}` },
      {
        type: 'candidates',
        cellId: this.duel.id,
        promptId: `p${n}`,
        seed: 100 + n,
        sampling,
        candidates: [
          { id: a, text: 'x', tokenIds: [1, n], policySnapshot: { step: 0 } },
          { id: b, text: 'y', tokenIds: [2, n], policySnapshot: { step: 0 } },
        ],
      },
    ]);
    return [a, b];
  }

  vote(outcome: 'a' | 'b' | 'tie' | 'bothbad' = 'a'): number {
    const [a, b] = this.pair();
    this.add([{ type: 'vote', kind: 'pair', cellId: this.duel.id, promptId: `p${this.#pairs - 1}`, a, b, outcome, shownOrder: [a, b], judge: 'human' }]);
    return this.doc.events[this.doc.events.length - 1]!.seq;
  }

  steps(...numbers: number[]): this {
    return this.add(numbers.map((step) => ({ type: 'train_step', cellId: this.train.id, step, hyper, metrics: { loss: 0.69 } })));
  }

  /** A reward-model relabelling call on the latest prompt (what the Duel cell logs after a vote). */
  relabel(accepted: boolean): this {
    const n = this.#pairs - 1;
    return this.add([
      { type: 'relabel', cellId: this.duel.id, promptId: `p${n}`, aIds: [5, n], bIds: [6, n], minConfidence: 0.5, maxStd: 0.5, accepted, preferred: 'b', pAB: 0.3, std: 0.05 },
    ]);
  }

  plan(learns = true) {
    return planWeightReplay(this.doc, { learnsFrom: (id) => learns && id === this.duel.id });
  }
}

const shape = (plan: ReturnType<LogBuilder['plan']>) =>
  plan.ops
    .filter((op) => op.kind !== 'candidates')
    .map((op) =>
      op.kind === 'train'
        ? `train×${op.steps.length}`
        : op.kind === 'pair'
          ? `${op.vote.outcome}+${op.steps.length}`
          : op.kind === 'relabel'
            ? `relabel(${op.relabel.accepted ? 'accepted' : 'rejected'})+${op.steps.length}`
            : op.kind,
    );

describe('planWeightReplay', () => {
  it('gives each vote the steps logged right after it, and other runs to train(n)', () => {
    const log = new LogBuilder();
    log.vote('a');
    log.steps(1, 2);
    log.vote('tie');
    log.vote('b');
    log.steps(3, 4);
    log.pair();
    log.steps(5, 6, 7); // "Train now" while the next pair was on screen
    const plan = log.plan();
    expect(shape(plan)).toEqual(['a+2', 'tie+0', 'b+2', 'train×3']);
    expect(plan.votes).toBe(3);
    expect(plan.steps).toBe(7);
    expect(plan.restartSeq).toBeNull();
    expect(plan.gaps).toEqual([]);
    const first = plan.ops[1];
    expect(first).toMatchObject({ kind: 'pair', prompt: 'prompt 0', aIds: [1, 0], bIds: [2, 0] });
  });

  it('replays undone votes: the weights learned from them before the undo', () => {
    const log = new LogBuilder();
    const seq = log.vote('a');
    log.steps(1);
    log.add([{ type: 'undo', cellId: log.duel.id, targetSeq: seq }]);
    log.vote('b');
    log.steps(2);
    expect(shape(log.plan())).toEqual(['a+1', 'b+1']);
  });

  it('splits a run where the hyperparameters change', () => {
    const log = new LogBuilder();
    log.vote('a');
    log.steps(1);
    log.add([{ type: 'train_step', cellId: log.train.id, step: 2, hyper: { ...hyper, lr: 1e-3 }, metrics: {} }]);
    expect(shape(log.plan())).toEqual(['a+1', 'train×1']);
  });

  it('replays only the learning after the last restart of the step numbers', () => {
    const log = new LogBuilder();
    log.vote('a');
    log.steps(1);
    log.vote('b');
    log.steps(2);
    // Reloaded without replay: the trainer counts from 1 again.
    const after = log.vote('a');
    log.steps(1);
    const plan = log.plan();
    expect(shape(plan)).toEqual(['a+1']);
    expect(plan.stepsBeforeRestart.map((s) => s.step)).toEqual([1, 2]);
    expect(plan.restartSeq).toBe(after - 1); // the candidates that vote was on
  });

  it('reports steps missing from the log', () => {
    const log = new LogBuilder();
    log.vote('a');
    log.steps(1, 3);
    expect(log.plan().gaps).toEqual([{ seq: expect.any(Number), expected: 2, logged: 3 }]);
  });

  it('leaves out votes of duels no Train cell learns from, and imported rows', () => {
    const log = new LogBuilder();
    log.vote('a');
    expect(log.plan(false).votes).toBe(0);
    const imported = new LogBuilder();
    imported.add([
      { type: 'prompt', cellId: imported.duel.id, promptId: 'q', text: 'imported' },
      {
        type: 'candidates',
        cellId: imported.duel.id,
        promptId: 'q',
        seed: 0,
        sampling,
        candidates: [
          { id: 'c', text: 'good', tokenIds: [1], policySnapshot: { ...IMPORTED_SNAPSHOT } },
          { id: 'd', text: 'bad', tokenIds: [2], policySnapshot: { ...IMPORTED_SNAPSHOT } },
        ],
      },
      { type: 'vote', kind: 'pair', cellId: imported.duel.id, promptId: 'q', a: 'c', b: 'd', outcome: 'a', shownOrder: ['c', 'd'], judge: 'dataset' },
    ]);
    expect(imported.plan().votes).toBe(0);
  });

  it('keeps ranking and thumbs votes as their own kinds, with their steps', () => {
    const log = new LogBuilder();
    const [a, b] = log.pair();
    log.add([
      { type: 'vote', kind: 'rank', cellId: log.duel.id, promptId: 'p0', order: [b, a], judge: 'human' },
      { type: 'vote', kind: 'thumbs', cellId: log.duel.id, promptId: 'p0', candidate: a, up: true, judge: 'human' },
    ]);
    log.steps(1);
    const plan = log.plan();
    expect(shape(plan)).toEqual(['rank', 'thumbs']);
    expect(plan.ops[1]).toMatchObject({ kind: 'rank', rankedIds: [[2, 0], [1, 0]], steps: [] });
    expect(plan.ops[2]).toMatchObject({ kind: 'thumbs', completionIds: [1, 0], steps: [{ step: 1 }] });
  });

  it('keeps snapshots in order and drops those before a restart', () => {
    const log = new LogBuilder();
    log.vote('a');
    log.steps(1);
    log.add([{ type: 'snapshot', cellId: log.train.id, name: 'early', step: 1 }]);
    log.vote('b');
    log.steps(2);
    log.add([{ type: 'snapshot', cellId: log.train.id, name: 'late', step: 2 }]);
    expect(shape(log.plan())).toEqual(['a+1', 'snapshot', 'b+1', 'snapshot']);
    log.vote('a');
    log.steps(1);
    expect(shape(log.plan())).toEqual(['a+1']);
  });

  it('gives an undo after the last step no effect on the plan', () => {
    const log = new LogBuilder();
    const seq = log.vote('a');
    log.steps(1);
    const before = shape(log.plan());
    log.doc = undoEvent(log.doc, seq, log.duel.id, T0);
    expect(shape(log.plan())).toEqual(before);
  });

  it('redoes reward-model relabelling calls with the steps logged right after each, counting none as a vote', () => {
    const log = new LogBuilder();
    log.vote('a');
    log.steps(1, 2);
    log.relabel(true);
    log.steps(3, 4);
    log.relabel(false);
    log.relabel(true);
    log.steps(5, 6);
    log.vote('tie');
    log.relabel(true); // accepted but "update after every vote" off: no steps
    log.vote('b');
    log.steps(7, 8);
    const plan = log.plan();
    expect(shape(plan)).toEqual(['a+2', 'relabel(accepted)+2', 'relabel(rejected)+0', 'relabel(accepted)+2', 'tie+0', 'relabel(accepted)+0', 'b+2']);
    expect(plan.gaps).toEqual([]);
    expect(plan.votes).toBe(3);
    expect(plan.relabels).toBe(4);
    expect(plan.steps).toBe(8);
    const first = plan.ops.find((op) => op.kind === 'relabel')!;
    expect(first).toMatchObject({ kind: 'relabel', prompt: 'prompt 0', relabel: { aIds: [5, 0], bIds: [6, 0], minConfidence: 0.5, maxStd: 0.5, accepted: true }, steps: [{ step: 3 }, { step: 4 }] });
    // Without the relabel events (how relabelling was logged before), its steps read as a
    // "Train now"; left out of the log entirely, they leave a gap replay cannot fill.
    const unlogged = new LogBuilder();
    unlogged.vote('a');
    unlogged.steps(1, 2);
    unlogged.vote('b');
    unlogged.steps(5, 6);
    expect(unlogged.plan().gaps).toEqual([{ seq: unlogged.doc.events[unlogged.doc.events.length - 2]!.seq, expected: 3, logged: 5 }]);
  });

  it('leaves out relabelling in a duel no Train cell learns from', () => {
    const log = new LogBuilder();
    log.vote('a');
    log.relabel(true);
    const plan = log.plan(false);
    expect(plan.ops).toEqual([]);
    expect(plan.relabels).toBe(0);
  });
});
