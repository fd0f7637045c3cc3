import { describe, it, expect } from 'vitest';
describe('headless Chromium', () => {
  it('exposes a WebGPU adapter', async () => {
    const adapter = await navigator.gpu?.requestAdapter();
    expect(adapter).toBeTruthy();
  });
});
