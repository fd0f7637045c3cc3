/**
 * Bradley–Terry fitted the way Chatbot Arena fits it, on aggregated counts.
 *
 * Scale. Arena fits a logistic regression whose features are ±ln 10, so the coefficient θ_i
 * is a base-10 log-strength: P(i beats j) = 1/(1 + 10^(θ_j − θ_i)), and the reported rating is
 * R_i = 400·θ_i + 1000, i.e. P(i beats j) = 1/(1 + 10^((R_j − R_i)/400)). Strengths are only
 * defined up to a common shift; ratings are reported mean-centred at 1000 unless an anchor
 * (Arena pins one model, e.g. mixtral-8x7b-instruct at 1114) says otherwise.
 *
 * Solvers.
 * - `newton`: full Newton (IRLS for the logistic case) on the per-pair counts, with a tiny L2
 *   penalty (λ/2)·Σθ² so the Hessian is invertible and the shift is fixed. With λ = 1e-6
 *   the bias on real data is far below reporting precision. O(pairs + n³) per iteration.
 * - `mm`: Hunter's (2004) minorise–maximise updates, O(pairs) per iteration and no matrix, for
 *   many competitors with sparse comparisons. Davidson and Rao–Kupper use the analogous
 *   minorisations (AM–GM for Davidson's √(π_iπ_j) term).
 * Both accept "ghost games": g/2 wins and g/2 losses of every competitor against a virtual
 * opponent fixed at θ = 0, a proper prior that keeps undefeated competitors finite.
 */
import { foldPairs, identifiabilityWarnings, type BattleCounts, type BothBadPolicy, type PairTable } from './counts';
import { robustCholesky, choleskySolveInPlace } from './linalg';
import {
  newPairDerivatives,
  outcomeProbabilities,
  pairDerivatives,
  sigmoid,
  tieParameterFromTau,
  type PairDerivatives,
  type TieModel,
} from './tie_models';

export const LN10 = Math.LN10;
export const ARENA_SCALE = 400;
export const ARENA_INITIAL_RATING = 1000;

export type BradleyTerrySolver = 'auto' | 'newton' | 'mm';

export interface RatingAnchor {
  /** Competitor whose rating is pinned. */
  readonly name: string;
  readonly rating: number;
}

export interface BradleyTerryOptions {
  /** How ties are modelled (default `half`, Arena's). */
  ties?: TieModel;
  /** Whether "both bad" enters the fit as a tie (default, as Arena) or is left out. */
  bothBad?: BothBadPolicy;
  /** `auto` (default): Newton up to 500 competitors, MM beyond. */
  solver?: BradleyTerrySolver;
  /** L2 penalty λ on θ (base-10 log-strengths) for Newton. Default 1e-6. Ignored by MM. */
  l2?: number;
  /** Ghost games per competitor against a virtual θ = 0 opponent (default 0; see module doc). */
  ghostGames?: number;
  maxIterations?: number;
  /** Convergence: largest change in θ (base-10 units) below this. Default 1e-10 (Newton), 1e-9 (MM). */
  tolerance?: number;
  /** Rating points per base-10 unit of strength (default 400). */
  scale?: number;
  /** Rating of the mean competitor when there is no anchor (default 1000). */
  initialRating?: number;
  /** Pin one competitor's rating instead of mean-centring. */
  anchor?: RatingAnchor;
  /** Warm start (θ in base-10 units, τ as in `tie_models`). */
  init?: { theta?: ArrayLike<number>; tau?: number };
}

export interface BradleyTerryFit {
  readonly names: readonly string[];
  readonly tieModel: TieModel;
  readonly solver: 'newton' | 'mm';
  /** Base-10 log-strengths in the reporting convention (mean 0, or shifted to the anchor). */
  readonly theta: Float64Array;
  /** scale·θ + initialRating. */
  readonly ratings: Float64Array;
  readonly scale: number;
  readonly initialRating: number;
  readonly anchor: RatingAnchor | null;
  /** Internal tie parameter τ: ln ν (Davidson), ln θ (Rao–Kupper), 0 (half). */
  readonly tau: number;
  /** ν (Davidson) or θ (Rao–Kupper); null under `half`. */
  readonly tieParameter: number | null;
  /** Unpenalised log-likelihood at the fit (a pseudo-likelihood under `half`). */
  readonly logLikelihood: number;
  readonly iterations: number;
  readonly converged: boolean;
  /** Battles that entered the fit (both-bad excluded under `bothBad: 'exclude'`). */
  readonly battles: number;
  readonly warnings: readonly string[];
}

