import { parseArgs } from 'node:util';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import englishWords from 'an-array-of-english-words';
import { runSimulation, type SimulationConfig } from '../../engine/learning/simulate';
import { fluencyFailures } from '../../engine/learning/frontier';
import { RELABEL_CANDIDATES, type SimulationLoop } from '../../engine/api';
import { createIdGenerator, createStarterSession, learningSettings } from '../../session/index';
import { GPT2Model } from '../../engine/model/gpt2';
import type { AnnotatorConfig, NoiseModel } from '../../engine/annotators';
import { loadCliPolicy } from '../policy_cli';
import { DEFAULT_MODEL_DIR } from '../model_dir';
import { UsageError, type CliIO } from '../io';
import { choiceFlag, intFlag, numberFlag, onOffFlag, parseListValue, SEED_BOUNDS, textFlag } from '../flags';
import { checkOutputPath, OutputFile } from '../output_file';
import { isTrainerObjective, OBJECTIVE_WEIGHT_LIMITS, TRAINER_OBJECTIVES } from '../../engine/objectives/names';
import { interpolationOf } from '../../engine/learning/trainer';

export const simHelp = `duelbook sim [--annotator sentiment|length|keyword|readability] [--objective NAME] [--votes N]
             [--seed S] [--model DIR] [--beta B] [--epsilon E] [--lr LR] [--interpolation ETA] [--rpo-alpha A] [--length-alpha A] [--steps-per-vote K]
             [--batch-size N] [--buffer N] [--max-tokens N] [--temperature T] [--top-k K] [--top-p P]
             [--pair-selection random|uncertain] [--selection-k K] [--relabel-pairs N]
             [--relabel-min-confidence C] [--relabel-max-std S] [--relabel-own-steps on|off] [--relabel-guard on|off]
             [--relabel-candidates N] [--relabel-match-length on|off] [--critiques RATE] [--catch-up-every K] [--eval-prompts N] [--flip-rate P]
             [--bt-temperature T] [--target-words N] [--keywords a,b] [--votes-out FILE] [--json]
  Runs the playground's online loop without a person, with the playground's defaults (the
  starter session's Train and Duel cells; every flag overrides one): the policy proposes pairs
  (a random pair, or the most uncertain of --selection-k samples), a simulated annotator votes,
  and each vote goes through the same log reducer the page uses — reward model, policy steps
  (DPO family), relabelling of --relabel-pairs fresh pairs by the reward model weighed against
  the explanations. Then the policy is
  judged against the frozen reference on held-out prompts. Prints win rate with a 95% interval,
  KL to the reference, reward-model prequential accuracy and its accuracy on a fixed set of
  reference pairs, fluency, set-level diversity (distinct completions, mean length against the
  reference's, self-similarity), the verdict and, with --json, the metric series.
  --interpolation ETA (default 1, off): the policy that samples and is judged is the reference
  plus ETA times what training moved (θ_ref + ETA (θ_trained − θ_ref), WiSE-FT / WARP's LITI),
  while the optimizer keeps moving the trained weights.
  --rpo-alpha A (default 0, off): TRL's rpo_alpha; a paired objective adds A times the chosen
  completions' negative log-likelihood per token (RPO).
  --length-alpha A (default 0, off; sigmoid only): R-DPO's length regularizer (Park et al. 2024);
  the loss is −log σ(β(ℓ_c − ℓ_r) + A(|y_c| − |y_r|)), lengths in tokens.
  --relabel-own-steps off: synthetic pairs (relabelled, or decided by a critique) join the
  buffer without taking steps of their own (default on: each takes --steps-per-vote steps).
  --relabel-guard on: refuse relabelled pairs whose winner is over 1.5× longer or more
  repetitive than its loser (the collapse guard; default off).
  --relabel-candidates N (2…8, default 2): draw N policy samples for each relabelled pair and
  pick the pair as DivPO does (Lanchantin et al. 2025): the least likely answer per token of the
  better half by the loop's taste against the most likely of the worse half. --relabel-match-length
  on: the worse half's answer closest in length to the chosen one instead (default off).
  --critiques RATE (default 0, off): on that share of decisive votes the simulated person also
  writes a one-line critique in words ("B is too long", "A sounds too negative"; never a score,
  target or word list), which the loop matches to principles and trains on, as a person's.
  --catch-up-every K (default 0, off): a person who votes faster than the trainer steps, as the
  page handles one: after the first vote every vote defers its steps (deferSteps) and one
  catch-up step follows every K of them (and once more at the end if any are left).
  --votes-out FILE writes every vote as a JSON line (prompt, a, b, outcome, the annotator's
  hidden scores, the reward model's prediction) for analysis or as a preference dataset. Its
  folder must exist; the file is written beside it under a temporary name and renamed into
  place when the run succeeds, so a failed run leaves an existing FILE as it was.
  Every prompt must fit the model's context together with --max-tokens (none is cut).`;

