/**
 * An Arena cell at run time: the battles in the session's log (pairwise votes between
 * candidates from different policy snapshots), rated in the arena worker, plus saving policy
 * snapshots so later duels can be attributed to them.
 */
import { appendEvent, battleRows, type ArenaConfig, type BattleRow, type SessionDocument } from '../session/index';
import { PAIR_SELECTIONS, type ArenaBattle, type ArenaResult, type PairRequest } from '../engine/arena_api';
import { connectArenaWorker } from '../worker_api/connect';
import { describeEngineError } from './engine_client';
import type { EngineState } from './engine.svelte';
import type { SessionState } from './session.svelte';

/** One arena worker for the page, spawned on first use. */
let connection: ReturnType<typeof connectArenaWorker> | null = null;
const arenaApi = () => (connection ??= connectArenaWorker()).remote;

/** The Arena's pair-selection rules, for the cell's menu (the UI imports no engine values). */
export const ARENA_PAIR_SELECTIONS = PAIR_SELECTIONS;

/** The next pair by a selection rule, computed in the arena worker. */
export function proposeArenaPair(request: PairRequest): Promise<[string, string] | null> {
  return arenaApi().nextPair(request);
}

/** Why a snapshot name cannot be used, or null. Names must not collide with generated ones. */
export function snapshotNameProblem(name: string): string | null {
  if (name === '') return 'Give the snapshot a name.';
  if (name === 'reference' || /^step-\d+$/.test(name)) return `“${name}” is reserved: the reference and step-N name policies already.`;
  if (name.startsWith('__')) return 'Names starting with “__” are reserved.';
  if (name.length > 100) return 'Use at most 100 characters.';
  return null;
}

const OUTCOME_OF: Record<BattleRow['winner'], ArenaBattle['outcome']> = {
  model_a: 'a',
  model_b: 'b',
  tie: 'tie',
  'tie (bothbad)': 'bothbad',
};

/** The Arena battles among a duel's votes (every duel's when `duelCellId` is undefined). */
export function duelBattleRows(doc: SessionDocument, duelCellId: string | undefined): BattleRow[] {
  return battleRows(doc, duelCellId === undefined ? {} : { cellId: duelCellId });
}

/**
 * The battles to rate: all of them, or one annotator's (`judge` as `annotatorOf` names them, for
 * ratings per annotator beside the pooled ones).
 */
export function battlesFrom(rows: readonly BattleRow[], judge: string | null = null): ArenaBattle[] {
  return (judge === null ? rows : rows.filter((row) => row.judge === judge)).map((row) => ({
    modelA: row.model_a,
    modelB: row.model_b,
    outcome: OUTCOME_OF[row.winner],
  }));
}

export function battlesOf(doc: SessionDocument, duelCellId: string | undefined): ArenaBattle[] {
  return battlesFrom(duelBattleRows(doc, duelCellId));
}

/** Who gave the battles, sorted (the Arena's "ratings from" menu). */
export function battleJudges(rows: readonly BattleRow[]): string[] {
  return [...new Set(rows.map((row) => row.judge).filter((j): j is string => j !== undefined))].sort();
}

export class ArenaState {
  result = $state.raw<ArenaResult | null>(null);
  status = $state<'idle' | 'computing' | 'ready' | 'error'>('idle');
  error = $state<string | null>(null);
  snapshotError = $state<string | null>(null);
  battles = $state(0);
  /**
   * Ratings from one annotator's battles only, or null for everyone's. A view of the log, not a
   * setting: it is not saved, and the Arena's pair selection always uses everyone's battles.
   */
  judge = $state<string | null>(null);
  /** Who gave the battles (from the same rows the last refresh rated). */
  judges = $state.raw<string[]>([]);

  #key: string | null = null;
  #token = 0;

  constructor(
    readonly cellId: string,
    private readonly engine: EngineState,
    private readonly session: SessionState,
  ) {}

  /** Refits when the battles or the fit's settings changed (or when forced by a re-run). */
  async refresh(config: ArenaConfig, duelCellId: string | undefined, force = false): Promise<void> {
    const rows = duelBattleRows(this.session.doc, duelCellId);
    const judges = battleJudges(rows);
    if (judges.join('\u0000') !== this.judges.join('\u0000')) this.judges = judges;
    const battles = battlesFrom(rows, this.judge);
    const key = JSON.stringify([config.tieModel, config.bootstrapRounds, config.seed, this.judge, battles]);
    if (!force && key === this.#key) return;
    this.#key = key;
    this.battles = battles.length;
    const token = ++this.#token;
    this.status = 'computing';
    try {
      const result = await arenaApi().leaderboard({
        battles,
        tieModel: config.tieModel,
        bootstrapRounds: config.bootstrapRounds,
        seed: config.seed,
      });
      if (token !== this.#token) return;
      this.result = result;
      this.status = 'ready';
      this.error = null;
    } catch (e) {
      if (token !== this.#token) return;
      this.status = 'error';
      this.error = `The ratings could not be fitted: ${(e as Error).message}`;
    }
  }

  /** Saves the current policy weights in the engine and logs a `snapshot` event. */
  async snapshot(name: string): Promise<void> {
    const problem = snapshotNameProblem(name);
    if (problem) {
      this.snapshotError = problem;
      return;
    }
    const generation = this.session.generation;
    try {
      const saved = await this.engine.api.snapshot(name);
      this.session.apply((doc) => appendEvent(doc, { type: 'snapshot', cellId: this.cellId, name: saved.name, step: saved.step }), generation);
      this.snapshotError = null;
    } catch (e) {
      this.snapshotError = describeEngineError('snapshot', e);
    }
  }
}
