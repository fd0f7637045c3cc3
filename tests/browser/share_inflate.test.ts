/**
 * Share-link inflation in Chromium stops at the byte cap while inflating. Chromium's
 * DecompressionStream expands a whole input chunk before the first read, so a 64 KB bomb fed
 * as one chunk was inflated to 64 MB before the 1 MB cap could stop it (about 400-580 ms
 * here, as long as inflating it whole); fed a kilobyte at a time, it stops after ~1 MB.
 */
import { describe, expect, it } from 'vitest';
import { gunzipBounded, gzip } from '../../src/session/share';

describe('gunzipBounded in the browser', () => {
  it('abandons a bomb after about the cap, not after inflating it whole', async () => {
    const bomb = await gzip(new Uint8Array(64 * 1024 * 1024));
    const t0 = performance.now();
    const whole = await gunzipBounded(bomb, 64 * 1024 * 1024);
    const wholeMs = performance.now() - t0;
    expect(whole instanceof Uint8Array && whole.length).toBe(64 * 1024 * 1024);
    const t1 = performance.now();
    expect(await gunzipBounded(bomb, 1024 * 1024)).toBe('too large');
    const cappedMs = performance.now() - t1;
    console.log(`inflate 64 MB whole: ${wholeMs.toFixed(0)} ms; stop at 1 MB: ${cappedMs.toFixed(0)} ms`);
    expect(cappedMs).toBeLessThan(wholeMs / 4);
  });
});
