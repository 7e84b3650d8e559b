import { availableParallelism } from 'node:os';
import { InvalidOption } from '../transport/errors.js';
import type { AcceleratorOptions } from './backends/accelerator.js';
import { checkOnnxOptions, type OnnxOptions } from './backends/onnx/providers.js';
import { BACKEND_NAMES, type BackendName } from './define.js';

/** `createSystem({ kernels })`: the heavy-kernel pool. */
export interface KernelPoolOptions {
  /** Pool threads at most (default: the cores less one, at least 1). */
  threads?: number;
  /** Threads kept even when idle (default 0: a system that runs no kernel starts no thread). */
  minThreads?: number;
  /** Calls waiting for a thread at most (besides one running per thread); one more is refused with KernelQueueFull. */
  maxQueue?: number;
  /** A thread above minThreads idle this long is closed. */
  idleTimeoutMs?: number;
  /** The backends calls may use, `auto` among them (default: every one that loads here). */
  backends?: BackendName[];
  /** User kernel modules (URLs or paths of modules that `export default defineKernel(...)`). */
  modules?: (string | URL)[];
  /**
   * `backend: 'auto'`: a kernel -> backend table that overrides the calibration, and where the
   * calibration is cached (a file path; false: measure once per process, keep nothing).
   */
  auto?: Record<string, BackendName>;
  calibrationFile?: string | false;
  /** Default timeout of a call that gives none (0: none). */
  timeoutMs?: number;
  /**
   * Actors call pool threads straight, over a lane of their own, instead of through the host
   * (default true): half the thread crossings. The pool then keeps all its threads once it has
   * started (minThreads is taken to be threads), since piscina does not see those calls.
   */
  direct?: boolean;
  /** How the accelerator backends (webgpu, mlx, onnx) open in the pool threads. */
  accelerators?: AcceleratorOptions;
}

export const KERNEL_DEFAULTS = Object.freeze({
  threads: Math.max(1, availableParallelism() - 1),
  minThreads: 0,
  maxQueue: 1024,
  idleTimeoutMs: 30_000,
  backends: BACKEND_NAMES as BackendName[],
  timeoutMs: 0,
  direct: true,
});

export interface ResolvedKernelOptions {
  threads: number;
  minThreads: number;
  maxQueue: number;
  idleTimeoutMs: number;
  backends: BackendName[];
  modules: string[];
  auto: Record<string, BackendName>;
  calibrationFile: string | false | undefined;
  timeoutMs: number;
  direct: boolean;
  accelerators: ResolvedAcceleratorOptions;
}

export interface ResolvedAcceleratorOptions {
  webgpu: { idleMs: number; powerPreference: 'low-power' | 'high-performance' };
  onnx: OnnxOptions;
  probeTimeoutMs: number;
}

const KEYS = new Set(['threads', 'minThreads', 'maxQueue', 'idleTimeoutMs', 'backends', 'modules', 'auto', 'calibrationFile', 'timeoutMs', 'direct', 'accelerators']);

