// Ping-pong for one-way latency: each side stamps what it sends and measures what it receives.
import { defineActor, type ViewOf } from 'dualbus';
import { Ping, now, pct, pingObject } from '../shared.js';

type Msg = ViewOf<typeof Ping> | { ts: number; seq: number } | { type: 'start'; peer: string; n: number; record: boolean } | { type: 'result?' } | { type: 'ask'; n: number; peer: string };
interface State { peer: string; n: number; record: boolean; lat: number[]; done: boolean }

export default defineActor<Msg, unknown, State>({
  init: () => ({ peer: '', n: 0, record: true, lat: [], done: false }),
  async receive(s, msg, ctx) {
    if ('type' in msg) {
      if (msg.type === 'start') {
        Object.assign(s, { peer: msg.peer, n: msg.n, record: msg.record, lat: [], done: false });
        send(s, ctx, 0);
      } else if (msg.type === 'result?') {
        ctx.reply(s.lat.length > 100 ? pct(s.lat.slice(100)) : null);
      } else if (msg.type === 'ask') {
        // Ask round trips from inside an actor: ctx.ask in an async receive.
        const rtt: number[] = [];
        for (let i = 0; i < msg.n; i++) {
          const t = now();
          await ctx.ask(msg.peer, { ts: t, seq: i });
          rtt.push(now() - t);
        }
        ctx.reply(pct(rtt.slice(100)));
      }
      return;
    }
    const t = now();
    if (ctx.isAsk) return ctx.reply(msg.seq);
    s.lat.push(t - msg.ts);
    // The starter stops after n; the other side always answers whoever pinged it.
    if (s.n === 0 || msg.seq < 2 * s.n) send(s, ctx, msg.seq + 1, ctx.sender!); // n round trips
  },
});

function send(s: State, ctx: { sendRecord: Function; send: Function }, seq: number, to = s.peer): void {
  const ts = now();
  if (s.record) ctx.sendRecord(to, Ping, { ts, px: 101.25, qty: 300, seq });
  else ctx.send(to, pingObject(seq, ts));
}
