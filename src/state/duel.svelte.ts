/**
 * A Duel cell at run time: draws the next prompt, streams two candidates from the engine
 * (pulling one token at a time, so the page stays responsive), logs what was shown, and turns
 * a vote into a `vote` event plus a learning step in the linked Train cell.
 */
import {
  appendEvent,
  appendEvents,
  lastUndoable,
  undoEvent,
  type CandidatesEvent,
  type DuelConfig,
  type PairOutcome,
  type PolicySnapshotRef,
} from '../session/index';
import type { GenerateChunk, GenerateRequest } from '../worker_api/engine_api';
import { describeEngineError } from './engine_client';
import type { EngineState } from './engine.svelte';
import { drawsSoFar, linkedCell, pendingCandidates, resolvePrompt } from './links';
import type { PromptsState } from './prompts.svelte';
import { deriveSeed, seededPermutation, seededRandom } from './random';
import type { SessionState } from './session.svelte';

export type DuelPhase = 'idle' | 'generating' | 'ready' | 'learning' | 'error';

/**
 * Who writes the candidates: two samples of the policy; the policy against the frozen
 * reference (a battle); or a pair of snapshots the Arena cell's pair-selection rule picks.
 */
export type DuelOpponent = 'policy' | 'reference' | 'arena';

/** A policy that can write a candidate in an arena battle. */
export interface Competitor {
  /** The name battles and ratings use (`reference`, a snapshot's name, or `step-N`). */
  name: string;
  source: 'live' | 'reference' | 'snapshot';
  step: number;
}

export interface ArenaDraw {
  left: Competitor;
  right: Competitor;
  selection: string;
}

export interface ShownCandidate {
  id: string;
  text: string;
  tokenIds: number[] | null;
  snapshot: PolicySnapshotRef;
}

export interface DuelPair {
  promptId: string;
  prompt: string;
  /** The engine's tokens for the prompt (looked up lazily for a pair restored from the log). */
  promptIds: number[] | null;
  left: ShownCandidate;
  right: ShownCandidate;
}

export interface VoteHandoff {
  duelId: string;
  prompt: string;
  promptIds: number[];
  aIds: number[];
  bIds: number[];
  outcome: PairOutcome;
}

/** What a duel needs from the notebook around it (kept narrow so the class is testable). */
export interface DuelHost {
  readonly engine: EngineState;
  readonly session: SessionState;
  duelConfig(cellId: string): DuelConfig | undefined;
  promptsForDuel(cellId: string): Promise<PromptsState | null>;
  /** Runs the linked Train cell on a vote; resolves when learning is done (or failed). */
  afterVote(vote: VoteHandoff): Promise<void>;
  /** The next arena battle for this duel, or why there is none. */
  arenaPair(duelId: string): Promise<ArenaDraw | string>;
}

/** The engine snapshot that holds the live weights while a saved snapshot writes a candidate. */
export const LIVE_WEIGHTS = '__duel_live';

const snapshotOf = (engine: EngineState, opponent: 'policy' | 'reference'): PolicySnapshotRef =>
  opponent === 'reference' ? { step: 0, name: 'reference' } : { step: engine.policyStep };

const competitorSnapshot = (c: Competitor): PolicySnapshotRef =>
  c.source === 'live' ? { step: c.step } : { step: c.step, name: c.name };

interface Streamed {
  texts: [string, string];
  ids: [number[], number[]];
  promptIds: number[];
  snapshots: [PolicySnapshotRef, PolicySnapshotRef];
  /** Whether the log's first candidate is shown on the right (a coin flip against the reference). */
  swap: boolean;
}

/** A duel that cannot draw a pair for a reason the user can fix (shown as is). */
class DuelSetupError extends Error {}

export class DuelState {
  phase = $state<DuelPhase>('idle');
  pair = $state.raw<DuelPair | null>(null);
  /** Texts as they stream in, before the pair is complete. */
  streaming = $state.raw<{ prompt: string; left: string; right: string } | null>(null);
  critique = $state('');
  error = $state<string | null>(null);
  opponent = $state<DuelOpponent>('policy');
  /** A short note under the buttons (e.g. after undo). */
  note = $state<string | null>(null);

