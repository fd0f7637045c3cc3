import type { Backend } from '../backend';
import { CpuBackend } from './cpu';
import type { BackendInfo, BackendPreference } from '../api';
import { matmulThreads, startMatmulThreads } from '../../kernels/wasm/matmul';

/** Most matmul threads the CPU backend asks for: the policy's shapes gain little past this. */
const MAX_CPU_THREADS = 4;

/**
 * Matmul threads for the CPU backend here: every core up to MAX_CPU_THREADS in a
 * cross-origin-isolated page's worker (where shared memory exists), 1 elsewhere. Node (the
 * command line, the tests) stays on one thread: results are bit-identical either way, and
 * parallel test files would only contend for the same cores.
 */
export function defaultCpuThreads(): number {
  const g = globalThis as { crossOriginIsolated?: boolean; navigator?: { hardwareConcurrency?: number } };
  if (g.crossOriginIsolated !== true) return 1;
  return Math.max(1, Math.min(MAX_CPU_THREADS, g.navigator?.hardwareConcurrency ?? 1));
}

/**
 * Picks the compute backend. WebGPU when a hardware adapter exists; the CPU reference when
 * WebGPU is missing, fails, or is only a software rasteriser (SwiftShader runs our kernels
 * correctly but slower than plain TypeScript), unless the caller forces 'webgpu'.
 */
export async function selectBackend(
  pref: BackendPreference,
  gpu: GPU | undefined,
  cpuThreads = defaultCpuThreads(),
): Promise<{ backend: Backend; info: BackendInfo }> {
  const cpu = async (fallbackReason: string) => {
    const backend = new CpuBackend();
    // Only ever starts threads: one asked for here leaves any started by the host running.
    let threads = 1;
    if (backend.wasm) threads = cpuThreads > matmulThreads() ? await startMatmulThreads(cpuThreads) : matmulThreads();
    const label = threads > 1 ? `${backend.deviceLabel}, matmul on ${threads} threads` : backend.deviceLabel;
    return { backend, info: { name: 'cpu' as const, label, fallbackReason } };
  };
  if (pref === 'cpu') return cpu('the CPU backend was requested');
  if (!gpu) return cpu('WebGPU is not available in this browser');
  try {
    const { acquireDevice, describeAdapter } = await import('../gpu/device');
    const acquired = await acquireDevice(gpu);
    if (acquired.isSoftware && pref === 'auto') {
      return cpu(
        `the only WebGPU adapter is a software rasteriser (${describeAdapter(acquired.adapterInfo, true)}); ` +
          'the CPU backend is faster there (add ?backend=webgpu to force WebGPU)',
      );
    }
    const { createWebGpuBackend } = await import('./webgpu');
    const backend = await createWebGpuBackend(gpu);
    return { backend, info: { name: 'webgpu', label: backend.deviceLabel, fallbackReason: null } };
  } catch (e) {
    if (pref === 'webgpu') throw e;
    return cpu(`WebGPU failed to start: ${(e as Error).message}`);
  }
}
