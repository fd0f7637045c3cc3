/**
 * The measured learning frontier of the shipped default model (models/default/frontier.json,
 * written by scripts/frontier/frontier.ts from real `duelbook sim` runs), and the points a
 * Simulate cell adds to it in this page. The file is fetched, not imported, so it stays one
 * source for the README and the page; it is validated like any other input.
 */
import * as v from 'valibot';
import { RUN_VERDICTS, type RunVerdict, type SimulationSummary } from '../engine/api';
import { fluencyFailures } from '../engine/learning/frontier';
const finite = v.pipe(v.number(), v.finite());

const FrontierPointSchema = v.object({
  objective: v.pipe(v.string(), v.maxLength(32)),
  beta: finite,
  lr: finite,
  votes: finite,
  seed: finite,
  win_rate: finite,
  win_rate_ci: v.tuple([finite, finite]),
  kl: finite,
  fluency: v.object({
    policy_distinct2: finite,
    reference_distinct2: finite,
    /** Set-level diversity (absent in frontier files written before it). */
    policy_distinct_completions: v.optional(finite),
    policy_mean_words: v.optional(finite),
    reference_mean_words: v.optional(finite),
  }),
  verdict: v.picklist(RUN_VERDICTS),
  fluency_failures: v.pipe(v.array(v.pipe(v.string(), v.maxLength(200))), v.maxLength(8)),
  command: v.pipe(v.string(), v.maxLength(400)),
});

const FrontierFileSchema = v.object({
  format: v.literal('duelbook.frontier'),
  version: v.literal(1),
  annotator: v.pipe(v.string(), v.maxLength(200)),
  points: v.pipe(v.array(FrontierPointSchema), v.maxLength(200)),
});

/** One point of the chart: a measured run (shipped) or one this page ran. */
export interface FrontierRun {
  label: string;
  objective: string;
  beta: number;
  lr: number;
  votes: number;
  winRate: number;
  ci: [number, number];
  kl: number;
  verdict: RunVerdict;
  /** Share of the evaluation completions that are distinct, and mean length / the reference's (null when not measured). */
  distinctCompletions: number | null;
  meanWordsRatio: number | null;
  /** Why a run is not fluent; empty when it is. */
  notes: string[];
  source: 'shipped' | 'this page';
  command?: string;
}

export interface ShippedFrontier {
  annotator: string;
  runs: FrontierRun[];
}

function lengthRatio(policy: number | undefined, reference: number | undefined): number | null {
  if (policy === undefined || reference === undefined) return null;
  const r = policy / reference;
  return Number.isFinite(r) ? r : null;
}

export function frontierUrl(): string {
  return new URL(`${import.meta.env.BASE_URL}models/default/frontier.json`, location.href).href;
}

/** Parses a frontier file; throws with a readable message when it is not one. */
export function parseFrontier(json: unknown): ShippedFrontier {
  const r = v.safeParse(FrontierFileSchema, json);
  if (!r.success) throw new Error(`not a frontier file: ${r.issues[0]?.message ?? 'invalid'}`);
  return {
    annotator: r.output.annotator,
    runs: r.output.points.map((p) => ({
      label: `${p.objective} β${p.beta} lr ${p.lr.toExponential(0)}`,
      objective: p.objective,
      beta: p.beta,
      lr: p.lr,
      votes: p.votes,
      winRate: p.win_rate,
      ci: p.win_rate_ci,
      kl: p.kl,
      verdict: p.verdict,
      distinctCompletions: p.fluency.policy_distinct_completions ?? null,
      meanWordsRatio: lengthRatio(p.fluency.policy_mean_words, p.fluency.reference_mean_words),
      notes: p.fluency_failures,
      source: 'shipped' as const,
      command: p.command,
    })),
  };
}

let shipped: Promise<ShippedFrontier | string> | null = null;

/** The shipped frontier, fetched once per page; a string says why it is not available. */
export function loadShippedFrontier(fetchImpl: typeof fetch = fetch): Promise<ShippedFrontier | string> {
  shipped ??= (async () => {
    try {
      const response = await fetchImpl(frontierUrl());
      if (!response.ok) return `The measured frontier (models/default/frontier.json) could not be loaded: HTTP ${response.status}.`;
      return parseFrontier(await response.json());
    } catch (e) {
      return `The measured frontier could not be loaded: ${e instanceof Error ? e.message : String(e)}.`;
    }
  })();
  return shipped;
}

/** A Simulate cell's finished run as a frontier point. */
export function runFromSummary(s: SimulationSummary, settings: { objective: string; beta: number; lr: number }): FrontierRun {
  return {
    label: `${settings.objective} β${settings.beta} lr ${settings.lr.toExponential(0)} (yours)`,
    objective: settings.objective,
    beta: settings.beta,
    lr: settings.lr,
    votes: s.votes,
    winRate: s.win_rate,
    ci: s.win_rate_ci,
    kl: s.kl,
    verdict: s.verdict,
    distinctCompletions: Number.isFinite(s.fluency.policy_distinct_completions) ? s.fluency.policy_distinct_completions : null,
    meanWordsRatio: lengthRatio(s.fluency.policy_mean_words, s.fluency.reference_mean_words),
    notes: fluencyFailures(s),
    source: 'this page',
  };
}
