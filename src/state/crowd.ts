/**
 * A crowd in one duel (a shared room, or a person beside automatic judges): who voted on which
 * pair, the pair to show next under overlap k, and the agreement between annotators. Derived
 * from the log only (annotators as `annotatorOf` names them), so every replica computes the
 * same numbers from the same log.
 */
import { personalTaste, tasteDifferences, type AxisTaste, type TastePair } from '../engine/learning/personal_taste';
import { principleFeatures } from '../engine/principles/index';
import { agreementReport, type AgreementReport, type Annotation } from '../engine/stats/agreement/index';
import { annotatorOf, effectiveEvents, votesToPreferencePairs, type SessionEvent } from '../session/index';
import { preferenceRow, type PreferenceRow } from './preference_rows';

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

export interface PersonTaste {
  annotator: string;
  /** Decisive comparisons the fit used (a ranking of k gives k(k−1)/2). */
  pairs: number;
  /** The fit per axis, strongest first. */
  taste: AxisTaste[];
  /** The same as the person's "what you seem to prefer" rows, in words. */
  rows: PreferenceRow[];
}

export interface TasteDifference {
  axis: string;
  axisLabel: string;
  /** w_a − w_b in reward per spread, and its z (the difference over its Laplace std). */
  difference: number;
  z: number;
  /** Which way each person leans on the axis, in words. */
  leaningA: string;
  leaningB: string;
}

export interface PersonalTastes {
  people: PersonTaste[];
  /** Every two people, with the axes where their tastes differ (|z| > 1.96), largest first. */
  differences: { a: string; b: string; axes: TasteDifference[] }[];
}

/**
 * Principle features of a text are pure: keep them across log changes (a crowd panel refits on
 * every vote). Bounded: past the cap the cache starts again.
 */
const FEATURE_CACHE_CAP = 4096;
const featureCache = new Map<string, Float64Array>();
function cachedFeatures(text: string): Float64Array {
  let f = featureCache.get(text);
  if (f === undefined) {
    if (featureCache.size >= FEATURE_CACHE_CAP) featureCache.clear();
    f = principleFeatures(text);
    featureCache.set(text, f);
  }
  return f;
}

/**
 * Each annotator's taste on the style principles from their own decisive votes in this duel
 * (`fitTaste`: a principle-only Bayesian logistic model per person with a Laplace interval,
 * beside the pooled reward model, which reads all votes), and where two of them differ. Ties
 * and "both bad" carry no direction; a re-vote on a prompt replaces that person's earlier one.
 * Statements and critiques are not split by person: the pooled panel takes them.
 */
export function personalTastes(events: readonly SessionEvent[], cellId: string): PersonalTastes {
  const byAnnotator = new Map<string, Map<string, { voteSeq: number; pairs: TastePair[] }>>();
  for (const pair of votesToPreferencePairs(events, { cellId })) {
    const prompts = byAnnotator.get(pair.judge) ?? new Map<string, { voteSeq: number; pairs: TastePair[] }>();
    byAnnotator.set(pair.judge, prompts);
    const current = prompts.get(pair.promptId);
    const entry = current === undefined || current.voteSeq < pair.voteSeq ? { voteSeq: pair.voteSeq, pairs: [] } : current;
    prompts.set(pair.promptId, entry);
    if (entry.voteSeq === pair.voteSeq) entry.pairs.push({ chosen: pair.chosen, rejected: pair.rejected });
  }
  const people = [...byAnnotator.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([annotator, prompts]) => {
      const pairs = [...prompts.values()].flatMap((p) => p.pairs);
      const taste = personalTaste(pairs, cachedFeatures);
      return { annotator, pairs: pairs.length, taste, rows: taste.map((t) => preferenceRow({ ...t, stated: null })) };
    });
  const differences: PersonalTastes['differences'] = [];
  for (let i = 0; i < people.length; i++) {
    for (let j = i + 1; j < people.length; j++) {
      const [a, b] = [people[i]!, people[j]!];
      const rowA = new Map(a.rows.map((r) => [r.axis, r]));
      const rowB = new Map(b.rows.map((r) => [r.axis, r]));
      const axes = tasteDifferences(a.taste, b.taste).map(({ axis, difference, z }) => ({
        axis,
        axisLabel: rowA.get(axis)!.axisLabel,
        difference,
        z,
        leaningA: rowA.get(axis)!.leaning,
        leaningB: rowB.get(axis)!.leaning,
      }));
      differences.push({ a: a.annotator, b: b.annotator, axes });
    }
  }
  return { people, differences };
}
