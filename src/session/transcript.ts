/**
 * Resolving what a vote refers to. Votes name a prompt and candidate ids; the texts live in the
 * earlier `prompt` and `candidates` events. A prompt may be regenerated (a second `candidates`
 * event with the same `promptId`), so a vote resolves against what had been shown *when it was
 * cast*: this index is built by walking the log in order.
 */
import type { Candidate, SessionEvent } from './schema.ts';

export class TranscriptIndex {
  readonly #promptTexts = new Map<string, string>();
  readonly #candidates = new Map<string, Map<string, Candidate>>();
  readonly #onlyPrompts: ReadonlySet<string> | undefined;

  /** `onlyPrompts` restricts indexing to those prompt ids (cheaper when checking one append). */
  constructor(onlyPrompts?: ReadonlySet<string>) {
    this.#onlyPrompts = onlyPrompts;
  }

  /** Feed events in log order; call `promptText`/`candidate` between feeds to resolve votes. */
  add(event: SessionEvent): void {
    if (event.type !== 'prompt' && event.type !== 'candidates') return;
    if (this.#onlyPrompts !== undefined && !this.#onlyPrompts.has(event.promptId)) return;
    if (event.type === 'prompt') {
      this.#promptTexts.set(event.promptId, event.text);
      return;
    }
    let byId = this.#candidates.get(event.promptId);
    if (byId === undefined) {
      byId = new Map();
      this.#candidates.set(event.promptId, byId);
    }
    for (const candidate of event.candidates) byId.set(candidate.id, candidate);
  }

  hasPrompt(promptId: string): boolean {
    return this.#promptTexts.has(promptId);
  }

  promptText(promptId: string): string | undefined {
    return this.#promptTexts.get(promptId);
  }

  candidate(promptId: string, candidateId: string): Candidate | undefined {
    return this.#candidates.get(promptId)?.get(candidateId);
  }
}

/** The candidate ids a vote names, in the order it names them. */
export function candidateIdsOfVote(event: Extract<SessionEvent, { type: 'vote' }>): string[] {
  switch (event.kind) {
    case 'pair':
      return [event.a, event.b];
    case 'rank':
      return [...event.order];
    case 'thumbs':
      return [event.candidate];
  }
}
