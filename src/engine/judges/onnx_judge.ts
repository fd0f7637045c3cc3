/**
 * ONNX judges over a `JudgeSession`:
 * - `OnnxPointwiseJudge` (a reward model / sequence classifier): one score per completion,
 *   P(a ≻ b) = σ((s_a − s_b) / temperature). Order cannot matter: both rows go in one batch.
 * - `OnnxPairwiseJudge` (a cross-encoder): one row holds prompt, first and second answer; the
 *   output is the logit of P(first ≻ second), so the order shown can matter (position bias).
 * Neither has a tie head: a verdict is 'tie' only when |Δ| < tie_margin from judge.json, and then
 * pTie = 1 (the judge is deterministic), otherwise 0.
 */
import { sigmoid } from '../objectives/math.ts';
import type { JudgeOutcome } from '../annotators/annotator.ts';
import { JudgeInputEncoder, packRows, type TokenEncoder } from './encoding.ts';
import { JudgeError } from './errors.ts';
import type { JudgeManifest } from './manifest.ts';
import { checkSessionSignature, readRowScores, type Int64Input, type JudgeSession } from './onnx_session.ts';
import type { AsyncJudge, ModelJudgement } from './types.ts';

/** Verdict of a deterministic judge from its logit Δ (= s_a − s_b, or the cross-encoder logit). */
export function verdictFromLogit(delta: number, temperature = 1, tieMargin = 0): { pAB: number; pTie: number; outcome: JudgeOutcome } {
  if (Math.abs(delta) < tieMargin) return { pAB: sigmoid(delta / temperature), pTie: 1, outcome: 'tie' };
  return { pAB: sigmoid(delta / temperature), pTie: 0, outcome: delta > 0 ? 'a' : delta < 0 ? 'b' : 'tie' };
}

const fmt = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(2));

abstract class OnnxJudgeBase implements AsyncJudge {
  readonly encoder: JudgeInputEncoder;

  constructor(
    readonly id: string,
    readonly session: JudgeSession,
    tokenizer: TokenEncoder,
    readonly manifest: JudgeManifest,
    /** Names the model in error messages. */
    readonly what = 'model.onnx',
  ) {
    checkSessionSignature(manifest, session, what);
    this.encoder = new JudgeInputEncoder(manifest, tokenizer);
  }

  /** Runs token rows as one batch; one number per row. */
  async runRows(rows: readonly (readonly number[])[]): Promise<Float64Array> {
    const packed = packRows(rows, this.manifest.padTokenId);
    const dims = [packed.batch, packed.seq] as const;
    const feeds: Record<string, Int64Input> = { [this.manifest.inputNames.inputIds]: { data: packed.inputIds, dims } };
    if (this.manifest.inputNames.attentionMask !== null) {
      feeds[this.manifest.inputNames.attentionMask] = { data: packed.attentionMask, dims };
    }
    let outputs;
    try {
      outputs = await this.session.run(feeds, [this.manifest.outputName]);
    } catch (e) {
      throw new JudgeError('RUN_FAILED', `${this.what} (${this.session.executionProvider}): ${(e as Error).message}`, { cause: e });
    }
    return readRowScores(outputs, this.manifest, packed.batch, this.what);
  }

  abstract judge(prompt: string, a: string, b: string): Promise<ModelJudgement>;

  release(): Promise<void> {
    return this.session.release();
  }
}

export class OnnxPointwiseJudge extends OnnxJudgeBase {
  constructor(id: string, session: JudgeSession, tokenizer: TokenEncoder, manifest: JudgeManifest, what?: string) {
    if (manifest.kind !== 'pointwise') throw new JudgeError('BAD_MANIFEST', `judge.json kind is "${manifest.kind}", not "pointwise"`);
    super(id, session, tokenizer, manifest, what);
  }

  /** One score per completion (higher = preferred), in one batch. */
  async scoreCompletions(prompt: string, completions: readonly string[]): Promise<number[]> {
    const rows = completions.map((c) => this.encoder.pointwiseRow(prompt, c));
    return Array.from(await this.runRows(rows));
  }

  async judge(prompt: string, a: string, b: string): Promise<ModelJudgement> {
    const [sa, sb] = await this.scoreCompletions(prompt, [a, b]);
    const v = verdictFromLogit(sa! - sb!, this.manifest.temperature, this.manifest.tieMargin);
    return {
      ...v,
      scores: { a: sa!, b: sb! },
      annotatorId: this.id,
      critique: `${this.manifest.name}: scores A ${fmt(sa!)}, B ${fmt(sb!)} → ${v.outcome === 'tie' ? 'tie' : `prefers ${v.outcome.toUpperCase()}`} (P(A ≻ B) = ${v.pAB.toFixed(3)}).`,
    };
  }
}

export class OnnxPairwiseJudge extends OnnxJudgeBase {
  constructor(id: string, session: JudgeSession, tokenizer: TokenEncoder, manifest: JudgeManifest, what?: string) {
    if (manifest.kind !== 'pairwise') throw new JudgeError('BAD_MANIFEST', `judge.json kind is "${manifest.kind}", not "pairwise"`);
    super(id, session, tokenizer, manifest, what);
  }

  /** Logit of P(first ≻ second) for each (first, second) pair, in one batch. */
  async pairLogits(prompt: string, pairs: readonly (readonly [string, string])[]): Promise<number[]> {
    const rows = pairs.map(([first, second]) => this.encoder.pairwiseRow(prompt, first, second));
    return Array.from(await this.runRows(rows));
  }

  async judge(prompt: string, a: string, b: string): Promise<ModelJudgement> {
    const [logit] = await this.pairLogits(prompt, [[a, b]]);
    const v = verdictFromLogit(logit!, this.manifest.temperature, this.manifest.tieMargin);
    return {
      ...v,
      // A cross-encoder has no per-answer score; the logit is split so that σ(a − b) = pAB.
      scores: { a: logit! / 2, b: -logit! / 2 },
      annotatorId: this.id,
      critique: `${this.manifest.name}: logit ${fmt(logit!)} → ${v.outcome === 'tie' ? 'tie' : `prefers ${v.outcome.toUpperCase()}`} (P(A ≻ B) = ${v.pAB.toFixed(3)}).`,
    };
  }
}

export type OnnxJudge = OnnxPointwiseJudge | OnnxPairwiseJudge;

/** A judge of the manifest's kind over `session` (the session's signature is checked). */
export function createOnnxJudge(id: string, session: JudgeSession, tokenizer: TokenEncoder, manifest: JudgeManifest, what?: string): OnnxJudge {
  return manifest.kind === 'pointwise'
    ? new OnnxPointwiseJudge(id, session, tokenizer, manifest, what)
    : new OnnxPairwiseJudge(id, session, tokenizer, manifest, what);
}
