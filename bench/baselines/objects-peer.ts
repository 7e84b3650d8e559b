// The msgpackr shared-structures experiment: objects from one thread to another through a raw byte
// ring (length-prefixed), encoded with plain msgpack (what dualbus uses) or with msgpackr's records
// extension over structures both threads agreed on before the run (the best case for shared
// structures: no cost of keeping a cross-thread registry in step).
import { parentPort, workerData } from 'node:worker_threads';
import { Packr } from 'msgpackr';
import { now, pingObject } from '../shared.js';

const { role, sab, n, shared } = workerData as { role: 'producer' | 'consumer'; sab: SharedArrayBuffer; n: number; shared: boolean };
const CAP = sab.byteLength - 128;
const idx = new Int32Array(sab, 0, 32);
const u8 = new Uint8Array(sab, 128);
const HEAD = 0;
const TAIL = 16;
// Shared structures: the same structure, defined in each thread by packing one sample first.
const structures: object[] = [];
const packr = shared ? new Packr({ structures, moreTypes: false }) : new Packr({ useRecords: false, moreTypes: false });
if (shared) packr.pack(pingObject(0, 0));
if (role === 'producer') {
  let head = 0;
  let tail = 0;
  for (let i = 0; i < n; i++) {
    const bytes = packr.pack(pingObject(i, 0));
    const need = bytes.length + 1;
    if (need > 255) throw new Error('message too large for this baseline');
    while (tail + need - head > CAP) head = Atomics.load(idx, HEAD);
    const at = tail % CAP;
    if (at + need > CAP) {
      u8[at] = 0; // wrap marker
      tail += CAP - at;
      i--;
      Atomics.store(idx, TAIL, tail);
      continue;
    }
    u8[at] = bytes.length;
    u8.set(bytes, at + 1);
    tail += need;
    Atomics.store(idx, TAIL, tail);
  }
} else {
  let head = 0;
  let tail = 0;
  let got = 0;
  let first = 0;
  let sum = 0;
  while (got < n) {
    if (head === tail) {
      Atomics.store(idx, HEAD, head); // caught up: the producer may be waiting for this room
      tail = Atomics.load(idx, TAIL);
      continue;
    }
    const at = head % CAP;
    const len = u8[at]!;
    if (len === 0) {
      head += CAP - at;
      continue;
    }
    sum += (packr.unpack(u8.subarray(at + 1, at + 1 + len)) as { seq: number }).seq;
    if (got++ === 0) first = now();
    head += len + 1;
    if ((got & 63) === 0) Atomics.store(idx, HEAD, head);
  }
  parentPort!.postMessage({ ms: now() - first, sum });
}
