import type { ModelFiles } from './load';

export type ProgressFn = (p: { phase: string; loaded: number; total: number }) => void;

const MiB = 1024 * 1024;

/**
 * The most bytes one download may bring. The weights cap takes GPT-2 small (its
 * model.safetensors is about 550 MB, the largest checkpoint the in-tab trainer is meant for)
 * and refuses GPT-2 medium (about 1.5 GB) and anything bigger before it fills the tab's memory;
 * the JSON cap is far above GPT-2's tokenizer.json (about 1.4 MB).
 */
export const DOWNLOAD_CAPS = {
  weightsBytes: 1024 * MiB,
  jsonBytes: 32 * MiB,
} as const;

export interface FetchModelOptions {
  /** Weights progress: `total` is the server's Content-Length, 0 when it gives none. */
  onProgress?: ProgressFn;
  /** Aborting it stops every request of the download (the error is a DownloadCancelled). */
  signal?: AbortSignal;
  fetchFn?: typeof fetch;
  caps?: { weightsBytes: number; jsonBytes: number };
}

/** The person cancelled the download (or a newer load replaced it). */
export class DownloadCancelled extends Error {
  constructor(readonly url: string) {
    super(`the download from ${originOf(url)} was cancelled`);
    this.name = 'DownloadCancelled';
  }
}

/** A human size: "1 GiB", "32 MiB", "17.0 MiB". */
export function formatCap(bytes: number): string {
  if (bytes >= 1024 * MiB) return `${+(bytes / (1024 * MiB)).toFixed(1)} GiB`;
  if (bytes >= MiB) return `${+(bytes / MiB).toFixed(1)} MiB`;
  return `${bytes} bytes`;
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

export interface CappedRead {
  /** What the file is, for errors ("model.safetensors"). */
  file: string;
  cap: number;
  signal?: AbortSignal;
  /** Called as bytes stream in (`total` is Content-Length, or 0). */
  onBytes?: (loaded: number, total: number) => void;
}

export interface CappedFetch extends CappedRead {
  fetchFn?: typeof fetch;
}

/**
 * GETs `url` and reads its body within `cap` bytes (see `readCapped`). Errors name the file
 * and the URL or, for the cap, the file, the cap and the origin.
 */
export async function fetchCapped(url: string, opts: CappedFetch): Promise<Uint8Array> {
  const { file, signal } = opts;
  const fetchFn = opts.fetchFn ?? fetch;
  if (signal?.aborted) throw new DownloadCancelled(url);
  let response: Response;
  try {
    response = await fetchFn(url, { signal });
  } catch (e) {
    if (signal?.aborted) throw new DownloadCancelled(url);
    throw new Error(`${file}: GET ${url} failed: ${(e as Error).message}`);
  }
  if (!response.ok) {
    void response.body?.cancel().catch(() => undefined);
    throw new Error(`${file}: HTTP ${response.status} from ${url}`);
  }
  return readCapped(response, url, opts);
}

/**
 * Reads a response's body, refusing it as soon as Content-Length says it is over `cap` and
 * aborting the stream once more than `cap` bytes have arrived (a server may omit or understate
 * Content-Length). Errors name the file, the cap and the origin.
 */
export async function readCapped(response: Response, url: string, opts: CappedRead): Promise<Uint8Array> {
  const { file, cap, signal } = opts;
  const where = `${file} from ${originOf(url)}`;
  const capText = `the ${formatCap(cap)} download cap`;
  const declared = Number(response.headers.get('content-length') ?? '');
  const total = Number.isFinite(declared) && declared > 0 ? declared : 0;
  if (total > cap) {
    void response.body?.cancel().catch(() => undefined);
    throw new Error(`${where}: its Content-Length (${total} bytes) is over ${capText}; nothing was downloaded`);
  }
  opts.onBytes?.(0, total);
  if (!response.body) {
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (bytes.byteLength > cap) throw new Error(`${where}: ${bytes.byteLength} bytes is over ${capText}`);
    opts.onBytes?.(bytes.byteLength, total);
    return bytes;
  }
  const reader = response.body.getReader();
  // A real fetch rejects the pending read on abort; a stream that does not (a test's, a
  // polyfill's) is cancelled here, so the loop below ends and sees the abort.
  const onAbort = () => void reader.cancel().catch(() => undefined);
  signal?.addEventListener('abort', onAbort, { once: true });
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  try {
    for (;;) {
      let step: ReadableStreamReadResult<Uint8Array>;
      try {
        step = await reader.read();
      } catch (e) {
        if (signal?.aborted) throw new DownloadCancelled(url);
        throw new Error(`${file}: reading ${url} failed: ${(e as Error).message}`);
      }
      if (signal?.aborted) throw new DownloadCancelled(url);
      if (step.done) break;
      loaded += step.value.byteLength;
      if (loaded > cap) {
        void reader.cancel().catch(() => undefined);
        throw new Error(`${where}: more than ${capText} arrived${total > 0 ? ` (its Content-Length said ${total} bytes)` : ''}; the download was stopped`);
      }
      chunks.push(step.value);
      opts.onBytes?.(loaded, total);
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  const bytes = new Uint8Array(loaded);
  let off = 0;
  for (const c of chunks) {
    bytes.set(c, off);
    off += c.byteLength;
  }
  return bytes;
}

/**
 * Fetches a checkpoint directory over HTTP (the shipped default, or a URL the person approved),
 * with progress, a byte cap per file and cancellation. Whether a URL may be fetched at all is
 * decided by the page before it asks (see `runPolicy` in src/state/app.svelte.ts).
 */
export async function fetchModelFiles(baseUrl: string, options: FetchModelOptions = {}): Promise<ModelFiles> {
  const base = baseUrl.endsWith('/') ? baseUrl : baseUrl + '/';
  const caps = options.caps ?? DOWNLOAD_CAPS;
  // One failure (a cap, an HTTP error) or the caller's abort stops the other requests too.
  const inner = new AbortController();
  const forward = () => inner.abort();
  if (options.signal?.aborted) throw new DownloadCancelled(base);
  options.signal?.addEventListener('abort', forward, { once: true });
  const signal = inner.signal;
  const cancelledOr = (e: unknown) => (options.signal?.aborted ? new DownloadCancelled(base) : e);
  const getJson = async (file: string) => {
    const bytes = await fetchCapped(base + file, { file, cap: caps.jsonBytes, signal, fetchFn: options.fetchFn });
    try {
      return JSON.parse(new TextDecoder().decode(bytes)) as unknown;
    } catch {
      throw new Error(`${file}: not valid JSON`);
    }
  };
  try {
    const [config, tokenizer] = await Promise.all([getJson('config.json'), getJson('tokenizer.json')]);
    const weights = await fetchCapped(base + 'model.safetensors', {
      file: 'model.safetensors',
      cap: caps.weightsBytes,
      signal,
      fetchFn: options.fetchFn,
      onBytes: (loaded, total) => options.onProgress?.({ phase: 'weights', loaded, total }),
    });
    const buffer = weights.byteOffset === 0 && weights.byteLength === weights.buffer.byteLength ? weights.buffer : weights.slice().buffer;
    return { name: base, config, tokenizer, weights: buffer as ArrayBuffer };
  } catch (e) {
    inner.abort();
    throw cancelledOr(e);
  } finally {
    options.signal?.removeEventListener('abort', forward);
  }
}
