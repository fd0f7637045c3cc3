/// <reference lib="webworker" />
import * as Comlink from 'comlink';
import { JudgeService } from '../engine/judges/judge_service';

// The worker only exposes the judge service (`JudgeApi`, src/engine/judges/api.ts). One service,
// so one ORT queue, per worker: every onnxruntime-web call made here is serialized.
Comlink.expose(new JudgeService());
