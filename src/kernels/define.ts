import type { NumericCores } from './cores.js';
import type { NumericArrayConstructor } from './shared-arrays.js';

/** The backends a kernel can run on. `js` always; `native` where the addon built; accelerators plug in here. */
export type BackendName = 'js' | 'native';
export const BACKEND_NAMES: readonly BackendName[] = ['js', 'native'];

/** What a kernel's implementation is given besides its input, in the pool thread that runs it. */
export interface KernelContext {
  readonly kernel: string;
  /** The backend running the call. */
  readonly backend: BackendName;
  /** The numeric cores of that backend (native: the addon's loops; js: the reference loops). */
  readonly cores: NumericCores;
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
  if (spec.native !== undefined && typeof spec.native !== 'function') throw new TypeError(`defineKernel '${spec.name}': native must be a function when given`);
  return Object.freeze({ ...spec, [KERNEL]: true as const });
}

export function isKernelDefinition(v: unknown): v is KernelDefinition {
  return typeof v === 'object' && v !== null && (v as Record<symbol, unknown>)[KERNEL] === true;
}
