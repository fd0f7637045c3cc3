import type { Mode, Sizes } from './types';

/**
 * Sizes per mode. `full` is the benchmark; `quick` runs every case small (under 5 minutes on a
 * 2-core machine with SwiftShader); `smoke` only proves every case still runs (the e2e test).
 */
export function sizesFor(mode: Mode): Sizes {
  switch (mode) {
    case 'smoke':
      return {
        // No separate warm-up: every case's untimed correctness run comes first anyway.
        reps: 2, warmup: 0,
        matmulRows: 32, matmulCube: 64,
        decodePromptLen: 4, decodeNewTokens: 4,
        scorePairs: 8, scorePromptLen: 4, scoreCompletionLen: 4,
        dpoPairs: 8, dpoPromptLen: 4, dpoCompletionLen: 4,
        rmVotes: 40, rmHeldOut: 20,
        btCompetitors: 10, btBattles: 10_000,
        cpuForwardBatch: 2, cpuForwardSeq: 16,
        pageVotes: 2,
      };
    case 'quick':
      return {
        // Sized so SwiftShader on 2 busy cores stays under 5 minutes: 512³ instead of 1024³,
        // 16 new tokens instead of 64 (ORT's no-cache decode is quadratic), short sequences.
        reps: 5, warmup: 1,
        matmulRows: 256, matmulCube: 512,
        decodePromptLen: 16, decodeNewTokens: 16,
        scorePairs: 8, scorePromptLen: 8, scoreCompletionLen: 8,
        dpoPairs: 8, dpoPromptLen: 8, dpoCompletionLen: 8,
        rmVotes: 300, rmHeldOut: 200,
        btCompetitors: 100, btBattles: 1_000_000,
        cpuForwardBatch: 4, cpuForwardSeq: 32,
        pageVotes: 10,
      };
    case 'full':
      return {
        reps: 7, warmup: 2,
        matmulRows: 1024, matmulCube: 1024,
        decodePromptLen: 32, decodeNewTokens: 64,
        scorePairs: 8, scorePromptLen: 32, scoreCompletionLen: 32,
        dpoPairs: 8, dpoPromptLen: 32, dpoCompletionLen: 32,
        rmVotes: 300, rmHeldOut: 200,
        btCompetitors: 100, btBattles: 1_000_000,
        cpuForwardBatch: 8, cpuForwardSeq: 64,
        pageVotes: 30,
      };
  }
}
