// postMessage baseline: two of these talk over a MessageChannel, same messages as dualbus.
import { parentPort, workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { now, pct, pingObject } from '../shared.js';

const { role } = workerData as { role: 'a' | 'b' };
parentPort!.once('message', ({ port, n, mode }: { port: MessagePort; n: number; mode: 'pingpong' | 'flood' }) => {
  const lat: number[] = [];
  let count = 0;
  let first = 0;
  port.on('message', (m: { ts: number; seq: number }) => {
    const t = now();
    if (mode === 'flood') {
      if (count++ === 0) first = t;
      if (count === n) parentPort!.postMessage({ ms: now() - first });
      return;
    }
    lat.push(t - m.ts);
    if (m.seq < n) port.postMessage(pingObject(m.seq + 1, now()));
    else parentPort!.postMessage(pct(lat.slice(100)));
  });
  if (role === 'a') {
    if (mode === 'flood') for (let i = 0; i < n; i++) port.postMessage(pingObject(i, 0));
    else port.postMessage(pingObject(0, now()));
  }
});
