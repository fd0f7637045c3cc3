import { describe, expect, it } from 'vitest';
import { EngineLease } from '../../src/state/engine_lease';

function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

describe('EngineLease', () => {
  it('runs one user at a time; a waiting draw goes before waiting learning, each in call order', async () => {
    const lease = new EngineLease();
    const order: string[] = [];
    let inside = 0;
    let most = 0;
    const use = (name: string, hold: Promise<void>) => async () => {
      inside++;
      most = Math.max(most, inside);
      order.push(`${name}+`);
      await hold;
      order.push(`${name}-`);
      inside--;
      return name;
    };
    const first = gate();
    const running = lease.run('learn', use('learn1', first.promise));
    const waiting = [
      lease.run('learn', use('learn2', Promise.resolve())),
      lease.run('draw', use('draw1', Promise.resolve())),
      lease.run('learn', use('learn3', Promise.resolve())),
      lease.run('draw', use('draw2', Promise.resolve())),
    ];
    await Promise.resolve();
    expect(order).toEqual(['learn1+']);
    expect(lease.busy).toBe(true);
    first.open();
    expect(await Promise.all([running, ...waiting])).toEqual(['learn1', 'learn2', 'draw1', 'learn3', 'draw2']);
    expect(order).toEqual(['learn1+', 'learn1-', 'draw1+', 'draw1-', 'draw2+', 'draw2-', 'learn2+', 'learn2-', 'learn3+', 'learn3-']);
    expect(most).toBe(1);
    expect(lease.busy).toBe(false);
  });

  it('a user that throws hands the lease on', async () => {
    const lease = new EngineLease();
    await expect(lease.run('draw', () => Promise.reject(new Error('generation failed')))).rejects.toThrow('generation failed');
    expect(lease.busy).toBe(false);
    expect(await lease.run('learn', async () => 'next')).toBe('next');
  });
});
