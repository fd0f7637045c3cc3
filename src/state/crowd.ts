/**
 * A crowd in one duel (a shared room, or a person beside automatic judges): who voted on which
 * pair, the pair to show next under overlap k, and the agreement between annotators. Derived
 * from the log only (annotators as `annotatorOf` names them), so every replica computes the
 * same numbers from the same log.
 */
import { agreementReport, type AgreementReport, type Annotation } from '../engine/stats/agreement/index';
import { annotatorOf, effectiveEvents, type SessionEvent } from '../session/index';

type CandidatesEvent = Extract<SessionEvent, { type: 'candidates' }>;

export interface CrowdPair {
  candidates: CandidatesEvent;
  /** Annotator → label on the pair's canonical order (the candidates as logged: `a` is the first). */
  labels: Map<string, string>;
}

/**
 * The pairwise items of a duel in log order, each with its effective votes (undone ones left
 * out; a second vote by the same annotator replaces the first). Labels are on the logged order
 * of the two candidates, whichever side each annotator saw them on.
 */
export function crowdPairs(events: readonly SessionEvent[], cellId: string): CrowdPair[] {
  const byPrompt = new Map<string, CrowdPair>();
  for (const event of effectiveEvents(events)) {
    if (event.cellId !== cellId) continue;
    if (event.type === 'candidates' && event.candidates.length === 2) byPrompt.set(event.promptId, { candidates: event, labels: new Map() });
    if (event.type !== 'vote' || event.kind !== 'pair') continue;
    const pair = byPrompt.get(event.promptId);
    if (!pair) continue;
    const [first, second] = pair.candidates.candidates.map((c) => c.id) as [string, string];
    const straight = event.a === first && event.b === second;
    const swapped = event.a === second && event.b === first;
    if (!straight && !swapped) continue;
    const label = event.outcome === 'a' ? (straight ? 'a' : 'b') : event.outcome === 'b' ? (straight ? 'b' : 'a') : event.outcome;
    pair.labels.set(annotatorOf(event), label);
  }
  return [...byPrompt.values()];
}

/**
 * Under overlap k: the oldest pair that one to k−1 annotators voted on and `me` did not, so it
 * is shown again until k annotators have voted on it; null when none (draw a fresh pair, so
 * nobody waits for overlap).
 */
export function pairNeedingVotes(events: readonly SessionEvent[], cellId: string, k: number, me: string): CandidatesEvent | null {
  if (k <= 1) return null;
  for (const pair of crowdPairs(events, cellId)) {
    const n = pair.labels.size;
    if (n >= 1 && n < k && !pair.labels.has(me)) return pair.candidates;
  }
  return null;
}

export interface CrowdAgreement {
  /** Pairs voted on by two or more annotators. */
  sharedPairs: number;
  annotators: string[];
  report: AgreementReport;
}

/** Bootstrap replicates for the live α interval: enough for a 95 % interval, cheap per vote. */
export const LIVE_BOOTSTRAP_ROUNDS = 200;

/**
 * Agreement among the duel's annotators on the pairs two or more of them voted on: nominal
 * α over A / B / tie / both bad with an item-bootstrap interval, ordinal α (B < tie < A), and
 * Cohen's κ for each pair of annotators. Null until two annotators share a pair.
 */
export function crowdAgreement(events: readonly SessionEvent[], cellId: string): CrowdAgreement | null {
  const shared = crowdPairs(events, cellId).filter((p) => p.labels.size >= 2);
  if (shared.length === 0) return null;
  const annotations: Annotation[] = [];
  for (const pair of shared) for (const [annotator, label] of pair.labels) annotations.push({ item: pair.candidates.promptId, annotator, label });
  const report = agreementReport(annotations, { bootstrapRounds: LIVE_BOOTSTRAP_ROUNDS, seed: 0 });
  const annotators = [...new Set(annotations.map((a) => a.annotator))].sort();
  return { sharedPairs: shared.length, annotators, report };
}
