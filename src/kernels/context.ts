import type { BackendCores } from './cores.js';
import type { BackendName, KernelContext } from './define.js';
import { KernelArgumentError, describeValue } from './errors.js';
import { sharedArray, type NumericArrayConstructor } from './shared-arrays.js';

/**
 * The context a kernel runs with: its backend's cores, outputs in the caller's arrays (checked) or
 * in new shared ones, and argument errors that name the kernel. Pool threads make one per call; so
 * can a thread that runs a kernel's js itself (the bench's inline runs).
 */
export function contextFor(kernel: string, backend: BackendName, cores: BackendCores, out?: Record<string, ArrayBufferView>): KernelContext {
  const reject = (argument: string, expected: string, given: unknown): never => {
    throw new KernelArgumentError(kernel, argument, expected, describeValue(given));
  };
  return {
    kernel,
    backend,
    cores,
    reject,
    output<C extends NumericArrayConstructor>(name: string, type: C, length: number): InstanceType<C> {
      const given = out?.[name];
      if (given === undefined) return sharedArray(type, length);
      if (!(given instanceof type)) return reject(`out.${name}`, `a ${type.name} of at least ${length} elements`, given);
      if ((given as unknown as { length: number }).length < length) return reject(`out.${name}`, `a ${type.name} of at least ${length} elements`, given);
      const arr = given as unknown as InstanceType<C>;
      return (arr.length === length ? arr : arr.subarray(0, length)) as InstanceType<C>;
    },
  };
}
