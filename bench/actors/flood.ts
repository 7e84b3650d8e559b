// A producer that writes n messages to `to` as fast as the ring takes them (retrying when full).
import { defineActor } from 'dualbus';
import { Ping, pingObject } from '../shared.js';

export default defineActor<{ n: number; to: string; record: boolean }>({
  receive(_s, m, ctx) {
    const rec = { ts: 0, px: 101.25, qty: 300, seq: 0 };
    for (let i = 0; i < m.n; i++) {
      if (m.record) {
        rec.seq = i;
        while (!ctx.sendRecord(m.to, Ping, rec));
      } else {
        const o = pingObject(i, 0);
        while (!ctx.send(m.to, o));
      }
    }
  },
});