  #token = 0;
  #handles: string[] = [];
  #inflight: Promise<unknown> = Promise.resolve();

  constructor(
    readonly cellId: string,
    private readonly host: DuelHost,
  ) {
    this.#restorePending();
  }

  get canVote(): boolean {
    return this.phase === 'ready' && this.pair !== null;
  }

  /** Puts the last unvoted pair from the log back on screen (after a reload). */
  #restorePending(): void {
    const pending = pendingCandidates(this.host.session.doc.events, this.cellId);
    if (!pending) return;
    const pair = this.#pairFromLog(pending.candidates, pending.order);
    if (pair) {
      this.pair = pair;
      this.phase = 'ready';
    }
  }

  #pairFromLog(candidates: CandidatesEvent, order?: readonly [string, string]): DuelPair | null {
    const resolved = resolvePrompt(this.host.session.doc.events, candidates.promptId, candidates.seq + 1);
    if (!resolved) return null;
    const byId = new Map(candidates.candidates.map((c) => [c.id, c]));
    const [leftId, rightId] = order ?? [candidates.candidates[0]!.id, candidates.candidates[1]!.id];
    const left = byId.get(leftId);
    const right = byId.get(rightId);
    if (!left || !right) return null;
    const shown = (c: typeof left): ShownCandidate => ({ id: c.id, text: c.text, tokenIds: c.tokenIds ?? null, snapshot: c.policySnapshot });
    return { promptId: candidates.promptId, prompt: resolved.prompt, promptIds: null, left: shown(left), right: shown(right) };
  }

  /** Stops any generation in flight (the engine frees its KV cache). */
  cancel(): void {
    this.#token++;
    const handles = this.#handles;
    this.#handles = [];
    for (const handle of handles) void this.host.engine.api.generateCancel(handle).catch(() => undefined);
    if (this.phase === 'generating') this.phase = 'idle';
    this.streaming = null;
  }

  /** Draws the next prompt and streams a fresh pair of candidates. */
  async next(): Promise<void> {
    this.cancel();
    const token = this.#token;
    const generation = this.host.session.generation;
    const stale = () => token !== this.#token || generation !== this.host.session.generation;
    this.pair = null;
    this.error = null;
    this.critique = '';
    const config = this.host.duelConfig(this.cellId);
    if (!config) return;
    if (config.mode !== 'pairwise') {
      this.#fail('Only pairwise duels can run in this version; ranking and thumbs are coming soon.');
      return;
    }
    if (!this.host.engine.ready) {
      this.phase = 'idle';
      return;
    }
    this.phase = 'generating';
    const prompts = await this.host.promptsForDuel(this.cellId);
    if (stale()) return;
    if (!prompts || prompts.status !== 'ready' || prompts.prompts.length === 0) {
      this.#fail(prompts?.error ?? 'There is no Prompts cell to draw prompts from: add one.');
      return;
    }
    const draw = drawsSoFar(this.host.session.doc.events, this.cellId);
    const list = prompts.prompts;
    const index = this.#order(config) === 'shuffled' ? seededPermutation(list.length, config.seed)[draw % list.length]! : draw % list.length;
    const prompt = list[index]!;
    const seed = deriveSeed(config.seed, draw);
    const base: GenerateRequest = {
      prompt,
      numSequences: 1,
      maxNewTokens: config.sampling.maxTokens,
      temperature: config.sampling.temperature,
      topK: config.sampling.topK,
      topP: config.sampling.topP,
      seed,
    };
    const opponent = this.opponent;
    this.streaming = { prompt, left: '', right: '' };
    try {
      // A cancelled arena draw may still be putting the live weights back: wait for it first.
      const previous = this.#inflight;
      const run = (async () => {
        await previous.catch(() => undefined);
        return stale() ? null : this.#stream(base, opponent, stale);
      })();
      this.#inflight = run;
      const result = await run;
      if (!result || stale()) return;
      const make = (i: 0 | 1): ShownCandidate => ({
        id: this.host.session.nextId(),
        text: result.texts[i],
        tokenIds: result.ids[i],
        snapshot: result.snapshots[i],
      });
      const first = make(0);
      const second = make(1);
      const [left, right] = result.swap ? [second, first] : [first, second];
      const promptId = this.host.session.nextId();
      const ok = this.host.session.apply((doc) =>
        appendEvents(doc, [
          { type: 'prompt', cellId: this.cellId, promptId, text: prompt },
          {
            type: 'candidates',
            cellId: this.cellId,
            promptId,
            seed,
            sampling: { ...config.sampling },
            // Logged in the order shown, left first.
            candidates: [left, right].map((c) => ({ id: c.id, text: c.text, tokenIds: c.tokenIds ?? [], policySnapshot: c.snapshot })),
          },
        ]),
        generation,
      );
      if (!ok) {
        this.#fail('The pair could not be logged (see the message at the top).');
        return;
      }
      this.pair = { promptId, prompt, promptIds: result.promptIds, left, right };
      this.streaming = null;
      this.phase = 'ready';
    } catch (e) {
      if (!stale()) this.#fail(e instanceof DuelSetupError ? e.message : describeEngineError('generate', e));
    }
  }

  #order(config: DuelConfig): 'sequential' | 'shuffled' {
    return linkedCell(this.host.session.doc, 'prompts', config.promptsCellId)?.config.order ?? 'sequential';
  }

  /** Starts the generation(s) and pulls tokens until both candidates are complete. */
  async #stream(base: GenerateRequest, opponent: DuelOpponent, stale: () => boolean): Promise<Streamed | null> {
    const api = this.host.engine.api;
    const live = snapshotOf(this.host.engine, 'policy');
    if (opponent === 'policy') {
      const handle = await api.generateStart({ ...base, numSequences: 2 });
      this.#handles = [handle];
      let chunk: GenerateChunk;
      do {
        chunk = await api.generateNext(handle);
        if (stale()) return null;
        this.streaming = { prompt: base.prompt, left: chunk.texts[0] ?? '', right: chunk.texts[1] ?? '' };
      } while (!chunk.done);
      this.#handles = [];
      return { texts: [chunk.texts[0]!, chunk.texts[1]!], ids: [chunk.tokenIds[0]!, chunk.tokenIds[1]!], promptIds: chunk.promptIds, snapshots: [live, live], swap: false };
    }
    if (opponent === 'reference') {
      const mine = await api.generateStart({ ...base, policy: 'policy' });
      const theirs = await api.generateStart({ ...base, seed: deriveSeed(base.seed, 1), policy: 'reference' });
      this.#handles = [mine, theirs];
      let a: GenerateChunk | null = null;
      let b: GenerateChunk | null = null;
      while (!a?.done || !b?.done) {
        if (!a?.done) a = await api.generateNext(mine);
        if (!b?.done) b = await api.generateNext(theirs);
        if (stale()) return null;
        // Until the sides are assigned, the policy streams on the left.
        this.streaming = { prompt: base.prompt, left: a.texts[0] ?? '', right: b.texts[0] ?? '' };
      }
      this.#handles = [];
      // Which side the reference appears on is a seeded coin flip, so position bias averages out.
      const swap = seededRandom(base.seed)() < 0.5;
      return {
        texts: [a.texts[0]!, b.texts[0]!],
        ids: [a.tokenIds[0]!, b.tokenIds[0]!],
        promptIds: a.promptIds,
        snapshots: [live, snapshotOf(this.host.engine, 'reference')],
        swap,
      };
    }
    // An arena battle: the selection rule picks two competitors (it also picks the sides).
    const draw = await this.host.arenaPair(this.cellId);
    if (stale()) return null;
    if (typeof draw === 'string') throw new DuelSetupError(draw);
    const left = await this.#generateAs(draw.left, base, stale, (text) => (this.streaming = { prompt: base.prompt, left: text, right: '' }));
    if (!left) return null;
    const right = await this.#generateAs(draw.right, { ...base, seed: deriveSeed(base.seed, 1) }, stale, (text) => (this.streaming = { prompt: base.prompt, left: left.text, right: text }));
    if (!right) return null;
    return {
      texts: [left.text, right.text],
      ids: [left.ids, right.ids],
      promptIds: left.promptIds,
      snapshots: [competitorSnapshot(draw.left), competitorSnapshot(draw.right)],
      swap: false,
    };
  }

  /** One candidate from a competitor; a saved snapshot's weights are swapped in just for it. */
  async #generateAs(
    who: Competitor,
    request: GenerateRequest,
    stale: () => boolean,
    onText: (text: string) => void,
  ): Promise<{ text: string; ids: number[]; promptIds: number[] } | null> {
    const api = this.host.engine.api;
    if (who.source === 'snapshot') {
      await api.snapshot(LIVE_WEIGHTS);
      await api.restore(who.name);
    }
    try {
      const handle = await api.generateStart({ ...request, policy: who.source === 'reference' ? 'reference' : 'policy' });
      this.#handles = [handle];
      let chunk: GenerateChunk;
      do {
        chunk = await api.generateNext(handle);
        if (stale()) {
          await api.generateCancel(handle).catch(() => undefined);
          return null;
        }
        onText(chunk.texts[0] ?? '');
      } while (!chunk.done);
      this.#handles = [];
      return { text: chunk.texts[0]!, ids: chunk.tokenIds[0]!, promptIds: chunk.promptIds };
    } finally {
      // Put the live weights back whatever happened: training must continue from them.
      if (who.source === 'snapshot') await api.restore(LIVE_WEIGHTS);
    }
  }

  #fail(message: string): void {
    this.phase = 'error';
    this.streaming = null;
    this.error = message;
  }

  /** Logs a vote on the pair on screen, lets the Train cell learn from it, then draws the next pair. */
  async vote(outcome: PairOutcome): Promise<boolean> {
    const pair = this.pair;
    if (!this.canVote || !pair) return false;
    const critique = this.critique.trim();
    const ok = this.host.session.apply((doc) =>
      appendEvent(doc, {
        type: 'vote',
        kind: 'pair',
        cellId: this.cellId,
        promptId: pair.promptId,
        a: pair.left.id,
        b: pair.right.id,
        outcome,
        shownOrder: [pair.left.id, pair.right.id],
        judge: 'human',
        ...(critique === '' ? {} : { critique }),
      }),
    );
    if (!ok) return false;
    this.note = null;
    this.phase = 'learning';
    try {
      if (this.host.engine.ready && pair.left.tokenIds && pair.right.tokenIds) {
        const promptIds = pair.promptIds ?? (await this.host.engine.promptIds(pair.prompt));
        await this.host.afterVote({
          duelId: this.cellId,
          prompt: pair.prompt,
          promptIds,
          aIds: pair.left.tokenIds,
          bIds: pair.right.tokenIds,
          outcome,
        });
      }
    } catch (e) {
      this.note = describeEngineError('feedback', e);
    }
    await this.next();
    return true;
  }

  /** Skips the pair on screen without a vote. */
  async skip(): Promise<void> {
    if (this.phase === 'learning') return;
    await this.next();
  }

  /**
   * Undoes the last vote of this duel (an `undo` event: the log stays append-only) and puts
   * that pair back on screen to vote again. Training already done on it stays in the weights.
   */
  undo(): boolean {
    if (this.phase === 'learning') return false;
    const last = lastUndoable(this.host.session.doc.events, this.cellId);
    if (!last || last.type !== 'vote' || last.kind !== 'pair') return false;
    const resolved = resolvePrompt(this.host.session.doc.events, last.promptId, last.seq);
    if (!this.host.session.apply((doc) => undoEvent(doc, last.seq, this.cellId))) return false;
    this.cancel();
    const pair = resolved ? this.#pairFromLog(resolved.candidates, last.shownOrder) : null;
    this.pair = pair;
    this.phase = pair ? 'ready' : 'idle';
    this.critique = last.critique ?? '';
    this.note = 'Vote undone: it is out of the log’s datasets and ratings. Updates already made to the weights stay.';
    return true;
  }

  dispose(): void {
    this.cancel();
  }
}
