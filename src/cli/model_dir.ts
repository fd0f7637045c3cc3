import { open } from 'node:fs/promises';
import { constants } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { checkModelFileSize, checkWeightsFitConfig, type ModelFiles } from '../engine/model/load';
import { parseHfGpt2Config, type GPT2Config } from '../engine/model/config';

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
async function readCheckpointFile(dir: string, file: CheckpointFile, config?: GPT2Config): Promise<Uint8Array<ArrayBuffer>> {
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
    if (config) checkWeightsFitConfig(st.size, config, full);
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

/**
 * Reads config.json, tokenizer.json and model.safetensors from a checkpoint directory. The
 * config is read and validated first, so a bad one is refused before the weights are read and
 * the weights' size is checked against what the config's shape can fill.
 */
export async function readModelDir(dir: string): Promise<ModelFiles> {
  const parse = (file: string, buf: Uint8Array) => {
    try {
      return JSON.parse(new TextDecoder().decode(buf));
    } catch {
      throw new Error(`${path.join(dir, file)}: not valid JSON`);
    }
  };
  const config: unknown = parse('config.json', await readCheckpointFile(dir, 'config.json'));
  const tokenizer: unknown = parse('tokenizer.json', await readCheckpointFile(dir, 'tokenizer.json'));
  const weights = await readCheckpointFile(dir, 'model.safetensors', parseHfGpt2Config(config));
  return { name: path.basename(path.resolve(dir)), config, tokenizer, weights: weights.buffer };
}
