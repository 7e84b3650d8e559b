// vpin: VPIN per symbol and bucket volume, trade by trade in this thread (a few operations per
// trade: nothing worth a kernel call), published on vpin.<SYM> as each bucket completes.
import { type ViewOf } from 'dualbus';
import { Tick, Topics, symbolOf, type VpinUpdate } from '../contract.js';
import { VPIN_DEFAULTS, VpinBuckets, type VpinOptions } from '../logic/vpin.js';
import { deskEngine } from '../engine.js';

export type VpinMsg =
  | ViewOf<typeof Tick>
  /** New parameters; every symbol starts afresh. */
  | { type: 'configure'; bucketVolumes?: number[]; window?: number; sigma?: number }
  | { type: 'stats?' };

export interface VpinStats { trades: number; buckets: number; refused: number; symbols: string[] }

interface State {
  options: VpinOptions;
  bySymbol: Map<string, VpinBuckets>;
  trades: number;
  buckets: number;
  /** Updates a full subscriber mailbox refused. */
  refused: number;
}

export default deskEngine<VpinMsg, VpinStats, State>({
  subscribe: ['md.*'],
  init: () => ({ options: { bucketVolumes: [...VPIN_DEFAULTS.bucketVolumes], window: VPIN_DEFAULTS.window }, bySymbol: new Map(), trades: 0, buckets: 0, refused: 0 }),
  receive(state, msg, ctx) {
    if (Tick.is(msg)) {
      // The name comes from the topic: Tick.sym indexes the table of whichever run is replaying.
      const sym = symbolOf(ctx.topic!);
      let buckets = state.bySymbol.get(sym);
      if (buckets === undefined) state.bySymbol.set(sym, (buckets = new VpinBuckets(state.options)));
      state.trades++;
      for (const b of buckets.onTrade(msg.ts, msg.px, msg.qty, msg.side)) {
        const update: VpinUpdate = { sym, ...b };
        state.buckets++;
        if (!ctx.publish(Topics.vpin(sym), update)) state.refused++;
      }
      return;
    }
    if (msg.type === 'configure') {
      const next: VpinOptions = { bucketVolumes: msg.bucketVolumes ?? state.options.bucketVolumes, window: msg.window ?? state.options.window, sigma: msg.sigma };
      new VpinBuckets(next); // validates before anything changes: a bad configure throws, the old one stays
      state.options = next;
      state.bySymbol.clear();
      return;
    }
    if (msg.type === 'stats?') ctx.reply({ trades: state.trades, buckets: state.buckets, refused: state.refused, symbols: [...state.bySymbol.keys()] });
  },
});
