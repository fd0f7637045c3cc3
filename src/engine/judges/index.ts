/** Model judges (onnxruntime-web) and position-bias handling, behind one async judge interface. */
export { type AsyncJudge, type ModelJudgement, type OrderedVerdict, type PositionMode, asAsyncJudge } from './types.ts';
export { type JudgeErrorCode, JudgeError, judgeErrorCode } from './errors.ts';
export { type JudgeKind, type JudgeManifest, parseJudgeManifest, parseTemplate } from './manifest.ts';
export { type TokenEncoder, JudgeInputEncoder, fitSegmentLengths, packRows } from './encoding.ts';
export { OrtQueue } from './ort_queue.ts';
export { type JudgeSession, checkSessionSignature, readRowScores } from './onnx_session.ts';
export { OnnxPointwiseJudge, OnnxPairwiseJudge, type OnnxJudge, createOnnxJudge, verdictFromLogit } from './onnx_judge.ts';
export { type ExecutionProvider, type ExecutionProviderPreference, OrtRuntime } from './ort_runtime.ts';
export {
  POSITION_MODES,
  PositionAwareJudge,
  combineOrderVerdicts,
  debiasOrderSwap,
  mirrorOutcome,
  unswapJudgement,
} from './position_bias.ts';
export {
  type BothOrdersVerdicts,
  type PersonAgreement,
  agreementWithPerson,
  cohensKappa,
  firstPositionRate,
  positionConsistency,
} from './agreement.ts';
export { type JudgeInfo, type JudgeLoadOptions, type JudgeRequest, type JudgeRuntimeInfo, type JudgeSource, JudgeService } from './judge_service.ts';
