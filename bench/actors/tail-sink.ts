// The receiving end of the tail analysis: host -> actor one-way latency of every message, kept in a
// preallocated array (no allocation per message), the actor thread's own GC pauses (start, duration),
// and its thread id (the host reads its scheduler statistics from /proc).
import { readlinkSync } from 'node:fs';
import { PerformanceObserver } from 'node:perf_hooks';
import { defineActor, type ViewOf } from 'dualbus';
import { Ping, now } from '../shared.js';

type Msg = ViewOf<typeof Ping> | { type: 'arm'; n: number } | { type: 'result?' } | { type: 'tid?' };
interface State {
  lat: Float64Array;
  n: number;
  gcs: number[];
}

const gcs: number[] = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcs.push(performance.timeOrigin + e.startTime, e.duration);
}).observe({ entryTypes: ['gc'] });

export default defineActor<Msg, unknown, State>({
  init: () => ({ lat: new Float64Array(0), n: 0, gcs }),
  receive(s, m, ctx) {
    if (Ping.is(m)) {
      if (m.seq < s.lat.length) s.lat[m.seq] = now() - m.ts;
      return;
    }
    if (m.type === 'arm') {
      s.lat = new Float64Array(m.n).fill(-1);
      gcs.length = 0;
      ctx.reply(true);
    } else if (m.type === 'tid?') ctx.reply(Number(readlinkSync('/proc/thread-self').split('/').pop()));
    else if (m.type === 'result?') ctx.reply({ lat: Array.from(s.lat), gcs: gcs.slice() });
  },
});
