/// <reference lib="webworker" />
import * as Comlink from 'comlink';
import { EngineService } from '../engine/service';

// The worker only exposes the engine; the contract is `EngineApi` (src/engine/api.ts), which
// `EngineService` implements.
Comlink.expose(new EngineService((self as unknown as WorkerGlobalScope).navigator.gpu));
