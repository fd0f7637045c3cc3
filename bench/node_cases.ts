/**
 * The Node half of `npm run bench`: the CPU paths of the command line and simulations.
 * 5. reward-model refit and Bradley–Terry fit against plain textbook peers (bench/baselines.ts);
 * 6. GPT2Model.forward on the CPU backend against onnxruntime-web's WASM EP in Node.
 */
import { cpus } from 'node:os';
import * as ort from 'onnxruntime-web';
import { CpuBackend } from '../src/engine/backends/cpu';
import { buildPolicy } from '../src/engine/model/load';
import { buildBatch } from '../src/engine/batch';
import { RewardEnsemble, type RewardVote } from '../src/engine/reward';
import { ONLINE_REWARD_MODEL } from '../src/engine/learning/reward_model';
import { aggregateIndexedBattles, fitBradleyTerry, simulateBattles } from '../src/engine/ratings';
import { Rng } from '../src/engine/rng';
import { EngineService } from '../src/engine/service';
import type { ModelSource } from '../src/engine/api';
import { createIdGenerator, createStarterSession, learningSettings } from '../src/session/index';
import { batchRewardModel, perBattleBradleyTerry } from './baselines';
import type { PolicyFiles } from './model_source';
import { median, rate, round, timeInterleaved } from './timing';
import { cpuForwardRow } from './cpu_forward';
import type { BenchRow, NodeCase, Sizes } from './types';

export interface NodeCaseConfig {
  sizes: Sizes;
  files: PolicyFiles;
  /** Sequences for the CPU forward (prompt ids, padded/cut to cpuForwardSeq). */
  forwardIds: number[][];
  ortThreads: number;
  log: (s: string) => void;
}

export function cpuLabel(): string {
  const c = cpus();
  return `CPU: ${c[0]?.model?.trim() ?? 'unknown'} (${c.length} logical cores), Node ${process.version}`;
}

// ------------------------------------------------------------------ 5a: reward model

async function caseReward(cfg: NodeCaseConfig): Promise<BenchRow[]> {
  const dim = cfg.files.info.config.nEmbd;
  const nTrain = cfg.sizes.rmVotes;
  const nTest = cfg.sizes.rmHeldOut;
  // Synthetic votes from a planted linear reward on Gaussian "pooled hidden state" features.
  const rng = new Rng('bench-reward');
  const wTrue = Array.from({ length: dim }, () => rng.normal());
  const feat = () => Float32Array.from({ length: dim }, () => rng.normal());
  const votes: RewardVote[] = [];
  for (let i = 0; i < nTrain + nTest; i++) {
    const a = feat();
    const b = feat();
    let d = 0;
    for (let j = 0; j < dim; j++) d += wTrue[j] * (a[j] - b[j]);
    const p = 1 / (1 + Math.exp((-3 * d) / Math.sqrt(2 * dim)));
    votes.push({ a, b, outcome: rng.next() < p ? 'a' : 'b' });
  }
  const train = votes.slice(0, nTrain);
  const test = votes.slice(nTrain);
  const accuracy = (pAB: (v: RewardVote) => number) => test.filter((v) => (pAB(v) > 0.5) === (v.outcome === 'a')).length / test.length;

  let oursAcc = NaN;
  let peerAcc = NaN;
  let peerIters = 0;
  const ours = () => {
    // The loop's reward model (createRewardModel's settings), on one standardised dense block.
    const ens = new RewardEnsemble({ ...ONLINE_REWARD_MODEL, dim, seed: 'bench' });
    for (const v of train) ens.observe(v);
    oursAcc = accuracy((v) => ens.preference(v.a, v.b).pAB);
  };
  const peer = () => {
    const fit = batchRewardModel(train.map((v) => ({ a: v.a, b: v.b, aWins: v.outcome === 'a' })), dim);
    peerIters = fit.iterations;
    peerAcc = accuracy((v) => (fit.reward(v.a) > fit.reward(v.b) ? 1 : 0));
  };
  const [oursMs, peerMs] = await timeInterleaved([ours, peer], cfg.sizes.warmup, cfg.sizes.reps);
  const o = median(oursMs);
  const p = median(peerMs);
  cfg.log(`reward refit ${nTrain} votes: ours ${round(o, 3)} ms vs batch IRLS ${round(p, 3)} ms`);
  return [
    {
      group: 5,
      case: `reward model: fit ${nTrain} votes`,
      ours: round(o),
      peer: round(p),
      ratio: round(o / p),
      unit: 'ms',
      better: 'lower',
      adapter: cpuLabel(),
      peerName: 'batch logistic regression, Newton/IRLS to convergence (bench/baselines.ts), 1 model',
      peerAdapter: cpuLabel(),
      shapes: `${nTrain} decisive votes, features d = ${dim} (the policy's n_embd)`,
      reps: cfg.sizes.reps,
      warmup: cfg.sizes.warmup,
      oursMs: oursMs.map((x) => round(x)),
      peerMs: peerMs.map((x) => round(x)),
      notes: [
        `ours: a fresh RewardEnsemble with the online loop's settings (${ONLINE_REWARD_MODEL.heads} heads, fit '${ONLINE_REWARD_MODEL.fit}': ${ONLINE_REWARD_MODEL.refitIterations} full-batch steps per head after each vote) observing every vote in order — what replaying a session costs`,
        `peer converged in ${peerIters} Newton iterations; held-out accuracy on ${nTest} votes: ours ${round(oursAcc, 3)}, peer ${round(peerAcc, 3)}`,
        'synthetic votes from a planted linear reward on Gaussian features',
      ],
    },
  ];
}

