/**
 * The checkpoint download: progress from Content-Length, the byte cap (refused early on the
 * declared size, stopped mid-stream on the bytes that arrive), and cancellation through an
 * AbortSignal. A fake fetch serves pull-driven streams, so a test sees how much was read.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { JudgeService } from '../../src/engine/judges/judge_service';
import { countParams } from '../../src/engine/model/config';
import { DOWNLOAD_CAPS, DownloadCancelled, fetchModelFiles } from '../../src/engine/model/fetch_files';

const BASE = 'https://models.example.test/gpt2/';
const CAPS = { weightsBytes: 1000, jsonBytes: 200 };

interface Served {
  chunks: Uint8Array[];
  /** The Content-Length header, when the server sends one. */
  length?: number;
  status?: number;
  /** Never ends after its chunks (a slow server), so only an abort stops the read. */
  hang?: boolean;
}

interface FakeServer {
  fetchFn: typeof fetch;
  /** Chunks handed to the reader, by file. */
  pulled: Record<string, number>;
  cancelled: Set<string>;
  requested: string[];
  signals: Record<string, AbortSignal | undefined>;
  /** Resolves when `file` has handed out `n` chunks. */
  pulledAtLeast(file: string, n: number): Promise<void>;
}

function fakeServer(files: Record<string, Served>): FakeServer {
  const server: FakeServer = {
    pulled: {},
    cancelled: new Set(),
    requested: [],
    signals: {},
    fetchFn: (async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = String(input);
      const file = url.slice(BASE.length);
      server.requested.push(file);
      server.signals[file] = init?.signal ?? undefined;
      if (init?.signal?.aborted) throw new DOMException('aborted', 'AbortError');
      const served = files[file];
      if (!served) return new Response('not found', { status: 404 });
      server.pulled[file] = 0;
      const body = new ReadableStream<Uint8Array>(
        {
          pull(controller) {
            const i = server.pulled[file]!;
            if (i < served.chunks.length) {
              server.pulled[file] = i + 1;
              controller.enqueue(served.chunks[i]!);
            } else if (served.hang) {
              return new Promise<void>(() => undefined);
            } else controller.close();
          },
          cancel() {
            server.cancelled.add(file);
          },
        },
        // Nothing is pulled before the reader asks: `pulled` counts what the download read.
        { highWaterMark: 0 },
      );
      const headers: Record<string, string> = {};
      if (served.length !== undefined) headers['content-length'] = String(served.length);
      return new Response(body, { status: served.status ?? 200, headers });
    }) as typeof fetch,
    async pulledAtLeast(file, n) {
      for (let i = 0; i < 1000 && (server.pulled[file] ?? 0) < n; i++) await new Promise((r) => setTimeout(r, 1));
    },
  };
  return server;
}

const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const bytes = (n: number, fill = 7) => new Uint8Array(n).fill(fill);

function checkpoint(weights: Served): Record<string, Served> {
  const config = json({ n_layer: 1 });
  const tokenizer = json({ model: { vocab: {} } });
  return {
    'config.json': { chunks: [config], length: config.byteLength },
    'tokenizer.json': { chunks: [tokenizer], length: tokenizer.byteLength },
    'model.safetensors': weights,
  };
}

