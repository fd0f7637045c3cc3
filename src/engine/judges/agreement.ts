/**
 * How a judge's votes relate to position and to a person's votes.
 * - position consistency: share of pairs whose verdict is the same in both orders;
 * - first-position rate: share of decisive verdicts that went to the answer shown first
 *   (0.5 = no lean);
 * - agreement with a person: accuracy (share of identical labels) and Cohen's κ, the agreement
 *   beyond what the two label distributions give by chance: κ = (p_o − p_e) / (1 − p_e) with
 *   p_e = Σ_k p_judge(k) · p_person(k) (Cohen 1960).
 */
import type { JudgeOutcome } from '../annotators/annotator.ts';

/** One pair judged in both orders; both verdicts in a/b labels (not positions). */
export interface BothOrdersVerdicts {
  aFirst: JudgeOutcome;
  bFirst: JudgeOutcome;
}

export function positionConsistency(pairs: readonly BothOrdersVerdicts[]): number {
  if (pairs.length === 0) return Number.NaN;
  return pairs.filter((p) => p.aFirst === p.bFirst).length / pairs.length;
}

/** Share of decisive verdicts (over both orders) that chose the answer shown first. */
export function firstPositionRate(pairs: readonly BothOrdersVerdicts[]): number {
  let first = 0;
  let decisive = 0;
  for (const p of pairs) {
    if (p.aFirst === 'a' || p.aFirst === 'b') {
      decisive++;
      if (p.aFirst === 'a') first++;
    }
    if (p.bFirst === 'a' || p.bFirst === 'b') {
      decisive++;
      if (p.bFirst === 'b') first++;
    }
  }
  return decisive === 0 ? Number.NaN : first / decisive;
}

export interface KappaResult {
  /** Observed agreement p_o. */
  observed: number;
  /** Chance agreement p_e from the two marginal distributions. */
  expected: number;
  /** (p_o − p_e)/(1 − p_e); NaN when p_e = 1 (both always gave one and the same label: κ is undefined). */
  kappa: number;
}

export function cohensKappa<T>(x: readonly T[], y: readonly T[]): KappaResult {
  if (x.length !== y.length) throw new RangeError(`label lists differ in length (${x.length} vs ${y.length})`);
  const n = x.length;
  if (n === 0) return { observed: Number.NaN, expected: Number.NaN, kappa: Number.NaN };
  const cx = new Map<T, number>();
  const cy = new Map<T, number>();
  let same = 0;
  for (let i = 0; i < n; i++) {
    cx.set(x[i]!, (cx.get(x[i]!) ?? 0) + 1);
    cy.set(y[i]!, (cy.get(y[i]!) ?? 0) + 1);
    if (x[i] === y[i]) same++;
  }
  let expected = 0;
  for (const [k, c] of cx) expected += (c / n) * ((cy.get(k) ?? 0) / n);
  const observed = same / n;
  const kappa = expected === 1 ? Number.NaN : (observed - expected) / (1 - expected);
  return { observed, expected, kappa };
}

export interface PersonAgreement {
  n: number;
  accuracy: number;
  kappa: number;
  expected: number;
}

/** Agreement of a judge's verdicts with a person's, pair by pair (same order of pairs). */
export function agreementWithPerson(judge: readonly JudgeOutcome[], person: readonly JudgeOutcome[]): PersonAgreement {
  const k = cohensKappa(judge, person);
  return { n: judge.length, accuracy: k.observed, kappa: k.kappa, expected: k.expected };
}
