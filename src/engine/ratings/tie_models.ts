/**
 * Per-pair likelihoods of the three tie models, with first and second derivatives, written
 * in terms of the log-strength difference d = ln(π_i/π_j) = ln10·(θ_i − θ_j) and one tie
 * parameter τ. Everything else (Newton, sandwich, bootstrap) is built from these.
 *
 * - `half`:       P(i≻j) = σ(d); a tie counts as half a win for each side (Arena's practice,
 *                 a pseudo-likelihood: it predicts no ties). No tie parameter.
 * - `davidson`:   P(i≻j) = π_i/D, P(j≻i) = π_j/D, P(tie) = ν√(π_iπ_j)/D,
 *                 D = π_i + π_j + ν√(π_iπ_j) (Davidson 1970). τ = ln ν.
 *                 Dividing through by √(π_iπ_j) makes it a 3-way softmax of (d/2, −d/2, τ).
 * - `rao-kupper`: P(i≻j) = π_i/(π_i + θπ_j), P(tie) = (θ²−1)π_iπ_j/((π_i+θπ_j)(θπ_i+π_j)),
 *                 θ ≥ 1 (Rao & Kupper 1967). τ = η = ln θ ≥ 0, and P(i≻j) = σ(d − η).
 */

export type TieModel = 'half' | 'davidson' | 'rao-kupper';

export const TIE_MODELS: readonly TieModel[] = ['half', 'davidson', 'rao-kupper'];

/** Log-likelihood of one pair's counts and its derivatives in (d, τ). */
export interface PairDerivatives {
  ll: number;
  gd: number;
  gt: number;
  hdd: number;
  hdt: number;
  htt: number;
}

export function newPairDerivatives(): PairDerivatives {
  return { ll: 0, gd: 0, gt: 0, hdd: 0, hdt: 0, htt: 0 };
}

export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** ln σ(x), stable for large |x|. */
export function logSigmoid(x: number): number {
  return x >= 0 ? -Math.log1p(Math.exp(-x)) : x - Math.log1p(Math.exp(x));
}

/** c·ln p with the convention 0·ln 0 = 0 (a zero count contributes nothing). */
function cLog(c: number, lp: number): number {
  return c === 0 ? 0 : c * lp;
}

/**
 * Derivatives of ℓ = w·ln P(i≻j) + l·ln P(j≻i) + t·ln P(tie) for one pair. For `half`, ℓ is
 * the pseudo-likelihood (w + t/2)·ln σ(d) + (l + t/2)·ln σ(−d) and the τ entries are 0.
 */
