/**
 * The Duel cell's pure logic: reordering a ranking, scores → order and thumbs, the judge ids
 * votes record, the set a reload or undo puts back on screen, and the auto-vote loop's
 * Start / Pause / Step / Stop semantics (with a fake step, no engine).
 */
import { describe, expect, it } from 'vitest';
import type { SessionEvent } from '../../src/session/index';
import { drawIndexOf, moveInOrder, orderByScores, pendingSet, thumbsGiven } from '../../src/state/duel_sets';
import { JudgeRunner, type StepOutcome } from '../../src/state/judge_runner.svelte';
import { defaultAnnotator, defaultJudge, judgeId, median, scoresCritique, thumbsFromScores, thumbsRule } from '../../src/state/judging';

describe('rankings', () => {
  it('moves an item and clamps positions', () => {
    expect(moveInOrder(['a', 'b', 'c'], 2, 0)).toEqual(['c', 'a', 'b']);
    expect(moveInOrder(['a', 'b', 'c'], 0, 1)).toEqual(['b', 'a', 'c']);
    expect(moveInOrder(['a', 'b', 'c'], 0, 99)).toEqual(['b', 'c', 'a']);
    expect(moveInOrder(['a', 'b', 'c'], 5, 0)).toEqual(['a', 'b', 'c']);
    const order = ['a', 'b'];
    moveInOrder(order, 0, 1);
    expect(order).toEqual(['a', 'b']); // a new array, the input untouched
  });

  it('orders by score, highest first; equal scores keep the shown order; NaN goes last', () => {
    expect(orderByScores([0.1, 0.5, -1])).toEqual([1, 0, 2]);
    expect(orderByScores([0, 0, 1, 0])).toEqual([2, 0, 1, 3]);
    expect(orderByScores([Number.NaN, -5])).toEqual([1, 0]);
  });
});

describe('thumbs from scores', () => {
  const sim = (criterion: string) => ({ kind: 'simulated' as const, annotator: { ...defaultAnnotator(), criterion } });

  it('sentiment and keyword: up above 0; readability: up at 60 or more', () => {
    expect(thumbsFromScores([0.2, 0, -0.1], thumbsRule(sim('sentiment')))).toEqual([true, false, false]);
    expect(thumbsFromScores([2, 0], thumbsRule(sim('keyword')))).toEqual([true, false]);
    expect(thumbsFromScores([60, 59.9, 80], thumbsRule(sim('readability')))).toEqual([true, false, true]);
  });

  it('length and ONNX judges: up strictly above the median of the prompt (0 for one candidate)', () => {
    const rule = thumbsRule(sim('length'));
    expect(rule.kind).toBe('median');
    expect(thumbsFromScores([-3, -1, -2], rule)).toEqual([false, true, false]);
    expect(thumbsFromScores([-3, -1, -2, 0], rule)).toEqual([false, true, false, true]);
    expect(thumbsFromScores([1, 1], rule)).toEqual([false, false]);
    const onnx = thumbsRule(defaultJudge('onnx'));
    expect(thumbsFromScores([0.4], onnx)).toEqual([true]);
    expect(thumbsFromScores([-0.4], onnx)).toEqual([false]);
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
  });
});

describe('judges', () => {
  it('votes record "human", the annotator id, or the ONNX judge id', () => {
    expect(judgeId({ kind: 'human' })).toBe('human');
    expect(judgeId(defaultJudge('simulated'))).toBe('sentiment-sim');
    expect(judgeId(defaultJudge('onnx'))).toBe('fluency');
    const current = { kind: 'simulated' as const, annotator: { ...defaultAnnotator('length'), id: 'mine' } };
    expect(defaultJudge('simulated', current)).toBe(current);
    expect(defaultAnnotator('length').params).toEqual({ targetWords: 12 });
    // The engine accepts flip rates up to 0.5 only.
    expect(defaultAnnotator().labelNoise).toBeLessThanOrEqual(0.5);
  });

  it('a scored set gets a one-line critique naming each candidate', () => {
    expect(scoresCritique('sentiment', [0.25, -0.125, 0])).toBe('sentiment scores A 0.25, B -0.125, C 0');
    expect(scoresCritique('fluency', [12.34])).toBe('fluency scores A 12.34');
  });
});

