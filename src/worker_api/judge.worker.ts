/// <reference lib="webworker" />
import * as Comlink from 'comlink';
import { JudgeService } from '../engine/judges/judge_service';
import type { JudgeApi } from './judge_api';

// The worker only exposes the judge service; the logic lives in src/engine/judges/. One service,
// so one ORT queue, per worker: every onnxruntime-web call made here is serialized.
const service = new JudgeService();

const api = {
  load: (source, options) => service.load(source, options),
  judge: (handle, request) => service.judge(handle, request),
  score: (handle, prompt, completions) => service.score(handle, prompt, completions),
  unload: (handle) => service.unload(handle),
  runtimeInfo: () => service.runtimeInfo(),
} satisfies JudgeApi;

Comlink.expose(api);
