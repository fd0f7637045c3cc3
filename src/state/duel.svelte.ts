/**
 * A Duel cell at run time: draws the next prompt, streams the candidates from the engine
 * (pulling one token at a time, so the page stays responsive), logs what was shown, and turns
 * a vote into a `vote` event that the host's `learn()` sends to the engine (one reduce request).
 *
 * Three modes: pairwise (A vs B), rank (N candidates ordered best first) and thumbs (👍/👎 on
 * each of N). The judge is the person, a simulated annotator (in the engine worker) or an ONNX
 * judge (in the judge worker); an automatic judge votes through `runner`, at a chosen speed.
 *
 * This class holds the duel's rune state and its options; the work is done by helpers it owns:
 * duel_draws.ts (drawing, over the candidate sources in duel_sources.ts), duel_voting.ts (the
 * three voting modes and undo), duel_judge.svelte.ts (one automatic judge step) and
 * duel_screen.ts (what is on screen, and putting it back from the log).
 */
import { RELABEL_DEFAULTS, type DuelConfig, type PairOutcome } from '../session/index';
import { DuelDraws } from './duel_draws';
import type { DuelHost } from './duel_host';
import { judgeStep, type JudgeVerdict } from './duel_judge.svelte';
import { restorePending, type CandidateSet, type DuelPair, type DuelPhase, type ShownCandidate } from './duel_screen';
import type { DuelOpponent, PairSelectionRule } from './duel_sources';
import type { SyntheticStatus } from './duel_relabel';
import { DuelVoting, type BestOfNTally, type Voter } from './duel_voting';
import { JudgeRunner } from './judge_runner.svelte';

// What other modules (the app store, the cells, tests) import from here.
export type { DuelHost } from './duel_host';
export type { JudgeVerdict } from './duel_judge.svelte';
export type { CandidateSet, DuelPair, DuelPhase, ShownCandidate } from './duel_screen';
export { LIVE_WEIGHTS, POOL_LIMITS } from './duel_sources';
export type { ArenaDraw, Competitor, DuelOpponent, PairReason, PairSelectionRule } from './duel_sources';
export type { SyntheticStatus } from './duel_relabel';
export type { BestOfNTally, Voter } from './duel_voting';

/** The duel's reward-model options when its config does not set them. */
const DUEL_OPTION_DEFAULTS = {
  pairSelection: { rule: 'random' as PairSelectionRule, k: 4 },
  bestOfN: { n: 4, pessimism: 0 },
  /** The session's: the settings a vote is learned under fall back to the same ones. */
  relabel: { ...RELABEL_DEFAULTS } as NonNullable<DuelConfig['relabel']>,
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
  /** …accepting one only at confidence max(p, 1 − p) ≥ this and the models' spread ≤ relabelMaxStd. */
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
  /** Policy samples each relabelled pair is picked from (2: the two samples; more: the DivPO pick). */
  get relabelCandidates(): number {
    return this.#option('relabel').candidates ?? 2;
  }
  set relabelCandidates(candidates: number) {
    this.#setOption('relabel', { candidates });
  }
  /** With more than 2 samples: the rejected one is the closest in length to the chosen one. */
  get relabelMatchLength(): boolean {
    return this.#option('relabel').matchLength ?? false;
  }
  set relabelMatchLength(matchLength: boolean) {
    this.#setOption('relabel', { matchLength });
  }
  synthetic = $state.raw<SyntheticStatus | null>(null);

  readonly #draws: DuelDraws;
  readonly #voting: DuelVoting;
  /** The latest draw or vote in progress (an automatic judge waits for it before judging). */
  #work: Promise<unknown> = Promise.resolve();

  constructor(
    readonly cellId: string,
    private readonly host: DuelHost,
  ) {
    this.#draws = new DuelDraws(cellId, this, host);
    this.#voting = new DuelVoting(cellId, this, host);
    this.runner = new JudgeRunner((alive, hold, recorded) => judgeStep(this, host, () => this.#settled(), alive, hold, recorded));
    // Puts the last unvoted pair or set from the log back on screen (after a reload).
    restorePending(this, host.session.doc.events, cellId, host.duelConfig(cellId));
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

  /** Stops any generation in flight (the engine frees its KV cache). */
  cancel(): void {
    this.#draws.cancel();
  }

  /** Draws the next prompt and streams fresh candidates (a pair, or N for rank and thumbs). */
  next(): Promise<void> {
    // A verdict is about what was on screen.
    this.judged = null;
    return this.#track(this.#draws.next());
  }

  /** After the mode, N or the judge changed: stop the automatic judge and draw afresh. */
  restart(): Promise<void> {
    this.runner.stop();
    return this.next();
  }

  /** The person's vote: judge "human", with the critique typed into the cell. */
  #human(): Voter {
    return { judge: 'human', critique: this.critique.trim() };
  }

  /** Logs a vote on the pair on screen, draws the next pair, then lets the engine learn from the vote. */
  vote(outcome: PairOutcome, voter?: Voter): Promise<boolean> {
    return this.#track(this.#voting.pair(outcome, voter ?? this.#human()));
  }

  /** Rank mode: moves the candidate at position `from` of the ranking to position `to`. */
  moveRank(from: number, to: number): void {
    this.#voting.move(from, to);
  }

  /** Rank mode: logs the ranking on screen (best first), lets the engine learn, draws the next set. */
  submitRanking(voter?: Voter): Promise<boolean> {
    return this.#track(this.#voting.ranking(voter ?? this.#human()));
  }

  /** Thumbs mode: logs a thumb on one candidate; once every candidate has one, draws the next set. */
  thumb(candidateId: string, up: boolean, voter?: Voter): Promise<boolean> {
    return this.#track(this.#voting.thumb(candidateId, up, voter ?? this.#human()));
  }

  /** Skips the pair on screen without a vote. */
  async skip(): Promise<void> {
    if (this.phase === 'learning') return;
    await this.next();
  }

  /**
   * Undoes the last vote of this duel and puts that pair or set back on screen to vote again
   * (see DuelVoting.undo); the automatic judge stops and its verdict is cleared.
   */
  undo(): boolean {
    if (!this.#voting.undo()) return false;
    this.judged = null;
    return true;
  }

  dispose(): void {
    this.runner.stop();
    this.cancel();
  }
}
