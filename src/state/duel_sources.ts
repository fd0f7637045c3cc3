/**
 * Where a duel's candidates come from: two samples of the policy (the first two, or the pair of
 * K the reward model is least sure about), the reward model's best of n against a plain sample,
 * the policy against the frozen reference, an arena battle between snapshots, and the N samples
 * of a rank or thumbs duel. Every source pulls one token at a time from the engine (so the page
 * stays responsive) through `pullTokens`, and stops pulling as soon as its draw is stale.
 *
 * Plain functions over the engine: the duel owns what is on screen and passes callbacks for the
 * texts as they stream in.
 */
import { DuelConfigSchema, RelabelConfigSchema, type DuelOpponent, type PolicySnapshotRef } from '../session/index';
import { applyChunkTexts, type GenerateChunk, type GenerateRequest } from '../engine/api';
import type { EngineState } from './engine.svelte';
import type { EngineRemote } from './engine_client';
import { deriveSeed, seededRandom } from './random';

/**
 * Who writes the candidates: two samples of the policy; the policy against the frozen
 * reference (a battle); a pair of snapshots the Arena cell's pair-selection rule picks; or the
 * reward model's best of n policy samples against one more plain sample.
 *
 * Why best-of-n is a side of a duel rather than, say, a ranking of the n samples by reward: the
 * question best-of-n raises is whether the reward model's pick is actually better to the judge
 * than what the policy writes without it. A blind duel of the pick against an independent
 * sample answers exactly that, vote by vote (the side is a seeded coin flip, revealed only
 * after the vote), and the tally is the win rate of best-of-n over plain sampling — the
 * quantity that shows reward over-optimisation when the reward model's picks stop winning.
 */
export type { DuelOpponent };

/**
 * How a pair of policy samples is chosen: the first two samples, or the pair of K samples the
 * reward model's heads disagree on most (active learning: the vote that should teach it most).
 */
export type PairSelectionRule = 'random' | 'uncertain';

/**
 * Why the pair on screen was drawn, when a reward-model rule chose it; or, for a plain pair of
 * policy samples, only what the loop expects of it ('predicted': the reward model weighed against
 * the explanations, with its std between and within those models).
 */
export type PairReason =
  | { kind: 'uncertain'; k: number; pAB: number; std: number }
  | { kind: 'predicted'; pAB: number; std: number }
  | {
      kind: 'bestofn';
      n: number;
      pessimism: number;
      /** Where the reward model's pick is shown (kept from the judge until the vote is cast). */
      pickSide: 'left' | 'right';
      pick: { reward: number; std: number };
      sample: { reward: number; std: number };
    };

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

/** The engine snapshot that holds the live weights while a saved snapshot writes a candidate. */
export const LIVE_WEIGHTS = '__duel_live';

/** The reward-model options a pairwise draw uses, read once when it starts. */
export interface PoolSettings {
  selection: PairSelectionRule;
  /** K samples for "most uncertain of K". */
  k: number;
  /** n samples for best-of-n, and its pessimism k in mean − k·std. */
  n: number;
  pessimism: number;
}

/** `[min, max]` of a number schema's pipe (its `minValue` and `maxValue` actions). */
function boundsOf(schema: { readonly pipe: readonly unknown[] }): readonly [number, number] {
  let min: unknown;
  let max: unknown;
  for (const action of schema.pipe) {
    if (typeof action !== 'object' || action === null || !('type' in action) || !('requirement' in action)) continue;
    if (action.type === 'min_value') min = action.requirement;
    if (action.type === 'max_value') max = action.requirement;
  }
  if (typeof min !== 'number' || typeof max !== 'number') throw new Error('a duel option in the session schema has no [min, max] bounds');
  return [min, max];
}

/**
 * Bounds of the page's reward-model options (the UI's fields use them), read from the duel
 * config's schema (src/session/schema_cells.ts), which states them as literals in its pipes: the
 * fields cannot accept what a saved document would reject.
 */
export const POOL_LIMITS = {
  k: boundsOf(DuelConfigSchema.entries.pairSelection.wrapped.entries.k),
  n: boundsOf(DuelConfigSchema.entries.bestOfN.wrapped.entries.n),
  pessimism: boundsOf(DuelConfigSchema.entries.bestOfN.wrapped.entries.pessimism),
  relabelPairs: boundsOf(RelabelConfigSchema.entries.pairs),
  relabelMinConfidence: boundsOf(RelabelConfigSchema.entries.minConfidence),
  relabelMaxStd: boundsOf(RelabelConfigSchema.entries.maxStd),
  relabelCandidates: boundsOf(RelabelConfigSchema.entries.candidates.wrapped),
} as const;

/** A duel that cannot draw a pair for a reason the user can fix (shown as is). */
export class DuelSetupError extends Error {}

