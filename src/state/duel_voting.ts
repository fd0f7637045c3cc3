/**
 * A duel's three voting modes and undo. A vote appends one intent to the log (a pairwise vote,
 * a ranking of the N candidates shown, or a thumb on one of them), after the `settings` event
 * the cells ask for; then the host's `learn()` sends it to the engine (one reduce request) and
 * the duel draws what comes next — except a pairwise vote, which draws the next pair first so the
 * person reads it while the engine learns. Undo appends an `undo` event and puts the pair or set
 * back on screen to vote again.
 *
 * Learning is not here: the engine's log reducer derives everything from the intents.
 */
import { appendEvents, HUMAN_JUDGE, lastUndoable, undoEvent, type NewSessionEvent, type PairOutcome } from '../session/index';
import type { DuelHost } from './duel_host';
import { syntheticAfter, type SyntheticStatus } from './duel_relabel';
import { pairFromLog, setFromLog, showSet, type DuelScreen } from './duel_screen';
import { moveInOrder, thumbsGiven } from './duel_sets';
import type { PairReason } from './duel_sources';
import { resolvePrompt } from './links';

/** Who casts a vote and why (a person's votes take the critique typed into the cell). */
export interface Voter {
  judge: string;
  critique?: string;
  /** Called once the vote is in the log, before the engine learns from it (seconds later). */
  onRecorded?: () => void;
}

/** Best-of-n against a plain sample, as judged in this duel since the page opened. */
export interface BestOfNTally {
  pickWins: number;
  sampleWins: number;
  /** Ties and "both bad". */
  ties: number;
}

/** What voting reads and writes on the duel (DuelState's public members). */
export interface VotingDuel extends DuelScreen {
  readonly canVote: boolean;
  readonly canJudgeSet: boolean;
  bestOfNTally: BestOfNTally;
  bestOfNNote: string | null;
  synthetic: SyntheticStatus | null;
  readonly runner: { stop(): void };
  next(): Promise<void>;
  cancel(): void;
}

/** The vote event's judge and critique (no critique field when there is none). */
function judgedBy(voter: Voter): { judge: string; critique?: string } {
  const critique = voter.critique ?? '';
  return { judge: voter.judge, ...(critique === '' ? {} : { critique }) };
}

/** Votes on what one duel has on screen. */
export class DuelVoting {
  constructor(
    private readonly cellId: string,
    private readonly duel: VotingDuel,
    private readonly host: Pick<DuelHost, 'session' | 'learn' | 'settingsEvents' | 'voterName' | 'defersSteps'>,
  ) {}

