/**
 * Turning (prompt, completion) or (prompt, a, b) into the int64 rows an ONNX judge reads.
 *
 * Each template piece (literal text or slot value) is tokenized on its own, so that when a row is
 * too long the runtime can shorten the slot values, not cut off whatever happens to come last:
 * a pairwise judge must always see both answers. Training must tokenize the same way; for the
 * shipped fluency judge the template is "{completion}" alone, so a row is simply
 * encode(text)[: max_length − 1] + [eos].
 */
import { JudgeError } from './errors.ts';
import { parseTemplate, type JudgeManifest, type TemplatePiece } from './manifest.ts';

/** What the encoder needs from a tokenizer (`TextTokenizer` has it). */
export interface TokenEncoder {
  encode(text: string): number[];
}

/**
 * Lengths to keep for each segment so that their sum fits `budget`: literal (non-trimmable)
 * segments keep their length; trimmable ones are capped at a common level c ("water filling"),
 * the largest c that fits, and leftover tokens go one each to the earliest segments longer than c.
 * Short segments are never cut to make room for long ones.
 */
export function fitSegmentLengths(lengths: readonly number[], trimmable: readonly boolean[], budget: number): number[] {
  const total = lengths.reduce((s, x) => s + x, 0);
  if (total <= budget) return [...lengths];
  const fixed = lengths.reduce((s, x, i) => s + (trimmable[i] ? 0 : x), 0);
  const room = budget - fixed;
  if (room < 0) throw new RangeError(`the template's literal text alone needs ${fixed} tokens; max_length allows ${budget}`);
  const trimIdx = lengths.map((_, i) => i).filter((i) => trimmable[i]);
  const used = (c: number) => trimIdx.reduce((s, i) => s + Math.min(lengths[i]!, c), 0);
  // Largest cap c with used(c) ≤ room (used is nondecreasing in c).
  let lo = 0;
  let hi = Math.max(0, ...trimIdx.map((i) => lengths[i]!));
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (used(mid) <= room) lo = mid;
    else hi = mid - 1;
  }
  const out = lengths.map((x, i) => (trimmable[i] ? Math.min(x, lo) : x));
  let left = room - used(lo);
  for (const i of trimIdx) {
    if (left === 0) break;
    if (lengths[i]! > lo) {
      out[i] = lo + 1;
      left--;
    }
  }
  return out;
}

/** Builds token rows for one judge, following its manifest. */
export class JudgeInputEncoder {
  private readonly pieces: TemplatePiece[];
  private readonly literalIds: Map<number, number[]> = new Map();

  constructor(
    private readonly manifest: JudgeManifest,
    private readonly tokenizer: TokenEncoder,
  ) {
    this.pieces = parseTemplate(manifest.template, manifest.kind);
    this.pieces.forEach((p, i) => {
      if (p.kind === 'text') this.literalIds.set(i, tokenizer.encode(p.text));
    });
  }

  /** One row: the template filled with `values`, each slot truncated as needed, eos appended. */
  encodeRow(values: Readonly<Record<string, string>>): number[] {
    const segments = this.pieces.map((p, i) => {
      if (p.kind === 'text') return this.literalIds.get(i)!;
      const value = values[p.slot];
      if (value === undefined) throw new JudgeError('BAD_REQUEST', `no value for the template slot {${p.slot}}`);
      return value === '' ? [] : this.tokenizer.encode(value);
    });
    const budget = this.manifest.maxLength - (this.manifest.appendEos ? 1 : 0);
    let keep: number[];
    try {
      keep = fitSegmentLengths(
        segments.map((s) => s.length),
        this.pieces.map((p) => p.kind === 'slot'),
        budget,
      );
    } catch (e) {
      throw new JudgeError('BAD_MANIFEST', (e as Error).message);
    }
    const row = segments.flatMap((s, i) => s.slice(0, keep[i]));
    if (this.manifest.appendEos) row.push(this.manifest.eosTokenId!);
    // An all-padding row (empty text, no eos) leaves attention and pooling nothing to look at, and
    // masked softmaxes then give NaN; one real pad token keeps the row well-defined.
    if (row.length === 0) row.push(this.manifest.padTokenId);
    return row;
  }

  pointwiseRow(prompt: string, completion: string): number[] {
    return this.encodeRow({ prompt, completion });
  }

  pairwiseRow(prompt: string, first: string, second: string): number[] {
    return this.encodeRow({ prompt, a: first, b: second });
  }
}

export interface PackedBatch {
  batch: number;
  seq: number;
  inputIds: BigInt64Array;
  attentionMask: BigInt64Array;
}

/** Right-pads rows to the longest one; the mask is 1 on real tokens, 0 on padding. */
export function packRows(rows: readonly (readonly number[])[], padTokenId: number): PackedBatch {
  if (rows.length === 0) throw new JudgeError('BAD_REQUEST', 'nothing to score (empty batch)');
  const seq = Math.max(...rows.map((r) => r.length));
  const inputIds = new BigInt64Array(rows.length * seq).fill(BigInt(padTokenId));
  const attentionMask = new BigInt64Array(rows.length * seq);
  rows.forEach((r, b) => {
    r.forEach((id, t) => {
      inputIds[b * seq + t] = BigInt(id);
      attentionMask[b * seq + t] = 1n;
    });
  });
  return { batch: rows.length, seq, inputIds, attentionMask };
}
