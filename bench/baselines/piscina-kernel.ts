// piscina's own run(), the anchor of the kernel bench: the same JS kernel code, its arrays
// structured-cloned to the thread and the result cloned back (what a plain piscina user gets).
import { jsCores } from '../../src/kernels/cores-js.js';
import { contextFor } from '../../src/kernels/context.js';
import { BUILTIN_KERNELS } from '../../src/kernels/builtin/index.js';

const kernels = new Map(BUILTIN_KERNELS.map((k) => [k.name, k]));

export default function run(task: { kernel: string; input: unknown }): unknown {
  if (task.kernel === 'empty') return 0;
  const def = kernels.get(task.kernel)!;
  return def.js(task.input, contextFor(task.kernel, 'js', jsCores));
}
