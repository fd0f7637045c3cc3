/**
 * A Duel cell at run time: draws the next prompt, streams the candidates from the engine
 * (pulling one token at a time, so the page stays responsive), logs what was shown, and turns
 * a vote into a `vote` event plus a learning step in the linked Train cell.
 *
 * Three modes: pairwise (A vs B), rank (N candidates ordered best first) and thumbs (👍/👎 on
 * each of N). The judge is the person, a simulated annotator (in the engine worker) or an ONNX
 * judge (in the judge worker); an automatic judge votes through `runner`, at a chosen speed.
 */
import {
  appendEvent,
  appendEvents,
  lastUndoable,
  undoEvent,
  type CandidatesEvent,
  type DuelConfig,
  type PairOutcome,
  type NewSessionEvent,
  type PolicySnapshotRef,
} from '../session/index';
import type { AnnotatorSpec, GenerateRequest, ReduceResult } from '../engine/api';
import { drawIndexOf, moveInOrder, orderByScores, pendingSet, thumbsGiven } from './duel_sets';
import { describeEngineError } from './engine_client';
import type { EngineState } from './engine.svelte';
import { describeJudgeError, type JudgeClient } from './judge_client';
import { JudgeRunner, type StepOutcome } from './judge_runner.svelte';
import { judgeId, scoresCritique, thumbsFromScores, thumbsRule } from './judging';
import { drawsSoFar, linkedCell, pendingCandidates, resolvePrompt, trainCellForDuel } from './links';
import type { PromptsState } from './prompts.svelte';
import { deriveSeed, seededPermutation } from './random';
import type { SessionState } from './session.svelte';
import {
  DuelSetupError,
  shownReason,
  snapshotOf,
  streamPair,
  streamSet,
  type ArenaDraw,
  type DrawContext,
  type DuelOpponent,
  type PairReason,
  type PairSelectionRule,
  type PoolSettings,
} from './duel_sources';

export { LIVE_WEIGHTS, POOL_LIMITS } from './duel_sources';
export type { ArenaDraw, Competitor, DuelOpponent, PairReason, PairSelectionRule } from './duel_sources';

export type DuelPhase = 'idle' | 'generating' | 'ready' | 'learning' | 'error';

/** Best-of-n against a plain sample, as judged in this duel since the page opened. */
export interface BestOfNTally {
  pickWins: number;
  sampleWins: number;
  /** Ties and "both bad". */
  ties: number;
}

/** Synthetic pairs the reward model labelled for the policy (never logged as votes). */
export interface SyntheticStatus {
  /** Synthetic pairs in the policy's training data since the model was loaded (the engine's count). */
  pairs: number;
  /** Judged feedback items in it, for comparison (the engine's count). */
  judgedItems: number;
  /** Optimizer steps taken right after synthetic pairs, this page. */
  steps: number;
  /** After the latest vote: pairs tried, accepted, and why the last rejected one was. */
  lastTried: number;
  lastAccepted: number;
  lastRejectedReason: string | null;
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
  /** Why a reward-model rule drew this pair (absent for plain draws and pairs restored from the log). */
  reason?: PairReason;
  /** Which draw of this duel the pair is (0-based): a simulated annotator's verdicts index by it. */
  draw: number;
}

/** The N candidates of a rank or thumbs duel, in the order shown (and logged). */
export interface CandidateSet {
  promptId: string;
  prompt: string;
  promptIds: number[] | null;
  candidates: ShownCandidate[];
  draw: number;
}

/** What an automatic judge decided about what is on screen, highlighted before it is cast. */
export type JudgeVerdict =
  | { kind: 'pair'; outcome: PairOutcome; critique: string }
  /** `order`: candidate ids, best first; `scores`: per candidate as shown. */
  | { kind: 'rank'; order: string[]; scores: number[]; critique: string }
  /** `up`: candidate id → thumbs up; `rule`: how scores became thumbs, in words. */
  | { kind: 'thumbs'; up: Record<string, boolean>; scores: number[]; rule: string; critique: string };




/** Who casts a vote and why (a person's votes take the critique typed into the cell). */
interface Voter {
  judge: string;
  critique?: string;
}

