import { jsCores } from '../cores-js.js';
import type { BackendCores, NumericCores } from '../cores.js';
import type { AcceleratorName, BackendName } from '../define.js';
import type { ResolvedAcceleratorOptions } from '../options.js';
import { reasonOf, type AcceleratorLoad } from './accelerator.js';
import { loadNativeCores } from './native.js';

/**
 * The backends of this thread: js and native at once, the accelerators loaded on first use (their
 * libraries are large and webgpu opens a device), each once per thread. What an accelerator module
 * exports: `open(cpu, options)`; cpu are the cores it falls back to for what it does not run itself.
 */
const accelerators = new Map<AcceleratorName, Promise<AcceleratorLoad>>();
let options: ResolvedAcceleratorOptions | undefined;

/** The pool's kernels.accelerators, as this thread's accelerators open with them (before any opens). */
export function configureAccelerators(resolved: ResolvedAcceleratorOptions): void {
  options = resolved;
}

export type BackendLoad = { ok: true; cores: BackendCores } | { ok: false; reason: string };

/** The CPU cores an accelerator falls back to: the native addon's where it loaded, else js's. */
export function cpuCores(): NumericCores {
  const native = loadNativeCores();
  return native.ok ? native.cores : jsCores;
}

export async function openBackend(name: BackendName): Promise<BackendLoad> {
  if (name === 'js') return { ok: true, cores: jsCores };
  if (name === 'native') {
    const native = loadNativeCores();
    return native.ok ? { ok: true, cores: native.cores } : native;
  }
  return openAccelerator(name);
}

export function openAccelerator(name: AcceleratorName): Promise<AcceleratorLoad> {
  let loading = accelerators.get(name);
  if (loading === undefined) {
    loading = importAccelerator(name).then(
      (mod) => mod.open(cpuCores(), options),
      (err: unknown) => ({ ok: false as const, reason: `its module did not load: ${reasonOf(err)}` }),
    );
    accelerators.set(name, loading);
  }
  return loading;
}

/** Closes the accelerators this thread opened (devices destroyed, sessions released); the next use opens them again. */
export async function closeAccelerators(): Promise<void> {
  const open = [...accelerators.values()];
  accelerators.clear();
  for (const loading of open) {
    const load = await loading;
    if (load.ok) await load.close();
  }
}

/** What each accelerator module exports. */
interface AcceleratorModule {
  open(cpu: NumericCores, options: ResolvedAcceleratorOptions | undefined): Promise<AcceleratorLoad>;
}

function importAccelerator(name: AcceleratorName): Promise<AcceleratorModule> {
  switch (name) {
    case 'webgpu':
      return import('./webgpu/backend.js');
    case 'mlx':
      return import('./mlx/backend.js');
    case 'onnx':
      return import('./onnx/backend.js');
  }
}

/** One accelerator as the probe found it (the pool's BackendInfo). */
type Probed = { available: boolean; reason?: string; device?: string };

/** Whether each accelerator opens in this thread, and on what (or why not): the pool's probe. */
export async function probeAccelerators(names: readonly AcceleratorName[]): Promise<Partial<Record<AcceleratorName, Probed>>> {
  const out: Partial<Record<AcceleratorName, Probed>> = {};
  for (const name of names) {
    const load = await openAccelerator(name);
    out[name] = load.ok ? { available: true, device: load.device } : { available: false, reason: load.reason };
  }
  return out;
}
