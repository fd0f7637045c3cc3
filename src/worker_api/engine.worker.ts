/// <reference lib="webworker" />
import * as Comlink from 'comlink';
import { EngineService } from '../engine/service';
import type { EngineApi } from './engine_api';

// The worker only exposes the engine; all logic lives in src/engine/service.ts.
const service = new EngineService((self as unknown as WorkerGlobalScope).navigator.gpu);

const api = {
  loadModel: (source, backend, onProgress) => service.loadModel(source, backend, onProgress),
  backendInfo: () => service.backendInfo(),
  generateStart: (req) => service.generateStart(req),
  generateNext: (handle) => service.generateNext(handle),
  generateCancel: (handle) => service.generateCancel(handle),
  score: (req) => service.score(req),
  configureTrainer: (settings) => service.configureTrainer(settings),
  feedback: (f) => service.feedback(f),
  feedbackThumbs: (f) => service.feedbackThumbs(f),
  feedbackRanking: (f) => service.feedbackRanking(f),
  train: (steps) => service.train(steps),
  rewardPredict: (prompt, aIds, bIds, promptIds) => service.rewardPredict(prompt, aIds, bIds, promptIds),
  selectPair: (promptIds, candidateIds) => service.selectPair(promptIds, candidateIds),
  bestOfN: (promptIds, candidateIds, pessimism) => service.bestOfN(promptIds, candidateIds, pessimism),
  relabel: (req) => service.relabel(req),
  policyHealth: (prompts, seed, maxNewTokens) => service.policyHealth(prompts, seed, maxNewTokens),
  simulate: (req, onProgress) => service.simulate(req, onProgress),
  simulateCancel: () => service.simulateCancel(),
  snapshot: (name) => service.snapshot(name),
  restore: (name) => service.restore(name),
  listSnapshots: () => service.listSnapshots(),
  annotatePair: (spec, index, prompt, a, b) => service.annotatePair(spec, index, prompt, a, b),
  annotateScores: (spec, prompt, completions) => service.annotateScores(spec, prompt, completions),
  // The listener is a Comlink proxy (the page wraps it in Comlink.proxy); the service drops it
  // when a call to it fails, e.g. after the page released it.
  subscribeMetrics: (listener) => service.subscribeMetrics(listener),
  unsubscribeMetrics: (id) => service.unsubscribeMetrics(id),
  dispose: () => service.dispose(),
} satisfies EngineApi;

Comlink.expose(api);
