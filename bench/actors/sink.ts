// Counts what arrives; publishes bench.done with the elapsed time once `expect` messages came, or,
// with `quietMs` (market data, which may be lost under overload), once none came for that long.
import { defineActor, type ViewOf } from 'dualbus';
import { Ping, now } from '../shared.js';

type Msg = ViewOf<typeof Ping> | { type: 'expect'; total: number; quietMs?: number } | { seq: number } | { ts: number };
export interface State {
  total: number;
  n: number;
  first: number;
  last: number;
  quiet: ReturnType<typeof setInterval> | undefined;
}

export default defineActor<Msg, unknown, State>({
  init: () => ({ total: 0, n: 0, first: 0, last: 0, quiet: undefined }),
  receive(s, m, ctx) {
    if ('type' in m) {
      s.total = m.total;
      s.n = 0;
      clearInterval(s.quiet);
      const quietMs = m.quietMs;
      if (quietMs !== undefined) {
        s.quiet = setInterval(() => {
          if (s.n === 0 || now() - s.last < quietMs) return;
          clearInterval(s.quiet);
          ctx.publish('bench.done', { ms: s.last - s.first, n: s.n });
        }, 20);
      }
      return;
    }
    // The clock is read for the first message, every 64th and the last: not per message.
    if (s.n === 0) s.first = s.last = now();
    else if ((s.n & 63) === 0) s.last = now();
    if (++s.n === s.total) {
      clearInterval(s.quiet);
      s.last = now();
      ctx.publish('bench.done', { ms: s.last - s.first, n: s.n });
    }
  },
});
