/**
 * Online per-dimension standardisation (Welford). The reward head sees (φ − mean)/std, so one
 * learning rate works whatever the scale of the engine's pooled hidden states (GPT-2's
 * residual stream has a few dimensions hundreds of times larger than the rest).
 */
export class OnlineStandardizer {
  readonly dim: number;
  count = 0;
  readonly mean: Float64Array;
  /** Sum of squared deviations (Welford's M2). */
  private readonly m2: Float64Array;
  /** Added to the variance before the square root; keeps constant dimensions finite. */
  readonly varianceFloor: number;

  constructor(dim: number, varianceFloor = 1e-8) {
    if (!Number.isInteger(dim) || dim <= 0) throw new RangeError(`dim must be a positive integer, got ${dim}`);
    this.dim = dim;
    this.mean = new Float64Array(dim);
    this.m2 = new Float64Array(dim);
    this.varianceFloor = varianceFloor;
  }

  update(x: ArrayLike<number>): void {
    this.checkDim(x);
    this.count++;
    for (let i = 0; i < this.dim; i++) {
      const d = x[i]! - this.mean[i]!;
      this.mean[i] += d / this.count;
      this.m2[i] += d * (x[i]! - this.mean[i]!);
    }
  }

  /** Population variance of dimension i; 1 before two samples have been seen (identity scaling). */
  variance(i: number): number {
    return this.count < 2 ? 1 : this.m2[i]! / this.count;
  }

  /** (x − mean)/std into `out` (allocated if omitted). Before any data it is the identity. */
  transform(x: ArrayLike<number>, out: Float64Array = new Float64Array(this.dim)): Float64Array {
    this.checkDim(x);
    for (let i = 0; i < this.dim; i++) {
      out[i] = (x[i]! - this.mean[i]!) / Math.sqrt(this.variance(i) + this.varianceFloor);
    }
    return out;
  }

  private checkDim(x: ArrayLike<number>): void {
    if (x.length !== this.dim) throw new RangeError(`feature length ${x.length} ≠ dim ${this.dim}`);
  }
}
