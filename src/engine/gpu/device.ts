/**
 * The one place that acquires and owns the worker's GPUDevice.
 *
 * The `GPU` object is injected (navigator.gpu in a browser or worker, the `webgpu` package's
 * `create()` under Node) so nothing below this module touches `navigator`.
 */

export interface AcquiredDevice {
  device: GPUDevice;
  adapter: GPUAdapter;
  adapterInfo: GPUAdapterInfo;
  /** A CPU rasteriser (SwiftShader or another fallback adapter): right answers, no speed. */
  isSoftware: boolean;
}

export interface AcquireOptions {
  powerPreference?: GPUPowerPreference;
}

export type DeviceLostListener = (info: { reason: string; message: string; device: GPUDevice }) => void;

// WebGPU's default limits (128 MiB bindings, 16 KiB workgroup memory, 256 invocations) are
// sized for portability, not for GPT-2's 154 MB embedding matrix; ask for what the adapter has.
const LIMITS_WANTED = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
  'maxUniformBufferBindingSize',
] as const;

let current: Promise<AcquiredDevice> | null = null;
let currentDevice: GPUDevice | null = null;
const lostListeners = new Set<DeviceLostListener>();

/**
 * Returns the worker's device, requesting it on first use. Later calls share the same device
 * until it is lost or destroyed, after which the next call requests a fresh one.
 */
export function acquireDevice(gpu: GPU, opts: AcquireOptions = {}): Promise<AcquiredDevice> {
  if (!current) {
    const p = requestDevice(gpu, opts);
    current = p;
    p.then(
      (d) => {
        // Only if no destroyDevice()/loss replaced it while the request was in flight.
        if (current === p) currentDevice = d.device;
      },
      () => {
        if (current === p) current = null;
      },
    );
  }
  return current;
}

/** Subscribe to device loss (driver reset, `destroy()`, tab backgrounding on mobile…). */
export function onDeviceLost(cb: DeviceLostListener): () => void {
  lostListeners.add(cb);
  return () => lostListeners.delete(cb);
}

/** Destroys the shared device (listeners hear reason "destroyed"). */
export async function destroyDevice(): Promise<void> {
  const p = current;
  if (!p) return;
  current = null;
  currentDevice = null;
  try {
    (await p).device.destroy();
  } catch {
    /* acquisition had failed: nothing to destroy */
  }
}

export function isSoftwareAdapter(adapter: GPUAdapter, info: GPUAdapterInfo): boolean {
  const infoFallback = (info as { isFallbackAdapter?: boolean }).isFallbackAdapter;
  const legacyFallback = (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter;
  if (infoFallback || legacyFallback) return true;
  const text = `${info.vendor} ${info.architecture} ${info.device} ${info.description}`.toLowerCase();
  return text.includes('swiftshader') || text.includes('llvmpipe') || text.includes('lavapipe');
}

export function describeAdapter(info: GPUAdapterInfo, isSoftware: boolean): string {
  const parts = [info.vendor, info.architecture, info.device, info.description]
    .map((s) => (s ?? '').trim())
    .filter((s, i, all) => s.length > 0 && all.indexOf(s) === i);
  const name = parts.length > 0 ? parts.join(' · ') : 'unknown adapter';
  return `WebGPU: ${name}${isSoftware ? ' (software)' : ''}`;
}

async function requestDevice(gpu: GPU, opts: AcquireOptions): Promise<AcquiredDevice> {
  const adapter = await gpu.requestAdapter(
    opts.powerPreference ? { powerPreference: opts.powerPreference } : undefined,
  );
  if (!adapter) throw new Error('WebGPU: no adapter available');
  const adapterInfo = await adapterInfoOf(adapter);

  const requiredLimits: Record<string, number> = {};
  const have = adapter.limits as unknown as Record<string, number | undefined>;
  for (const name of LIMITS_WANTED) {
    const v = have[name];
    if (typeof v === 'number') requiredLimits[name] = v;
  }
  const device = await adapter.requestDevice({ requiredLimits, label: 'duelbook' });

  device.lost.then((info) => {
    // Forget it (if destroyDevice has not already), so the next acquire requests a new one.
    if (currentDevice === device) {
      current = null;
      currentDevice = null;
    }
    for (const cb of [...lostListeners]) {
      try {
        cb({ reason: String(info.reason), message: info.message, device });
      } catch (e) {
        console.error('onDeviceLost listener threw', e);
      }
    }
  });

  return { device, adapter, adapterInfo, isSoftware: isSoftwareAdapter(adapter, adapterInfo) };
}

async function adapterInfoOf(adapter: GPUAdapter): Promise<GPUAdapterInfo> {
  if (adapter.info) return adapter.info;
  // Chromium < 127 and older Dawn builds only had the async query.
  const legacy = adapter as unknown as { requestAdapterInfo?: () => Promise<GPUAdapterInfo> };
  if (legacy.requestAdapterInfo) return legacy.requestAdapterInfo();
  return { vendor: '', architecture: '', device: '', description: '' } as GPUAdapterInfo;
}
