import type { BackendCores, CoreName, NumericCores } from '../cores.js';
import type { OnnxOptions } from './onnx/providers.js';

/**
 * What an accelerator backend module (webgpu/, mlx/, onnx/) gives the pool thread that opens it:
 * its cores (the ones it runs on its device, the CPU's for the rest) and what it runs on, or why it
 * cannot run here (library missing, no driver, no device). Opening never throws and never hangs
 * (each module bounds its own waits; the host bounds the whole probe).
 */
export type AcceleratorLoad =
  | { ok: true; cores: BackendCores; device: string; profile: () => AcceleratorProfile; close: () => Promise<void> }
  | { ok: false; reason: string };

/**
 * Where the time of the backend's core calls since the last `profile()` went: moving data to and
 * from the device (with the f64 <-> f32 conversions) apart from running on it. The bench reads it
 * after each kernel call.
 */
export interface AcceleratorProfile {
  /** The last core called. */
  core: CoreName | undefined;
  uploadMs: number;
  computeMs: number;
  downloadMs: number;
}

export function emptyProfile(): AcceleratorProfile {
  return { core: undefined, uploadMs: 0, computeMs: 0, downloadMs: 0 };
}

/** The error text of anything thrown, for an unavailability reason. */
export function reasonOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** `device` cores over the `cpu` ones: what a backend does not run on its device runs on the CPU. */
export function withCpuFallback(cpu: NumericCores, device: Partial<BackendCores>): BackendCores {
  return { ...cpu, ...device } as BackendCores;
}

/** `createSystem({ kernels: { accelerators } })`: how the accelerators open in each pool thread. */
export interface AcceleratorOptions {
  webgpu?: {
    /**
     * The GPU device of a pool thread is destroyed after this long without a call (default 2000
     * ms; 0: kept until shutdown) and made again at the next: an idle system holds no device.
     */
    idleMs?: number;
    /** Which adapter Dawn picks where there are several (default 'high-performance'). */
    powerPreference?: 'low-power' | 'high-performance';
  };
  /** ONNX Runtime's execution provider (default 'cpu') and CoreML's settings (see OnnxOptions). */
  onnx?: OnnxOptions;
  /** How long the first probe of the accelerators may take before they count as unavailable (default 30000 ms). */
  probeTimeoutMs?: number;
}