interface RawSolution {
  theta: Float64Array;
  tau: number;
  logLikelihood: number;
  iterations: number;
  converged: boolean;
}

interface ResolvedOptions {
  model: TieModel;
  l2: number;
  ghost: number;
  maxIterations: number;
  tolerance: number;
  /** Whether τ is a free parameter (a tie model with at least one tie in the data). */
  freeTau: boolean;
  /** τ used when not free: −∞ for Davidson (ν = 0), 0 for Rao–Kupper (θ = 1). */
  fixedTau: number;
}

/** Fit Bradley–Terry to aggregated battles. */
export function fitBradleyTerry(counts: BattleCounts, opts: BradleyTerryOptions = {}): BradleyTerryFit {
  const table = foldPairs(counts, opts.bothBad ?? 'tie');
  return fitPairTable(table, counts.names, opts);
}

/** Fit on an already folded table (used by the bootstrap and by selection code). */
export function fitPairTable(table: PairTable, names: readonly string[], opts: BradleyTerryOptions = {}): BradleyTerryFit {
  if (names.length !== table.n) throw new Error(`fitPairTable: ${names.length} names for ${table.n} competitors`);
  const model = opts.ties ?? 'half';
  const warnings = identifiabilityWarnings(table, names);
  let totalTies = 0;
  let battles = 0;
  for (let p = 0; p < table.i.length; p++) {
    totalTies += table.ties[p]!;
    battles += table.wins[p]! + table.losses[p]! + table.ties[p]!;
  }
  const solverChoice = opts.solver ?? 'auto';
  const solver: 'newton' | 'mm' = solverChoice === 'auto' ? (table.n <= 500 ? 'newton' : 'mm') : solverChoice;
  let ghost = opts.ghostGames ?? 0;
  if (solver === 'mm' && ghost === 0 && warnings.length > 0 && table.n > 0) {
    // MM has no L2 term: without a prior an undefeated competitor's strength runs to infinity
    // and the iteration produces NaN. One hundredth of a game is negligible elsewhere.
    ghost = 0.01;
    warnings.push('MM solver: added 0.01 ghost games per competitor because the maximum-likelihood ratings do not all exist');
  }
  const freeTau = model !== 'half' && totalTies > 0;
  if (model !== 'half' && totalTies === 0 && battles > 0) {
    warnings.push(`no ties in the data: the ${model} tie parameter is at its boundary (${model === 'davidson' ? 'ν = 0' : 'θ = 1'})`);
  }
  const resolved: ResolvedOptions = {
    model,
    l2: opts.l2 ?? 1e-6,
    ghost,
    maxIterations: opts.maxIterations ?? (solver === 'newton' ? 200 : 20000),
    tolerance: opts.tolerance ?? (solver === 'newton' ? 1e-10 : 1e-9),
    freeTau,
    fixedTau: model === 'davidson' ? -Infinity : 0,
  };
  if (!(resolved.l2 >= 0) || !(resolved.ghost >= 0)) throw new RangeError('l2 and ghostGames must be ≥ 0');
  const raw = solver === 'newton' ? solveNewton(table, resolved, opts.init) : solveMM(table, resolved, opts.init);
  if (!raw.converged) warnings.push(`${solver} solver stopped after ${raw.iterations} iterations without converging`);
  const scale = opts.scale ?? ARENA_SCALE;
  const initialRating = opts.initialRating ?? ARENA_INITIAL_RATING;
  const anchor = opts.anchor ?? null;
  const theta = anchorTheta(raw.theta, names, anchor, scale, initialRating);
  const ratings = new Float64Array(theta.length);
  for (let k = 0; k < theta.length; k++) ratings[k] = scale * theta[k]! + initialRating;
  return {
    names: [...names],
    tieModel: model,
    solver,
    theta,
    ratings,
    scale,
    initialRating,
    anchor,
    tau: raw.tau,
    tieParameter: model === 'half' ? null : freeTau ? tieParameterFromTau(model, raw.tau) : model === 'davidson' ? 0 : 1,
    logLikelihood: raw.logLikelihood,
    iterations: raw.iterations,
    converged: raw.converged,
    battles,
    warnings,
  };
}

