// Counts what arrives; publishes bench.done with the elapsed time once `expect` messages came.
import { defineActor, type ViewOf } from 'dualbus';
import { Ping, now } from '../shared.js';

type Msg = ViewOf<typeof Ping> | { type: 'expect'; total: number } | { seq: number } | { ts: number };
export default defineActor<Msg, unknown, { total: number; n: number; first: number; latency: number[] }>({
  init: () => ({ total: 0, n: 0, first: 0, latency: [] }),
  receive(s, m, ctx) {
    if ('type' in m) {
      s.total = m.total;
      s.n = 0;
      return;
    }
    if (s.n === 0) s.first = now();
    if (++s.n === s.total) ctx.publish('bench.done', { ms: now() - s.first, n: s.n });
  },
});
