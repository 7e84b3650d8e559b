// features: the model's input rows. Keeps each symbol's recent tape, and at most every 100 ms of
// the ticks' clock per symbol reads the symbol's factors from the desk cache (one real cache read
// per row) and sends the row straight to the ml actor, which batches them through the model.
import { type ViewOf } from 'dualbus';
import { CacheKeys, DESK_CACHE, Tick, symbolOf, type FactorUpdate, type FeatureRow } from '../contract.js';
import { FeatureBuilder, type FeatureOptions } from '../logic/features.js';
import { deskEngine } from '../engine.js';

export type FeaturesMsg =
  | ViewOf<typeof Tick>
  /** New parameters (tapes start afresh); `target` is the actor that gets the rows (default 'ml'). */
  | ({ type: 'configure'; target?: string } & FeatureOptions)
  | { type: 'stats?' };

export interface FeaturesStats {
  rows: number;
  /** Rows the target's full mailbox refused. */
  refused: number;
  /** Rows with no target actor to send to (not started, or gone). */
  unrouted: number;
  /** Rows built without factors (none in the cache yet). */
  withoutFactors: number;
}

interface State extends FeaturesStats {
  builder: FeatureBuilder;
  target: string;
}

export default deskEngine<FeaturesMsg, FeaturesStats, State>({
  subscribe: ['md.*'],
  init: () => ({ builder: new FeatureBuilder(), target: 'ml', rows: 0, refused: 0, unrouted: 0, withoutFactors: 0 }),
  receive(state, msg, ctx) {
    if (Tick.is(msg)) {
      const sym = symbolOf(ctx.topic!);
      if (!state.builder.onTrade(sym, msg)) return;
      const factor = ctx.cache(DESK_CACHE).get<FactorUpdate>(CacheKeys.factor(sym));
      if (factor === undefined) state.withoutFactors++;
      const row: FeatureRow = { type: 'features', sym, ts: msg.ts, x: state.builder.row(sym, factor) };
      state.rows++;
      try {
        if (!ctx.send(state.target, row)) state.refused++;
      } catch (err) {
        if ((err as { code?: string }).code !== 'ActorNotFound') throw err;
        state.unrouted++; // ml not running (yet, or restarting): the next row will find it
      }
      return;
    }
    if (msg.type === 'configure') {
      const { type: _, target, ...options } = msg;
      state.builder = new FeatureBuilder(options);
      if (target !== undefined) state.target = target;
      return;
    }
    if (msg.type === 'stats?') {
      const { builder: _, target: __, ...stats } = state;
      ctx.reply(stats);
    }
  },
});
