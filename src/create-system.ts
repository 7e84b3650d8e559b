// Where the worker side lives, and the one place that says so: the runtime is given these URLs
// and never names the worker modules itself (host and worker sides stay apart).
import type { SystemOptions } from './runtime/options.js';
import { startSystem, type System } from './runtime/system.js';

const WORKER_ENTRIES = Object.freeze({
  actor: new URL('./actors/worker-main.js', import.meta.url),
  bridge: new URL('./transport/redis/bridge-main.js', import.meta.url),
  kernel: new URL('./kernels/pool-worker.js', import.meta.url),
  // Actor modules import the package root: an actor worker loads it before it is needed.
  actorPreload: [new URL('./index.js', import.meta.url)],
});

/** Creates an embedded actor system: no service, no configuration needed. */
export function createSystem(options?: SystemOptions): Promise<System> {
  return startSystem(options, WORKER_ENTRIES);
}
