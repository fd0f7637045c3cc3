/**
 * Drawing what a duel shows next: the next prompt (in the Prompts cell's order), the seeded
 * request, the candidates from the duel's source (see duel_sources.ts) streamed onto the screen,
 * then the `prompt` and `candidates` events logged in the order shown. Owns the generations in
 * flight, so a new draw or a cancel stops the old one (the engine frees its KV cache).
 */
import { annotatorOf, appendEvents, HUMAN_JUDGE, type DuelConfig } from '../session/index';
import { pairNeedingVotes } from './crowd';
import { judgeId } from './judging';
import type { GenerateRequest } from '../engine/api';
import { describeEngineError, type EngineRemote } from './engine_client';
import type { DuelHost } from './duel_host';
import { loggedCandidates, pairFromLog, showFailure, showSet, type DuelScreen, type ShownCandidate } from './duel_screen';
import {
  DuelSetupError,
  shownReason,
  streamPair,
  streamSet,
  type DrawContext,
  type DrawnPair,
  type DuelOpponent,
  type PairSelectionRule,
  type PoolSettings,
} from './duel_sources';
import { drawsSoFar, linkedCell } from './links';
import type { PolicySnapshotRef } from '../session/index';
import { deriveSeed, seededPermutation } from './random';

/** What drawing reads and writes on the duel (DuelState's public members). */
export interface DrawingDuel extends DuelScreen {
  readonly opponent: DuelOpponent;
  readonly pairSelection: PairSelectionRule;
  readonly selectionPool: number;
  readonly bestOfN: number;
  readonly pessimism: number;
}

/** One draw under way: its request, where it is in the duel, and whether it is still wanted. */
interface Draw {
  base: GenerateRequest;
  prompt: string;
  seed: number;
  draw: number;
  generation: number;
  stale: () => boolean;
}

