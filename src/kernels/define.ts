import type { BackendCores } from './cores.js';
import type { NumericArrayConstructor } from './shared-arrays.js';

/**
 * The backends a kernel can run on. `js` always; `native` where the addon built; the accelerators
 * where their library, driver and device are present: `webgpu` (Dawn: Vulkan, Metal, D3D12),
 * `mlx` (Metal on Apple silicon, CPU elsewhere), `onnx` (ONNX Runtime: CPU, CUDA, CoreML).
 */
export type BackendName = 'js' | 'native' | 'webgpu' | 'mlx' | 'onnx';
export const BACKEND_NAMES: readonly BackendName[] = ['js', 'native', 'webgpu', 'mlx', 'onnx'];
/** The backends that run on a device of their own, loaded and probed in pool threads. */
export type AcceleratorName = 'webgpu' | 'mlx' | 'onnx';
export const ACCELERATOR_NAMES: readonly AcceleratorName[] = ['webgpu', 'mlx', 'onnx'];
/** The backends besides js a kernel may implement (js is required). */
export const OPTIONAL_BACKENDS: readonly Exclude<BackendName, 'js'>[] = ['native', 'webgpu', 'mlx', 'onnx'];

/** What a kernel's implementation is given besides its input, in the pool thread that runs it. */
export interface KernelContext {
  readonly kernel: string;
  /** The backend running the call. */
  readonly backend: BackendName;
  /**
   * The numeric cores of that backend (native: the addon's loops; js: the reference loops; webgpu,
   * mlx: the cores they run on their device, the rest on the CPU's). Await each call.
   */
  readonly cores: BackendCores;
  /**
   * Where to write a result: the caller's `options.out[name]` when it gave one (checked for type
   * and length: a KernelArgumentError names it otherwise), else a new array on a SharedArrayBuffer
   * that the caller reads in place.
   */
  output<C extends NumericArrayConstructor>(name: string, type: C, length: number): InstanceType<C>;
  /** Throws the KernelArgumentError for `argument` (what was expected, what was given). */
  reject(argument: string, expected: string, given: unknown): never;
}

export type KernelImpl<I, O> = (input: I, ctx: KernelContext) => O | Promise<O>;

export interface KernelSpec<I = any, O = any> {
  /** Unique, dotted by family: 'var.historical', 'desk.myKernel'. */
  name: string;
  description?: string;
  /**
   * Checks the input before any backend runs; throws through `ctx.reject(argument, expected, given)`.
   * Runs in the pool thread.
   */
  validate?(input: unknown, ctx: KernelContext): asserts input is I;
  /** The reference implementation, plain typed-array loops. */
  js: KernelImpl<I, O>;
  /** The native implementation (ctx.cores are the addon's); absent: the kernel runs on js only. */
  native?: KernelImpl<I, O>;
  /** On WebGPU (ctx.cores: the webgpu backend's, which run on the GPU in f32). */
  webgpu?: KernelImpl<I, O>;
  /** On MLX (ctx.cores: the mlx backend's, f32 on its default device). */
  mlx?: KernelImpl<I, O>;
  /** On ONNX Runtime (a model run through an inference session; ctx.cores: the CPU's). */
  onnx?: KernelImpl<I, O>;
  /** The amount of work in an input, which `backend: 'auto'` keys its choice on (default: elements of the input's arrays). */
  size?(input: I): number;
  /** An input of about `size` work, for the calibration of `backend: 'auto'`. */
  sample?(size: number): I;
}

const KERNEL = Symbol.for('dualbus.kernel');

export interface KernelDefinition<I = any, O = any> extends KernelSpec<I, O> {
  readonly [KERNEL]: true;
}

/** A kernel module's default export: `export default defineKernel({ name, js, native? })`. */
export function defineKernel<I, O>(spec: KernelSpec<I, O>): KernelDefinition<I, O> {
  if (typeof spec !== 'object' || spec === null) throw new TypeError('defineKernel: expected an object { name, js, native? }');
  if (typeof spec.name !== 'string' || !/^[A-Za-z][\w.-]*$/.test(spec.name)) throw new TypeError(`defineKernel: name must be a string like 'var.historical'; got ${JSON.stringify(spec.name)}`);
  if (typeof spec.js !== 'function') throw new TypeError(`defineKernel '${spec.name}': js must be a function (input, ctx) => result`);
  for (const backend of OPTIONAL_BACKENDS) {
    if (spec[backend] !== undefined && typeof spec[backend] !== 'function') throw new TypeError(`defineKernel '${spec.name}': ${backend} must be a function when given`);
  }
  return Object.freeze({ ...spec, [KERNEL]: true as const });
}

export function isKernelDefinition(v: unknown): v is KernelDefinition {
  return typeof v === 'object' && v !== null && (v as Record<symbol, unknown>)[KERNEL] === true;
}
