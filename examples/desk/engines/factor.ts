// factor: rolling factors of every symbol on 1 s bars (momentum, EWMA volatility, z-score, beta
// to the equal-weighted market), published on factor.<SYM> and kept in the desk cache, where the
// features engine reads them for each model row.
//
// The pool's `factors` kernel is not used: these four numbers cost O(N) per bar in this thread,
// less than a kernel call's round trip, and the kernel's extra output (windowed covariance and
// correlation matrices) has no reader in the desk's contract.
import { type ActorContext, type ViewOf } from 'dualbus';
import { CacheKeys, DESK_CACHE, Tick, Topics, symbolOf, type FactorUpdate } from '../contract.js';
import { BarFactors, type FactorOptions } from '../logic/factors.js';
import { deskEngine } from '../engine.js';

export type FactorMsg =
  | ViewOf<typeof Tick>
  /** New parameters; everything starts afresh. */
  | ({ type: 'configure' } & FactorOptions)
  /** Closes the open bar now (the end of a replay: otherwise its last bar waits for a later trade). */
  | { type: 'close-bar' }
  | { type: 'stats?' };

export interface FactorStats { trades: number; bars: number; updates: number }

interface State {
  model: BarFactors;
  trades: number;
  bars: number;
  updates: number;
}

export default deskEngine<FactorMsg, FactorStats, State>({
  subscribe: ['md.*'],
  init: () => ({ model: new BarFactors(), trades: 0, bars: 0, updates: 0 }),
  receive(state, msg, ctx) {
    if (Tick.is(msg)) {
      state.trades++;
      return emit(state, state.model.onTrade(symbolOf(ctx.topic!), msg.ts, msg.px), ctx);
    }
    switch (msg.type) {
      case 'configure': {
        const { type: _, ...options } = msg;
        state.model = new BarFactors(options);
        return;
      }
      case 'close-bar':
        return emit(state, state.model.closeBar(), ctx);
      case 'stats?':
        return ctx.reply({ trades: state.trades, bars: state.bars, updates: state.updates });
    }
  },
});

function emit(state: State, updates: FactorUpdate[], ctx: ActorContext<FactorStats>): void {
  if (updates.length === 0) return;
  state.bars++;
  const cache = ctx.cache(DESK_CACHE);
  for (const u of updates) {
    state.updates++;
    ctx.publish(Topics.factor(u.sym), u);
    cache.set(CacheKeys.factor(u.sym), u);
  }
}
