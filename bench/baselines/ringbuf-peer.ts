// ringbuf.js + msgpackr baseline: one producer thread, one consumer thread, length-prefixed frames.
import { parentPort, workerData } from 'node:worker_threads';
import { Packr } from 'msgpackr';
import { RingBuffer } from 'ringbuf.js';
import { now, pingObject } from '../shared.js';

const { role, sab, n } = workerData as { role: 'producer' | 'consumer'; sab: SharedArrayBuffer; n: number };
const rb = new RingBuffer(sab, Uint8Array);
const packr = new Packr({ useRecords: false });
const len = new Uint8Array(2);
if (role === 'producer') {
  for (let i = 0; i < n; i++) {
    const bytes = packr.pack(pingObject(i, 0));
    len[0] = bytes.length & 0xff;
    len[1] = bytes.length >> 8;
    while (rb.available_write() < bytes.length + 2);
    rb.push(len);
    rb.push(bytes);
  }
} else {
  const buf = new Uint8Array(65536);
  let got = 0;
  let first = 0;
  while (got < n) {
    if (rb.available_read() < 2) continue;
    rb.pop(len);
    const size = len[0]! | (len[1]! << 8);
    while (rb.available_read() < size);
    rb.pop(buf, size);
    packr.unpack(buf.subarray(0, size));
    if (got++ === 0) first = now();
  }
  parentPort!.postMessage({ ms: now() - first });
}
