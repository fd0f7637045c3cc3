import body from '../../shaders/attention.wgsl?raw';
import workgroupReduce from '../../shaders/workgroup_reduce.wgsl?raw';
import { ceilDiv, GpuKernel, grid1d, type Bound, type Recorder, type StorageBinding } from './kernel';

/** The shader with the shared workgroup reductions it calls (WGSL has no includes). */
const src = `${workgroupReduce}\n${body}`;

const WG = 64;
const PJB = 16;

/** Where a (b, h) slice of an operand lives: base = b·sb + h·sh + off, row r at base + r·sr. */
export interface Operand {
  sb: number;
  sh: number;
  sr: number;
  off: number;
}

export interface AttnDims {
  B: number;
  H: number;
  /** Query rows per (b, h). */
  T: number;
  /** Absolute position of query row 0. */
  past: number;
  /** Row length of the [B, H, T, Lk] weight matrix (past + T). */
  Lk: number;
  scale: number;
}

const NONE: Operand = { sb: 0, sh: 0, sr: 0, off: 0 };

function uniforms(d: AttnDims, a: Operand, b: Operand, o: Operand, R: number, maxT = 0, C = 0, v: Operand = NONE): number[] {
  return [
    d.T, d.past, d.Lk, d.H,
    a.sb, a.sh, a.sr, a.off,
    b.sb, b.sh, b.sr, b.off,
    o.sb, o.sh, o.sr, o.off,
    d.scale, R, d.B, maxT, C,
    v.sb, v.sh, v.sr, v.off,
  ];
}
const LAYOUT = 'uuuu' + 'uuuu' + 'uuuu' + 'uuuu' + 'f' + 'uuuu' + 'uuuu';

/** Query rows per workgroup: one row while decoding, small blocks for short prompts. */
function rowsPerGroup(rows: number): number {
  return rows <= 1 ? 1 : rows <= 4 ? 4 : 16;
}

function fits(floats: number, rec: Recorder): boolean {
  return floats * 4 <= rec.maxWorkgroupStorage;
}

/** What attn_scores does with the rows' log-sum-exp (see LSE_MODE in the shader). */
export type LseMode = 'none' | 'recompute';
const LSE_MODES: Record<LseMode, number> = { none: 0, recompute: 2 };

/** attn_fused: query rows per workgroup (a thread each). */
const FR = 32;

function consts(D: number, RB: number, SJB: number, backward: boolean, transW: boolean, lse: LseMode = 'none', FK = 16) {
  return { D, WG, RB, SJB, PJB, BACKWARD: backward, TRANS_W: transW, LSE_MODE: LSE_MODES[lse], FR, FK };
}

/**
 * S = softmax(scale·A·Bᵀ) with the causal mask (forward), or dS = P ⊙ (dP − rowsum(P ⊙ dP))
 * with dP = A·Bᵀ (backward). One workgroup per (b, h, block of RB query rows); key tiles of
 * SJB rows are staged in shared memory, raw scores go to S, and a row pass normalises them
 * (or, with `lse` 'recompute', exponentiates them against each row's stored log-sum-exp).
 * Buffers: A, B, P (probs; any buffer in the forward), S, L (the log-sum-exp [B, H, T]; any
 * other 4-byte buffer when `lse` is 'none').
 */
export class AttentionScoresKernel extends GpuKernel {
  private static readonly cache = new Map<string, AttentionScoresKernel>();

  static get(rec: Recorder, D: number, T: number, backward: boolean, lse: LseMode = 'none'): AttentionScoresKernel {
    if (backward && lse !== 'none') throw new Error('attention: the backward scores neither write nor read the log-sum-exp');
    let RB = rowsPerGroup(T);
    // Decode: one query row, so widen the key tile to keep all 64 threads busy.
    let SJB = RB === 1 ? 64 : 16;
    while (!fits(RB * D + D * SJB + WG, rec) && SJB > 16) SJB /= 2;
    while (!fits(RB * D + D * SJB + WG, rec) && RB > 1) RB /= 2;
    if (!fits(RB * D + D * SJB + WG, rec)) throw new Error(`attention: head size ${D} too large`);
    const key = `${D}:${RB}:${SJB}:${+backward}:${lse}`;
    let k = this.cache.get(key);
    if (!k) this.cache.set(key, (k = new AttentionScoresKernel(D, RB, SJB, backward, lse)));
    return k;
  }

  private constructor(
    D: number,
    readonly RB: number,
    SJB: number,
    backward: boolean,
    lse: LseMode,
  ) {
    const bindings: StorageBinding[] = [[1, 'r'], [2, 'r'], [3, 'r'], [4, 'w'], [10, 'w']];
    super('attention', src, 'attn_scores', consts(D, RB, SJB, backward, false, lse), bindings, LAYOUT);
  }