/** What a duel needs from the notebook around it (kept narrow so the class is testable). */
export interface DuelHost {
  readonly engine: EngineState;
  readonly session: SessionState;
  duelConfig(cellId: string): DuelConfig | undefined;
  /** Saves duel options in the session (so a reload, export or share link keeps them). */
  updateDuelConfig(cellId: string, patch: Partial<DuelConfig>): void;
  promptsForDuel(cellId: string): Promise<PromptsState | null>;
  /**
   * After the duel appended an intent (a vote, ranking, thumbs or undo): the engine reduces the
   * new intents in one request and the derived records are logged. Resolves with the engine's
   * result (null when nothing was sent or it failed; the Train cell shows why). Never throws.
   */
  learn(): Promise<ReduceResult | null>;
  /** A `settings` event to append right before a vote when the cells changed the learning settings. */
  settingsEvents(): NewSessionEvent[];
  /** The page's ONNX judge worker (shared by every duel: one ORT queue). */
  readonly judges: JudgeClient;
  /** The next arena battle for this duel, or why there is none. */
  arenaPair(duelId: string): Promise<ArenaDraw | string>;
}

/** Critiques longer than this are cut: they are one-line explanations, not essays. */
const MAX_JUDGE_CRITIQUE = 500;

const emptySynthetic = (): SyntheticStatus => ({ pairs: 0, judgedItems: 0, steps: 0, lastTried: 0, lastAccepted: 0, lastRejectedReason: null });

/** The duel's reward-model options when its config does not set them. */
const DUEL_OPTION_DEFAULTS = {
  pairSelection: { rule: 'random' as PairSelectionRule, k: 4 },
  bestOfN: { n: 4, pessimism: 0 },
  relabel: { pairs: 0, minConfidence: 0.8, maxStd: 0.1 },
};

export class DuelState {
  phase = $state<DuelPhase>('idle');
  pair = $state.raw<DuelPair | null>(null);
  /** Texts as they stream in, before the pair is complete. */
  streaming = $state.raw<{ prompt: string; left: string; right: string } | null>(null);
  critique = $state('');
  error = $state<string | null>(null);
  /** A short note under the buttons (e.g. after undo). */
  note = $state<string | null>(null);
  /** Rank and thumbs modes: the candidates on screen. */
  set = $state.raw<CandidateSet | null>(null);
  /** Rank and thumbs modes: texts as they stream in. */
  streamingSet = $state.raw<{ prompt: string; texts: string[] } | null>(null);
  /** Rank mode: the ranking being built (candidate ids, best first). */
  rankOrder = $state.raw<string[]>([]);
  /** Thumbs mode: thumbs already given on the set on screen (candidate id → up). */
  thumbs = $state.raw<Record<string, boolean>>({});
  /** An automatic judge's verdict on what is on screen, shown until it is cast. */
  judged = $state.raw<JudgeVerdict | null>(null);
  /** Which ONNX judge runs and where (execution provider), once it is loaded. */
  judgeInfo = $state<string | null>(null);
  /** Start / Pause / Step / Stop for an automatic judge. */
  readonly runner: JudgeRunner;

