import matmulSrc from '../../shaders/matmul.wgsl?raw';
import matvecSrc from '../../shaders/matvec.wgsl?raw';
import { ceilDiv, GpuKernel, grid1d, type Bound, type Recorder, type StorageBinding } from './kernel';

export interface MatmulFlags {
  transA: boolean;
  transB: boolean;
  bias: boolean;
  acc: boolean;
}

// Buffers: A, B, bias (bind A again when there is none), C (read_write: `into` when acc).
const BINDINGS: StorageBinding[] = [[1, 'r'], [2, 'r'], [3, 'r'], [4, 'w']];

// 64×64 output tile, 16-deep k slab, 16×16 threads each owning a 4×4 micro-tile:
// ~8.5 KiB of shared memory, 16 FMAs per two vec4 shared loads in the inner loop.
const TILE = { TM: 64, TN: 64, TK: 16, WX: 16, WY: 16 };

function flagKey(f: MatmulFlags): string {
  return `${+f.transA}${+f.transB}${+f.bias}${+f.acc}`;
}

function flagConsts(f: MatmulFlags) {
  return { TRANS_A: f.transA, TRANS_B: f.transB, HAS_BIAS: f.bias, ACC: f.acc };
}

/**
 * Split-K: below this many output tiles a GEMM cannot fill a discrete GPU (an H100 has 132
 * SMs, each able to hold several of these 256-thread workgroups), so a long K is cut into
 * slices that run side by side. A choice, not a tuned value: no GPU has timed it yet.
 */
export const SPLIT_K_TARGET_GROUPS = 256;
/** Fewest k per slice: shorter slices would spend more on the partials than they save. */
export const SPLIT_K_MIN_K = 512;
export const SPLIT_K_MAX_SLICES = 32;

/**
 * How many k slices a tiled GEMM of [M×N] over K runs as (1: not split) and the k per slice
 * (a multiple of the k slab, so only the last slice can end inside one). The LM head's input
 * gradient is the case it is for: M = B·T rows, N = d, K = vocabulary.
 */
export function splitKPlan(M: number, N: number, K: number): { slices: number; kPerSlice: number } {
  const tiles = ceilDiv(M, TILE.TM) * ceilDiv(N, TILE.TN);
  const wanted = Math.min(SPLIT_K_MAX_SLICES, Math.ceil(SPLIT_K_TARGET_GROUPS / tiles), Math.floor(K / SPLIT_K_MIN_K));
  if (wanted < 2) return { slices: 1, kPerSlice: K };
  const kPerSlice = ceilDiv(ceilDiv(K, wanted), TILE.TK) * TILE.TK;
  return { slices: ceilDiv(K, kPerSlice), kPerSlice };
}

/** Shared-memory tiled GEMM for any M, N, K, with transposes, bias and accumulate fused. */
export class MatmulKernel extends GpuKernel {
  private static readonly cache = new Map<string, MatmulKernel>();

  /** `splitK`: the slice pass (partials, no epilogue) of a split GEMM; see `splitKPlan`. */
  static get(flags: MatmulFlags, splitK = false): MatmulKernel {
    // The slice pass has no epilogue: one pipeline per transpose pair, whatever bias and acc say.
    const f = splitK ? { ...flags, bias: false, acc: false } : flags;
    const key = `${flagKey(f)}${+splitK}`;
    let k = this.cache.get(key);
    if (!k) this.cache.set(key, (k = new MatmulKernel(f, splitK)));
    return k;
  }

  private constructor(f: MatmulFlags, private readonly splitK: boolean) {
    super(
      'matmul',
      matmulSrc,
      'matmul',
      { ...flagConsts(f), ...TILE, SPLIT_K: splitK },
      BINDINGS,
      'uuuu',
    );
  }

