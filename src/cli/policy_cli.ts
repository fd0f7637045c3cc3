import { CpuBackend } from '../engine/backends/cpu';
import { buildPolicy, type LoadedPolicy } from '../engine/model/load';
import { DEFAULT_MODEL_DIR, readModelDir } from './model_dir';

/** Loads a checkpoint directory (default: the shipped policy) on the CPU backend. */
export async function loadCliPolicy(dir: string | undefined): Promise<LoadedPolicy> {
  const files = await readModelDir(dir ?? DEFAULT_MODEL_DIR);
  return buildPolicy(new CpuBackend(), files);
}