// ------------------------------------------------------------------ 4c: one vote, the live path

/**
 * One vote as the playground learns from it now: `EngineService.reduce` with one pair intent
 * (the log reducer: checkpoint before the vote, reference pass, reward-model refit, the policy's
 * steps), against the path it replaced, `OnlineLearner.feedback` on the same model with the
 * same settings. Interleaved, so the ratio is the reducer's overhead on this machine.
 */
async function caseVote(cfg: NodeCaseConfig): Promise<BenchRow[]> {
  const { files } = cfg;
  const source = (): ModelSource => ({
    kind: 'files',
    name: files.info.name,
    config: JSON.stringify(files.hfConfig),
    tokenizer: JSON.stringify(files.tokenizerJson),
    weights: files.safetensors.slice().buffer as ArrayBuffer,
  });
  const defaults = createStarterSession(createIdGenerator({ seed: 1 }), { title: 'bench', now: 0 });
  const trainCell = defaults.cells.find((c) => c.kind === 'train')!;
  const duelCell = defaults.cells.find((c) => c.kind === 'duel')!;
  if (trainCell.kind !== 'train' || duelCell.kind !== 'duel') throw new Error('vote: the starter session lacks a Train or Duel cell');
  const settings = learningSettings(trainCell.config, duelCell.config);
  const reducerPath = new EngineService(undefined);
  const learnerPath = new EngineService(undefined);
  await reducerPath.loadModel(source(), 'cpu');
  await learnerPath.loadModel(source(), 'cpu');
  await reducerPath.reduce({ intents: [{ seq: 0, type: 'settings', settings }] });
  await learnerPath.reduce({ intents: [{ seq: 0, type: 'settings', settings }] });
  const prompt = 'The sea was';
  const promptLength = reducerPath.requirePolicy().tokenizer.encode(prompt).length;
  const maxTokens = Math.max(1, Math.min(duelCell.config.sampling.maxTokens, files.info.config.nPositions - promptLength));
  const gen = await reducerPath.generate({ prompt, numSequences: 2, maxNewTokens: maxTokens, temperature: 1, topK: 0, topP: 1, seed: 3 });
  const [aIds, bIds] = gen.tokenIds as [number[], number[]];
  let seq = 1;
  let k = 0;
  const viaReducer = async () => {
    const outcome = seq % 2 ? 'a' : 'b';
    await reducerPath.reduce({ intents: [{ seq: seq++, type: 'pair', prompt, aIds, bIds, outcome }] });
  };
  const viaLearner = async () => {
    const outcome = ++k % 2 ? 'a' : 'b';
    await learnerPath.requireLearner().feedback({ prompt, promptIds: gen.promptIds, aIds, bIds, outcome, train: true });
  };
  const [r, l] = await timeInterleaved([viaReducer, viaLearner], cfg.sizes.warmup, cfg.sizes.reps);
  const o = median(r);
  const p = median(l);
  // Undo of the last vote: a restore of the checkpoint taken before it (the log's other votes stay).
  const undoMs: number[] = [];
  for (let i = 0; i < cfg.sizes.reps; i++) {
    const voteSeq = seq++;
    await reducerPath.reduce({ intents: [{ seq: voteSeq, type: 'pair', prompt, aIds, bIds, outcome: 'a' }] });
    const t0 = performance.now();
    const u = await reducerPath.reduce({ intents: [{ seq: seq++, type: 'undo', targetSeq: voteSeq }] });
    undoMs.push(performance.now() - t0);
    if (u.restoredAfterSeq === null) throw new Error('vote: the undo restored no checkpoint');
  }
  const last = await reducerPath.reduce({ intents: [] });
  cfg.log(`one vote: reduce ${round(o, 3)} ms vs OnlineLearner.feedback ${round(p, 3)} ms`);
  await reducerPath.dispose();
  await learnerPath.dispose();
  return [
    {
      group: 4,
      case: 'one vote through the log reducer (the live path)',
      ours: round(o),
      peer: round(p),
      ratio: round(o / p),
      unit: 'ms',
      better: 'lower',
      adapter: cpuLabel(),
      peerName: 'OnlineLearner.feedback, the per-vote call the page made before the reducer',
      peerAdapter: cpuLabel(),
      reps: cfg.sizes.reps,
      warmup: cfg.sizes.warmup,
      oursMs: r.map((x) => round(x)),
      peerMs: l.map((x) => round(x)),
      shapes: `${files.info.name}: ${files.info.params.toLocaleString('en-US')} params; prompt + ${aIds.length} / ${bIds.length} completion tokens; ${settings.trainer.objective}, β ${settings.trainer.beta}, lr ${settings.trainer.lr}, ${settings.trainer.stepsPerVote} steps per vote, batch ${settings.trainer.batchSize}`,
      notes: [
        ...(files.info.note ? [files.info.note] : []),
        `EngineService.reduce with one pair intent: checkpoint before the vote (weights, AdamW moments, reward model; ${last.checkpoints.count} held, ${(last.checkpoints.bytes / 2 ** 20).toFixed(0)} MiB of a ${(last.checkpoints.budgetBytes / 2 ** 20).toFixed(0)} MiB budget at the end), reference pass, reward-model refit, the policy's steps; the playground's default settings`,
      ],
    },
    {
      group: 4,
      case: 'undo the last vote (log reducer)',
      ours: round(median(undoMs)),
      peer: round(o),
      ratio: round(median(undoMs) / o),
      unit: 'ms',
      better: 'lower',
      adapter: cpuLabel(),
      peerName: 'one vote through the log reducer (row above)',
      peerAdapter: cpuLabel(),
      reps: cfg.sizes.reps,
      warmup: 0,
      oursMs: undoMs.map((x) => round(x)),
      shapes: `${files.info.name}, after ${seq - 1} intents`,
      notes: [
        ...(files.info.note ? [files.info.note] : []),
        'EngineService.reduce with the undo intent of the vote just reduced: restores the checkpoint taken before it (weights, AdamW moments, trainer, reward model) and reduces nothing forward',
      ],
    },
  ];
}

