/**
 * A running generation's chunks carry only what changed (issue "Real time": `generateNext` used
 * to send every token and character decoded so far on every call, an L² copy across the worker
 * boundary). The chunk with done: true stays whole, so callers that want the end result are
 * unchanged; `applyChunkTexts` rebuilds the running texts.
 */
import { describe, expect, it } from 'vitest';
import { EngineService } from '../../src/engine/service';
import { applyChunkTexts, type GenerateChunk } from '../../src/engine/api';
import { tinyModelSource } from '../support/tiny_checkpoint';

describe('generateNext chunks', () => {
  it('send only the changed end of each text until the whole last chunk', async () => {
    const s = new EngineService(undefined);
    await s.loadModel(tinyModelSource(), 'cpu');
    const req = { prompt: 'The sea', numSequences: 2, maxNewTokens: 12, temperature: 1, topK: 0, topP: 1, seed: 3 };
    const handle = await s.generateStart(req);
    let texts: string[] = [];
    const running: GenerateChunk[] = [];
    let last: GenerateChunk;
    for (;;) {
      last = await s.generateNext(handle);
      if (last.done) break;
      running.push(last);
      texts = applyChunkTexts(texts, last);
    }
    expect(running.length).toBeGreaterThan(3);
    for (const c of running) {
      expect(c.textFrom).toHaveLength(2);
      expect(c.tokenIds).toEqual([]);
      expect(c.promptIds).toEqual([]);
    }
    // Rebuilt from the pieces, the texts are what the last running chunk stood for, a prefix of the end.
    texts.forEach((t, b) => expect(last.texts[b]!.startsWith(t)).toBe(true));
    const whole = await s.generate(req);
    expect(last.texts).toEqual(whole.texts);
    expect(last.tokenIds).toEqual(whole.tokenIds);
    expect(last.promptIds.length).toBeGreaterThan(0);
    // What crossed: about the final texts once, not once per token.
    const sent = running.reduce((n, c) => n + c.texts.reduce((m, t) => m + t.length, 0), 0);
    const final = last.texts.reduce((n, t) => n + t.length, 0);
    expect(sent).toBeLessThanOrEqual(final + 8 * running.length);
    expect(sent).toBeLessThan((final * running.length) / 2);
  });
});

describe('applyChunkTexts', () => {
  it('cuts the previous text where the chunk says and appends its piece', () => {
    const chunk = (texts: string[], textFrom?: number[]): GenerateChunk => ({ texts, ...(textFrom ? { textFrom } : {}), tokenIds: [], promptIds: [], done: false });
    expect(applyChunkTexts([], chunk(['He', 'A'], [0, 0]))).toEqual(['He', 'A']);
    expect(applyChunkTexts(['He', 'A'], chunk(['llo', ''], [2, 1]))).toEqual(['Hello', 'A']);
    // A tail that changes (a multi-byte character completed by the next token) is replaced.
    expect(applyChunkTexts(['caf\uFFFD', 'A'], chunk(['é', ' b'], [3, 1]))).toEqual(['café', 'A b']);
    // Without textFrom the texts are whole (older engines, test doubles).
    expect(applyChunkTexts(['old'], chunk(['new text']))).toEqual(['new text']);
  });
});
