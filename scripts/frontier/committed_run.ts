/**
 * A committed `duelbook sim --json` output (scripts/frontier/runs/, scripts/rm/runs/) read for a
 * verdict without simulating again. Runs written before the set-level diversity numbers existed
 * lack them in `fluency`; they are recomputed here from the run's `samples`, which hold every
 * evaluation completion. That is checked, not assumed: the file must hold one sample per
 * evaluation prompt, and the recorded distinct-2 of both sides must equal distinct-2 recomputed
 * from those samples, or the run is refused (too few samples to judge).
 */
import type { SimulationFluency, SimulationSummary, TrainerSettings } from '../../src/engine/api';
import { SET_DIVERSITY_KEYS, setDiversity, type SetDiversity } from '../../src/engine/learning/frontier';
import { distinctN } from '../../src/engine/stats';

/** The old fluency fields every committed run has; the set-level ones only in newer runs. */
type RecordedFluency = Omit<SimulationFluency, keyof SetDiversity> & Partial<SetDiversity>;

export type CommittedRun = Pick<SimulationSummary, 'win_rate' | 'win_rate_ci' | 'wins' | 'losses' | 'ties' | 'kl' | 'seconds' | 'samples'> & {
  config: { trainer: TrainerSettings; votes: number; seed: number; evalPrompts?: number };
  fluency: RecordedFluency;
  /** The verdict the run printed when it ran (absent in runs older than verdicts). */
  verdict?: string;
};

export interface RunFluency {
  fluency: SimulationFluency;
  /** Whether the set-level numbers were in the file or recomputed from its samples. */
  setLevel: 'recorded' | 'recomputed from samples';
}

const SET_KEYS = SET_DIVERSITY_KEYS;

/** JSON writes NaN as null; the bar reads a missing number as failing, so null becomes NaN. */
const num = (x: number | null | undefined): number => (typeof x === 'number' ? x : Number.NaN);

/** Why a run's samples cannot stand for its whole evaluation, or null when they can. */
export function samplesProblem(run: CommittedRun): string | null {
  const expected = run.config.evalPrompts ?? 100;
  if (run.samples.length !== expected) return `${run.samples.length} samples for ${expected} evaluation prompts`;
  const p = distinctN(run.samples.map((s) => s.policy), 2);
  const r = distinctN(run.samples.map((s) => s.reference), 2);
  const same = (a: number, b: number | null) => b !== null && Math.abs(a - b) <= 1e-12;
  if (!same(p, run.fluency.policy_distinct2) || !same(r, run.fluency.reference_distinct2)) {
    return `distinct-2 recomputed from the samples (${p}, ${r}) differs from the recorded (${run.fluency.policy_distinct2}, ${run.fluency.reference_distinct2})`;
  }
  return null;
}

/** The run's full SimulationFluency; throws when its samples are too few to judge. */
export function runFluency(run: CommittedRun): RunFluency {
  const f = run.fluency;
  if (SET_KEYS.every((k) => typeof f[k] === 'number' || f[k] === null)) {
    const recorded = Object.fromEntries(SET_KEYS.map((k) => [k, num(f[k])])) as unknown as SetDiversity;
    return { fluency: { ...f, ...recorded }, setLevel: 'recorded' };
  }
  const problem = samplesProblem(run);
  if (problem) throw new Error(`its samples cannot be judged: ${problem}`);
  const set = setDiversity(
    run.samples.map((s) => s.policy),
    run.samples.map((s) => s.reference),
  );
  return { fluency: { ...f, ...set }, setLevel: 'recomputed from samples' };
}
