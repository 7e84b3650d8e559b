// Host -> actor one-way latency: records now - ts of every stamped message, into a preallocated
// array (a growing one would make the sink collect garbage, and that would show in the tail).
import { defineActor } from 'dualbus';
import { Ping, now, pct } from '../shared.js';

const CAPACITY = 1 << 20;

export default defineActor<any, unknown, { lat: Float64Array; n: number }>({
  init: () => ({ lat: new Float64Array(CAPACITY), n: 0 }),
  receive(s, m, ctx) {
    if (Ping.is(m) || typeof m?.ts === 'number') {
      if (s.n < CAPACITY) s.lat[s.n++] = now() - m.ts;
      return;
    }
    if (m.type === 'result?') ctx.reply(pct(s.lat.subarray(100, s.n)));
    if (m.type === 'reset') s.n = 0;
  },
});
