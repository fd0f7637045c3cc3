/**
 * One step of a duel's automatic judge (a simulated annotator in the engine worker, or an ONNX
 * judge in the judge worker): wait until something is on screen, ask the judge, highlight its
 * verdict for the runner's delay, then cast it through the duel's own voting, exactly as a
 * person's vote would be. The runner (judge_runner.svelte.ts) repeats steps at a chosen speed.
 *
 * A `.svelte.ts` module only for `$state.snapshot` (a plain copy of the annotator for the worker).
 */
import type { DuelConfig, PairOutcome } from '../session/index';
import type { AnnotatorSpec } from '../engine/api';
import type { DuelHost } from './duel_host';
import type { CandidateSet, DuelPair, DuelPhase } from './duel_screen';
import { orderByScores } from './duel_sets';
import type { Voter } from './duel_voting';
import { describeEngineError } from './engine_client';
import { describeJudgeError } from './judge_client';
import type { StepOutcome } from './judge_runner.svelte';
import { judgeId, scoresCritique, thumbsFromScores, thumbsRule } from './judging';

/** What an automatic judge decided about what is on screen, highlighted before it is cast. */
export type JudgeVerdict =
  | { kind: 'pair'; outcome: PairOutcome; critique: string }
  /** `order`: candidate ids, best first; `scores`: per candidate as shown. */
  | { kind: 'rank'; order: string[]; scores: number[]; critique: string }
  /** `up`: candidate id → thumbs up; `rule`: how scores became thumbs, in words. */
  | { kind: 'thumbs'; up: Record<string, boolean>; scores: number[]; rule: string; critique: string };

/** Critiques longer than this are cut: they are one-line explanations, not essays. */
const MAX_JUDGE_CRITIQUE = 500;

/** What the automatic judge reads and drives on the duel (DuelState's public members). */
export interface JudgedDuel {
  readonly cellId: string;
  readonly phase: DuelPhase;
  readonly pair: DuelPair | null;
  readonly set: CandidateSet | null;
  readonly error: string | null;
  readonly thumbs: Record<string, boolean>;
  judged: JudgeVerdict | null;
  judgeInfo: string | null;
  rankOrder: string[];
  readonly runner: { readonly delayMs: number };
  next(): Promise<void>;
  vote(outcome: PairOutcome, voter?: Voter): Promise<boolean>;
  submitRanking(voter?: Voter): Promise<boolean>;
  thumb(candidateId: string, up: boolean, voter?: Voter): Promise<boolean>;
}

type JudgeHost = Pick<DuelHost, 'duelConfig' | 'session' | 'engine' | 'judges'>;

/**
 * One automatic vote: waits until something is on screen, asks the judge, highlights the
 * verdict for the runner's delay, then casts it. Nothing is cast once `alive()` is false.
 * `settled` resolves once no draw or vote of the duel is in flight.
 */
