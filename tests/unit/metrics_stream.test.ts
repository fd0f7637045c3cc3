import { describe, it, expect, vi, afterEach, beforeEach } from 'vitest';
import { MetricsStream } from '../../src/engine/learning/metrics_stream';

describe('MetricsStream (≤ ~30 deliveries a second, nothing dropped)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** A stream on the fake clock (Date.now is faked by vi.useFakeTimers). */
  const stream = () => new MetricsStream<number>({ now: () => Date.now() });

  it('delivers a burst as one batch, asynchronously', () => {
    const s = stream();
    const got: number[][] = [];
    s.subscribe((e) => void got.push(e));
    for (let i = 0; i < 100; i++) s.push(i);
    expect(got).toEqual([]); // never synchronous: the burst is still being collected
    vi.advanceTimersByTime(0);
    expect(got).toEqual([Array.from({ length: 100 }, (_, i) => i)]);
  });

  it('spreads a steady stream over deliveries at least 33 ms apart, in order, without loss', () => {
    const s = stream();
    const deliveries: { at: number; events: number[] }[] = [];
    s.subscribe((e) => void deliveries.push({ at: Date.now(), events: e }));
    const t0 = Date.now();
    // An event every 5 ms for one second (200 events).
    for (let i = 0; i < 200; i++) {
      s.push(i);
      vi.advanceTimersByTime(5);
    }
    vi.advanceTimersByTime(100);
    expect(deliveries.flatMap((d) => d.events)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    for (let k = 1; k < deliveries.length; k++) expect(deliveries[k].at - deliveries[k - 1].at).toBeGreaterThanOrEqual(1000 / 30 - 1e-9);
    // ~30 Hz over ~1 s: at most 31 deliveries (and batching really happened).
    expect(deliveries.length).toBeLessThanOrEqual(31);
    expect(deliveries.length).toBeGreaterThanOrEqual(25);
    expect(deliveries.at(-1)!.at - t0).toBeLessThan(1100);
  });

  it('after a quiet spell delivers the next event at once', () => {
    const s = stream();
    const at: number[] = [];
    s.subscribe(() => void at.push(Date.now()));
    s.push(1);
    vi.advanceTimersByTime(0);
    vi.advanceTimersByTime(500);
    const t = Date.now();
    s.push(2);
    vi.advanceTimersByTime(0);
    expect(at).toEqual([at[0], t]);
  });

  it('removes a listener that throws or whose (Comlink) call rejects; the others keep receiving', async () => {
    const s = stream();
    const good: number[] = [];
    s.subscribe(() => {
      throw new Error('closed');
    });
    s.subscribe(() => Promise.reject(new Error('proxy released')));
    s.subscribe((e) => void good.push(...e));
    expect(s.listenerCount).toBe(3);
    s.push(1);
    vi.advanceTimersByTime(0);
    await Promise.resolve(); // let the rejection handler run
    await Promise.resolve();
    expect(s.listenerCount).toBe(1);
    s.push(2);
    vi.advanceTimersByTime(40);
    expect(good).toEqual([1, 2]);
  });

  it('unsubscribe stops deliveries; with no listener nothing is queued', () => {
    const s = stream();
    const got: number[] = [];
    const id = s.subscribe((e) => void got.push(...e));
    s.push(1);
    s.unsubscribe(id);
    vi.advanceTimersByTime(100);
    expect(got).toEqual([]);
    s.push(2); // nobody listening: dropped on purpose, not kept forever
    s.subscribe((e) => void got.push(...e));
    s.push(3);
    vi.advanceTimersByTime(100);
    expect(got).toEqual([3]);
  });
});
