import type { Backend } from '../backend';
import { CpuBackend } from './cpu';
import type { BackendInfo, BackendPreference } from '../api';

/**
 * Picks the compute backend. WebGPU when a hardware adapter exists; the CPU reference when
 * WebGPU is missing, fails, or is only a software rasteriser (SwiftShader runs our kernels
 * correctly but slower than plain TypeScript), unless the caller forces 'webgpu'.
 */
export async function selectBackend(
  pref: BackendPreference,
  gpu: GPU | undefined,
): Promise<{ backend: Backend; info: BackendInfo }> {
  const cpu = (fallbackReason: string) => {
    const backend = new CpuBackend();
    return { backend, info: { name: 'cpu' as const, label: backend.deviceLabel, fallbackReason } };
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