describe('fetchModelFiles', () => {
  it('reads the three files and reports weights progress against Content-Length', async () => {
    const server = fakeServer(checkpoint({ chunks: [bytes(300, 1), bytes(300, 2), bytes(100, 3)], length: 700 }));
    const seen: { loaded: number; total: number }[] = [];
    const files = await fetchModelFiles(BASE, { fetchFn: server.fetchFn, caps: CAPS, onProgress: (p) => seen.push({ loaded: p.loaded, total: p.total }) });
    expect(files.config).toEqual({ n_layer: 1 });
    expect(files.tokenizer).toEqual({ model: { vocab: {} } });
    const w = new Uint8Array(files.weights);
    expect(w.byteLength).toBe(700);
    expect([w[0], w[299], w[300], w[699]]).toEqual([1, 1, 2, 3]);
    // The size is known before the first byte, then every chunk moves the bar.
    expect(seen).toEqual([
      { loaded: 0, total: 700 },
      { loaded: 300, total: 700 },
      { loaded: 600, total: 700 },
      { loaded: 700, total: 700 },
    ]);
  });

  it('reports a total of 0 when the server gives no Content-Length', async () => {
    const server = fakeServer(checkpoint({ chunks: [bytes(10), bytes(20)] }));
    const seen: number[] = [];
    await fetchModelFiles(BASE, { fetchFn: server.fetchFn, caps: CAPS, onProgress: (p) => seen.push(p.total) });
    expect(seen).toEqual([0, 0, 0]);
  });

  it('refuses the weights before reading a byte when Content-Length is over the cap', async () => {
    const server = fakeServer(checkpoint({ chunks: [bytes(600), bytes(600)], length: 1200 }));
    const error = await fetchModelFiles(BASE, { fetchFn: server.fetchFn, caps: CAPS }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe(
      'model.safetensors from https://models.example.test: its Content-Length (1200 bytes) is over the 1000 bytes download cap; nothing was downloaded',
    );
    expect(server.pulled['model.safetensors']).toBe(0);
    expect(server.cancelled.has('model.safetensors')).toBe(true);
  });

  it('stops the stream once more bytes than the cap arrive (no Content-Length, or an understated one)', async () => {
    for (const length of [undefined, 500]) {
      const server = fakeServer(checkpoint({ chunks: [bytes(400), bytes(400), bytes(400), bytes(400), bytes(400)], length }));
      const seen: number[] = [];
      const error = await fetchModelFiles(BASE, { fetchFn: server.fetchFn, caps: CAPS, onProgress: (p) => seen.push(p.loaded) }).catch((e: Error) => e);
      expect((error as Error).message).toMatch(/^model\.safetensors from https:\/\/models\.example\.test: more than the 1000 bytes download cap arrived/);
      if (length !== undefined) expect((error as Error).message).toContain('its Content-Length said 500 bytes');
      // The third chunk crossed the cap: nothing after it was read.
      expect(server.pulled['model.safetensors']).toBe(3);
      expect(server.cancelled.has('model.safetensors')).toBe(true);
      expect(Math.max(...seen)).toBeLessThanOrEqual(CAPS.weightsBytes);
    }
  });

  it('caps the JSON files too, and a refused one stops the other request', async () => {
    const big = bytes(300, 32);
    const server = fakeServer({
      'config.json': { chunks: [big], length: big.byteLength },
      'tokenizer.json': { chunks: [json({})], hang: true },
      'model.safetensors': { chunks: [bytes(10)] },
    });
    const error = await fetchModelFiles(BASE, { fetchFn: server.fetchFn, caps: CAPS }).catch((e: Error) => e);
    expect((error as Error).message).toBe(
      'config.json from https://models.example.test: its Content-Length (300 bytes) is over the 200 bytes download cap; nothing was downloaded',
    );
    expect(server.signals['tokenizer.json']?.aborted).toBe(true);
    expect(server.requested).not.toContain('model.safetensors');
  });

  it('cancels mid-download when the signal aborts, and stops reading', async () => {
    const server = fakeServer(checkpoint({ chunks: [bytes(100), bytes(100)], length: 900, hang: true }));
    const abort = new AbortController();
    const seen: number[] = [];
    const done = fetchModelFiles(BASE, { fetchFn: server.fetchFn, caps: CAPS, signal: abort.signal, onProgress: (p) => seen.push(p.loaded) });
    await server.pulledAtLeast('model.safetensors', 2);
    expect(seen.at(-1)).toBe(200);
    abort.abort();
    const error = await done.catch((e: Error) => e);
    expect(error).toBeInstanceOf(DownloadCancelled);
    expect((error as Error).message).toBe('the download from https://models.example.test was cancelled');
    expect(server.signals['model.safetensors']?.aborted).toBe(true);
    expect(server.cancelled.has('model.safetensors')).toBe(true);
    expect(server.pulled['model.safetensors']).toBe(2);
  });

  it('fetches nothing when the signal is already aborted', async () => {
    const server = fakeServer(checkpoint({ chunks: [bytes(10)] }));
    const abort = new AbortController();
    abort.abort();
    await expect(fetchModelFiles(BASE, { fetchFn: server.fetchFn, signal: abort.signal })).rejects.toBeInstanceOf(DownloadCancelled);
    expect(server.requested).toEqual([]);
  });

  it('names the file and the URL on an HTTP error', async () => {
    const server = fakeServer({ ...checkpoint({ chunks: [bytes(10)] }), 'tokenizer.json': { chunks: [], status: 403 } });
    await expect(fetchModelFiles(BASE, { fetchFn: server.fetchFn })).rejects.toThrow(`tokenizer.json: HTTP 403 from ${BASE}tokenizer.json`);
  });

  it('states a weights cap that takes GPT-2 small and refuses GPT-2 medium (fp32 safetensors)', () => {
    // The shapes of openai-community/gpt2 and gpt2-medium (their config.json); 4 bytes a parameter.
    const gpt2 = (nLayer: number, nEmbd: number, nHead: number) => countParams({ nLayer, nHead, nEmbd, vocabSize: 50257, nPositions: 1024, layerNormEpsilon: 1e-5, eosTokenId: 50256 }) * 4;
    expect(DOWNLOAD_CAPS.weightsBytes).toBeGreaterThan(gpt2(12, 768, 12));
    expect(DOWNLOAD_CAPS.weightsBytes).toBeLessThan(gpt2(24, 1024, 16));
  });
});

describe('the judge worker\'s downloads', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('are capped too: a model.onnx whose Content-Length is over the cap is refused before its body is read', async () => {
    const over = DOWNLOAD_CAPS.weightsBytes + 1;
    const server = fakeServer({
      'judge.json': { chunks: [json({ name: 'x' })] },
      'tokenizer.json': { chunks: [json({})] },
      'model.onnx': { chunks: [bytes(10)], length: over },
    });
    vi.stubGlobal('fetch', server.fetchFn);
    const error = await new JudgeService().load({ kind: 'url', modelUrl: `${BASE}model.onnx` }).catch((e: Error) => e);
    expect(server.pulled['model.onnx']).toBe(0);
    expect((error as Error).message).toBe(
      `FETCH_FAILED: model.onnx from https://models.example.test: its Content-Length (${over} bytes) is over the 1 GiB download cap; nothing was downloaded`,
    );
  });
});