// ------------------------------------------------------------------ 5b: Bradley–Terry

async function caseRatings(cfg: NodeCaseConfig): Promise<BenchRow[]> {
  const n = cfg.sizes.btCompetitors;
  const m = cfg.sizes.btBattles;
  const rng = new Rng('bench-bt');
  const theta = Array.from({ length: n }, () => 0.35 * rng.normal());
  const names = theta.map((_, k) => `model-${String(k).padStart(3, '0')}`);
  const sim = simulateBattles(theta, { battles: m, seed: 7, tieModel: 'davidson', tieParameter: 0.3, bothBadShare: 0.25 });
  let oursRatings: Float64Array = new Float64Array(n);
  let peerRatings: Float64Array = new Float64Array(n);
  let oursIt = 0;
  let peerIt = 0;
  const ours = () => {
    const counts = aggregateIndexedBattles(names, sim.modelA, sim.modelB, sim.outcome);
    const fit = fitBradleyTerry(counts, { ties: 'half' });
    if (!fit.converged) throw new Error('ratings: fitBradleyTerry did not converge');
    const idx = new Map(fit.names.map((nm, k) => [nm, k]));
    oursRatings = Float64Array.from(names, (nm) => fit.ratings[idx.get(nm)!]);
    oursIt = fit.iterations;
  };
  const peer = () => {
    const r = perBattleBradleyTerry(n, sim.modelA, sim.modelB, sim.outcome);
    peerRatings = r.ratings;
    peerIt = r.iterations;
  };
  const [oursMs, peerMs] = await timeInterleaved([ours, peer], cfg.sizes.warmup, cfg.sizes.reps);
  let diff = 0;
  for (let i = 0; i < n; i++) diff = Math.max(diff, Math.abs(oursRatings[i] - peerRatings[i]));
  const o = median(oursMs);
  const p = median(peerMs);
  cfg.log(`Bradley–Terry ${n} × ${m}: ours ${round(o, 3)} ms vs per-battle Newton ${round(p, 3)} ms`);
  return [
    {
      group: 5,
      case: `Bradley–Terry fit`,
      ours: round(o),
      peer: round(p),
      ratio: round(o / p),
      unit: 'ms',
      better: 'lower',
      adapter: cpuLabel(),
      peerName: 'per-battle Newton logistic regression, no aggregation (bench/baselines.ts)',
      peerAdapter: cpuLabel(),
      shapes: `${n} competitors, ${m.toLocaleString('en-US')} battles (Davidson ties ν = 0.3, 25 % of ties "both bad")`,
      reps: cfg.sizes.reps,
      warmup: cfg.sizes.warmup,
      oursMs: oursMs.map((x) => round(x)),
      peerMs: peerMs.map((x) => round(x)),
      notes: [
        `ours: aggregateIndexedBattles + fitBradleyTerry (ties "half", both-bad as tie; ${oursIt} iterations); simulation not timed`,
        `peer: ${peerIt} Newton iterations over every battle; max |Δ rating| ours vs peer = ${diff.toExponential(2)} Elo points`,
      ],
      agreement: { metric: 'max |Δ rating| (Elo points)', value: diff },
    },
  ];
}