export class DuelDraws {
  #token = 0;
  #handles: string[] = [];
  /** The worker the generations in `#handles` run on (the engine worker or the draw worker). */
  #handlesApi: EngineRemote | null = null;
  /** The latest source run (a cancelled arena draw may still be putting the live weights back). */
  #inflight: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly cellId: string,
    private readonly duel: DrawingDuel,
    private readonly host: Pick<DuelHost, 'engine' | 'session' | 'duelConfig' | 'promptsForDuel' | 'arenaPair' | 'voterName'>,
  ) {}

  /** Stops any generation in flight (the engine frees its KV cache). */
  cancel(): void {
    this.#token++;
    const handles = this.#handles;
    const api = this.#handlesApi ?? this.host.engine.api;
    this.#handles = [];
    for (const handle of handles) void api.generateCancel(handle).catch(() => undefined);
    if (this.duel.phase === 'generating') this.duel.phase = 'idle';
    this.duel.streaming = null;
    this.duel.streamingSet = null;
  }

  /** Draws the next prompt and streams fresh candidates (a pair, or N for rank and thumbs). */
  async next(): Promise<void> {
    const duel = this.duel;
    this.cancel();
    const token = this.#token;
    const generation = this.host.session.generation;
    const stale = () => token !== this.#token || generation !== this.host.session.generation;
    duel.pair = null;
    duel.set = null;
    duel.rankOrder = [];
    duel.thumbs = {};
    duel.error = null;
    duel.critique = '';
    const config = this.host.duelConfig(this.cellId);
    if (!config) return;
    if (!this.host.engine.ready) {
      duel.phase = 'idle';
      return;
    }
    // Overlap: a pair others voted on that still needs this annotator's vote comes first.
    if (config.mode === 'pairwise' && (config.overlap ?? 1) > 1) {
      const events = this.host.session.doc.events;
      const waiting = pairNeedingVotes(events, this.cellId, config.overlap!, this.#annotator(config));
      const pair = waiting ? pairFromLog(events, waiting) : null;
      if (pair) {
        duel.pair = pair;
        duel.phase = 'ready';
        return;
      }
    }
    duel.phase = 'generating';
    const prompts = await this.host.promptsForDuel(this.cellId);
    if (stale()) return;
    if (!prompts || prompts.status !== 'ready' || prompts.prompts.length === 0) {
      showFailure(duel, prompts?.error ?? 'There is no Prompts cell to draw prompts from: add one.');
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
    if (config.mode === 'pairwise') await this.#nextPair(config, { base, prompt, seed, draw, generation, stale });
    else await this.#nextSet(config, { base, prompt, seed, draw, generation, stale });
  }

  /** Pairwise: two candidates from the duel's source, logged and shown left and right. */
  async #nextPair(config: DuelConfig, draw: Draw): Promise<void> {
    const duel = this.duel;
    const { base, prompt, stale } = draw;
    const opponent = duel.opponent;
    const pool: PoolSettings = { selection: duel.pairSelection, k: duel.selectionPool, n: duel.bestOfN, pessimism: duel.pessimism };
    duel.streaming = { prompt, left: '', right: '' };
    // Two plain samples need only the policy's weights: the draw worker writes them, so the
    // person never waits for the vote before to train. Reward-model rules and other opponents
    // need the trainer's worker (the reward model, the reference, snapshots).
    const plain = opponent === 'policy' && pool.selection === 'random';
    let drawnAfterVotes = 0;
    try {
      const result = await this.#afterPrevious(stale, plain, (ctx) => {
        drawnAfterVotes = ctx.votesTrained;
        return streamPair(
          ctx,
          base,
          opponent,
          pool,
          () => this.host.arenaPair(this.cellId),
          (left, right) => (duel.streaming = { prompt: base.prompt, left, right }),
        );
      });
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
      const promptId = this.#log(config, draw, [left, right]);
      if (promptId === null) {
        showFailure(duel, 'The pair could not be logged (see the message at the top).');
        return;
      }
      duel.pair = { promptId, prompt, promptIds: result.promptIds, left, right, draw: draw.draw, drawnAfterVotes, ...(result.reason ? { reason: shownReason(result.reason, result.swap) } : {}) };
      duel.streaming = null;
      duel.phase = 'ready';
      if (plain) void this.#predictShown(promptId, base.prompt, result, stale);
    } catch (e) {
      if (!stale()) showFailure(duel, e instanceof DuelSetupError ? e.message : describeEngineError('generate', e));
    }
  }

  /**
   * What the reward model expects of a plain pair (the preference panel's "how sure it is about
   * the next vote"): one reference pass on the trainer, nothing learned, asked once the pair is on
   * screen, so it answers after any reduce in flight and the person may vote before. Not before
   * the first vote has been learned: the engine builds its learner with the first vote's
   * settings, and asking earlier would build it from whatever settings it holds then. A failure
   * shows no call (engine errors surface on the vote).
   */
  async #predictShown(promptId: string, prompt: string, drawn: DrawnPair, stale: () => boolean): Promise<void> {
    if (!(this.host.engine.votesTrained > 0)) return;
    try {
      const expected = await this.host.engine.api.rewardPredict(prompt, drawn.ids[0], drawn.ids[1], drawn.promptIds);
      const pair = this.duel.pair;
      if (stale() || !pair || pair.promptId !== promptId) return;
      this.duel.pair = { ...pair, reason: { kind: 'predicted', pAB: expected.pAB, std: expected.std } };
    } catch {
      // The pair is votable without it.
    }
  }

  /** Rank and thumbs: N samples of the policy for one prompt, streamed together, logged as shown. */
  async #nextSet(config: DuelConfig, draw: Draw): Promise<void> {
    const duel = this.duel;
    const { base, prompt, stale } = draw;
    const n = config.candidatesPerPrompt;
    if (config.mode === 'rank' && n < 2) {
      showFailure(duel, 'A ranking needs at least 2 candidates per prompt.');
      return;
    }
    duel.streamingSet = { prompt, texts: Array.from({ length: n }, () => '') };
    let step = 0;
    try {
      const chunk = await this.#afterPrevious(stale, true, (ctx) => {
        step = ctx.policyStep;
        return streamSet(ctx, { ...base, numSequences: n }, (texts) => (duel.streamingSet = { prompt: base.prompt, texts }));
      });
      if (!chunk || stale()) return;
      const snapshot: PolicySnapshotRef = { step };
      const candidates: ShownCandidate[] = chunk.texts.map((text, i) => ({
        id: this.host.session.nextId(),
        text,
        tokenIds: chunk.tokenIds[i] ?? [],
        snapshot,
      }));
      const promptId = this.#log(config, draw, candidates);
      if (promptId === null) {
        showFailure(duel, 'The candidates could not be logged (see the message at the top).');
        return;
      }
      duel.streamingSet = null;
      showSet(duel, { promptId, prompt, promptIds: chunk.promptIds, candidates, draw: draw.draw });
    } catch (e) {
      if (!stale()) showFailure(duel, describeEngineError('generate', e));
    }
  }

  /**
   * Runs a source once the previous run has finished (a cancelled arena draw may still be
   * putting the live weights back), unless the draw went stale meanwhile. `plain`: the source
   * needs only the policy's weights, so it runs on the draw worker when there is one.
   */
  #afterPrevious<T>(stale: () => boolean, plain: boolean, source: (ctx: DrawContext) => Promise<T | null>): Promise<T | null> {
    const engine = this.host.engine;
    const on = (api: EngineRemote, policyStep: number, votesTrained: number): DrawContext => ({
      engine,
      api,
      policyStep,
      votesTrained,
      stale,
      setHandles: (handles) => {
        this.#handles = handles;
        this.#handlesApi = api;
      },
    });
    // Learning waits while this draw uses the trainer's weights (and a waiting draw goes before it).
    const onTrainer = () => engine.lease.run('draw', () => (stale() ? Promise.resolve(null) : source(on(engine.api, engine.policyStep, engine.votesTrained))));
    const previous = this.#inflight;
    const run = (async () => {
      await previous.catch(() => undefined);
      if (stale()) return null;
      if (!plain || !engine.drawApi) return onTrainer();
      // Draws and weight installs take turns on the draw worker in the order they asked, so
      // no install lands mid-generation and a draw asked after a reduce gets its weights.
      return engine.drawLease.run('draw', () => {
        const api = engine.drawApi;
        if (stale()) return Promise.resolve(null);
        return api && engine.drawStep !== null ? source(on(api, engine.drawStep, engine.drawVotesTrained)) : onTrainer();
      });
    })();
    this.#inflight = run;
    return run;
  }

  /** Logs the prompt and the candidates in the order shown; the new prompt's id, or null if refused. */
  #log(config: DuelConfig, draw: Draw, candidates: ShownCandidate[]): string | null {
    const promptId = this.host.session.nextId();
    const ok = this.host.session.apply(
      (doc) =>
        appendEvents(doc, [
          { type: 'prompt', cellId: this.cellId, promptId, text: draw.prompt },
          {
            type: 'candidates',
            cellId: this.cellId,
            promptId,
            seed: draw.seed,
            sampling: { ...config.sampling },
            // Logged in the order shown, left first.
            candidates: loggedCandidates(candidates),
          },
        ]),
      draw.generation,
    );
    return ok ? promptId : null;
  }

  /** Who votes in this duel, as the log will name them (see annotatorOf). */
  #annotator(config: DuelConfig): string {
    if (config.judge.kind !== 'human') return judgeId(config.judge);
    return annotatorOf({ judge: HUMAN_JUDGE, voter: this.host.voterName?.() ?? undefined });
  }

  #order(config: DuelConfig): 'sequential' | 'shuffled' {
    return linkedCell(this.host.session.doc, 'prompts', config.promptsCellId)?.config.order ?? 'sequential';
  }
}