/** Two candidates as a source wrote them, before they are logged and shown. */
export interface DrawnPair {
  texts: [string, string];
  ids: [number[], number[]];
  promptIds: number[];
  snapshots: [PolicySnapshotRef, PolicySnapshotRef];
  /** Whether the log's first candidate is shown on the right (a coin flip against the reference). */
  swap: boolean;
  /** Why a reward-model rule chose these two, sides as logged (before any swap). */
  reason?: { kind: 'uncertain'; k: number; pAB: number; std: number } | { kind: 'predicted'; pAB: number; std: number } | { kind: 'bestofn'; n: number; pessimism: number; pick: { reward: number; std: number }; sample: { reward: number; std: number } };
}

/** What a source needs while it draws. */
export interface DrawContext {
  readonly engine: EngineState;
  /**
   * The worker that writes the candidates: the engine worker, or the draw worker that holds a
   * copy of the trainer's weights (see EngineState). Reward-model calls always go to `engine.api`.
   */
  readonly api: EngineRemote;
  /** The policy step of the weights `api` draws from (logged with every candidate it writes). */
  readonly policyStep: number;
  /** Votes those weights had learned from (shown with the pair: how far behind the log it was drawn). */
  readonly votesTrained: number;
  /** True once this draw is no longer wanted (cancelled, or another document was opened). */
  stale(): boolean;
  /** The generations in flight, so a cancel can free them; [] once they are complete. */
  setHandles(handles: string[]): void;
}

export const snapshotOf = (engine: EngineState, opponent: 'policy' | 'reference'): PolicySnapshotRef =>
  opponent === 'reference' ? { step: 0, name: 'reference' } : { step: engine.policyStep };

const competitorSnapshot = (c: Competitor): PolicySnapshotRef =>
  c.source === 'live' ? { step: c.step } : { step: c.step, name: c.name };

/** A draw's reason with sides as shown (a swapped best-of-n pair shows its pick on the right). */
export function shownReason(reason: NonNullable<DrawnPair['reason']>, swap: boolean): PairReason {
  if (reason.kind !== 'bestofn') return reason;
  return { ...reason, pickSide: swap ? 'right' : 'left' };
}

/**
 * The token-pull loop: pulls one step from each generation still running (in turn) until all are
 * done, reporting the latest chunks after every round. Null as soon as the draw is stale (the
 * generations are left to whoever made it stale to cancel).
 */
export async function pullTokens(
  ctx: DrawContext,
  handles: string[],
  onChunks?: (chunks: GenerateChunk[]) => void,
): Promise<GenerateChunk[] | null> {
  const api = ctx.api;
  ctx.setHandles(handles);
  const chunks: (GenerateChunk | undefined)[] = handles.map(() => undefined);
  while (!chunks.every((chunk) => chunk?.done)) {
    for (let i = 0; i < handles.length; i++) {
      if (chunks[i]?.done) continue;
      // A running chunk carries only what changed: keep each generation's whole texts here.
      const chunk = await api.generateNext(handles[i]!);
      chunks[i] = { ...chunk, texts: applyChunkTexts(chunks[i]?.texts ?? [], chunk), textFrom: undefined };
    }
    if (ctx.stale()) return null;
    onChunks?.(chunks as GenerateChunk[]);
  }
  ctx.setHandles([]);
  return chunks as GenerateChunk[];
}

/** Starts one generation and pulls it to the end. */
async function generate(ctx: DrawContext, request: GenerateRequest, onChunk?: (chunk: GenerateChunk) => void): Promise<GenerateChunk | null> {
  const handle = await ctx.api.generateStart(request);
  const chunks = await pullTokens(ctx, [handle], onChunk && (([chunk]) => onChunk(chunk!)));
  return chunks?.[0] ?? null;
}

/** Rank and thumbs: the N samples of `request`, streamed together. */
export function streamSet(ctx: DrawContext, request: GenerateRequest, onTexts: (texts: string[]) => void): Promise<GenerateChunk | null> {
  return generate(ctx, request, (chunk) => onTexts(chunk.texts.slice()));
}

/**
 * Starts the generation(s) of a pairwise draw and pulls tokens until both candidates are
 * complete, reporting the texts as they stream in (left and right, before any swap).
 */
