// Strategy: the desk's rule (logic/strategy.ts) on live signals. Quotes, factors, toxicity and
// VaR only update its view; a prediction (ml.<SYM>) is when it decides. An order is published on
// orders.<SYM>, checked by collateral (an ask), and if approved filled at its limit price: the fill
// goes to portfolio (send) and out on fills.<SYM>.
import { type ViewOf } from 'dualbus';
import { CacheKeys, DESK_CACHE, Tick, Topics, symbolOf, type EnhancedVpinUpdate, type FactorUpdate, type MarginCheck, type Prediction, type RiskUpdate } from '../contract.js';
import { DEFAULT_STRATEGY_LIMITS, Strategy, type StrategyLimits, type StrategySaved } from '../logic/strategy.js';
import { deskEngine } from '../engine.js';

/** How long strategy waits for collateral's answer before giving the order up. */
export const CHECK_TIMEOUT_MS = 2_000;

type Msg = ViewOf<typeof Tick> | Prediction | FactorUpdate | EnhancedVpinUpdate | RiskUpdate | { type: 'book?' };

export interface BookReply {
  orders: number;
  approved: number;
  refused: number;
  /** Orders given up because the check failed (collateral down, a timeout): never sent. */
  failed: number;
  positions: Record<string, number>;
}

interface State {
  strategy: Strategy;
}

function limitsOf(ctx: { cache: (name: string) => { get<T>(key: string): T | undefined } }): StrategyLimits {
  return { ...DEFAULT_STRATEGY_LIMITS, ...ctx.cache(DESK_CACHE).get<Partial<StrategyLimits>>(CacheKeys.config('strategy')) };
}

export default deskEngine<Msg, BookReply, State>({
  subscribe: [Topics.prediction('*'), Topics.factor('*'), Topics.enhancedVpin('*'), Topics.risk, Topics.tick('*')],
  init(ctx) {
    return { strategy: new Strategy(limitsOf(ctx)) };
  },
  // Its positions, order ids and cooldowns survive a restart (a drill, a crash): the runtime
  // snapshots them when the engine is idle, which it is between predictions, and hands them back.
  snapshot: (state) => state.strategy.save(),
  restore: (saved: StrategySaved, ctx) => ({ strategy: Strategy.restore(saved, limitsOf(ctx)) }),
  async receive(state, msg, ctx) {
    const { strategy } = state;
    const topic = ctx.topic; // read before any await
    if (Tick.is(msg)) return strategy.onQuote(symbolOf(topic!), msg.bid, msg.ask);
    if (topic === undefined) {
      if ('type' in msg && msg.type === 'book?') ctx.reply({ ...strategy.counts, positions: Object.fromEntries(strategy.positions) });
      return;
    }
    if (topic === Topics.risk) return strategy.onRisk(msg as RiskUpdate);
    const sym = symbolOf(topic);
    if (topic === Topics.factor(sym)) return strategy.onFactor(sym, msg as FactorUpdate);
    if (topic === Topics.enhancedVpin(sym)) return strategy.onEnhancedVpin(sym, msg as EnhancedVpinUpdate);
    if (topic !== Topics.prediction(sym)) return;

    const order = strategy.onPrediction(sym, msg as Prediction);
    if (order === undefined) return;
    ctx.publish(Topics.order(sym), order);
    let check: MarginCheck;
    try {
      // Awaited here, so the mailbox waits: only on predictions, which come a few a second.
      check = await ctx.ask<MarginCheck>('collateral', { type: 'check', order }, { timeoutMs: CHECK_TIMEOUT_MS });
    } catch {
      strategy.onCheckFailed();
      return;
    }
    const fill = strategy.onCheck(order, check);
    if (fill === undefined) return;
    // Waits for room rather than drop a fill: portfolio must see every one.
    await ctx.sendAsync('portfolio', { type: 'fill', fill }, { timeoutMs: CHECK_TIMEOUT_MS });
    ctx.publish(Topics.fill(sym), fill);
  },
});
