// Publishes n Ping records on `topic` as fast as the subscribers' rings (here: the bridge's) take them.
import { defineActor } from 'dualbus';
import { Ping } from '../shared.js';

export default defineActor<{ n: number; topic: string }>({
  receive(_s, m, ctx) {
    const rec = { ts: 0, px: 101.25, qty: 300, seq: 0 };
    for (let i = 0; i < m.n; i++) {
      rec.seq = i;
      while (!ctx.publishRecord(m.topic, Ping, rec)); // one subscriber (the bridge): a retry duplicates nothing
    }
  },
});