export async function simCommand(argv: string[], io: CliIO): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string' },
      annotator: { type: 'string', default: 'sentiment' },
      objective: { type: 'string' },
      votes: { type: 'string' },
      seed: { type: 'string' },
      beta: { type: 'string' },
      epsilon: { type: 'string' },
      lr: { type: 'string' },
      interpolation: { type: 'string' },
      'rpo-alpha': { type: 'string' },
      'length-alpha': { type: 'string' },
      'steps-per-vote': { type: 'string' },
      'batch-size': { type: 'string' },
      buffer: { type: 'string' },
      'max-tokens': { type: 'string' },
      temperature: { type: 'string' },
      'top-k': { type: 'string' },
      'top-p': { type: 'string' },
      'pair-selection': { type: 'string' },
      'selection-k': { type: 'string' },
      'relabel-pairs': { type: 'string' },
      'relabel-min-confidence': { type: 'string' },
      'relabel-max-std': { type: 'string' },
      critiques: { type: 'string' },
      'catch-up-every': { type: 'string' },
      'relabel-own-steps': { type: 'string' },
      'relabel-guard': { type: 'string' },
      'relabel-candidates': { type: 'string' },
      'relabel-match-length': { type: 'string' },
      'eval-prompts': { type: 'string' },
      'flip-rate': { type: 'string' },
      'bt-temperature': { type: 'string' },
      'target-words': { type: 'string' },
      keywords: { type: 'string' },
      prompts: { type: 'string' },
      'votes-out': { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const seed = intFlag('seed', values.seed, 1, SEED_BOUNDS);
  const playground = playgroundDefaults();
  const base = playground.trainer;
  const trainer = {
    ...base,
    objective: objectiveFlag(values.objective, base.objective),
    beta: numberFlag('beta', values.beta, base.beta, { min: 1e-6, max: 1e3 }),
    epsilon: numberFlag('epsilon', values.epsilon, base.epsilon, { min: 0, max: 0.49 }),
    lr: numberFlag('lr', values.lr, base.lr, { min: 1e-9, max: 1 }),
    interpolation: numberFlag('interpolation', values.interpolation, interpolationOf(base), { min: 1e-6, max: 1 }),
    rpoAlpha: numberFlag('rpo-alpha', values['rpo-alpha'], base.rpoAlpha ?? 0, OBJECTIVE_WEIGHT_LIMITS.rpoAlpha),
    lengthAlpha: numberFlag('length-alpha', values['length-alpha'], base.lengthAlpha ?? 0, OBJECTIVE_WEIGHT_LIMITS.lengthAlpha),
    stepsPerVote: intFlag('steps-per-vote', values['steps-per-vote'], base.stepsPerVote, { min: 0, max: 1000 }),
    batchSize: intFlag('batch-size', values['batch-size'], base.batchSize, { min: 1, max: 4096 }),
    bufferSize: intFlag('buffer', values.buffer, base.bufferSize, { min: 1, max: 1_000_000 }),
    // The run's seed also seeds the trainer's minibatch draws (the playground's is fixed at 0).
    seed,
  };
  const rule = choiceFlag('pair-selection', values['pair-selection'], playground.pairSelection.rule, ['random', 'uncertain'] as const);
  const loop: SimulationLoop = {
    sampling: {
      temperature: numberFlag('temperature', values.temperature, playground.sampling.temperature, { min: 0, max: 10 }),
      topK: intFlag('top-k', values['top-k'], playground.sampling.topK, { min: 0, max: 1_000_000 }),
      topP: numberFlag('top-p', values['top-p'], playground.sampling.topP, { min: 1e-9, max: 1 }),
    },
    pairSelection: { rule, k: intFlag('selection-k', values['selection-k'], playground.pairSelection.k, { min: 3, max: 8 }) },
    relabel: {
      pairs: intFlag('relabel-pairs', values['relabel-pairs'], playground.relabel.pairs, { min: 0, max: 8 }),
      minConfidence: numberFlag('relabel-min-confidence', values['relabel-min-confidence'], playground.relabel.minConfidence, { min: 0.5, max: 1 }),
      maxStd: numberFlag('relabel-max-std', values['relabel-max-std'], playground.relabel.maxStd, { min: 0, max: 0.5 }),
      ownSteps: onOffFlag('relabel-own-steps', values['relabel-own-steps'], true),
      collapseGuard: onOffFlag('relabel-guard', values['relabel-guard'], false),
      candidates: intFlag('relabel-candidates', values['relabel-candidates'], playground.relabel.candidates, RELABEL_CANDIDATES),
      matchLength: onOffFlag('relabel-match-length', values['relabel-match-length'], playground.relabel.matchLength),
    },
    critiqueRate: numberFlag('critiques', values.critiques, 0, { min: 0, max: 1 }),
    catchUpEvery: intFlag('catch-up-every', values['catch-up-every'], 0, { min: 0, max: 1000 }),
  };
  if (trainer.lengthAlpha > 0 && trainer.objective !== 'sigmoid') throw new UsageError(`--length-alpha (R-DPO) needs --objective sigmoid, not ${trainer.objective}`);
  if (loop.relabel.matchLength && loop.relabel.candidates === 2) throw new UsageError('--relabel-match-length needs --relabel-candidates above 2 (with two samples there is nothing to match)');
  const annotator = annotatorFromFlags(values);
  const votes = intFlag('votes', values.votes, 200, { min: 1, max: 10_000_000 });
  const maxNewTokens = intFlag('max-tokens', values['max-tokens'], playground.maxTokens, { min: 1, max: 1_000_000 });
  const nEval = intFlag('eval-prompts', values['eval-prompts'], 100, { min: 1, max: 1_000_000 });
  const modelDir = textFlag('model', values.model);
  const votesOutPath = textFlag('votes-out', values['votes-out']);
  // Checked now, opened only once every other check has passed (a bad flag must not empty it).
  if (votesOutPath !== undefined) await checkOutputPath('votes-out', votesOutPath);
  const policy = await loadCliPolicy(modelDir);
  if (maxNewTokens >= policy.config.nPositions) {
    throw new UsageError(`--max-tokens ${maxNewTokens} leaves no room for a prompt in the model's context of ${policy.config.nPositions} tokens`);
  }
  const promptsFile = textFlag('prompts', values.prompts) ?? path.join(modelDir ?? DEFAULT_MODEL_DIR, 'prompts.json');
  const prompts = await readPrompts(promptsFile);
  if (prompts.length < nEval + 10) throw new UsageError(`${promptsFile} has ${prompts.length} prompts; need more than --eval-prompts + 10`);
  // The engine would cut a long prompt to fit without a word; here that is an error naming the prompt.
  const context = policy.config.nPositions;
  prompts.forEach((p, i) => {
    const tokens = policy.tokenizer.encode(p).length;
    if (tokens + maxNewTokens > context) {
      throw new UsageError(`${promptsFile}: prompt ${i + 1} is ${tokens} tokens; with --max-tokens ${maxNewTokens} it exceeds the model's context of ${context}`);
    }
  });
  const cfg: SimulationConfig = {
    annotator,
    trainer,
    votes,
    seed,
    // The first prompts of the file are the fixed evaluation set; votes use the rest.
    evalPrompts: prompts.slice(0, nEval),
    trainPrompts: prompts.slice(nEval),
    maxNewTokens,
    temperature: loop.sampling.temperature,
    loop,
    englishWords: new Set(englishWords),
  };
  const reference = new GPT2Model(policy.model.backend, policy.config, await policy.model.readWeights());
  const bar = io.isTTY ? progressBar(io) : null;
  const votesOut = votesOutPath === undefined ? null : await OutputFile.create('votes-out', votesOutPath);
  let result;
  try {
    result = await runSimulation(policy, reference, cfg, (p) => bar?.(p.phase, p.done, p.total), undefined, (v) => {
      votesOut?.write(JSON.stringify(v) + '\n');
    });
  } catch (e) {
    await votesOut?.discard();
    throw e;
  }
  await votesOut?.commit();
  if (io.isTTY) io.stderr('\n');
  if (values.json) {
    io.stdout(JSON.stringify({ config: { annotator, trainer, loop, votes: cfg.votes, seed, maxNewTokens: cfg.maxNewTokens, evalPrompts: nEval }, ...result }) + '\n');
  } else {
    const f = (x: number | null, d = 3) => (x === null || !Number.isFinite(x) ? 'n/a' : x.toFixed(d));
    const failures = fluencyFailures({ win_rate_ci: result.win_rate_ci, kl: result.kl, fluency: result.fluency });
    io.stdout(
      `win rate vs reference  ${f(result.win_rate)} [${f(result.win_rate_ci[0])}, ${f(result.win_rate_ci[1])}]  (${result.wins} W / ${result.losses} L / ${result.ties} T)\n` +
        `KL(π‖π_ref)            ${f(result.kl, 2)} nats per sequence\n` +
        `reward model           prequential accuracy ${f(result.rm_prequential_accuracy)} (last 100: ${f(result.rm_prequential_accuracy_last100)}); on ${result.rm_fixed_pairs} fixed reference pairs ${f(result.rm_fixed_pairs_accuracy)}\n` +
        `English-word rate      policy ${f(result.fluency.policy_english_rate)} · reference ${f(result.fluency.reference_english_rate)}\n` +
        `distinct-2             policy ${f(result.fluency.policy_distinct2)} · reference ${f(result.fluency.reference_distinct2)}\n` +
        `distinct completions   policy ${f(result.fluency.policy_distinct_completions)} · reference ${f(result.fluency.reference_distinct_completions)}\n` +
        `mean length (words)    policy ${f(result.fluency.policy_mean_words, 2)} · reference ${f(result.fluency.reference_mean_words, 2)} (ratio ${f(result.fluency.policy_mean_words / result.fluency.reference_mean_words)})\n` +
        `self-similarity        policy ${f(result.fluency.policy_self_similarity)} · reference ${f(result.fluency.reference_self_similarity)}\n` +
        `doubled-word answers   policy ${f(result.fluency.policy_doubled_words ?? NaN)} · reference ${f(result.fluency.reference_doubled_words ?? NaN)} (reported, not part of the bar)\n` +
        `verdict                ${result.verdict}${failures.length ? ` (${failures.join('; ')})` : ''}\n` +
        `votes ${result.votes} (${result.decisive_votes} decisive), ${result.synthetic_pairs} relabelled pairs, ${result.optimizer_steps} optimizer steps, ${f(result.seconds, 1)} s\n`,
    );
  }
  return 0;
}