// ------------------------------------------------------------------ 6: CPU forward

async function caseCpuForward(cfg: NodeCaseConfig): Promise<BenchRow[]> {
  const { files } = cfg;
  const c = files.info.config;
  const backend = new CpuBackend();
  const policy = buildPolicy(backend, {
    name: files.info.name,
    config: files.hfConfig,
    tokenizer: files.tokenizerJson,
    weights: files.safetensors.slice().buffer,
  });
  ort.env.wasm.numThreads = cfg.ortThreads;
  ort.env.logLevel = 'error';
  const session = await ort.InferenceSession.create(files.onnx.slice(), {
    executionProviders: ['wasm'],
    externalData: [{ path: 'model.safetensors', data: files.safetensors.slice() }],
  });
  try {
    const row = await cpuForwardRow({
      caseName: 'CPU forward vs ORT WASM (Node)',
      model: policy.model,
      backend,
      forwardIds: cfg.forwardIds,
      peer: {
        name: `onnxruntime-web ${ort.env.versions.web ?? ''} WASM EP in Node`,
        adapter: `${cpuLabel()}; WASM SIMD, ${cfg.ortThreads} thread${cfg.ortThreads === 1 ? '' : 's'}`,
        logits: async (ids, B, T) => {
          const r = await session.run({ input_ids: new ort.Tensor('int64', ids, [B, T]) });
          return r.logits.data as Float32Array;
        },
      },
      adapter: `${cpuLabel()}; our CPU backend (TypeScript + WebAssembly SIMD, 1 thread)`,
      modelShape: `${c.nLayer}L/${c.nHead}H/${c.nEmbd}d, V=${c.vocabSize}, ${files.info.params.toLocaleString('en-US')} params`,
      warmup: cfg.sizes.warmup,
      reps: cfg.sizes.reps,
      notes: [...(files.info.note ? [files.info.note] : []), `ONNX: ${files.info.onnxSource}`],
      log: cfg.log,
    });
    return [row];
  } finally {
    await session.release();
    policy.model.dispose();
  }
}

export const NODE_CASE_FNS: Record<NodeCase, (cfg: NodeCaseConfig) => Promise<BenchRow[]>> = {
  vote: caseVote,
  reward: caseReward,
  ratings: caseRatings,
  cpu_forward: caseCpuForward,
};
