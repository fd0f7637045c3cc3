import type { ModelFiles } from './load';

export type ProgressFn = (p: { phase: string; loaded: number; total: number }) => void;

/** Fetches a checkpoint directory over HTTP (the shipped default, or a user's URL), with progress. */
export async function fetchModelFiles(baseUrl: string, onProgress?: ProgressFn, fetchFn: typeof fetch = fetch): Promise<ModelFiles> {
  const base = baseUrl.endsWith('/') ? baseUrl : baseUrl + '/';
  const getJson = async (file: string) => {
    const r = await fetchFn(base + file);
    if (!r.ok) throw new Error(`${file}: HTTP ${r.status} from ${base + file}`);
    try {
      return await r.json();
    } catch {
      throw new Error(`${file}: not valid JSON`);
    }
  };
  const [config, tokenizer] = await Promise.all([getJson('config.json'), getJson('tokenizer.json')]);
  const r = await fetchFn(base + 'model.safetensors');
  if (!r.ok) throw new Error(`model.safetensors: HTTP ${r.status} from ${base}model.safetensors`);
  const total = Number(r.headers.get('content-length') ?? 0);
  if (!r.body) return { name: base, config, tokenizer, weights: await r.arrayBuffer() };
  const reader = r.body.getReader();
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.byteLength;
    onProgress?.({ phase: 'weights', loaded, total });
  }
  const weights = new Uint8Array(loaded);
  let off = 0;
  for (const c of chunks) {
    weights.set(c, off);
    off += c.byteLength;
  }
  return { name: base, config, tokenizer, weights: weights.buffer };
}