export async function streamPair(
  ctx: DrawContext,
  base: GenerateRequest,
  opponent: DuelOpponent,
  pool: PoolSettings,
  arenaPair: () => Promise<ArenaDraw | string>,
  onTexts: (left: string, right: string) => void,
): Promise<DrawnPair | null> {
  const api = ctx.engine.api;
  const live: PolicySnapshotRef = { step: ctx.policyStep };
  if (opponent === 'policy' && pool.selection === 'uncertain') {
    // K samples, then the pair the reward model's heads disagree on most (shown i left, j right).
    // Pulled to the end without streaming them: the pair shown is only known once all are written.
    const chunk = await generate(ctx, { ...base, numSequences: pool.k });
    if (!chunk) return null;
    const pick = await api.selectPair(chunk.promptIds, chunk.tokenIds);
    if (ctx.stale()) return null;
    return {
      texts: [chunk.texts[pick.i]!, chunk.texts[pick.j]!],
      ids: [chunk.tokenIds[pick.i]!, chunk.tokenIds[pick.j]!],
      promptIds: chunk.promptIds,
      snapshots: [live, live],
      swap: false,
      reason: { kind: 'uncertain', k: pool.k, pAB: pick.pAB, std: pick.std },
    };
  }
  if (opponent === 'bestofn') {
    // n + 1 samples in one seeded batch (pulled quietly, as above): the reward model picks among
    // the first n; the last is the plain sample it is compared with (independent of the n, so
    // the duel is fair).
    const chunk = await generate(ctx, { ...base, numSequences: pool.n + 1 });
    if (!chunk) return null;
    const pick = await api.bestOfN(chunk.promptIds, chunk.tokenIds.slice(0, pool.n), pool.pessimism);
    // The plain sample's reward, for the note after the vote (same model, same moment).
    const plain = await api.bestOfN(chunk.promptIds, [chunk.tokenIds[pool.n]!], 0);
    if (ctx.stale()) return null;
    const swap = seededRandom(base.seed)() < 0.5;
    return {
      texts: [chunk.texts[pick.index]!, chunk.texts[pool.n]!],
      ids: [chunk.tokenIds[pick.index]!, chunk.tokenIds[pool.n]!],
      promptIds: chunk.promptIds,
      snapshots: [live, live],
      swap,
      reason: {
        kind: 'bestofn',
        n: pool.n,
        pessimism: pool.pessimism,
        pick: { reward: pick.rewards[pick.index]!, std: pick.stds[pick.index]! },
        sample: { reward: plain.rewards[0]!, std: plain.stds[0]! },
      },
    };
  }
  if (opponent === 'policy') {
    const chunk = await generate(ctx, { ...base, numSequences: 2 }, (c) => onTexts(c.texts[0] ?? '', c.texts[1] ?? ''));
    if (!chunk) return null;
    const ids: [number[], number[]] = [chunk.tokenIds[0]!, chunk.tokenIds[1]!];
    // What the reward model expects of it (the preference panel's call) is asked once the pair
    // is on screen (DuelDraws): the trainer may be busy with a reduce, and the pair need not wait.
    return { texts: [chunk.texts[0]!, chunk.texts[1]!], ids, promptIds: chunk.promptIds, snapshots: [live, live], swap: false };
  }
  if (opponent === 'reference') {
    const mine = await api.generateStart({ ...base, policy: 'policy' });
    const theirs = await api.generateStart({ ...base, seed: deriveSeed(base.seed, 1), policy: 'reference' });
    // Until the sides are assigned, the policy streams on the left.
    const chunks = await pullTokens(ctx, [mine, theirs], ([a, b]) => onTexts(a!.texts[0] ?? '', b!.texts[0] ?? ''));
    if (!chunks) return null;
    const [a, b] = chunks as [GenerateChunk, GenerateChunk];
    // Which side the reference appears on is a seeded coin flip, so position bias averages out.
    const swap = seededRandom(base.seed)() < 0.5;
    return {
      texts: [a.texts[0]!, b.texts[0]!],
      ids: [a.tokenIds[0]!, b.tokenIds[0]!],
      promptIds: a.promptIds,
      snapshots: [live, snapshotOf(ctx.engine, 'reference')],
      swap,
    };
  }
  // An arena battle: the selection rule picks two competitors (it also picks the sides).
  const draw = await arenaPair();
  if (ctx.stale()) return null;
  if (typeof draw === 'string') throw new DuelSetupError(draw);
  const left = await generateAs(ctx, draw.left, base, (text) => onTexts(text, ''));
  if (!left) return null;
  const right = await generateAs(ctx, draw.right, { ...base, seed: deriveSeed(base.seed, 1) }, (text) => onTexts(left.text, text));
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
async function generateAs(
  ctx: DrawContext,
  who: Competitor,
  request: GenerateRequest,
  onText: (text: string) => void,
): Promise<{ text: string; ids: number[]; promptIds: number[] } | null> {
  const api = ctx.engine.api;
  if (who.source === 'snapshot') {
    await api.snapshot(LIVE_WEIGHTS);
    await api.restore(who.name);
  }
  try {
    const handle = await api.generateStart({ ...request, policy: who.source === 'reference' ? 'reference' : 'policy' });
    const chunks = await pullTokens(ctx, [handle], ([chunk]) => onText(chunk!.texts[0] ?? ''));
    if (!chunks) {
      await api.generateCancel(handle).catch(() => undefined);
      return null;
    }
    const chunk = chunks[0]!;
    return { text: chunk.texts[0]!, ids: chunk.tokenIds[0]!, promptIds: chunk.promptIds };
  } finally {
    // Put the live weights back whatever happened: training must continue from them.
    if (who.source === 'snapshot') await api.restore(LIVE_WEIGHTS);
  }
}