/**
 * Shift θ into the reporting convention: mean 0 without an anchor, or such that
 * scale·θ_anchor + initialRating = anchor.rating.
 */
export function anchorTheta(
  raw: ArrayLike<number>,
  names: readonly string[],
  anchor: RatingAnchor | null,
  scale: number,
  initialRating: number,
): Float64Array {
  const n = raw.length;
  const theta = Float64Array.from(raw);
  let shift: number;
  if (anchor) {
    const k = names.indexOf(anchor.name);
    if (k < 0) throw new Error(`anchor "${anchor.name}" is not a competitor`);
    shift = (anchor.rating - initialRating) / scale - theta[k]!;
  } else {
    let mean = 0;
    for (let k = 0; k < n; k++) mean += theta[k]!;
    shift = n > 0 ? -mean / n : 0;
  }
  for (let k = 0; k < n; k++) theta[k]! += shift;
  return theta;
}

function initialTau(table: PairTable, model: TieModel): number {
  let t = 0;
  let total = 0;
  for (let p = 0; p < table.i.length; p++) {
    t += table.ties[p]!;
    total += table.wins[p]! + table.losses[p]! + table.ties[p]!;
  }
  const f = Math.min(0.98, Math.max(0.02, total > 0 ? t / total : 0.1));
  // Values that reproduce the observed tie rate between equal competitors.
  if (model === 'davidson') return Math.log((2 * f) / (1 - f));
  if (model === 'rao-kupper') return Math.log((1 + f) / (1 - f));
  return 0;
}

/** Penalised objective and (optionally) gradient/Hessian over x = (θ_0…θ_{n−1}, τ?). */
function evaluate(
  table: PairTable,
  o: ResolvedOptions,
  theta: Float64Array,
  tau: number,
  grad: Float64Array | null,
  hess: Float64Array | null,
  scratch: PairDerivatives,
): { objective: number; logLikelihood: number } {
  const n = table.n;
  const m = o.freeTau ? n + 1 : n;
  if (grad) grad.fill(0);
  if (hess) hess.fill(0);
  let ll = 0;
  const a = LN10;
  const a2 = a * a;
  for (let p = 0; p < table.i.length; p++) {
    const w = table.wins[p]!;
    const l = table.losses[p]!;
    const t = table.ties[p]!;
    if (w + l + t === 0) continue;
    const i = table.i[p]!;
    const j = table.j[p]!;
    const d = a * (theta[i]! - theta[j]!);
    pairDerivatives(o.model, d, tau, w, l, t, scratch);
    ll += scratch.ll;
    if (grad && hess) {
      grad[i]! += a * scratch.gd;
      grad[j]! -= a * scratch.gd;
      const h = a2 * scratch.hdd;
      hess[i * m + i]! += h;
      hess[j * m + j]! += h;
      hess[i * m + j]! -= h;
      hess[j * m + i]! -= h;
      if (o.freeTau) {
        grad[n]! += scratch.gt;
        const hit = a * scratch.hdt;
        hess[i * m + n]! += hit;
        hess[n * m + i]! += hit;
        hess[j * m + n]! -= hit;
        hess[n * m + j]! -= hit;
        hess[n * m + n]! += scratch.htt;
      }
    }
  }
  let objective = ll;
  if (o.ghost > 0) {
    const half = 0.5 * o.ghost;
    for (let k = 0; k < n; k++) {
      const d = a * theta[k]!;
      pairDerivatives('half', d, 0, half, half, 0, scratch);
      objective += scratch.ll;
      if (grad && hess) {
        grad[k]! += a * scratch.gd;
        hess[k * m + k]! += a2 * scratch.hdd;
      }
    }
  }
  if (o.l2 > 0) {
    for (let k = 0; k < n; k++) {
      const th = theta[k]!;
      objective -= 0.5 * o.l2 * th * th;
      if (grad && hess) {
        grad[k]! -= o.l2 * th;
        hess[k * m + k]! -= o.l2;
      }
    }
  }
  return { objective, logLikelihood: ll };
}

