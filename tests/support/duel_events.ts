import type { NewSessionEvent } from '../../src/session/index';

const SAMPLING = { temperature: 1, topK: 0, topP: 1, maxTokens: 8 };

/** A candidate as a test logs it: its text and the policy snapshot that wrote it. */
export interface TestCandidate {
  text: string;
  policySnapshot: { step: number; name?: string };
}

/**
 * The events that put a pair on screen in duel `cellId`: prompt `p` ("Prompt p") and two
 * candidates with ids `${p}x` and `${p}y`, in that logged order.
 */
export function pairShown(cellId: string, p: string, [x, y]: [TestCandidate, TestCandidate]): NewSessionEvent[] {
  return [
    { type: 'prompt', cellId, promptId: p, text: `Prompt ${p}` },
    {
      type: 'candidates',
      cellId,
      promptId: p,
      seed: 1,
      sampling: SAMPLING,
      candidates: [
        { id: `${p}x`, ...x },
        { id: `${p}y`, ...y },
      ],
    },
  ];
}
