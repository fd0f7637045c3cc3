/**
 * Textbook peers for the CPU cases that have no onnxruntime counterpart, written plainly here
 * (not shared with the engine) so that they are an independent yardstick:
 * - per-battle Bradley–Terry: Newton–Raphson logistic regression with one term per battle,
 *   the model Chatbot Arena fits (with scikit-learn) on one row per battle, without our
 *   aggregation into pair counts;
 * - batch reward model: one L2-regularised logistic regression on standardised feature
 *   differences fitted to convergence by Newton (IRLS), what a from-scratch refit of a single
 *   linear Bradley–Terry reward would do.
 */

/** In-place Cholesky of a symmetric positive-definite m×m matrix (lower triangle). */
function cholesky(a: Float64Array, m: number): void {
  for (let j = 0; j < m; j++) {
    let d = a[j * m + j];
    for (let k = 0; k < j; k++) d -= a[j * m + k] * a[j * m + k];
    if (!(d > 0)) throw new Error('baseline: matrix is not positive definite');
    const l = Math.sqrt(d);
    a[j * m + j] = l;
    for (let i = j + 1; i < m; i++) {
      let s = a[i * m + j];
      for (let k = 0; k < j; k++) s -= a[i * m + k] * a[j * m + k];
      a[i * m + j] = s / l;
    }
  }
}

/** Solves (L Lᵀ) x = b in place given the Cholesky factor L. */
function cholSolve(l: Float64Array, m: number, b: Float64Array): void {
  for (let i = 0; i < m; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= l[i * m + k] * b[k];
    b[i] = s / l[i * m + i];
  }
  for (let i = m - 1; i >= 0; i--) {
    let s = b[i];
    for (let k = i + 1; k < m; k++) s -= l[k * m + i] * b[k];
    b[i] = s / l[i * m + i];
  }
}

/**
 * Per-battle Bradley–Terry by Newton: maximises Σ y·log σ(θa−θb) + (1−y)·log σ(θb−θa) over
 * every battle (y = 1 A won, 0 B won, ½ tie or both bad), with ridge `l2` on θ (natural log
 * units). Returns Arena-scale ratings (400·θ/ln 10, mean 1000).
 */
export function perBattleBradleyTerry(
  n: number,
  modelA: Int32Array,
  modelB: Int32Array,
  outcome: Uint8Array,
  opts: { l2?: number; tol?: number; maxIter?: number } = {},
): { ratings: Float64Array; iterations: number } {
  const l2 = opts.l2 ?? 1e-6;
  const tol = opts.tol ?? 1e-10;
  const maxIter = opts.maxIter ?? 100;
  const theta = new Float64Array(n);
  const g = new Float64Array(n);
  const H = new Float64Array(n * n);
  let it = 0;
  for (; it < maxIter; it++) {
    g.fill(0);
    H.fill(0);
    for (let t = 0; t < modelA.length; t++) {
      const a = modelA[t];
      const b = modelB[t];
      const o = outcome[t];
      const y = o === 0 ? 1 : o === 1 ? 0 : 0.5;
      const p = 1 / (1 + Math.exp(theta[b] - theta[a]));
      const r = y - p;
      const w = p * (1 - p);
      g[a] += r;
      g[b] -= r;
      H[a * n + a] += w;
      H[b * n + b] += w;
      H[a * n + b] -= w;
      H[b * n + a] -= w;
    }
    for (let i = 0; i < n; i++) {
      g[i] -= l2 * theta[i];
      H[i * n + i] += l2;
    }
    cholesky(H, n);
    cholSolve(H, n, g);
    // Convergence ignores the common shift of all θ (the likelihood does not see it; only the
    // tiny ridge pins it, so rounding noise lives there).
    let gMean = 0;
    for (let i = 0; i < n; i++) gMean += g[i] / n;
    let step = 0;
    for (let i = 0; i < n; i++) {
      theta[i] += g[i];
      step = Math.max(step, Math.abs(g[i] - gMean));
    }
    if (step < tol) {
      it++;
      break;
    }
  }
  let mean = 0;
  for (let i = 0; i < n; i++) mean += theta[i] / n;
  const ratings = new Float64Array(n);
  for (let i = 0; i < n; i++) ratings[i] = (400 * (theta[i] - mean)) / Math.LN10 + 1000;
  return { ratings, iterations: it };
}

/**
 * Batch linear Bradley–Terry reward: standardise all feature vectors with the batch mean and
 * std, then Newton on the L2-regularised logistic loss of x = z(chosen) − z(rejected).
 * Returns a scorer r(x) = w·z(x).
 */
export function batchRewardModel(
  pairs: readonly { a: ArrayLike<number>; b: ArrayLike<number>; aWins: boolean }[],
  dim: number,
  opts: { l2?: number; tol?: number; maxIter?: number } = {},
): { reward: (x: ArrayLike<number>) => number; iterations: number } {
  const l2 = opts.l2 ?? 1e-2;
  const tol = opts.tol ?? 1e-8;
  const maxIter = opts.maxIter ?? 50;
  const mean = new Float64Array(dim);
  const sq = new Float64Array(dim);
  const count = pairs.length * 2;
  for (const p of pairs) {
    for (const v of [p.a, p.b]) {
      for (let j = 0; j < dim; j++) {
        mean[j] += v[j] / count;
        sq[j] += (v[j] * v[j]) / count;
      }
    }
  }
  const inv = new Float64Array(dim);
  for (let j = 0; j < dim; j++) inv[j] = 1 / Math.sqrt(Math.max(sq[j] - mean[j] * mean[j], 1e-12));
  const m = pairs.length;
  const X = new Float64Array(m * dim);
  pairs.forEach((p, i) => {
    const sign = p.aWins ? 1 : -1; // chosen − rejected
    for (let j = 0; j < dim; j++) X[i * dim + j] = sign * (p.a[j] - p.b[j]) * inv[j];
  });
  const w = new Float64Array(dim);
  const g = new Float64Array(dim);
  const H = new Float64Array(dim * dim);
  let it = 0;
  for (; it < maxIter; it++) {
    g.fill(0);
    H.fill(0);
    for (let i = 0; i < m; i++) {
      const row = X.subarray(i * dim, (i + 1) * dim);
      let s = 0;
      for (let j = 0; j < dim; j++) s += w[j] * row[j];
      const p = 1 / (1 + Math.exp(-s));
      const r = 1 - p;
      const q = p * (1 - p);
      for (let j = 0; j < dim; j++) {
        g[j] += r * row[j];
        const qj = q * row[j];
        for (let k = 0; k <= j; k++) H[j * dim + k] += qj * row[k];
      }
    }
    for (let j = 0; j < dim; j++) {
      g[j] -= l2 * w[j];
      H[j * dim + j] += l2;
      for (let k = 0; k < j; k++) H[k * dim + j] = H[j * dim + k];
    }
    cholesky(H, dim);
    cholSolve(H, dim, g);
    let step = 0;
    for (let j = 0; j < dim; j++) {
      w[j] += g[j];
      step = Math.max(step, Math.abs(g[j]));
    }
    if (step < tol) {
      it++;
      break;
    }
  }
  const reward = (x: ArrayLike<number>) => {
    let s = 0;
    for (let j = 0; j < dim; j++) s += w[j] * (x[j] - mean[j]) * inv[j];
    return s;
  };
  return { reward, iterations: it };
}
