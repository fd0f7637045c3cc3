/**
 * Who uses the engine's weights next: drawing a pair (the person is waiting for it) or learning
 * from votes (nobody waits for it). Both are several worker calls in a row that must not
 * interleave: an arena draw swaps a snapshot's weights in and back out around its generation,
 * and a generation's tokens must all come from one set of weights. Draws go before waiting
 * learning, so a person waits at most for the reduce already running, never for a queue of them;
 * learning runs while the person reads (a person does not draw twice without voting, and an
 * automatic judge waits for its vote's learning).
 */
export type LeaseUse = 'draw' | 'learn';

const RANK: Record<LeaseUse, number> = { draw: 0, learn: 1 };

interface Waiter {
  rank: number;
  order: number;
  go: () => void;
}

export class EngineLease {
  #busy = false;
  #waiting: Waiter[] = [];
  #order = 0;

  /** Runs `fn` when the engine is free: a waiting draw before any waiting learning, each in call order. */
  async run<T>(use: LeaseUse, fn: () => Promise<T>): Promise<T> {
    await this.#acquire(RANK[use]);
    try {
      return await fn();
    } finally {
      this.#release();
    }
  }

  /** Something holds the lease or waits for it. */
  get busy(): boolean {
    return this.#busy;
  }

  #acquire(rank: number): Promise<void> {
    if (!this.#busy) {
      this.#busy = true;
      return Promise.resolve();
    }
    return new Promise((go) => this.#waiting.push({ rank, order: this.#order++, go }));
  }

  #release(): void {
    if (this.#waiting.length === 0) {
      this.#busy = false;
      return;
    }
    let best = 0;
    for (let i = 1; i < this.#waiting.length; i++) {
      const w = this.#waiting[i]!;
      const b = this.#waiting[best]!;
      if (w.rank < b.rank || (w.rank === b.rank && w.order < b.order)) best = i;
    }
    const [next] = this.#waiting.splice(best, 1);
    next!.go();
  }
}
