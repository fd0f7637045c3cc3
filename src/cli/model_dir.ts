import { open } from 'node:fs/promises';
import { constants } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { checkModelFileSize, type ModelFiles } from '../engine/model/load';

/** The shipped default policy, relative to this file (works from a checkout). */
export const DEFAULT_MODEL_DIR = fileURLToPath(new URL('../../models/default/', import.meta.url));

type CheckpointFile = 'config.json' | 'tokenizer.json' | 'model.safetensors';

/**
 * Reads one checkpoint file, refusing anything but a regular file within its size cap before
 * reading a byte (a model.safetensors linked to /dev/zero once grew to 7 GB). The file is
 * opened non-blocking so a FIFO cannot hang the open, then checked with fstat on the open
 * handle (after symlinks are resolved, and with no window for a swap between check and read),
 * and read for exactly the size fstat gave.
 */
async function readCheckpointFile(dir: string, file: CheckpointFile): Promise<Uint8Array<ArrayBuffer>> {
  const full = path.join(dir, file);
  let handle;
  try {
    handle = await open(full, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(`${full}: ${code === 'ENOENT' ? 'file not found' : (e as Error).message}`);
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) {
      const kind = st.isDirectory() ? 'a directory' : st.isFIFO() ? 'a FIFO' : st.isCharacterDevice() || st.isBlockDevice() ? 'a device' : 'a socket or other special file';
      throw new Error(`${full}: is ${kind}, not a regular file`);
    }
    checkModelFileSize(file, st.size, full);
    // Its own ArrayBuffer, exactly the file's size: the weights are handed on without a copy.
    const buf = new Uint8Array(new ArrayBuffer(st.size));
    let filled = 0;
    while (filled < st.size) {
      const { bytesRead } = await handle.read(buf, filled, st.size - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    if (filled !== st.size) throw new Error(`${full}: changed while being read (${filled} of ${st.size} bytes)`);
    return buf;
  } finally {
    await handle.close();
  }
}

/** Reads config.json, tokenizer.json and model.safetensors from a checkpoint directory. */
export async function readModelDir(dir: string): Promise<ModelFiles> {
  const parse = (file: string, buf: Uint8Array) => {
    try {
      return JSON.parse(new TextDecoder().decode(buf));
    } catch {
      throw new Error(`${path.join(dir, file)}: not valid JSON`);
    }
  };
  // Settled in file order, so the error names the first missing file whichever read fails first.
  const settled = await Promise.allSettled([
    readCheckpointFile(dir, 'config.json'),
    readCheckpointFile(dir, 'tokenizer.json'),
    readCheckpointFile(dir, 'model.safetensors'),
  ]);
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  const [config, tokenizer, weights] = settled.map((r) => (r as PromiseFulfilledResult<Uint8Array<ArrayBuffer>>).value);
  return {
    name: path.basename(path.resolve(dir)),
    config: parse('config.json', config!),
    tokenizer: parse('tokenizer.json', tokenizer!),
    weights: weights!.buffer,
  };
}