/**
 * The playground's defaults, read from the starter session a new visitor gets (its Train and
 * Duel cells): the one source, so `sim` runs the loop the page runs.
 */
function playgroundDefaults() {
  const doc = createStarterSession(createIdGenerator({ seed: 1 }), { title: 'sim', now: 0 });
  const train = doc.cells.find((c) => c.kind === 'train');
  const duel = doc.cells.find((c) => c.kind === 'duel');
  if (train?.kind !== 'train' || duel?.kind !== 'duel') throw new Error('the starter session lacks a Train or Duel cell');
  const settings = learningSettings(train.config, duel.config);
  return {
    trainer: settings.trainer,
    sampling: { temperature: duel.config.sampling.temperature, topK: duel.config.sampling.topK, topP: duel.config.sampling.topP },
    maxTokens: duel.config.sampling.maxTokens,
    pairSelection: duel.config.pairSelection ?? { rule: 'random' as const, k: 4 },
    relabel: {
      pairs: settings.relabel.pairs,
      minConfidence: settings.relabel.minConfidence,
      maxStd: settings.relabel.maxStd,
      candidates: settings.relabel.candidates ?? 2,
      matchLength: settings.relabel.matchLength ?? false,
    },
  };
}

function annotatorFromFlags(v: Record<string, string | boolean | undefined>): Omit<AnnotatorConfig, 'seed'> {
  const kind = choiceFlag('annotator', v.annotator as string | undefined, 'sentiment', ['sentiment', 'length', 'keyword', 'readability'] as const);
  const flip = v['flip-rate'] as string | undefined;
  const temp = v['bt-temperature'] as string | undefined;
  if (flip !== undefined && temp !== undefined) throw new UsageError('give at most one of --flip-rate and --bt-temperature');
  // Noiseless by default: label-flip noise with p = 0. Equal scores are ties.
  const noise: NoiseModel = temp !== undefined
    ? { type: 'bt', temperature: numberFlag('bt-temperature', temp, 1, { min: 1e-9, max: 1e6 }) }
    : { type: 'flip', flipRate: numberFlag('flip-rate', flip, 0, { min: 0, max: 0.5 }) };
  const common = { noise, tieThreshold: 1e-9, critique: false };
  // Parsed whichever annotator runs, so a bad value is an error rather than silently unused.
  const targetWords = intFlag('target-words', v['target-words'] as string | undefined, 20, { min: 1, max: 1_000_000 });
  // An empty list would make every vote a tie: it is an error, as is an empty item.
  const keywords = parseListValue('keywords', (v.keywords as string | undefined) ?? 'sea,ship,whale');
  switch (kind) {
    case 'sentiment':
      return { ...common, id: 'sentiment', scorer: { kind: 'sentiment' } };
    case 'length':
      return { ...common, id: 'length', scorer: { kind: 'length', targetWords } };
    case 'keyword':
      return { ...common, id: 'keyword', scorer: { kind: 'keyword', keywords } };
    case 'readability':
      return { ...common, id: 'readability', scorer: { kind: 'readability' } };
  }
}

export async function readPrompts(file: string): Promise<string[]> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : 'not valid JSON'}`);
  }
  const prompts = (json as { prompts?: unknown }).prompts;
  if (!Array.isArray(prompts) || !prompts.every((p) => typeof p === 'string')) throw new Error(`${file}: expected {"prompts": [strings]}`);
  return prompts as string[];
}

function progressBar(io: CliIO) {
  let last = 0;
  return (phase: string, done: number, total: number) => {
    const now = Date.now();
    if (done < total && now - last < 100) return;
    last = now;
    const width = 30;
    const filled = Math.round((done / total) * width);
    io.stderr(`\r${phase.padEnd(10)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`);
  };
}

function objectiveFlag(raw: string | undefined, fallback: string): string {
  if (raw === undefined) return fallback;
  if (!isTrainerObjective(raw)) throw new UsageError(`--objective: unknown objective ${JSON.stringify(raw)} (one of ${TRAINER_OBJECTIVES.join(', ')})`);
  return raw;
}
