// Synthetic market data: a random walk per symbol, published as Tick records on md.<SYM>.
import { defineActor } from 'dualbus';
import { SYMBOLS, Tick } from '../records.js';

type Cmd = { type: 'run'; ticksPerSecond: number } | { type: 'halt' } | { type: 'published?' };
interface State { px: number[]; published: number; refused: number; timer: NodeJS.Timeout | undefined }

export default defineActor<Cmd, { published: number; refused: number }, State>({
  init: () => ({ px: SYMBOLS.map(() => 100 + Math.random() * 50), published: 0, refused: 0, timer: undefined }),
  receive(state, msg, ctx) {
    if (msg.type === 'published?') return ctx.reply({ published: state.published, refused: state.refused });
    if (msg.type === 'halt') {
      clearInterval(state.timer);
      return;
    }
    const perMs = msg.ticksPerSecond / 1000;
    const tick = { px: 0, qty: 0, ts: 0, sym: 0, side: 0 }; // reused: records copy fields, not objects
    let started = performance.now();
    let due = 0;
    state.timer = setInterval(() => {
      const now = performance.now();
      due += (now - started) * perMs;
      started = now;
      for (; due >= 1; due--) {
        const i = (Math.random() * SYMBOLS.length) | 0;
        state.px[i]! *= 1 + (Math.random() - 0.5) * 0.001;
        tick.px = state.px[i]!;
        tick.qty = 1 + ((Math.random() * 500) | 0);
        tick.ts = Date.now();
        tick.sym = i;
        tick.side = Math.random() < 0.5 ? 1 : -1;
        if (ctx.publishRecord(`md.${SYMBOLS[i]}`, Tick, tick)) state.published++;
        else state.refused++; // a subscriber was full: counted, never silent
      }
    }, 1);
  },
  stop(state) {
    clearInterval(state.timer);
  },
});