export async function judgeStep(
  duel: JudgedDuel,
  host: JudgeHost,
  settled: () => Promise<void>,
  alive: () => boolean,
  hold: (ms: number) => Promise<boolean>,
  recorded: () => void = () => {},
): Promise<StepOutcome> {
  const cancelled: StepOutcome = { kind: 'cancelled' };
  const config = host.duelConfig(duel.cellId);
  if (!config) return { kind: 'cannot', reason: 'This duel cell is gone.' };
  const judge = config.judge;
  if (judge.kind === 'human') return { kind: 'cannot', reason: 'The judge is you: choose a simulated annotator or an ONNX judge to watch it vote.' };
  const generation = host.session.generation;
  const current = () => alive() && generation === host.session.generation;

  // Get something votable on screen, drawing it if needed (a few tries: a draw may be replaced).
  for (let attempt = 0; ; attempt++) {
    await settled();
    if (!current()) return cancelled;
    if (duel.phase === 'ready' && (config.mode === 'pairwise' ? duel.pair !== null : duel.set !== null)) break;
    if (duel.phase === 'error') return { kind: 'cannot', reason: duel.error ?? 'The duel could not draw candidates.' };
    if (!host.engine.ready) return { kind: 'cannot', reason: 'No model is loaded: run the Policy cell first.' };
    if (attempt >= 3) return { kind: 'cannot', reason: 'The duel could not draw candidates to judge.' };
    await duel.next();
  }

  let verdict: JudgeVerdict;
  const pair = duel.pair;
  const set = duel.set;
  try {
    verdict = await askJudge(host, config, pair, set, (info) => (duel.judgeInfo = info));
  } catch (e) {
    return { kind: 'cannot', reason: judge.kind === 'onnx' ? describeJudgeError(e) : describeEngineError(config.mode === 'pairwise' ? 'annotatePair' : 'annotateScores', e) };
  }
  // The screen changed while the judge thought (a person skipped, the mode changed): judge again.
  if (!current() || duel.pair !== pair || duel.set !== set || duel.phase !== 'ready') return cancelled;
  duel.judged = verdict;
  if (verdict.kind === 'rank') duel.rankOrder = verdict.order;
  if (!(await hold(duel.runner.delayMs)) || !current()) return cancelled;
  if (duel.pair !== pair || duel.set !== set || duel.phase !== 'ready') return cancelled;

  const voter: Voter = { judge: judgeId(judge), critique: verdict.critique.slice(0, MAX_JUDGE_CRITIQUE), onRecorded: recorded };
  switch (verdict.kind) {
    case 'pair':
      return (await duel.vote(verdict.outcome, voter)) ? { kind: 'voted' } : cancelled;
    case 'rank':
      duel.rankOrder = verdict.order;
      return (await duel.submitRanking(voter)) ? { kind: 'voted' } : cancelled;
    case 'thumbs': {
      // One step rates the whole set (one thumbs event per candidate still unrated).
      let cast = false;
      for (const candidate of set!.candidates) {
        if (candidate.id in duel.thumbs) continue;
        if (!current() || duel.set !== set) break;
        cast = (await duel.thumb(candidate.id, verdict.up[candidate.id] === true, voter)) || cast;
      }
      return cast ? { kind: 'voted' } : cancelled;
    }
  }
}

/** Asks the configured judge about the pair or set on screen; `onInfo` hears which ONNX judge runs where. */
async function askJudge(
  host: JudgeHost,
  config: DuelConfig,
  pair: DuelPair | null,
  set: CandidateSet | null,
  onInfo: (info: string) => void,
): Promise<JudgeVerdict> {
  const judge = config.judge;
  if (judge.kind === 'human') throw new Error('a person is the judge');
  const api = host.engine.api;
  // A plain copy crosses to the worker (the config may be reactive state).
  const annotator = judge.kind === 'simulated' ? ($state.snapshot(judge.annotator) as AnnotatorSpec) : null;
  const onnx = judge.kind === 'onnx' ? { id: judge.id, modelUrl: judge.modelUrl } : null;
  if (onnx) {
    const info = await host.judges.load(onnx);
    onInfo(`${info.name} (${info.kind}) on ${info.executionProvider}${info.fallbackReason ? `: ${info.fallbackReason}` : ''}`);
  }
  if (config.mode === 'pairwise') {
    if (!pair) throw new Error('no pair on screen');
    if (onnx) {
      const v = await host.judges.judgePair(onnx, pair.prompt, pair.left.text, pair.right.text);
      return { kind: 'pair', outcome: v.outcome, critique: v.critique };
    }
    // Indexed by the pair's draw, so the same pair gets the same verdict on replay.
    const v = await api.annotatePair(annotator!, pair.draw, pair.prompt, pair.left.text, pair.right.text);
    return { kind: 'pair', outcome: v.outcome, critique: v.critique };
  }
  if (!set) throw new Error('no candidates on screen');
  const texts = set.candidates.map((c) => c.text);
  const scores = onnx ? await host.judges.score(onnx, set.prompt, texts) : await api.annotateScores(annotator!, set.prompt, texts);
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