  // Who writes the candidates and the reward-model options live in the duel's config (session
  // document), so a reload, an export or a share link keeps them.
  get #config(): DuelConfig | undefined {
    return this.host.duelConfig(this.cellId);
  }
  get opponent(): DuelOpponent {
    return this.#config?.opponent ?? 'policy';
  }
  set opponent(opponent: DuelOpponent) {
    this.host.updateDuelConfig(this.cellId, { opponent });
  }
  /** One of the duel's reward-model option groups, with its defaults filled in. */
  #option<K extends keyof typeof DUEL_OPTION_DEFAULTS>(key: K): (typeof DUEL_OPTION_DEFAULTS)[K] {
    return { ...DUEL_OPTION_DEFAULTS[key], ...this.#config?.[key] } as (typeof DUEL_OPTION_DEFAULTS)[K];
  }
  #setOption<K extends keyof typeof DUEL_OPTION_DEFAULTS>(key: K, patch: Partial<(typeof DUEL_OPTION_DEFAULTS)[K]>): void {
    this.host.updateDuelConfig(this.cellId, { [key]: { ...this.#option(key), ...patch } });
  }
  /** Pairwise, candidates from the policy: how the pair is chosen, and K for "most uncertain of K". */
  get pairSelection(): PairSelectionRule {
    return this.#option('pairSelection').rule;
  }
  set pairSelection(rule: PairSelectionRule) {
    this.#setOption('pairSelection', { rule });
  }
  get selectionPool(): number {
    return this.#option('pairSelection').k;
  }
  set selectionPool(k: number) {
    this.#setOption('pairSelection', { k });
  }
  /** n for best-of-n, and its pessimism (0 = plain best-of-n). */
  get bestOfN(): number {
    return this.#option('bestOfN').n;
  }
  set bestOfN(n: number) {
    this.#setOption('bestOfN', { n });
  }
  get pessimism(): number {
    return this.#option('bestOfN').pessimism;
  }
  set pessimism(pessimism: number) {
    this.#setOption('bestOfN', { pessimism });
  }
  /** Best-of-n against a plain sample: the judge's verdicts so far, and the latest in words. */
  bestOfNTally = $state.raw<BestOfNTally>({ pickWins: 0, sampleWins: 0, ties: 0 });
  bestOfNNote = $state<string | null>(null);
  /** After each pairwise vote, the reward model labels this many fresh pairs (0 = off)… */
  get relabelPairs(): number {
    return this.#option('relabel').pairs;
  }
  set relabelPairs(pairs: number) {
    this.#setOption('relabel', { pairs });
  }
  /** …accepting one only at confidence max(p, 1 − p) ≥ this and heads' std ≤ relabelMaxStd. */
  get relabelMinConfidence(): number {
    return this.#option('relabel').minConfidence;
  }
  set relabelMinConfidence(minConfidence: number) {
    this.#setOption('relabel', { minConfidence });
  }
  get relabelMaxStd(): number {
    return this.#option('relabel').maxStd;
  }
  set relabelMaxStd(maxStd: number) {
    this.#setOption('relabel', { maxStd });
  }
  synthetic = $state.raw<SyntheticStatus | null>(null);

  #token = 0;
  #handles: string[] = [];
  #inflight: Promise<unknown> = Promise.resolve();
  /** The latest draw or vote in progress (an automatic judge waits for it before judging). */
  #work: Promise<unknown> = Promise.resolve();

  constructor(
    readonly cellId: string,
    private readonly host: DuelHost,
  ) {
    this.runner = new JudgeRunner((alive, hold) => this.#judgeStep(alive, hold));
    this.#restorePending();
  }

  get canVote(): boolean {
    return this.phase === 'ready' && this.pair !== null;
  }

  /** Rank and thumbs modes: a set is on screen and nothing is in flight. */
  get canJudgeSet(): boolean {
    return this.phase === 'ready' && this.set !== null;
  }

  /** Thumbs mode: the first candidate (as shown) still waiting for a thumb. */
  get nextUnthumbed(): ShownCandidate | null {
    return this.set?.candidates.find((c) => !(c.id in this.thumbs)) ?? null;
  }

  /** Puts the last unvoted pair or set from the log back on screen (after a reload). */
  #restorePending(): void {
    const config = this.host.duelConfig(this.cellId);
    const events = this.host.session.doc.events;
    if (!config || config.mode === 'pairwise') {
      const pending = pendingCandidates(events, this.cellId);
      // A set drawn for a ranking is not a pair: a pairwise duel draws afresh.
      if (!pending || pending.candidates.candidates.length !== 2) return;
      const pair = this.#pairFromLog(pending.candidates, pending.order);
      if (pair) {
        this.pair = pair;
        this.phase = 'ready';
      }
      return;
    }
    const pending = pendingSet(events, this.cellId);
    if (!pending) return;
    const hasThumbs = Object.keys(pending.thumbs).length > 0;
    if (config.mode === 'rank' && (hasThumbs || pending.candidates.candidates.length < 2)) return;
    const set = this.#setFromLog(pending.candidates);
    if (!set) return;
    this.#show(set, pending.order, pending.thumbs);
  }

  #setFromLog(candidates: CandidatesEvent): CandidateSet | null {
    const events = this.host.session.doc.events;
    const resolved = resolvePrompt(events, candidates.promptId, candidates.seq + 1);
    if (!resolved) return null;
    return {
      promptId: candidates.promptId,
      prompt: resolved.prompt,
      promptIds: null,
      candidates: candidates.candidates.map((c) => ({ id: c.id, text: c.text, tokenIds: c.tokenIds ?? null, snapshot: c.policySnapshot })),
      draw: drawIndexOf(events, candidates),
    };
  }

  /** Puts a set on screen, with a ranking to start from and the thumbs it already has. */
  #show(set: CandidateSet, order?: readonly string[], thumbs: Record<string, boolean> = {}): void {
    const ids = set.candidates.map((c) => c.id);
    const validOrder = order && order.length === ids.length && ids.every((id) => order.includes(id));
    this.set = set;
    this.rankOrder = validOrder ? [...order] : ids;
    this.thumbs = { ...thumbs };
    this.phase = 'ready';
  }

  /** Remembers `work` as the latest thing in flight and passes it through. */
  #track<T>(work: Promise<T>): Promise<T> {
    this.#work = work;
    return work;
  }

  /** Resolves once no draw or vote is in flight (including ones started while waiting). */
  async #settled(): Promise<void> {
    for (;;) {
      const work = this.#work;
      await work.catch(() => undefined);
      if (work === this.#work) return;
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
    const draw = drawIndexOf(this.host.session.doc.events, candidates);
    return { promptId: candidates.promptId, prompt: resolved.prompt, promptIds: null, left: shown(left), right: shown(right), draw };
  }

  /** Stops any generation in flight (the engine frees its KV cache). */
  cancel(): void {
    this.#token++;
    const handles = this.#handles;
    this.#handles = [];
    for (const handle of handles) void this.host.engine.api.generateCancel(handle).catch(() => undefined);
    if (this.phase === 'generating') this.phase = 'idle';
    this.streaming = null;
    this.streamingSet = null;
  }

  /** Draws the next prompt and streams fresh candidates (a pair, or N for rank and thumbs). */
  next(): Promise<void> {
    return this.#track(this.#next());
  }

  /** After the mode, N or the judge changed: stop the automatic judge and draw afresh. */
  restart(): Promise<void> {
    this.runner.stop();
    return this.next();
  }

  async #next(): Promise<void> {
    this.cancel();
    const token = this.#token;
    const generation = this.host.session.generation;
    const stale = () => token !== this.#token || generation !== this.host.session.generation;
    this.pair = null;
    this.set = null;
    this.rankOrder = [];
    this.thumbs = {};
    this.judged = null;
    this.error = null;
    this.critique = '';
    const config = this.host.duelConfig(this.cellId);
    if (!config) return;
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
    if (config.mode !== 'pairwise') {
      await this.#nextSet(config, { base, prompt, seed, draw, generation, stale });
      return;
    }
    const opponent = this.opponent;
    const pool: PoolSettings = { selection: this.pairSelection, k: this.selectionPool, n: this.bestOfN, pessimism: this.pessimism };
    this.streaming = { prompt, left: '', right: '' };
    try {
      // A cancelled arena draw may still be putting the live weights back: wait for it first.
      const previous = this.#inflight;
      const run = (async () => {
        await previous.catch(() => undefined);
        return stale()
          ? null
          : streamPair(
              this.#context(stale),
              base,
              opponent,
              pool,
              () => this.host.arenaPair(this.cellId),
              (left, right) => (this.streaming = { prompt: base.prompt, left, right }),
            );
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
      this.pair = { promptId, prompt, promptIds: result.promptIds, left, right, draw, ...(result.reason ? { reason: shownReason(result.reason, result.swap) } : {}) };
      this.streaming = null;
      this.phase = 'ready';
    } catch (e) {
      if (!stale()) this.#fail(e instanceof DuelSetupError ? e.message : describeEngineError('generate', e));
    }
  }

  /** Rank and thumbs: N samples of the policy for one prompt, streamed together, logged as shown. */
  async #nextSet(
    config: DuelConfig,
    draw: { base: GenerateRequest; prompt: string; seed: number; draw: number; generation: number; stale: () => boolean },
  ): Promise<void> {
    const { base, prompt, seed, generation, stale } = draw;
    const n = config.candidatesPerPrompt;
    if (config.mode === 'rank' && n < 2) {
      this.#fail('A ranking needs at least 2 candidates per prompt.');
      return;
    }
    this.streamingSet = { prompt, texts: Array.from({ length: n }, () => '') };
    try {
      const previous = this.#inflight;
      const run = (async () => {
        await previous.catch(() => undefined);
        return stale()
          ? null
          : streamSet(this.#context(stale), { ...base, numSequences: n }, (texts) => (this.streamingSet = { prompt: base.prompt, texts }));
      })();
      this.#inflight = run;
      const chunk = await run;
      if (!chunk || stale()) return;
      const snapshot = snapshotOf(this.host.engine, 'policy');
      const candidates: ShownCandidate[] = chunk.texts.map((text, i) => ({
        id: this.host.session.nextId(),
        text,
        tokenIds: chunk.tokenIds[i] ?? [],
        snapshot,
      }));
      const promptId = this.host.session.nextId();
      const ok = this.host.session.apply(
        (doc) =>
          appendEvents(doc, [
            { type: 'prompt', cellId: this.cellId, promptId, text: prompt },
            {
              type: 'candidates',
              cellId: this.cellId,
              promptId,
              seed,
              sampling: { ...config.sampling },
              candidates: candidates.map((c) => ({ id: c.id, text: c.text, tokenIds: c.tokenIds ?? [], policySnapshot: c.snapshot })),
            },
          ]),
        generation,
      );
      if (!ok) {
        this.#fail('The candidates could not be logged (see the message at the top).');
        return;
      }
      this.streamingSet = null;
      this.#show({ promptId, prompt, promptIds: chunk.promptIds, candidates, draw: draw.draw });
    } catch (e) {
      if (!stale()) this.#fail(describeEngineError('generate', e));
    }
  }

  /** What a candidate source needs while this draw runs (see duel_sources.ts). */
  #context(stale: () => boolean): DrawContext {
    return { engine: this.host.engine, stale, setHandles: (handles) => (this.#handles = handles) };
  }

  #order(config: DuelConfig): 'sequential' | 'shuffled' {
    return linkedCell(this.host.session.doc, 'prompts', config.promptsCellId)?.config.order ?? 'sequential';
  }

  #fail(message: string): void {
    this.phase = 'error';
    this.streaming = null;
    this.streamingSet = null;
    this.error = message;
  }

  /** The person's vote: judge "human", with the critique typed into the cell. */
  #human(): Voter {
    return { judge: 'human', critique: this.critique.trim() };
  }

  /** Logs a vote on the pair on screen, lets the Train cell learn from it, then draws the next pair. */
  vote(outcome: PairOutcome, voter?: Voter): Promise<boolean> {
    return this.#track(this.#vote(outcome, voter ?? this.#human()));
  }

  async #vote(outcome: PairOutcome, voter: Voter): Promise<boolean> {
    const pair = this.pair;
    if (!this.canVote || !pair) return false;
    const critique = voter.critique ?? '';
    const ok = this.host.session.apply((doc) =>
      appendEvents(doc, [...this.host.settingsEvents(), {
        type: 'vote',
        kind: 'pair',
        cellId: this.cellId,
        promptId: pair.promptId,
        a: pair.left.id,
        b: pair.right.id,
        outcome,
        shownOrder: [pair.left.id, pair.right.id],
        judge: voter.judge,
        ...(critique === '' ? {} : { critique }),
      }]),
    );
    if (!ok) return false;
    this.note = null;
    this.phase = 'learning';
    // One request: the engine reduces the vote (and relabels fresh pairs when the duel asks).
    this.#showRelabels(await this.host.learn());
    if (pair.reason?.kind === 'bestofn') this.#tallyBestOfN(pair.reason, outcome);
    await this.next();
    return true;
  }

  /** Reveals which side was the reward model's pick and counts whether the judge agreed. */
  #tallyBestOfN(reason: Extract<PairReason, { kind: 'bestofn' }>, outcome: PairOutcome): void {
    const pickLetter = reason.pickSide === 'left' ? 'A' : 'B';
    const pickOutcome = reason.pickSide === 'left' ? 'a' : 'b';
    const t = this.bestOfNTally;
    const fmt = (r: { reward: number; std: number }) => `${r.reward.toFixed(2)} ± ${r.std.toFixed(2)}`;
    let verdict: string;
    if (outcome === 'a' || outcome === 'b') {
      const pickWon = outcome === pickOutcome;
      this.bestOfNTally = { ...t, pickWins: t.pickWins + (pickWon ? 1 : 0), sampleWins: t.sampleWins + (pickWon ? 0 : 1) };
      verdict = pickWon ? 'the judge preferred it' : 'the judge preferred the plain sample';
    } else {
      this.bestOfNTally = { ...t, ties: t.ties + 1 };
      verdict = outcome === 'tie' ? 'the judge called it a tie' : 'the judge found both bad';
    }
    this.bestOfNNote = `Last pair: ${pickLetter} was the reward model’s best of ${reason.n} (reward ${fmt(reason.pick)}; the plain sample ${fmt(reason.sample)}), and ${verdict}.`;
  }

  /**
   * What the engine's relabelling did after the last vote (RLHF Workflow's online iterative DPO
   * with AI feedback, now run by the engine's log reducer: it samples the fresh pairs, seeded by
   * the vote, and logs nothing as a vote).
   */
  #showRelabels(result: ReduceResult | null): void {
    if (!result) return;
    const relabels = result.reduced.flatMap((x) => x.relabels ?? []);
    if (relabels.length === 0) return;
    const accepted = relabels.filter((r) => r.accepted).length;
    const rejected = relabels.find((r) => !r.accepted);
    const before = this.synthetic ?? emptySynthetic();
    this.synthetic = {
      pairs: result.syntheticPairs,
      judgedItems: result.votesTrained,
      steps: before.steps + relabels.reduce((n, r) => n + r.steps, 0),
      lastTried: relabels.length,
      lastAccepted: accepted,
      lastRejectedReason: rejected?.rejectedReason ?? null,
    };
  }

  /** Rank mode: moves the candidate at position `from` of the ranking to position `to`. */
  moveRank(from: number, to: number): void {
    if (!this.canJudgeSet) return;
    this.rankOrder = moveInOrder(this.rankOrder, from, to);
  }

  /** Rank mode: logs the ranking on screen (best first), lets the Train cell learn, draws the next set. */
  submitRanking(voter?: Voter): Promise<boolean> {
    return this.#track(this.#submitRanking(voter ?? this.#human()));
  }

  async #submitRanking(voter: Voter): Promise<boolean> {
    const set = this.set;
    if (!this.canJudgeSet || !set) return false;
    const byId = new Map(set.candidates.map((c) => [c.id, c]));
    const order = this.rankOrder;
    if (order.length !== set.candidates.length || !order.every((id) => byId.has(id))) return false;
    const critique = voter.critique ?? '';
    const ok = this.host.session.apply((doc) =>
      appendEvents(doc, [...this.host.settingsEvents(), {
        type: 'vote',
        kind: 'rank',
        cellId: this.cellId,
        promptId: set.promptId,
        order: [...order],
        judge: voter.judge,
        ...(critique === '' ? {} : { critique }),
      }]),
    );
    if (!ok) return false;
    this.note = null;
    this.phase = 'learning';
    await this.host.learn();
    await this.next();
    return true;
  }

  /** Thumbs mode: logs a thumb on one candidate; once every candidate has one, draws the next set. */
  thumb(candidateId: string, up: boolean, voter?: Voter): Promise<boolean> {
    return this.#track(this.#thumb(candidateId, up, voter ?? this.#human()));
  }

  async #thumb(candidateId: string, up: boolean, voter: Voter): Promise<boolean> {
    const set = this.set;
    if (!this.canJudgeSet || !set || candidateId in this.thumbs) return false;
    const candidate = set.candidates.find((c) => c.id === candidateId);
    if (!candidate) return false;
    const critique = voter.critique ?? '';
    const ok = this.host.session.apply((doc) =>
      appendEvents(doc, [...this.host.settingsEvents(), {
        type: 'vote',
        kind: 'thumbs',
        cellId: this.cellId,
        promptId: set.promptId,
        candidate: candidateId,
        up,
        judge: voter.judge,
        ...(critique === '' ? {} : { critique }),
      }]),
    );
    if (!ok) return false;
    this.thumbs = { ...this.thumbs, [candidateId]: up };
    // A person's critique is about the candidate just rated: the next one starts blank.
    if (voter.judge === 'human') this.critique = '';
    this.note = null;
    this.phase = 'learning';
    await this.host.learn();
    if (this.set !== set) return true;
    if (set.candidates.every((c) => c.id in this.thumbs)) await this.next();
    else this.phase = 'ready';
    return true;
  }

  /** Skips the pair on screen without a vote. */
  async skip(): Promise<void> {
    if (this.phase === 'learning') return;
    await this.next();
  }

  /**
   * Undoes the last vote of this duel (an `undo` event: the log stays append-only) and puts
   * that pair back on screen to vote again. The engine then reduces the log without it: the
   * weights are restored from the checkpoint before the vote (see LogReducer).
   */
  undo(): boolean {
    if (this.phase === 'learning') return false;
    const last = lastUndoable(this.host.session.doc.events, this.cellId);
    if (!last || last.type !== 'vote') return false;
    const resolved = resolvePrompt(this.host.session.doc.events, last.promptId, last.seq);
    if (!this.host.session.apply((doc) => undoEvent(doc, last.seq, this.cellId))) return false;
    void this.host.learn();
    // The person takes over what is on screen: an automatic judge would vote on it again at once.
    this.runner.stop();
    this.cancel();
    this.judged = null;
    this.pair = null;
    this.set = null;
    if (last.kind === 'pair') {
      const pair = resolved ? this.#pairFromLog(resolved.candidates, last.shownOrder) : null;
      this.pair = pair;
      this.phase = pair ? 'ready' : 'idle';
    } else {
      const set = resolved ? this.#setFromLog(resolved.candidates) : null;
      if (set) {
        const events = this.host.session.doc.events;
        this.#show(set, last.kind === 'rank' ? last.order : undefined, thumbsGiven(events, this.cellId, set.promptId));
      } else {
        this.phase = 'idle';
      }
    }
    this.critique = last.critique ?? '';
    this.note = 'Vote undone: it is out of the log’s datasets and ratings, and the weights are back to where they were before it.';
    return true;
  }

  // ---- automatic judges -----------------------------------------------------------------------

  /**
   * One automatic vote: waits until something is on screen, asks the judge, highlights the
   * verdict for the runner's delay, then casts it. Nothing is cast once `alive()` is false.
   */
  async #judgeStep(alive: () => boolean, hold: (ms: number) => Promise<boolean>): Promise<StepOutcome> {
    const cancelled: StepOutcome = { kind: 'cancelled' };
    const config = this.host.duelConfig(this.cellId);
    if (!config) return { kind: 'cannot', reason: 'This duel cell is gone.' };
    const judge = config.judge;
    if (judge.kind === 'human') return { kind: 'cannot', reason: 'The judge is you: choose a simulated annotator or an ONNX judge to watch it vote.' };
    const generation = this.host.session.generation;
    const current = () => alive() && generation === this.host.session.generation;

    // Get something votable on screen, drawing it if needed (a few tries: a draw may be replaced).
    for (let attempt = 0; ; attempt++) {
      await this.#settled();
      if (!current()) return cancelled;
      if (this.phase === 'ready' && (config.mode === 'pairwise' ? this.pair !== null : this.set !== null)) break;
      if (this.phase === 'error') return { kind: 'cannot', reason: this.error ?? 'The duel could not draw candidates.' };
      if (!this.host.engine.ready) return { kind: 'cannot', reason: 'No model is loaded: run the Policy cell first.' };
      if (attempt >= 3) return { kind: 'cannot', reason: 'The duel could not draw candidates to judge.' };
      await this.next();
    }

    let verdict: JudgeVerdict;
    const pair = this.pair;
    const set = this.set;
    try {
      verdict = await this.#askJudge(config, pair, set);
    } catch (e) {
      return { kind: 'cannot', reason: judge.kind === 'onnx' ? describeJudgeError(e) : describeEngineError(config.mode === 'pairwise' ? 'annotatePair' : 'annotateScores', e) };
    }
    // The screen changed while the judge thought (a person skipped, the mode changed): judge again.
    if (!current() || this.pair !== pair || this.set !== set || this.phase !== 'ready') return cancelled;
    this.judged = verdict;
    if (verdict.kind === 'rank') this.rankOrder = verdict.order;
    if (!(await hold(this.runner.delayMs)) || !current()) return cancelled;
    if (this.pair !== pair || this.set !== set || this.phase !== 'ready') return cancelled;

    const voter: Voter = { judge: judgeId(judge), critique: verdict.critique.slice(0, MAX_JUDGE_CRITIQUE) };
    switch (verdict.kind) {
      case 'pair':
        return (await this.vote(verdict.outcome, voter)) ? { kind: 'voted' } : cancelled;
      case 'rank':
        this.rankOrder = verdict.order;
        return (await this.submitRanking(voter)) ? { kind: 'voted' } : cancelled;
      case 'thumbs': {
        // One step rates the whole set (one thumbs event per candidate still unrated).
        let cast = false;
        for (const candidate of set!.candidates) {
          if (candidate.id in this.thumbs) continue;
          if (!current() || this.set !== set) break;
          cast = (await this.thumb(candidate.id, verdict.up[candidate.id] === true, voter)) || cast;
        }
        return cast ? { kind: 'voted' } : cancelled;
      }
    }
  }

  /** Asks the configured judge about the pair or set on screen. */
  async #askJudge(config: DuelConfig, pair: DuelPair | null, set: CandidateSet | null): Promise<JudgeVerdict> {
    const judge = config.judge;
    if (judge.kind === 'human') throw new Error('a person is the judge');
    const api = this.host.engine.api;
    // A plain copy crosses to the worker (the config may be reactive state).
    const annotator = judge.kind === 'simulated' ? ($state.snapshot(judge.annotator) as AnnotatorSpec) : null;
    const onnx = judge.kind === 'onnx' ? { id: judge.id, modelUrl: judge.modelUrl } : null;
    if (onnx) {
      const info = await this.host.judges.load(onnx);
      this.judgeInfo = `${info.name} (${info.kind}) on ${info.executionProvider}${info.fallbackReason ? `: ${info.fallbackReason}` : ''}`;
    }
    if (config.mode === 'pairwise') {
      if (!pair) throw new Error('no pair on screen');
      if (onnx) {
        const v = await this.host.judges.judgePair(onnx, pair.prompt, pair.left.text, pair.right.text);
        return { kind: 'pair', outcome: v.outcome, critique: v.critique };
      }
      // Indexed by the pair's draw, so the same pair gets the same verdict on replay.
      const v = await api.annotatePair(annotator!, pair.draw, pair.prompt, pair.left.text, pair.right.text);
      return { kind: 'pair', outcome: v.outcome, critique: v.critique };
    }
    if (!set) throw new Error('no candidates on screen');
    const texts = set.candidates.map((c) => c.text);
    const scores = onnx ? await this.host.judges.score(onnx, set.prompt, texts) : await api.annotateScores(annotator!, set.prompt, texts);
    if (scores.length !== texts.length) throw new Error(`the judge returned ${scores.length} scores for ${texts.length} candidates`);
    const name = onnx ? onnx.id : `${judge.kind === 'simulated' ? judge.annotator.criterion : 'judge'}`;
    const critique = scoresCritique(name, scores);
    if (config.mode === 'rank') {
      return { kind: 'rank', order: orderByScores(scores).map((i) => set.candidates[i]!.id), scores, critique };
    }
    const rule = thumbsRule(judge);
    const ups = thumbsFromScores(scores, rule);
    const up: Record<string, boolean> = {};
    set.candidates.forEach((c, i) => (up[c.id] = ups[i]!));
    return { kind: 'thumbs', up, scores, rule: rule.why, critique: `${critique}; thumbs up for ${rule.why}` };
  }

  dispose(): void {
    this.runner.stop();
    this.cancel();
  }
}
