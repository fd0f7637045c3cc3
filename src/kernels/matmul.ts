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

/** Shared-memory tiled GEMM for any M, N, K, with transposes, bias and accumulate fused. */
export class MatmulKernel extends GpuKernel {
  private static readonly cache = new Map<string, MatmulKernel>();

  static get(f: MatmulFlags): MatmulKernel {
    const key = flagKey(f);
    let k = this.cache.get(key);
    if (!k) this.cache.set(key, (k = new MatmulKernel(f)));
    return k;
  }

  private constructor(f: MatmulFlags) {
    super(
      'matmul',
      matmulSrc,
      'matmul',
      { ...flagConsts(f), ...TILE },
      BINDINGS,
      'uuu',
    );
  }

  encode(rec: Recorder, M: number, N: number, K: number, buffers: readonly Bound[]): void {
    const gx = ceilDiv(N, TILE.TN);
    const gy = ceilDiv(M, TILE.TM);
    if (gx > rec.maxGroupsPerDim || gy > rec.maxGroupsPerDim) {
      throw new Error(`matmul: [${M}×${N}] needs more workgroups than the device allows`);
    }
    rec.dispatch(this, buffers, [M, N, K], [gx, gy, 1]);
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
