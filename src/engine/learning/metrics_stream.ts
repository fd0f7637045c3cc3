/**
 * Fan-out of learner updates to listeners at most ~30 times a second. A vote can produce an
 * update every few milliseconds (the CPU backend on a tiny model, a burst of simulated votes),
 * and every delivery to the UI is a structured clone across the worker boundary plus a chart
 * redraw — so events are collected and delivered in batches, never dropped.
 *
 * In the worker each listener is a Comlink proxy: calling it returns a promise that rejects
 * when the page side has gone (proxy released, port closed). A listener that throws or rejects
 * is unsubscribed; the learner never fails because a chart went away.
 */

export type MetricsListener<E> = (events: E[]) => unknown;

export interface MetricsStreamOptions {
  /** Minimum milliseconds between two deliveries (default 1000/30). */
  intervalMs?: number;
  /** Clock in milliseconds (default performance.now). */
  now?: () => number;
}

export class MetricsStream<E> {
  private readonly listeners = new Map<string, MetricsListener<E>>();
  private pending: E[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;
  private lastDelivery = -Infinity;
  private nextId = 1;
  private readonly intervalMs: number;
  private readonly now: () => number;

  constructor(opts: MetricsStreamOptions = {}) {
    this.intervalMs = opts.intervalMs ?? 1000 / 30;
    this.now = opts.now ?? (() => performance.now());
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  subscribe(listener: MetricsListener<E>): string {
    if (typeof listener !== 'function') throw new TypeError('a metrics listener must be a function');
    const id = `m${this.nextId++}`;
    this.listeners.set(id, listener);
    return id;
  }

  unsubscribe(id: string): void {
    this.listeners.delete(id);
    if (this.listeners.size === 0) {
      // Nobody left to deliver to: a later subscriber starts from its own first event.
      this.cancelTimer();
      this.pending = [];
    }
  }

  /**
   * Queues an event. Delivery happens on a timer, never synchronously, so a burst of pushes
   * within one interval arrives as one batch; the first delivery after a quiet spell waits only
   * until the interval since the previous delivery has passed.
   */
  push(event: E): void {
    if (this.listeners.size === 0) return; // nobody listens: nothing to keep
    this.pending.push(event);
    if (this.timer !== null) return;
    // Rounded up: timers and clocks count whole milliseconds, and 33 ms would be 30.3 Hz.
    const wait = Math.max(0, Math.ceil(this.lastDelivery + this.intervalMs - this.now()));
    this.timer = setTimeout(() => this.flush(), wait);
  }

  /** Delivers everything pending now (also used on dispose). */
  flush(): void {
    this.cancelTimer();
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.lastDelivery = this.now();
    for (const [id, listener] of [...this.listeners]) {
      try {
        const r = listener(batch);
        if (r !== null && typeof r === 'object' && typeof (r as PromiseLike<unknown>).then === 'function') {
          (r as PromiseLike<unknown>).then(undefined, () => this.listeners.delete(id));
        }
      } catch {
        this.listeners.delete(id);
      }
    }
  }

  private cancelTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  dispose(): void {
    this.flush();
    this.listeners.clear();
  }
}