export function resolveKernelOptions(given: KernelPoolOptions | undefined): ResolvedKernelOptions {
  if (given !== undefined && (typeof given !== 'object' || given === null)) throw new InvalidOption('kernels', 'an object', given);
  for (const key of Object.keys(given ?? {})) if (!KEYS.has(key)) throw new InvalidOption(`kernels.${key}`, `one of ${[...KEYS].join(', ')} (unknown option)`, key);
  const o = { ...KERNEL_DEFAULTS, ...given };
  integer('kernels.threads', o.threads, 1);
  integer('kernels.minThreads', o.minThreads, 0);
  if (o.minThreads > o.threads) throw new InvalidOption('kernels.minThreads', `at most kernels.threads (${o.threads})`, o.minThreads);
  integer('kernels.maxQueue', o.maxQueue, 0);
  integer('kernels.idleTimeoutMs', o.idleTimeoutMs, 0);
  integer('kernels.timeoutMs', o.timeoutMs, 0);
  if (typeof o.direct !== 'boolean') throw new InvalidOption('kernels.direct', 'true or false', o.direct);
  if (!Array.isArray(o.backends) || o.backends.length === 0 || !o.backends.every((b) => BACKEND_NAMES.includes(b))) {
    throw new InvalidOption('kernels.backends', `a non-empty array of ${BACKEND_NAMES.map((b) => `'${b}'`).join(', ')}`, o.backends);
  }
  if (!o.backends.includes('js')) throw new InvalidOption('kernels.backends', "a list that includes 'js' (the reference every kernel has)", o.backends);
  const modules = (o.modules ?? []).map((m, i) => moduleUrl(`kernels.modules[${i}]`, m));
  const auto = o.auto ?? {};
  for (const [kernel, backend] of Object.entries(auto)) {
    if (!BACKEND_NAMES.includes(backend)) throw new InvalidOption(`kernels.auto.${kernel}`, `one of ${BACKEND_NAMES.join(', ')}`, backend);
  }
  if (o.calibrationFile !== undefined && o.calibrationFile !== false && typeof o.calibrationFile !== 'string') {
    throw new InvalidOption('kernels.calibrationFile', 'a file path or false', o.calibrationFile);
  }
  const accelerators = resolveAcceleratorOptions(o.accelerators);
  return { threads: o.threads, minThreads: o.minThreads, maxQueue: o.maxQueue, idleTimeoutMs: o.idleTimeoutMs, backends: [...o.backends], modules, auto: { ...auto }, calibrationFile: o.calibrationFile, timeoutMs: o.timeoutMs, direct: o.direct, accelerators };
}

function resolveAcceleratorOptions(given: AcceleratorOptions | undefined): ResolvedAcceleratorOptions {
  const name = 'kernels.accelerators';
  if (given !== undefined && (typeof given !== 'object' || given === null)) throw new InvalidOption(name, 'an object { webgpu?, onnx?, probeTimeoutMs? }', given);
  knownKeys(name, given, ['webgpu', 'onnx', 'probeTimeoutMs']);
  knownKeys(`${name}.webgpu`, given?.webgpu, ['idleMs', 'powerPreference']);
  knownKeys(`${name}.onnx`, given?.onnx, ['executionProvider', 'coreml']);
  knownKeys(`${name}.onnx.coreml`, given?.onnx?.coreml, ['computeUnits', 'modelFormat', 'requireStaticInputShapes']);
  const webgpu = { idleMs: 2000, powerPreference: 'high-performance' as const, ...given?.webgpu };
  integer(`${name}.webgpu.idleMs`, webgpu.idleMs, 0);
  if (!['low-power', 'high-performance'].includes(webgpu.powerPreference)) throw new InvalidOption(`${name}.webgpu.powerPreference`, "'low-power' or 'high-performance'", webgpu.powerPreference);
  const onnx: OnnxOptions = { executionProvider: 'cpu', ...given?.onnx };
  try {
    checkOnnxOptions(onnx);
  } catch (err) {
    throw new InvalidOption(`${name}.onnx`, (err as Error).message.replace(/^configureOnnx: /, ''), onnx);
  }
  const probeTimeoutMs = given?.probeTimeoutMs ?? 30_000;
  integer(`${name}.probeTimeoutMs`, probeTimeoutMs, 1);
  return { webgpu, onnx, probeTimeoutMs };
}

function knownKeys(name: string, given: unknown, keys: readonly string[]): void {
  if (given === undefined) return;
  if (typeof given !== 'object' || given === null) throw new InvalidOption(name, `an object { ${keys.join(', ')} }`, given);
  for (const key of Object.keys(given)) if (!keys.includes(key)) throw new InvalidOption(`${name}.${key}`, `one of ${keys.join(', ')} (unknown option)`, key);
}

function integer(name: string, v: unknown, min: number): void {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) throw new InvalidOption(name, `an integer >= ${min}`, v);
}

/** A module given as a URL, a file: URL string or a path, as the URL the pool threads import. */
export function moduleUrl(name: string, m: unknown): string {
  if (m instanceof URL) return m.href;
  if (typeof m !== 'string' || m === '') throw new InvalidOption(name, 'a URL or a path of a kernel module', m);
  if (/^[a-z]+:/i.test(m)) return m;
  return new URL(m, `file://${process.cwd()}/`).href;
}