  encode(rec: Recorder, d: AttnDims, a: Operand, b: Operand, buffers: readonly Bound[]): void {
    rec.dispatch(this, buffers, uniforms(d, a, b, NONE, d.T), [ceilDiv(d.T, this.RB), d.H, d.B]);
  }
}

/**
 * O = scale · W·X (rows = queries, causal) or scale · Wᵀ·X (rows = keys; dK, dV reduce over
 * queries with no atomics). One workgroup per (b, h, block of RB output rows), W and X tiles
 * of PJB keys in shared memory. Buffers: W, X, O.
 */
export class AttentionPvKernel extends GpuKernel {
  private static readonly cache = new Map<string, AttentionPvKernel>();

  static get(rec: Recorder, D: number, R: number, transW: boolean): AttentionPvKernel {
    let RB = rowsPerGroup(R);
    while (!fits(RB * PJB + PJB * D, rec) && RB > 1) RB /= 2;
    if (!fits(RB * PJB + PJB * D, rec)) throw new Error(`attention: head size ${D} too large`);
    const key = `${D}:${RB}:${+transW}`;
    let k = this.cache.get(key);
    if (!k) this.cache.set(key, (k = new AttentionPvKernel(D, RB, transW)));
    return k;
  }

  private constructor(
    D: number,
    readonly RB: number,
    transW: boolean,
  ) {
    const bindings: StorageBinding[] = [[5, 'r'], [6, 'r'], [7, 'w']];
    super('attention', src, 'attn_pv', consts(D, RB, 16, false, transW), bindings, LAYOUT);
  }

  /** R: output rows per (b, h): T normally, Lk (= T) for the transposed form. */
  encode(rec: Recorder, d: AttnDims, R: number, x: Operand, o: Operand, buffers: readonly Bound[]): void {
    rec.dispatch(this, buffers, uniforms(d, NONE, x, o, R), [ceilDiv(R, this.RB), d.H, d.B]);
  }
}

/**
 * The causal forward in one pass (flash-attention style, one thread per query row): y and each
 * row's log-sum-exp, with no [B, H, T, T] scores or probabilities in memory. Grid (row blocks
 * of FR, H, B). Buffers: q source, k source, v source, y, L (the log-sum-exp [B, H, T]).
 */
export class AttentionFusedKernel extends GpuKernel {
  private static readonly cache = new Map<string, AttentionFusedKernel>();

  static get(rec: Recorder, D: number): AttentionFusedKernel {
    // Keys and values of FK rows in shared memory.
    let FK = 16;
    while (!fits(2 * FK * D, rec) && FK > 1) FK /= 2;
    if (!fits(2 * FK * D, rec)) throw new Error(`attention: head size ${D} too large`);
    const key = `${D}:${FK}`;
    let k = this.cache.get(key);
    if (!k) this.cache.set(key, (k = new AttentionFusedKernel(D, FK)));
    return k;
  }

  private constructor(D: number, FK: number) {
    const bindings: StorageBinding[] = [[1, 'r'], [2, 'r'], [6, 'r'], [7, 'w'], [10, 'w']];
    super('attention', src, 'attn_fused', consts(D, 1, 16, false, false, 'none', FK), bindings, LAYOUT);
  }

  encode(rec: Recorder, d: AttnDims, q: Operand, k: Operand, v: Operand, y: Operand, buffers: readonly Bound[]): void {
    rec.dispatch(this, buffers, uniforms(d, q, k, y, d.T, 0, 0, v), [ceilDiv(d.T, FR), d.H, d.B]);
  }
}

/** Copies new k/v rows of qkv into the [B, H, maxT, D] caches. Buffers: qkv, kCache, vCache. */
export class KvCacheWriteKernel extends GpuKernel {
  private static readonly cache = new Map<number, KvCacheWriteKernel>();

  static get(D: number): KvCacheWriteKernel {
    let k = this.cache.get(D);
    if (!k) this.cache.set(D, (k = new KvCacheWriteKernel(D)));
    return k;
  }

  private constructor(D: number) {
    const bindings: StorageBinding[] = [[1, 'r'], [8, 'w'], [9, 'w']];
    super('attention', src, 'kv_write', consts(D, 1, 16, false, false), bindings, LAYOUT);
  }

  encode(rec: Recorder, d: AttnDims, C: number, maxT: number, buffers: readonly Bound[]): void {
    rec.dispatch(
      this,
      buffers,
      uniforms(d, NONE, NONE, NONE, 0, maxT, C),
      grid1d(ceilDiv(d.B * d.T * C, WG), rec.maxGroupsPerDim),
    );
  }
}
