/**
 * The one WebGPU device request of this repository's engines, shared by the fused-webgpu trainer
 * (engine.ts) and the GPU analysis engine (src/model/gpuAnalysis/engine.ts): the high-performance
 * adapter, a device with that adapter's own buffer and workgroup limits, the adapter's description,
 * and the device-loss state both engines check before every call.
 */

/** GPUBufferUsage STORAGE | COPY_DST | COPY_SRC (the GPUBufferUsage global is missing in Node). */
export const STORAGE = 0x0080 | 0x0008 | 0x0004;
/** GPUBufferUsage UNIFORM | COPY_DST. */
export const UNIFORM = 0x0040 | 0x0008;
/** GPUBufferUsage MAP_READ | COPY_DST (read-back staging buffers). */
export const MAP_READ = 0x0001 | 0x0008;

/** Adapter identity as the engines report it. */
export interface GpuAdapterInfo {
  /** description, else vendor / architecture / device joined. */
  adapter: string;
  /** A software renderer (SwiftShader, llvmpipe, WARP, a fallback adapter): `auto` avoids it. */
  software: boolean;
}

/** Whether an adapter's info names a software renderer. */
export function isSoftwareAdapter(
  info: { vendor?: string; architecture?: string; device?: string; description?: string },
  isFallback = false,
): boolean {
  if (isFallback) return true;
  const text = [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ');
  return /swiftshader|llvmpipe|lavapipe|softpipe|software|microsoft basic render|warp/i.test(text);
}

/** The adapter's description ('unknown adapter' when the browser gives no info) and whether it is software. */
async function describeAdapter(adapter: GPUAdapter): Promise<GpuAdapterInfo> {
  const info = adapter.info ?? (await (adapter as { requestAdapterInfo?: () => Promise<GPUAdapterInfo> }).requestAdapterInfo?.());
  const fallback = (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter === true;
  if (!info) return { adapter: 'unknown adapter', software: fallback };
  const name = info.description || [info.vendor, info.architecture, info.device].filter(Boolean).join(' ') || 'unknown adapter';
  return { adapter: name, software: isSoftwareAdapter(info, fallback) };
}

/** navigator.gpu, or undefined where this realm has no WebGPU. */
function navigatorGpu(): GPU | undefined {
  return (globalThis.navigator as Navigator | undefined)?.gpu;
}

/** Which high-performance adapter this browser gives, without keeping a device; else why not (in words). */
export async function probeAdapter(): Promise<{ ok: true; info: GpuAdapterInfo } | { ok: false; why: string }> {
  const gpu = navigatorGpu();
  if (!gpu) return { ok: false, why: 'navigator.gpu is missing (no WebGPU in this browser, or not a secure context)' };
  try {
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) return { ok: false, why: 'navigator.gpu.requestAdapter() returned null (WebGPU disabled or no usable GPU)' };
    return { ok: true, info: await describeAdapter(adapter) };
  } catch (e) {
    return { ok: false, why: `requestAdapter failed: ${e instanceof Error ? e.message : String(e)}` };
  }
}

/**
 * A device of the high-performance adapter with the adapter's own storage-buffer, buffer and
 * workgroup limits, plus `extraLimits` (computed from the adapter's limits). Throws where WebGPU is
 * missing or gives no adapter.
 */
export async function requestComputeDevice(
  extraLimits: (l: GPUSupportedLimits) => Record<string, number> = () => ({}),
): Promise<{ device: GPUDevice; info: GpuAdapterInfo }> {
  const gpu = navigatorGpu();
  if (!gpu) throw new Error('WebGPU is unavailable: navigator.gpu is missing');
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new Error('WebGPU is unavailable: requestAdapter() returned null');
  const l = adapter.limits;
  const device = await adapter.requestDevice({
    requiredLimits: {
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
      ...extraLimits(l),
    },
  });
  return { device, info: await describeAdapter(adapter) };
}

/** Loss state of one device, set once `device.lost` settles. */
export interface DeviceLossState {
  isLost(): boolean;
  /** "reason: message" of the loss ('' while alive). */
  why(): string;
  /** Resolves when the device is lost (never otherwise). */
  readonly lost: Promise<void>;
}

/** Starts watching `device.lost`. */
export function watchDeviceLoss(device: GPUDevice): DeviceLossState {
  let why = '';
  const lost = device.lost.then((i) => {
    why = `${i.reason}: ${i.message}`;
  });
  return { isLost: () => why !== '', why: () => why, lost };
}
