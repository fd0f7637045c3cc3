/**
 * Dense symmetric positive-definite linear algebra for Newton steps and covariance matrices.
 * Matrices are row-major Float64Array of size m·m. Sizes here are the number of competitors
 * (+1 for a tie parameter), so O(m³) Cholesky is cheap up to a few hundred.
 */

/**
 * In-place Cholesky factorisation A = L·Lᵀ (lower triangle of `a` overwritten with L).
 * Returns false if A is not numerically positive definite.
 */
export function choleskyInPlace(a: Float64Array, m: number): boolean {
  for (let j = 0; j < m; j++) {
    const rowJ = j * m;
    let d = a[rowJ + j]!;
    for (let k = 0; k < j; k++) d -= a[rowJ + k]! * a[rowJ + k]!;
    if (!(d > 0) || !Number.isFinite(d)) return false;
    const ljj = Math.sqrt(d);
    a[rowJ + j] = ljj;
    for (let i = j + 1; i < m; i++) {
      const rowI = i * m;
      let s = a[rowI + j]!;
      for (let k = 0; k < j; k++) s -= a[rowI + k]! * a[rowJ + k]!;
      a[rowI + j] = s / ljj;
    }
  }
  return true;
}

/** Solve L·Lᵀ x = b given the factor from `choleskyInPlace`; b is overwritten with x. */
export function choleskySolveInPlace(l: Float64Array, m: number, b: Float64Array): void {
  for (let i = 0; i < m; i++) {
    let s = b[i]!;
    const row = i * m;
    for (let k = 0; k < i; k++) s -= l[row + k]! * b[k]!;
    b[i] = s / l[row + i]!;
  }
  for (let i = m - 1; i >= 0; i--) {
    let s = b[i]!;
    for (let k = i + 1; k < m; k++) s -= l[k * m + i]! * b[k]!;
    b[i] = s / l[i * m + i]!;
  }
}

/**
 * Factorise a symmetric matrix that should be positive definite, adding the smallest
 * diagonal jitter (relative to its mean diagonal) that makes Cholesky succeed. Returns the
 * factor (a new array) and the jitter used.
 */
export function robustCholesky(a: Float64Array, m: number): { factor: Float64Array; jitter: number } {
  let meanDiag = 0;
  for (let i = 0; i < m; i++) meanDiag += Math.abs(a[i * m + i]!);
  meanDiag = m > 0 ? meanDiag / m : 1;
  if (!(meanDiag > 0)) meanDiag = 1;
  let jitter = 0;
  for (let attempt = 0; attempt < 30; attempt++) {
    const f = Float64Array.from(a);
    if (jitter > 0) for (let i = 0; i < m; i++) f[i * m + i]! += jitter;
    if (choleskyInPlace(f, m)) return { factor: f, jitter };
    jitter = jitter === 0 ? meanDiag * 1e-12 : jitter * 10;
  }
  throw new Error('robustCholesky: matrix is not positive definite even with jitter');
}

/** Inverse of an SPD matrix via its Cholesky factor. */
export function spdInverse(a: Float64Array, m: number): { inverse: Float64Array; jitter: number } {
  const { factor, jitter } = robustCholesky(a, m);
  const inv = new Float64Array(m * m);
  const col = new Float64Array(m);
  for (let c = 0; c < m; c++) {
    col.fill(0);
    col[c] = 1;
    choleskySolveInPlace(factor, m, col);
    for (let r = 0; r < m; r++) inv[r * m + c] = col[r]!;
  }
  return { inverse: inv, jitter };
}

/** C = A·B for m×m matrices. */
export function matMul(a: Float64Array, b: Float64Array, m: number): Float64Array {
  const c = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let k = 0; k < m; k++) {
      const aik = a[i * m + k]!;
      if (aik === 0) continue;
      const rowB = k * m;
      const rowC = i * m;
      for (let j = 0; j < m; j++) c[rowC + j]! += aik * b[rowB + j]!;
    }
  }
  return c;
}
