// Publishes n messages on `topic` as fast as the subscribers' rings (here: the bridge's) take them:
// Ping records or plain objects.
import { defineActor } from 'dualbus';
import { Backoff, Ping, pingObject } from '../shared.js';

export default defineActor<{ n: number; topic: string; record?: boolean }>({
  receive(_s, m, ctx) {
    const rec = { ts: 0, px: 101.25, qty: 300, seq: 0 };
    const backoff = new Backoff();
    // One subscriber (the bridge): a retry duplicates nothing.
    for (let i = 0; i < m.n; i++) {
      if (m.record) {
        rec.seq = i;
        while (!ctx.publishRecord(m.topic, Ping, rec)) backoff.wait();
      } else {
        const o = pingObject(i, 0);
        while (!ctx.publish(m.topic, o)) backoff.wait();
      }
      backoff.reset();
    }
  },
});
