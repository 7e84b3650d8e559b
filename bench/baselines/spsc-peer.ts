// The ceiling for records: a raw single-producer single-consumer ring of the bench's Ping fields
// (ts, px, qty as f64, seq as u32) in 32-byte slots, each side caching the other's index and
// publishing its own with Atomics.store per record. No framing, no routing, no supervision.
import { parentPort, workerData } from 'node:worker_threads';
import { now } from '../shared.js';

const { role, sab, n, slots } = workerData as { role: 'producer' | 'consumer'; sab: SharedArrayBuffer; n: number; slots: number };
const HEAD = 0; // Int32 index; the consumer's position (line 0)
const TAIL = 16; // Int32 index; the producer's position (line 1)

const idx = new Int32Array(sab, 0, 32);
const f64 = new Float64Array(sab, 128);
const u32 = new Uint32Array(sab, 128);
const mask = slots - 1;
if (role === 'producer') {
  let head = 0;
  for (let i = 0; i < n; i++) {
    while (i - head >= slots) head = Atomics.load(idx, HEAD); // full: look at the consumer again
    const s = (i & mask) * 4; // 4 f64 per slot
    f64[s] = 0;
    f64[s + 1] = 101.25;
    f64[s + 2] = 300;
    u32[s * 2 + 6] = i;
    Atomics.store(idx, TAIL, i + 1);
  }
} else {
  let tail = 0;
  let sum = 0;
  let first = 0;
  for (let i = 0; i < n; ) {
    if (i === tail) {
      tail = Atomics.load(idx, TAIL);
      continue;
    }
    if (i === 0) first = now();
    const s = (i & mask) * 4;
    sum += f64[s + 1]! * f64[s + 2]! + u32[s * 2 + 6]!;
    i++;
    if ((i & 63) === 0 || i === tail) Atomics.store(idx, HEAD, i);
  }
  parentPort!.postMessage({ ms: now() - first, sum });
}