function solveNewton(table: PairTable, o: ResolvedOptions, init: BradleyTerryOptions['init']): RawSolution {
  const n = table.n;
  const m = o.freeTau ? n + 1 : n;
  const theta = new Float64Array(n);
  if (init?.theta) for (let k = 0; k < n; k++) theta[k] = init.theta[k] ?? 0;
  if (o.ghost === 0 && n > 0) {
    let mean = 0;
    for (let k = 0; k < n; k++) mean += theta[k]!;
    for (let k = 0; k < n; k++) theta[k]! -= mean / n;
  }
  let tau = o.freeTau ? (init?.tau !== undefined && Number.isFinite(init.tau) ? init.tau : initialTau(table, o.model)) : o.fixedTau;
  if (o.model === 'rao-kupper' && o.freeTau && !(tau > 0)) tau = initialTau(table, o.model);
  const grad = new Float64Array(m);
  const hess = new Float64Array(m * m);
  const negH = new Float64Array(m * m);
  const step = new Float64Array(m);
  const trialTheta = new Float64Array(n);
  const scratch = newPairDerivatives();
  let current = evaluate(table, o, theta, tau, grad, hess, scratch);
  let converged = false;
  let iterations = 0;
  if (n === 0) return { theta, tau, logLikelihood: 0, iterations: 0, converged: true };
  for (let it = 1; it <= o.maxIterations; it++) {
    iterations = it;
    for (let k = 0; k < m * m; k++) negH[k] = -hess[k]!;
    if (o.ghost === 0) {
      // The likelihood is flat along the common shift of θ, so −H is singular up to λ (≈1e-6
      // against curvatures of order N). Adding c·uuᵀ (u = 1/√n on the θ block) makes the system
      // well conditioned without changing the step: the gradient has no u-component because
      // Σθ = 0 stays exact at the penalised optimum's path (Σ_i ∂ℓ/∂θ_i = 0, λ·Σθ = 0).
      let c = 0;
      for (let k = 0; k < n; k++) c += negH[k * m + k]!;
      c = c > 0 ? c / n / n : 1 / n;
      for (let r = 0; r < n; r++) for (let q = 0; q < n; q++) negH[r * m + q]! += c;
    }
    const { factor } = robustCholesky(negH, m);
    step.set(grad);
    choleskySolveInPlace(factor, m, step);
    // Backtracking line search on the penalised objective (monotone ascent); for Rao–Kupper
    // it also keeps η = ln θ strictly positive.
    let s = 1;
    let accepted = false;
    let trialTau = tau;
    let trial = current;
    for (let tries = 0; tries < 60; tries++) {
      for (let k = 0; k < n; k++) trialTheta[k] = theta[k]! + s * step[k]!;
      trialTau = o.freeTau ? tau + s * step[n]! : tau;
      if (o.model === 'rao-kupper' && o.freeTau && !(trialTau > 0)) {
        s *= 0.5;
        continue;
      }
      trial = evaluate(table, o, trialTheta, trialTau, null, null, scratch);
      if (Number.isFinite(trial.objective) && trial.objective >= current.objective - 1e-12 * Math.abs(current.objective)) {
        accepted = true;
        break;
      }
      s *= 0.5;
    }
    if (!accepted) break;
    let maxStep = 0;
    for (let k = 0; k < m; k++) maxStep = Math.max(maxStep, Math.abs(s * step[k]!));
    theta.set(trialTheta);
    tau = trialTau;
    current = evaluate(table, o, theta, tau, grad, hess, scratch);
    if (maxStep < o.tolerance) {
      converged = true;
      break;
    }
  }
  return { theta, tau, logLikelihood: current.logLikelihood, iterations, converged };
}

