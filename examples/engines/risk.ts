// Risk: marks a notional position per symbol to the latest price, answers VaR asks, and raises
// risk.alert.<SYM> when VPIN says the flow turned toxic.
import { defineActor, type ViewOf } from 'dualbus';
import { SYMBOLS, Tick } from '../records.js';

type Msg = ViewOf<typeof Tick> | { sym: string; vpin: number } | { type: 'var?' };
interface State { last: number[]; returns: number[]; alerts: number }

export default defineActor<Msg, { var99: number; alerts: number }, State>({
  subscribe: ['md.*', 'vpin.*'],
  init: () => ({ last: SYMBOLS.map(() => 0), returns: [], alerts: 0 }),
  receive(state, msg, ctx) {
    if (Tick.is(msg)) {
      const prev = state.last[msg.sym]!;
      if (prev > 0) {
        state.returns.push(msg.px / prev - 1);
        if (state.returns.length > 10_000) state.returns.splice(0, 5_000);
      }
      state.last[msg.sym] = msg.px;
    } else if ('vpin' in msg) {
      if (msg.vpin > 0.35) {
        state.alerts++;
        ctx.publish(`risk.alert.${msg.sym}`, { sym: msg.sym, level: msg.vpin > 0.5 ? 2 : 1, vpin: msg.vpin });
      }
    } else if (msg.type === 'var?') {
      const sorted = state.returns.slice().sort((a, b) => a - b);
      const var99 = sorted.length === 0 ? 0 : -sorted[Math.floor(sorted.length * 0.01)]! * 1_000_000;
      ctx.reply({ var99, alerts: state.alerts });
    }
  },
});
