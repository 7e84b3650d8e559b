/**
 * The module every kernel-pool thread runs. piscina calls the default export once per task from
 * the host; the lanes this thread serves bring actors' calls straight to it (see lanes/server.ts).
 */
import { workerData } from 'node:worker_threads';
import { configureAccelerators, probeAccelerators } from './backends/registry.js';
import { serveLanes } from './lanes/server.js';
import type { ResolvedAcceleratorOptions } from './options.js';
import { execute, failedOutcome, findKernel } from './thread-kernels.js';
import { epochMs, type KernelOutcome, type KernelTask } from './task.js';

const lanes = serveLanes();
configureAccelerators((workerData as { accelerators: ResolvedAcceleratorOptions }).accelerators);

export default async function runKernel(task: KernelTask): Promise<KernelOutcome> {
  const startedAt = epochMs();
  if (task.probe !== undefined) return { ok: true, result: await probeAccelerators(task.probe), startedAt, runMs: epochMs() - startedAt };
  lanes.began(task.slot);
  Atomics.add(lanes.load, 0, 1);
  try {
    const def = await findKernel(task.kernel, task.module);
    return await execute(def, task.backend, task.input, task.out);
  } catch (err) {
    return failedOutcome(err, startedAt);
  } finally {
    Atomics.sub(lanes.load, 0, 1);
  }
}