function solveMM(table: PairTable, o: ResolvedOptions, init: BradleyTerryOptions['init']): RawSolution {
  const n = table.n;
  const P = table.i.length;
  const pi = new Float64Array(n).fill(1);
  if (init?.theta) for (let k = 0; k < n; k++) pi[k] = Math.pow(10, init.theta[k] ?? 0);
  let tau = o.freeTau ? (init?.tau !== undefined && Number.isFinite(init.tau) ? init.tau : initialTau(table, o.model)) : o.fixedTau;
  // Numerators: the "wins" each competitor's strength must explain.
  const numer = new Float64Array(n);
  let totalTies = 0;
  for (let p = 0; p < P; p++) {
    const i = table.i[p]!;
    const j = table.j[p]!;
    const w = table.wins[p]!;
    const l = table.losses[p]!;
    const t = table.ties[p]!;
    totalTies += t;
    if (o.model === 'rao-kupper') {
      numer[i]! += w + t;
      numer[j]! += l + t;
    } else {
      numer[i]! += w + 0.5 * t;
      numer[j]! += l + 0.5 * t;
    }
  }
  const half = 0.5 * o.ghost;
  for (let k = 0; k < n; k++) numer[k]! += half;
  const denom = new Float64Array(n);
  const next = new Float64Array(n);
  const pairI = table.i;
  const pairJ = table.j;
  const pairTotal = new Float64Array(P);
  for (let p = 0; p < P; p++) pairTotal[p] = table.wins[p]! + table.losses[p]! + table.ties[p]!;
  const scratch = newPairDerivatives();
  let converged = false;
  let iterations = 0;
  for (let it = 1; it <= o.maxIterations; it++) {
    iterations = it;
    denom.fill(0);
    const nu = Math.exp(tau);
    const theta = o.model === 'rao-kupper' ? Math.exp(tau) : 0;
    if (o.model === 'half') {
      // The same sums as the general loop below, in the same order, with the pair totals
      // read once: the loop is all of a `half` fit, and 10,000 competitors make 10⁶ pairs.
      for (let p = 0; p < P; p++) {
        const nTot = pairTotal[p]!;
        if (nTot === 0) continue;
        const i = pairI[p]!;
        const j = pairJ[p]!;
        const inv = nTot / (pi[i]! + pi[j]!);
        denom[i]! += inv;
        denom[j]! += inv;
      }
    } else for (let p = 0; p < P; p++) {
      const i = table.i[p]!;
      const j = table.j[p]!;
      const w = table.wins[p]!;
      const l = table.losses[p]!;
      const t = table.ties[p]!;
      const nTot = w + l + t;
      if (nTot === 0) continue;
      const a = pi[i]!;
      const b = pi[j]!;
      if (o.model === 'davidson') {
        const root = Math.sqrt(a * b);
        const D = a + b + (o.freeTau ? nu * root : 0);
        const c = o.freeTau ? 0.5 * nu : 0;
        denom[i]! += (nTot * (1 + c * Math.sqrt(b / a))) / D;
        denom[j]! += (nTot * (1 + c * Math.sqrt(a / b))) / D;
      } else {
        const si = w + t;
        const sj = l + t;
        denom[i]! += si / (a + theta * b) + (theta * sj) / (theta * a + b);
        denom[j]! += sj / (theta * a + b) + (theta * si) / (a + theta * b);
      }
    }
    let maxChange = 0;
    for (let k = 0; k < n; k++) {
      const dk = denom[k]! + (o.ghost > 0 ? o.ghost / (pi[k]! + 1) : 0);
      next[k] = dk > 0 ? numer[k]! / dk : pi[k]!;
    }
    if (o.ghost === 0) {
      // No prior fixes the scale: renormalise to geometric mean 1 each step.
      let logMean = 0;
      let count = 0;
      for (let k = 0; k < n; k++) {
        if (next[k]! > 0) {
          logMean += Math.log(next[k]!);
          count++;
        }
      }
      const g = count > 0 ? Math.exp(logMean / count) : 1;
      for (let k = 0; k < n; k++) next[k] = next[k]! / g;
    }
    for (let k = 0; k < n; k++) {
      const change = Math.abs(Math.log10(next[k]!) - Math.log10(pi[k]!));
      if (Number.isFinite(change)) maxChange = Math.max(maxChange, change);
      else if (next[k] !== pi[k]) maxChange = Infinity;
      pi[k] = next[k]!;
    }
    if (o.freeTau) {
      const before = tau;
      tau = updateTieParameterMM(table, o.model, pi, tau, totalTies, scratch);
      maxChange = Math.max(maxChange, Math.abs(tau - before));
    }
    if (maxChange < o.tolerance) {
      converged = true;
      break;
    }
  }
  const thetaOut = new Float64Array(n);
  for (let k = 0; k < n; k++) thetaOut[k] = Math.log10(pi[k]!);
  let ll = 0;
  for (let p = 0; p < P; p++) {
    const w = table.wins[p]!;
    const l = table.losses[p]!;
    const t = table.ties[p]!;
    if (w + l + t === 0) continue;
    const d = LN10 * (thetaOut[table.i[p]!]! - thetaOut[table.j[p]!]!);
    ll += pairDerivatives(o.model, d, tau, w, l, t, scratch).ll;
  }
  return { theta: thetaOut, tau, logLikelihood: ll, iterations, converged };
}

