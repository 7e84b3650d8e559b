// The receiving host of the market-data bench, in a thread of its own (as it would be on another
// host): subscribes, decodes every bus frame, and reports when it has seen `expect` messages.
import { parentPort, workerData } from 'node:worker_threads';
import { Redis } from 'ioredis';
import { Packr } from 'msgpackr';
import { decodeBusFrame } from '../src/transport/redis/bus-frame.js';

const { url, channel, expect, frames } = workerData as { url: string; channel: string; expect: number; frames: boolean };
const packr = new Packr({ useRecords: false, moreTypes: false });
const sub = new Redis(url);
let got = 0;
await sub.subscribe(channel);
sub.on('messageBuffer', (_ch: Buffer, payload: Buffer) => {
  if (frames) got += decodeBusFrame(payload).entries.length;
  else {
    packr.unpack(payload);
    got++;
  }
  if (got >= expect) {
    parentPort!.postMessage({ done: performance.timeOrigin + performance.now() });
    void sub.quit();
  }
});
parentPort!.postMessage({ ready: true });
