import src from '../../shaders/embedding.wgsl?raw';
import { ceilDiv, GpuKernel, grid1d, type Bound, type Recorder, type StorageBinding } from './kernel';

const WG = 256;
/**
 * The wte backward runs C·G invocations, each owning column c of the ids ≡ g (mod G): G
 * multiplies the parallelism of the deterministic scatter (C alone is only 768 threads) at
 * the cost of every invocation scanning all ids.
 */
const G = 8;

type EmbOp = 'embedding' | 'embedding_backward_wte' | 'embedding_backward_wpe' | 'gather_rows';

const BINDINGS: Record<EmbOp, StorageBinding[]> = {
  embedding: [[1, 'r'], [2, 'r'], [3, 'r'], [4, 'w']], // ids, wte, wpe, x
  embedding_backward_wte: [[5, 'r'], [1, 'r'], [6, 'w']], // dx, ids, dwte
  embedding_backward_wpe: [[5, 'r'], [7, 'w']], // dx, dwpe
  gather_rows: [[2, 'r'], [1, 'r'], [4, 'w']], // x, rows, out
};

export interface EmbeddingDims {
  B: number;
  T: number;
  C: number;
  posOffset: number;
  /** Rows of wte (or of the gathered matrix). */
  V: number;
  /** Rows of wpe. */
  P: number;
  /** Gathered rows (gather_rows). */
  rows: number;
}

/** Embedding lookup, its deterministic scatter-add backward, and row gather. */
export class EmbeddingKernel extends GpuKernel {
  private static readonly cache = new Map<EmbOp, EmbeddingKernel>();

  static get(op: EmbOp): EmbeddingKernel {
    let k = this.cache.get(op);
    if (!k) this.cache.set(op, (k = new EmbeddingKernel(op)));
    return k;
  }

  private constructor(readonly op: EmbOp) {
    super('embedding', src, op, { WG, G }, BINDINGS[op], 'uuuuuuu');
  }

  encode(rec: Recorder, d: EmbeddingDims, buffers: readonly Bound[]): void {
    let threads: number;
    switch (this.op) {
      case 'embedding':
        threads = d.B * d.T * d.C;
        break;
      case 'embedding_backward_wte':
        threads = d.C * G;
        break;
      case 'embedding_backward_wpe':
        threads = d.T * d.C;
        break;
      case 'gather_rows':
        threads = d.rows * d.C;
        break;
    }
    rec.dispatch(
      this,
      buffers,
      [d.B, d.T, d.C, d.posOffset, d.V, d.P, d.rows],
      grid1d(ceilDiv(threads, WG), rec.maxGroupsPerDim),
    );
  }
}
