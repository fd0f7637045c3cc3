import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import type { ModelFiles } from '../engine/model/load';

/** The shipped default policy, relative to this file (works from a checkout). */
export const DEFAULT_MODEL_DIR = fileURLToPath(new URL('../../models/default/', import.meta.url));

/** Reads config.json, tokenizer.json and model.safetensors from a checkpoint directory. */
export async function readModelDir(dir: string): Promise<ModelFiles> {
  const read = async (file: string) => {
    try {
      return await readFile(path.join(dir, file));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new Error(`${path.join(dir, file)}: ${code === 'ENOENT' ? 'file not found' : (e as Error).message}`);
    }
  };
  const parse = (file: string, buf: Buffer) => {
    try {
      return JSON.parse(buf.toString('utf8'));
    } catch {
      throw new Error(`${path.join(dir, file)}: not valid JSON`);
    }
  };
  // Settled in file order, so the error names the first missing file whichever read fails first.
  const settled = await Promise.allSettled([read('config.json'), read('tokenizer.json'), read('model.safetensors')]);
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  const [config, tokenizer, weights] = settled.map((r) => (r as PromiseFulfilledResult<Buffer>).value) as [Buffer, Buffer, Buffer];
  return {
    name: path.basename(path.resolve(dir)),
    config: parse('config.json', config),
    tokenizer: parse('tokenizer.json', tokenizer),
    weights: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer,
  };
}