  /** With `splitK`, C is the partials buffer [slices, M, N] and `kPerSlice` the plan's. */
  encode(rec: Recorder, M: number, N: number, K: number, buffers: readonly Bound[], kPerSlice = K): void {
    const gx = ceilDiv(N, TILE.TN);
    const gy = ceilDiv(M, TILE.TM);
    const gz = this.splitK ? ceilDiv(K, kPerSlice) : 1;
    if (gx > rec.maxGroupsPerDim || gy > rec.maxGroupsPerDim || gz > rec.maxGroupsPerDim) {
      throw new Error(`matmul: [${M}×${N}] needs more workgroups than the device allows`);
    }
    rec.dispatch(this, buffers, [M, N, K, this.splitK ? kPerSlice : K], [gx, gy, gz]);
  }
}

/** Second pass of a split GEMM: C = Σ slices (+ bias) (+ C), slices summed in order. */
export class SplitKReduceKernel extends GpuKernel {
  private static readonly cache = new Map<string, SplitKReduceKernel>();

  static get(bias: boolean, acc: boolean): SplitKReduceKernel {
    const key = `${+bias}${+acc}`;
    let k = this.cache.get(key);
    if (!k) this.cache.set(key, (k = new SplitKReduceKernel(bias, acc)));
    return k;
  }

  private constructor(bias: boolean, acc: boolean) {
    super(
      'matmul',
      matmulSrc,
      'splitk_reduce',
      { ...flagConsts({ transA: false, transB: false, bias, acc }), ...TILE, SPLIT_K: false },
      BINDINGS,
      'uuuu',
    );
  }

  /** `buffers`: the partials, the partials again (unused B), bias (or the partials), C. */
  encode(rec: Recorder, M: number, N: number, K: number, kPerSlice: number, buffers: readonly Bound[]): void {
    rec.dispatch(this, buffers, [M, N, K, kPerSlice], grid1d(ceilDiv(M * N, 256), rec.maxGroupsPerDim));
  }
}

/**
 * Largest M the matrix–vector kernels take (a batch of sampled sequences decodes with M = B).
 * Up to here a 64-row tile would be mostly idle and launch only N/64 workgroups.
 */
export const MATVEC_MAX_ROWS = 8;

const MV = { THREADS: 256, LANES: 32, ROWS: 8 };
/** gemv layout: wide column blocks for big N; for GPT-2's N = 768…3072, narrower blocks and
 * more k-slices so a decode step still launches 48–192 workgroups instead of 12–48. */
function gemvShape(N: number): { COLS: number; KS: number } {
  return N >= 8192 ? { COLS: 64, KS: 4 } : { COLS: 16, KS: 16 };
}

/**
 * Decode-time matmul for M ≤ 8. `gemv` streams B [K,N] along n (COLS columns per workgroup,
 * KS k-slices folded in shared memory); `gemv_t` streams B [N,K] along k (ROWS outputs per
 * workgroup, LANES lanes each, tree-reduced): both read B exactly once with coalesced loads.
 */
export class MatvecKernel extends GpuKernel {
  private static readonly cache = new Map<string, MatvecKernel>();

  static get(M: number, N: number, f: MatmulFlags): MatvecKernel {
    const shape = gemvShape(N);
    const key = `${M}:${shape.COLS}:${flagKey(f)}`;
    let k = this.cache.get(key);
    if (!k) this.cache.set(key, (k = new MatvecKernel(M, shape, f)));
    return k;
  }

  private constructor(
    M: number,
    private readonly shape: { COLS: number; KS: number },
    private readonly f: MatmulFlags,
  ) {
    if (M < 1 || M > MATVEC_MAX_ROWS) throw new Error(`matvec: M=${M} out of range`);
    super(
      'matvec',
      matvecSrc,
      f.transB ? 'gemv_t' : 'gemv',
      { ...flagConsts(f), ...MV, ...shape, MR: M },
      BINDINGS,
      'uuu',
    );
  }

  encode(rec: Recorder, M: number, N: number, K: number, buffers: readonly Bound[]): void {
    const perGroup = this.f.transB ? MV.ROWS : this.shape.COLS;
    rec.dispatch(this, buffers, [M, N, K], grid1d(ceilDiv(N, perGroup), rec.maxGroupsPerDim));
  }
}