/** The tie parameter's MM/1-D update with strengths held fixed. */
function updateTieParameterMM(
  table: PairTable,
  model: TieModel,
  pi: Float64Array,
  tau: number,
  totalTies: number,
  scratch: PairDerivatives,
): number {
  const P = table.i.length;
  if (model === 'davidson') {
    // Tangent minorisation of −ln D in ν gives ν ← T / Σ N·√(π_iπ_j)/D.
    const nu = Math.exp(tau);
    let s = 0;
    for (let p = 0; p < P; p++) {
      const nTot = table.wins[p]! + table.losses[p]! + table.ties[p]!;
      if (nTot === 0) continue;
      const a = pi[table.i[p]!]!;
      const b = pi[table.j[p]!]!;
      const root = Math.sqrt(a * b);
      s += (nTot * root) / (a + b + nu * root);
    }
    return s > 0 ? Math.log(totalTies / s) : tau;
  }
  // Rao–Kupper: the log-likelihood is concave in η = ln θ; a few safeguarded Newton steps.
  // Only ∂ℓ/∂η and ∂²ℓ/∂η² are needed: the same expressions as pairDerivatives('rao-kupper'),
  // in the same order (so the same bits), without its log-likelihood terms, and with
  // d = ln(π_i/π_j) computed once rather than in each of the five steps. At 600 competitors
  // this update was two thirds of the fit (node --cpu-prof: sigmoid, logSigmoid).
  const d = new Float64Array(P);
  for (let p = 0; p < P; p++) d[p] = Math.log(pi[table.i[p]!]! / pi[table.j[p]!]!);
  let eta = tau;
  for (let inner = 0; inner < 5; inner++) {
    const em = -Math.expm1(-2 * eta); // 1 − e^{−2η}
    const g1 = 2 / em;
    const g2 = (-4 * Math.exp(-2 * eta)) / (em * em);
    let g = 0;
    let h = 0;
    for (let p = 0; p < P; p++) {
      const w = table.wins[p]!;
      const l = table.losses[p]!;
      const t = table.ties[p]!;
      if (w + l + t === 0) continue;
      const a = sigmoid(d[p]! - eta);
      const b = sigmoid(-d[p]! - eta);
      const sw = w + t;
      const sl = l + t;
      const va = a * (1 - a);
      const vb = b * (1 - b);
      g += -sw * (1 - a) - sl * (1 - b) + t * (t !== 0 ? g1 : 0);
      h += -sw * va - sl * vb + t * (t !== 0 ? g2 : 0);
    }
    if (!(h < 0)) break;
    let stepEta = -g / h;
    while (eta + stepEta <= 0) stepEta *= 0.5;
    eta += stepEta;
    if (Math.abs(stepEta) < 1e-13) break;
  }
  return eta;
}

/** [P(i≻j), P(j≻i), P(tie)] under a fitted model (P(tie) = 0 under `half`). */
export function predictOutcome(fit: BradleyTerryFit, i: number, j: number): [number, number, number] {
  return outcomeProbabilities(fit.tieModel, LN10 * (fit.theta[i]! - fit.theta[j]!), fit.tau);
}

/** P(i beats j) = 1/(1 + 10^((R_j − R_i)/scale)) from two ratings. */
export function winProbability(ratingI: number, ratingJ: number, scale = ARENA_SCALE): number {
  return 1 / (1 + Math.pow(10, (ratingJ - ratingI) / scale));
}

