// A thread that reads one cache as an actor would (the same SharedCache code in a worker): timed
// batches of gets of present keys, for the latency percentiles and the gets per second.
import { parentPort, workerData } from 'node:worker_threads';
import { SharedCache } from '../../src/cache/shared-cache.js';
import type { CacheHandle } from '../../src/transport/protocol.js';

const { handle, participant, keys, batches, batch } = workerData as { handle: CacheHandle; participant: number; keys: string[]; batches: number; batch: number };
const cache = new SharedCache(handle, participant, 1);
const perGetNs = new Float64Array(batches);
let misses = 0;
let i = 0;
const cpu0 = process.cpuUsage();
const t0 = performance.now();
for (let b = 0; b < batches; b++) {
  const start = performance.now();
  for (let j = 0; j < batch; j++) if (cache.get(keys[i++ & (keys.length - 1)]!) === undefined) misses++;
  perGetNs[b] = ((performance.now() - start) * 1e6) / batch;
}
const wallMs = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
parentPort!.postMessage({ perGetNs, misses, gets: batches * batch, wallMs, cpuMs: (cpu.user + cpu.system) / 1000 });