export function pairDerivatives(
  model: TieModel,
  d: number,
  tau: number,
  w: number,
  l: number,
  t: number,
  out: PairDerivatives,
): PairDerivatives {
  if (model === 'half') {
    const s = w + 0.5 * t;
    const f = l + 0.5 * t;
    const nTot = s + f;
    const p = sigmoid(d);
    out.ll = cLog(s, logSigmoid(d)) + cLog(f, logSigmoid(-d));
    out.gd = s - nTot * p;
    out.gt = 0;
    out.hdd = -nTot * p * (1 - p);
    out.hdt = 0;
    out.htt = 0;
    return out;
  }
  if (model === 'davidson') {
    const uw = 0.5 * d;
    const ul = -0.5 * d;
    const mx = Math.max(uw, ul, tau);
    const ew = Math.exp(uw - mx);
    const el = Math.exp(ul - mx);
    const et = Math.exp(tau - mx);
    const sum = ew + el + et;
    const pw = ew / sum;
    const pl = el / sum;
    const pt = et / sum;
    const lse = mx + Math.log(sum);
    const nTot = w + l + t;
    out.ll = cLog(w, uw - lse) + cLog(l, ul - lse) + cLog(t, tau - lse);
    out.gd = 0.5 * (w - nTot * pw) - 0.5 * (l - nTot * pl);
    out.gt = t - nTot * pt;
    const diff = pw - pl;
    out.hdd = -nTot * (0.25 * (pw + pl) - 0.25 * diff * diff);
    out.hdt = 0.5 * nTot * diff * pt;
    out.htt = -nTot * pt * (1 - pt);
    return out;
  }
  // Rao–Kupper: ℓ = (w+t)·ln a + (l+t)·ln b + t·ln(e^{2η} − 1), a = σ(d−η), b = σ(−d−η).
  const eta = tau;
  const a = sigmoid(d - eta);
  const b = sigmoid(-d - eta);
  const sw = w + t;
  const sl = l + t;
  const va = a * (1 - a);
  const vb = b * (1 - b);
  let g = 0;
  let g1 = 0;
  let g2 = 0;
  if (t !== 0) {
    // g = ln(e^{2η} − 1), written with expm1(−2η) so large η does not overflow.
    const em = -Math.expm1(-2 * eta); // 1 − e^{−2η}
    g = 2 * eta + Math.log(em);
    g1 = 2 / em;
    g2 = (-4 * Math.exp(-2 * eta)) / (em * em);
  }
  out.ll = cLog(sw, logSigmoid(d - eta)) + cLog(sl, logSigmoid(-d - eta)) + cLog(t, g);
  out.gd = sw * (1 - a) - sl * (1 - b);
  out.gt = -sw * (1 - a) - sl * (1 - b) + t * g1;
  out.hdd = -sw * va - sl * vb;
  out.hdt = sw * va - sl * vb;
  out.htt = -sw * va - sl * vb + t * g2;
  return out;
}

/**
 * Model probabilities [P(i≻j), P(j≻i), P(tie)] at difference d and tie parameter τ.
 * Under `half` P(tie) is 0 (the model does not predict ties).
 */
export function outcomeProbabilities(model: TieModel, d: number, tau: number): [number, number, number] {
  if (model === 'half') {
    const p = sigmoid(d);
    return [p, 1 - p, 0];
  }
  if (model === 'davidson') {
    const uw = 0.5 * d;
    const ul = -0.5 * d;
    const mx = Math.max(uw, ul, tau);
    const ew = Math.exp(uw - mx);
    const el = Math.exp(ul - mx);
    const et = Math.exp(tau - mx);
    const sum = ew + el + et;
    return [ew / sum, el / sum, et / sum];
  }
  const pw = sigmoid(d - tau);
  const pl = sigmoid(-d - tau);
  return [pw, pl, Math.max(0, 1 - pw - pl)];
}

/** Davidson probabilities from strengths π_i, π_j and ν, in the textbook form (for tests and docs). */
export function davidsonProbabilities(piI: number, piJ: number, nu: number): [number, number, number] {
  const g = nu * Math.sqrt(piI * piJ);
  const den = piI + piJ + g;
  return [piI / den, piJ / den, g / den];
}

/** Rao–Kupper probabilities from strengths π_i, π_j and θ ≥ 1, in the textbook form. */
export function raoKupperProbabilities(piI: number, piJ: number, theta: number): [number, number, number] {
  if (!(theta >= 1)) throw new RangeError(`Rao–Kupper θ must be ≥ 1, got ${theta}`);
  const win = piI / (piI + theta * piJ);
  const loss = piJ / (theta * piI + piJ);
  const tie = ((theta * theta - 1) * piI * piJ) / ((piI + theta * piJ) * (theta * piI + piJ));
  return [win, loss, tie];
}

/** The tie parameter in its reported form: ν for Davidson, θ for Rao–Kupper, null for `half`. */
export function tieParameterFromTau(model: TieModel, tau: number): number | null {
  if (model === 'half') return null;
  return Math.exp(tau);
}

/** τ from the reported parameter (ν or θ). */
export function tauFromTieParameter(model: TieModel, value: number): number {
  if (model === 'half') return 0;
  return Math.log(value);
}