describe('the set a rank/thumbs duel puts back on screen', () => {
  let seq = 0;
  const ev = <T extends object>(e: T) => ({ seq: seq++, t: 0, cellId: 'd', ...e }) as unknown as SessionEvent;
  const snapshot = { step: 0 };
  const candidates = (promptId: string, ids: string[]) =>
    ev({ type: 'candidates', promptId, seed: 1, sampling: { temperature: 1, topK: 0, topP: 1, maxTokens: 4 }, candidates: ids.map((id) => ({ id, text: id, policySnapshot: snapshot })) });

  it('the last set shown, with the thumbs it already has; none once every candidate has one', () => {
    seq = 0;
    const events = [ev({ type: 'prompt', promptId: 'p1', text: 'x' }), candidates('p1', ['a', 'b', 'c'])];
    expect(pendingSet(events, 'd')).toMatchObject({ thumbs: {} });
    expect(pendingSet(events, 'other')).toBeUndefined();
    events.push(ev({ type: 'vote', kind: 'thumbs', promptId: 'p1', candidate: 'b', up: true, judge: 'human' }));
    expect(pendingSet(events, 'd')?.thumbs).toEqual({ b: true });
    events.push(ev({ type: 'vote', kind: 'thumbs', promptId: 'p1', candidate: 'a', up: false, judge: 'human' }));
    events.push(ev({ type: 'vote', kind: 'thumbs', promptId: 'p1', candidate: 'c', up: false, judge: 'human' }));
    expect(pendingSet(events, 'd')).toBeUndefined();
    // Undoing the last thumb brings the set back without it.
    events.push(ev({ type: 'undo', targetSeq: events.at(-1)!.seq }));
    expect(pendingSet(events, 'd')?.thumbs).toEqual({ b: true, a: false });
    expect(thumbsGiven(events, 'd', 'p1')).toEqual({ b: true, a: false });
    // Redo: every candidate has a thumb again.
    events.push(ev({ type: 'undo', targetSeq: events.at(-1)!.seq }));
    expect(pendingSet(events, 'd')).toBeUndefined();
  });

  it('a ranking finishes its set; undoing it brings the set back in the order it had', () => {
    seq = 0;
    const events = [ev({ type: 'prompt', promptId: 'p1', text: 'x' }), candidates('p1', ['a', 'b', 'c'])];
    events.push(ev({ type: 'vote', kind: 'rank', promptId: 'p1', order: ['c', 'a', 'b'], judge: 'human' }));
    expect(pendingSet(events, 'd')).toBeUndefined();
    events.push(ev({ type: 'prompt', promptId: 'p2', text: 'y' }), candidates('p2', ['d', 'e']));
    expect(pendingSet(events, 'd')?.candidates.promptId).toBe('p2');
    expect(drawIndexOf(events, events.at(-1) as Extract<SessionEvent, { type: 'candidates' }>)).toBe(1);
    const rank = events[2]!;
    events.push(ev({ type: 'undo', targetSeq: rank.seq }));
    const back = pendingSet(events, 'd');
    expect(back?.candidates.promptId).toBe('p1');
    expect(back?.order).toEqual(['c', 'a', 'b']);
  });
});

describe('JudgeRunner', () => {
  /** A step that casts after `ms` unless the run ended (as the duel's step does). */
  function fakeDuel(ms = 5) {
    const cast: number[] = [];
    let refuse: string | null = null;
    const runner = new JudgeRunner(async (alive, hold): Promise<StepOutcome> => {
      if (refuse) return { kind: 'cannot', reason: refuse };
      if (!(await hold(ms)) || !alive()) return { kind: 'cancelled' };
      cast.push(cast.length);
      return { kind: 'voted' };
    });
    runner.delayMs = 0;
    return { runner, cast, refuseWith: (reason: string) => (refuse = reason) };
  }
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('Start votes until Pause; nothing is cast after Pause; Step casts exactly one', async () => {
    const { runner, cast } = fakeDuel();
    runner.start();
    expect(runner.status).toBe('running');
    while (cast.length < 5) await sleep(5);
    runner.pause();
    expect(runner.status).toBe('paused');
    const paused = cast.length;
    await sleep(50);
    expect(cast.length).toBe(paused);
    const outcome = await runner.stepOnce();
    expect(outcome.kind).toBe('voted');
    await sleep(30);
    expect(cast.length).toBe(paused + 1);
    expect(runner.castThisRun).toBe(1);
  });

  it('counts a vote when it reaches the log, not when learning from it ends (Pause meanwhile)', async () => {
    // The duel's step records the vote, then waits seconds for the engine to learn from it.
    let learned: () => void = () => {};
    let inLog = 0;
    const runner = new JudgeRunner(async (_alive, _hold, recorded): Promise<StepOutcome> => {
      inLog++;
      recorded();
      recorded(); // thumbs mode records once per candidate: still one vote of the runner
      await new Promise<void>((r) => (learned = r));
      return { kind: 'voted' };
    });
    runner.delayMs = 0;
    runner.start();
    await sleep(5);
    runner.pause();
    expect(inLog).toBe(1);
    expect(runner.castThisRun).toBe(inLog);
    learned();
    await sleep(5);
    expect(runner.castThisRun).toBe(1);
  });

  it('Stop cuts a long wait short and the pending step casts nothing', async () => {
    const { runner, cast } = fakeDuel(10_000);
    runner.start();
    await sleep(10);
    const t0 = Date.now();
    runner.stop();
    await sleep(10);
    expect(runner.status).toBe('stopped');
    expect(cast).toEqual([]);
    expect(Date.now() - t0).toBeLessThan(1_000);
  });

  it('a step that cannot vote stops the loop and says why; Step is refused while running', async () => {
    const { runner, refuseWith } = fakeDuel();
    runner.start();
    expect((await runner.stepOnce()).kind).toBe('cancelled');
    refuseWith('No model is loaded');
    await sleep(30);
    expect(runner.status).toBe('stopped');
    expect(runner.stoppedBecause).toBe('No model is loaded');
  });
});
