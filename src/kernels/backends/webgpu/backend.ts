import type { NumericCores } from '../../cores.js';
import type { ResolvedAcceleratorOptions } from '../../options.js';
import { reasonOf, withCpuFallback, type AcceleratorLoad } from '../accelerator.js';
import { webgpuCores } from './cores.js';
import { GpuDevice, type DawnModule } from './gpu-device.js';

/** The environment variable that names another module to load instead of the npm package `webgpu` (tests make it missing). */
export const WEBGPU_MODULE_ENV = 'DUALBUS_WEBGPU_MODULE';

let opened: GpuDevice | undefined;

/**
 * The webgpu backend of this pool thread: Dawn (the npm package `webgpu`) on the first adapter
 * its Vulkan, Metal or D3D12 driver offers, one device per thread, destroyed when idle.
 */
export async function open(cpu: NumericCores, options: ResolvedAcceleratorOptions | undefined): Promise<AcceleratorLoad> {
  const specifier = process.env[WEBGPU_MODULE_ENV] || 'webgpu';
  let dawn: DawnModule;
  try {
    dawn = (await import(specifier)) as DawnModule;
  } catch (err) {
    return { ok: false, reason: `the module '${specifier}' did not load (npm install webgpu; its package ships Dawn for linux-x64, macOS and Windows): ${reasonOf(err)}` };
  }
  let gpu: GpuDevice;
  try {
    gpu = await GpuDevice.open(dawn, options?.webgpu.powerPreference ?? 'high-performance', options?.webgpu.idleMs ?? 2000);
  } catch (err) {
    return { ok: false, reason: reasonOf(err) };
  }
  opened = gpu;
  return {
    ok: true,
    cores: withCpuFallback(cpu, webgpuCores(gpu)),
    device: gpu.describe(),
    profile: () => gpu.profile(),
    close: async () => gpu.close(),
  };
}

/** This thread's GPU device, once open (the bench turns profiling on; tests count devices made). */
export function openedGpu(): GpuDevice | undefined {
  return opened;
}
