import { jsCores } from '../src/kernels/cores-js.js';
import type { KernelContext, KernelDefinition } from '../src/kernels/define.js';
import { KernelArgumentError, describeValue } from '../src/kernels/errors.js';

/**
 * A KernelContext like the one a pool thread gives, without the pool: the JS cores, a fresh array
 * for each output, and argument errors naming the kernel. For testing kernels' arithmetic directly.
 */
export function testContext(kernel: string): KernelContext {
  return {
    kernel,
    backend: 'js',
    cores: jsCores,
    output: (_name, type, length) => new type(length) as never,
    reject(argument, expected, given): never {
      throw new KernelArgumentError(kernel, argument, expected, describeValue(given));
    },
  };
}

/** Validates `input` and runs the kernel's js implementation (the built-in kernels answer synchronously). */
export function runKernel<I, O>(kernel: KernelDefinition<I, O>, input: unknown): O {
  const ctx = testContext(kernel.name);
  const validate: ((input: unknown, ctx: KernelContext) => void) | undefined = kernel.validate; // called plainly, not as an assertion
  validate?.(input, ctx);
  const result = kernel.js(input as I, ctx);
  if (result instanceof Promise) throw new Error(`runKernel: kernel '${kernel.name}' answered a Promise; await kernel.js directly`);
  return result;
}
