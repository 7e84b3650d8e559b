// Strategy: trades momentum on ticks, stands aside on risk alerts; asks risk for VaR every 1000
// ticks (an ask inside an async receive), and reports its book on request.
import { defineActor, type ViewOf } from 'dualbus';
import { SYMBOLS, Tick } from '../records.js';

type Msg = ViewOf<typeof Tick> | { sym: string; level: number } | { type: 'book?' };
interface State { ema: number[]; position: number[]; orders: number; paused: Set<string>; seen: number; lastVar: number }

export default defineActor<Msg, { orders: number; lastVar: number; paused: string[] }, State>({
  subscribe: ['md.*', 'risk.alert.*'],
  init: () => ({ ema: SYMBOLS.map(() => 0), position: SYMBOLS.map(() => 0), orders: 0, paused: new Set(), seen: 0, lastVar: 0 }),
  async receive(state, msg, ctx) {
    if (Tick.is(msg)) {
      const i = msg.sym;
      const px = msg.px; // read in place before any await: the view is valid only until then
      const ema = state.ema[i] === 0 ? px : state.ema[i]! * 0.99 + px * 0.01;
      state.ema[i] = ema;
      if (!state.paused.has(SYMBOLS[i]!) && Math.abs(px / ema - 1) > 0.002) {
        state.position[i]! += px > ema ? 1 : -1;
        state.orders++;
      }
      if (++state.seen % 1000 === 0) {
        const risk = await ctx.ask<{ var99: number }>('risk', { type: 'var?' }, { timeoutMs: 1000 });
        state.lastVar = risk.var99;
      }
    } else if ('level' in msg) {
      if (msg.level >= 2) state.paused.add(msg.sym);
      else state.paused.delete(msg.sym);
    } else if (msg.type === 'book?') {
      ctx.reply({ orders: state.orders, lastVar: state.lastVar, paused: [...state.paused] });
    }
  },
});
