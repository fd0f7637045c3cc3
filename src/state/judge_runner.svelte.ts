/**
 * The loop that lets a person watch an automatic judge vote: Start, Pause, Step one vote, Stop,
 * at a chosen delay between votes. The loop only awaits (engine and judge work happen in
 * workers), so the page stays responsive; every pending wait is cut short by Pause or Stop.
 *
 * One step is supplied by the duel: it gets `alive()` — false once this run was paused,
 * stopped or replaced — `hold(ms)`, which resolves after ms (true) or as soon as the run
 * ends (false), and `recorded()`, to call as soon as its vote is in the log (learning from it
 * takes seconds more, and the count a person reads must match the log meanwhile). A step must
 * not cast a vote once `alive()` is false.
 */
import { DEFAULT_JUDGE_DELAY_MS } from './judging';

export type RunnerStatus = 'stopped' | 'running' | 'paused';

/** What one step did: cast a vote; could not (the loop stops, the reason shows); or was cut short. */
export type StepOutcome = { kind: 'voted' } | { kind: 'cannot'; reason: string } | { kind: 'cancelled' };

export interface RunnerStep {
  (alive: () => boolean, hold: (ms: number) => Promise<boolean>, recorded: () => void): Promise<StepOutcome>;
}

export class JudgeRunner {
  status = $state<RunnerStatus>('stopped');
  /** How long each verdict stays highlighted before it is cast (0 = as fast as possible). */
  delayMs = $state(DEFAULT_JUDGE_DELAY_MS);
  /** A step is in flight (Step is refused meanwhile). */
  stepping = $state(false);
  /** Votes cast since the last Start or Step. */
  castThisRun = $state(0);
  /** Why the loop stopped on its own, if it did. */
  stoppedBecause = $state<string | null>(null);

  #run = 0;
  /** The run that Start or Step last began (Pause and Stop end it without beginning another). */
  #begun = 0;
  readonly #wakers = new Set<() => void>();

  constructor(private readonly step: RunnerStep) {}

  get running(): boolean {
    return this.status === 'running';
  }

  start(): void {
    if (this.status === 'running') return;
    const run = this.#begin();
    this.status = 'running';
    void this.#loop(run);
  }

  pause(): void {
    if (this.status !== 'running') return;
    this.#end();
    this.status = 'paused';
  }

  stop(): void {
    this.#end();
    this.status = 'stopped';
  }

  /** Exactly one judged vote (when not running). Resolves when it is cast or refused. */
  async stepOnce(): Promise<StepOutcome> {
    if (this.status === 'running' || this.stepping) return { kind: 'cancelled' };
    const run = this.#begin();
    this.stepping = true;
    try {
      const outcome = await this.#one(run);
      if (outcome.kind === 'cannot') this.stoppedBecause = outcome.reason;
      return outcome;
    } finally {
      if (run === this.#run) this.stepping = false;
    }
  }

  #begin(): number {
    // A new run makes every earlier one stale: its step will not cast, its waits end now.
    this.#end();
    this.stoppedBecause = null;
    this.castThisRun = 0;
    this.#begun = this.#run;
    return this.#run;
  }

  #end(): void {
    this.#run++;
    this.stepping = false;
    for (const wake of [...this.#wakers]) wake();
  }

  async #loop(run: number): Promise<void> {
    while (run === this.#run) {
      this.stepping = true;
      const outcome = await this.#one(run);
      if (run !== this.#run) return;
      this.stepping = false;
      if (outcome.kind === 'cannot') {
        this.stoppedBecause = outcome.reason;
        this.#end();
        this.status = 'stopped';
        return;
      }
      // Even at full speed, give the page a turn between votes (input, rendering).
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  }

  async #one(run: number): Promise<StepOutcome> {
    const alive = () => run === this.#run;
    // Counted once, when the vote reaches the log (or, for a step that does not say, when it
    // ends voted). A vote cast just as Pause came still counts; one from a run replaced by a new
    // Start does not.
    let counted = false;
    const count = () => {
      if (counted) return;
      counted = true;
      if (run === this.#begun) this.castThisRun++;
    };
    let outcome: StepOutcome;
    try {
      outcome = await this.step(alive, (ms) => this.#hold(ms, run), count);
    } catch (e) {
      outcome = { kind: 'cannot', reason: e instanceof Error ? e.message : String(e) };
    }
    if (outcome.kind === 'voted') count();
    return outcome;
  }

  #hold(ms: number, run: number): Promise<boolean> {
    if (run !== this.#run) return Promise.resolve(false);
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.#wakers.delete(wake);
        resolve(run === this.#run);
      };
      const timer = setTimeout(wake, Math.max(0, ms));
      this.#wakers.add(wake);
    });
  }
}