  /** Appends a vote, after the settings event the cells ask for; in a shared room a person's vote names its voter. */
  #append(vote: NewSessionEvent, voter: Voter): boolean {
    const name = voter.judge === HUMAN_JUDGE ? (this.host.voterName?.() ?? null) : null;
    const event = name !== null && vote.type === 'vote' ? { ...vote, voter: name } : vote;
    const ok = this.host.session.apply((doc) => appendEvents(doc, [...this.host.settingsEvents(), event]));
    if (ok) voter.onRecorded?.();
    return ok;
  }

  /** Logs a vote on the pair on screen, draws the next pair, then lets the engine learn from the vote. */
  async pair(outcome: PairOutcome, voter: Voter): Promise<boolean> {
    const duel = this.duel;
    const pair = duel.pair;
    if (!duel.canVote || !pair) return false;
    const ok = this.#append({
      type: 'vote',
      kind: 'pair',
      cellId: this.cellId,
      promptId: pair.promptId,
      a: pair.left.id,
      b: pair.right.id,
      outcome,
      shownOrder: [pair.left.id, pair.right.id],
      ...judgedBy(voter),
      ...(this.host.defersSteps?.() ? { deferSteps: true as const } : {}),
    }, voter);
    if (!ok) return false;
    duel.note = null;
    if (pair.reason?.kind === 'bestofn') {
      const tallied = tallyBestOfN(duel.bestOfNTally, pair.reason, outcome);
      duel.bestOfNTally = tallied.tally;
      duel.bestOfNNote = tallied.note;
    }
    // The next pair first, so the person never waits for training: it is drawn from the weights
    // as they are (on the CPU by the draw worker, from the trainer's last copied weights; the
    // candidates log the policy step that drew them), and the engine learns from this vote while
    // the person reads it. A vote cast while the trainer is still busy defers its steps (logged
    // as `deferSteps`); the catch-up `train` intent learns those votes in one step group.
    await duel.next();
    // One request: the engine reduces the vote (and relabels fresh pairs when the duel asks).
    const result = await this.host.learn();
    const synthetic = result && syntheticAfter(result, duel.synthetic);
    if (synthetic) duel.synthetic = synthetic;
    return true;
  }

  /** Rank mode: moves the candidate at position `from` of the ranking to position `to`. */
  move(from: number, to: number): void {
    if (!this.duel.canJudgeSet) return;
    this.duel.rankOrder = moveInOrder(this.duel.rankOrder, from, to);
  }

  /** Rank mode: logs the ranking on screen (best first), lets the engine learn, draws the next set. */
  async ranking(voter: Voter): Promise<boolean> {
    const duel = this.duel;
    const set = duel.set;
    if (!duel.canJudgeSet || !set) return false;
    const byId = new Map(set.candidates.map((c) => [c.id, c]));
    const order = duel.rankOrder;
    if (order.length !== set.candidates.length || !order.every((id) => byId.has(id))) return false;
    const ok = this.#append({ type: 'vote', kind: 'rank', cellId: this.cellId, promptId: set.promptId, order: [...order], ...judgedBy(voter) }, voter);
    if (!ok) return false;
    duel.note = null;
    duel.phase = 'learning';
    await this.host.learn();
    await duel.next();
    return true;
  }

  /** Thumbs mode: logs a thumb on one candidate; once every candidate has one, draws the next set. */
  async thumb(candidateId: string, up: boolean, voter: Voter): Promise<boolean> {
    const duel = this.duel;
    const set = duel.set;
    if (!duel.canJudgeSet || !set || candidateId in duel.thumbs) return false;
    const candidate = set.candidates.find((c) => c.id === candidateId);
    if (!candidate) return false;
    const ok = this.#append({ type: 'vote', kind: 'thumbs', cellId: this.cellId, promptId: set.promptId, candidate: candidateId, up, ...judgedBy(voter) }, voter);
    if (!ok) return false;
    duel.thumbs = { ...duel.thumbs, [candidateId]: up };
    // A person's critique is about the candidate just rated: the next one starts blank.
    if (voter.judge === 'human') duel.critique = '';
    duel.note = null;
    duel.phase = 'learning';
    await this.host.learn();
    if (duel.set !== set) return true;
    if (set.candidates.every((c) => c.id in duel.thumbs)) await duel.next();
    else duel.phase = 'ready';
    return true;
  }

  /**
   * Undoes the last vote of this duel (an `undo` event: the log stays append-only) and puts
   * that pair back on screen to vote again. The engine then reduces the log without it: the
   * weights are restored from the checkpoint before the vote (see LogReducer).
   */
  undo(): boolean {
    const duel = this.duel;
    const session = this.host.session;
    if (duel.phase === 'learning') return false;
    const last = lastUndoable(session.doc.events, this.cellId);
    if (!last || last.type !== 'vote') return false;
    const resolved = resolvePrompt(session.doc.events, last.promptId, last.seq);
    if (!session.apply((doc) => undoEvent(doc, last.seq, this.cellId))) return false;
    void this.host.learn();
    // The person takes over what is on screen: an automatic judge would vote on it again at once.
    duel.runner.stop();
    duel.cancel();
    duel.pair = null;
    duel.set = null;
    const events = session.doc.events;
    if (last.kind === 'pair') {
      const pair = resolved ? pairFromLog(events, resolved.candidates, last.shownOrder) : null;
      duel.pair = pair;
      duel.phase = pair ? 'ready' : 'idle';
    } else {
      const set = resolved ? setFromLog(events, resolved.candidates) : null;
      if (set) showSet(duel, set, last.kind === 'rank' ? last.order : undefined, thumbsGiven(events, this.cellId, set.promptId));
      else duel.phase = 'idle';
    }
    duel.critique = last.critique ?? '';
    duel.note = 'Vote undone: it is out of the log’s datasets and ratings, and the weights are back to where they were before it.';
    return true;
  }
}

/** Reveals which side was the reward model's pick and counts whether the judge agreed. */
export function tallyBestOfN(
  tally: BestOfNTally,
  reason: Extract<PairReason, { kind: 'bestofn' }>,
  outcome: PairOutcome,
): { tally: BestOfNTally; note: string } {
  const pickLetter = reason.pickSide === 'left' ? 'A' : 'B';
  const pickOutcome = reason.pickSide === 'left' ? 'a' : 'b';
  const t = tally;
  const fmt = (r: { reward: number; std: number }) => `${r.reward.toFixed(2)} ± ${r.std.toFixed(2)}`;
  let next: BestOfNTally;
  let verdict: string;
  if (outcome === 'a' || outcome === 'b') {
    const pickWon = outcome === pickOutcome;
    next = { ...t, pickWins: t.pickWins + (pickWon ? 1 : 0), sampleWins: t.sampleWins + (pickWon ? 0 : 1) };
    verdict = pickWon ? 'the judge preferred it' : 'the judge preferred the plain sample';
  } else {
    next = { ...t, ties: t.ties + 1 };
    verdict = outcome === 'tie' ? 'the judge called it a tie' : 'the judge found both bad';
  }
  const note = `Last pair: ${pickLetter} was the reward model’s best of ${reason.n} (reward ${fmt(reason.pick)}; the plain sample ${fmt(reason.sample)}), and ${verdict}.`;
  return { tally: next, note };
}
