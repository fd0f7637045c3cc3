import { describe, it, expect } from 'vitest';
import { EngineService } from '../../src/engine/service';
import { DEFAULT_TRAINER } from '../../src/engine/learning/trainer';
import { DEFAULT_LEARNING } from '../../src/engine/learning/log_reducer';
import { type ModelSource } from '../../src/engine/api';
import { engineErrorCode } from '../../src/state/engine_client';
import { tinyModelSource } from '../support/tiny_checkpoint';

const source = (): ModelSource => tinyModelSource();

const prompts = ['The sea', 'A good day', 'They said', 'In the morning', 'We hope', 'The ship'];

describe('EngineService (Node, CPU)', () => {
  it('without WebGPU falls back to the CPU and says why', async () => {
    const s = new EngineService(undefined);
    const info = await s.loadModel(source(), 'auto');
    expect(info.backend.name).toBe('cpu');
    expect(info.backend.fallbackReason).toMatch(/not available/);
    await expect(s.reduce({ intents: [{ seq: 0, type: 'pair', prompt: 'x', aIds: [-1], bIds: [2], outcome: 'a' }] }))
      .rejects.toSatisfy((e: unknown) => engineErrorCode(e) === 'BAD_REQUEST');
    // Ids past this model's vocabulary are not malformed (the log may be another checkpoint's): skipped with the reason.
    const foreign = await s.reduce({ intents: [{ seq: 0, type: 'pair', prompt: 'x', aIds: [1e9], bIds: [2], outcome: 'a' }] });
    expect(foreign.reduced[0]!.skippedReason).toMatch(/outside this model's vocabulary/);
    expect(foreign.votesTrained).toBe(0);
    // The engine tokenizes the prompt now: an empty one is a skipped vote (skippedReason), no longer a BAD_REQUEST.
    const empty = await s.reduce({ intents: [{ seq: 1, type: 'pair', prompt: '', aIds: [1], bIds: [2], outcome: 'a' }] });
    expect(empty.reduced[0]!.skippedReason).toMatch(/no tokens/);
    expect(empty.reduced[0]!.steps).toEqual([]);
    expect(empty.votesTrained).toBe(0);
  });

  it('a reduced vote trains the session policy; simulate trains a copy and leaves it unchanged', async () => {
    const s = new EngineService(undefined);
    await s.loadModel(source(), 'cpu');
    const gen = await s.generate({ prompt: 'The sea', numSequences: 2, maxNewTokens: 5, temperature: 1, topK: 0, topP: 1, seed: 1 });
    const before = await s.score({ prompt: 'The sea', completions: gen.texts });
    const r = await s.reduce({
      intents: [
        { seq: 0, type: 'settings', settings: { ...DEFAULT_LEARNING, trainer: { ...DEFAULT_TRAINER, lr: 1e-3, stepsPerVote: 1, batchSize: 2 } } },
        { seq: 1, type: 'pair', prompt: 'The sea', aIds: gen.tokenIds[0], bIds: gen.tokenIds[1], outcome: 'a' },
      ],
    });
    const fb = r.reduced.find((x) => x.type === 'pair')!;
    expect(fb.steps.length).toBe(1);
    expect(fb.steps[0].loss).toBeCloseTo(Math.LN2, 5);
    expect(s.step).toBe(1);
    const after = await s.score({ prompt: 'The sea', completions: gen.texts });
    expect(after.sums[0] - after.sums[1]).toBeGreaterThan(before.sums[0] - before.sums[1]);

    const progress: string[] = [];
    const sim = await s.simulate(
      { annotator: 'length', targetWords: 3, flipRate: 0, trainer: { ...DEFAULT_TRAINER, stepsPerVote: 1, batchSize: 2 }, votes: 3, seed: 2, trainPrompts: prompts, evalPrompts: prompts.slice(0, 3), maxNewTokens: 4 },
      (p) => progress.push(p.phase),
    );
    expect(sim.series.length).toBe(3);
    expect(progress).toContain('evaluation');
    const unchanged = await s.score({ prompt: 'The sea', completions: gen.texts });
    expect(unchanged.sums).toEqual(after.sums);
  });

  it('a checkpoint that fails its checks leaves the loaded model in place', async () => {
    const s = new EngineService(undefined);
    await s.loadModel(source(), 'cpu');
    const request = { prompt: 'The sea', numSequences: 2, maxNewTokens: 5, temperature: 1, topK: 0, topP: 1, seed: 3 };
    const before = await s.generate(request);
    // Same checkpoint with one weight NaN: refused (issue 12) — and refused before the open
    // model was disposed, so the page keeps voting on it.
    const bad = source() as Extract<ModelSource, { kind: 'files' }>;
    const bytes = new Uint8Array(bad.weights);
    const view = new DataView(bytes.buffer);
    view.setFloat32(bytes.length - 4, Number.NaN, true);
    await expect(s.loadModel(bad, 'cpu')).rejects.toThrow(/NaN/);
    const after = await s.generate(request);
    expect(after.texts).toEqual(before.texts);
    const scored = await s.score({ prompt: 'The sea', completions: after.texts });
    expect(scored.sums.every(Number.isFinite)).toBe(true);
  });

  it('cancels a running simulation with CANCELLED', async () => {
    const s = new EngineService(undefined);
    await s.loadModel(source(), 'cpu');
    const run = s.simulate(
      { annotator: 'sentiment', flipRate: 0, trainer: DEFAULT_TRAINER, votes: 500, seed: 1, trainPrompts: prompts, evalPrompts: prompts, maxNewTokens: 4 },
      () => void s.simulateCancel(),
    );
    await expect(run).rejects.toSatisfy((e: unknown) => engineErrorCode(e) === 'CANCELLED');
  });
});
