// Host -> actor one-way latency: records now - ts of every stamped message.
import { defineActor } from 'dualbus';
import { Ping, now, pct } from '../shared.js';

export default defineActor<any, unknown, { lat: number[] }>({
  init: () => ({ lat: [] }),
  receive(s, m, ctx) {
    if (Ping.is(m) || typeof m?.ts === 'number') {
      s.lat.push(now() - m.ts);
      return;
    }
    if (m.type === 'result?') ctx.reply(pct(s.lat.slice(100)));
    if (m.type === 'reset') s.lat = [];
  },
});
