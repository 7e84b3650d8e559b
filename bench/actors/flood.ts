// A producer that writes n messages to `to` as fast as the ring takes them: one at a time, or in
// batches of `batch` (one ring claim per run). A full ring is retried after a short sleep (backpressure).
import { defineActor, type ActorContext } from 'dualbus';
import { Backoff, Ping, pingObject } from '../shared.js';

type Flood = { n: number; to: string; record: boolean; batch?: number };

export default defineActor<Flood>({
  receive(_s, m, ctx) {
    const batch = m.batch ?? 1;
    if (batch > 1) return floodBatches(m, batch, ctx);
    const rec = { ts: 0, px: 101.25, qty: 300, seq: 0 };
    const backoff = new Backoff();
    for (let i = 0; i < m.n; i++) {
      if (m.record) {
        rec.seq = i;
        while (!ctx.sendRecord(m.to, Ping, rec)) backoff.wait();
      } else {
        const o = pingObject(i, 0);
        while (!ctx.send(m.to, o)) backoff.wait();
      }
      backoff.reset();
    }
  },
});

function floodBatches(m: Flood, batch: number, ctx: ActorContext): void {
  // One array of reusable records (or fresh objects) per batch: what a producer holding a burst would send.
  const recs = Array.from({ length: batch }, () => ({ ts: 0, px: 101.25, qty: 300, seq: 0 }));
  const objs: ReturnType<typeof pingObject>[] = [];
  const backoff = new Backoff();
  for (let i = 0; i < m.n; ) {
    const count = Math.min(batch, m.n - i);
    let written: number;
    if (m.record) {
      for (let k = 0; k < count; k++) recs[k]!.seq = i + k;
      written = ctx.sendRecordBatch(m.to, Ping, count === batch ? recs : recs.slice(0, count));
    } else {
      objs.length = count;
      for (let k = 0; k < count; k++) objs[k] = pingObject(i + k, 0);
      written = ctx.sendBatch(m.to, objs);
    }
    i += written; // the rest of the batch did not fit: it goes again
    if (written < count) backoff.wait();
    else backoff.reset();
  }
}
