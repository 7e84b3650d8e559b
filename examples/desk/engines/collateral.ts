// Collateral: answers strategy's `{ type: 'check', order }` with a MarginCheck. It keeps the book
// as portfolio last published it and the desk's VaR99, and reads each symbol's volatility from the
// factor engine's entry in the desk cache at the moment of the check.
import { CacheKeys, DESK_CACHE, Topics, type FactorUpdate, type MarginCheck, type Order, type PnlUpdate, type RiskUpdate } from '../contract.js';
import { DEFAULT_COLLATERAL_LIMITS, EMPTY_BOOK, checkOrder, type BookView, type CollateralLimits } from '../logic/collateral.js';
import { deskEngine } from '../engine.js';

type Msg = PnlUpdate | RiskUpdate | { type: 'check'; order: Order } | { type: 'checks?' };
type Reply = MarginCheck | { approved: number; refused: number; lastRefusal?: string };

interface State {
  limits: CollateralLimits;
  book: BookView;
  var99: number;
  approved: number;
  refused: number;
  lastRefusal?: string;
}

export default deskEngine<Msg, Reply, State>({
  subscribe: [Topics.pnl, Topics.risk],
  init(ctx) {
    const cache = ctx.cache(DESK_CACHE);
    // A restarted engine picks up where the desk is (the latest book and VaR), not from nothing.
    return {
      limits: { ...DEFAULT_COLLATERAL_LIMITS, ...cache.get<Partial<CollateralLimits>>(CacheKeys.config('collateral')) },
      book: cache.get<PnlUpdate>(CacheKeys.pnl) ?? EMPTY_BOOK,
      var99: cache.get<RiskUpdate>(CacheKeys.risk)?.var99 ?? 0,
      approved: 0,
      refused: 0,
    };
  },
  receive(state, msg, ctx) {
    if (ctx.topic === Topics.pnl) state.book = msg as PnlUpdate;
    else if (ctx.topic === Topics.risk) state.var99 = (msg as RiskUpdate).var99;
    else if ('type' in msg && msg.type === 'check') {
      const cache = ctx.cache(DESK_CACHE);
      const volatilityOf = (sym: string) => cache.get<FactorUpdate>(CacheKeys.factor(sym))?.volatility;
      const check = checkOrder(msg.order, state.book, volatilityOf, state.var99, state.limits);
      if (check.ok) state.approved++;
      else {
        state.refused++;
        state.lastRefusal = check.reason;
      }
      ctx.reply(check);
    } else if ('type' in msg && msg.type === 'checks?') {
      ctx.reply({ approved: state.approved, refused: state.refused, ...(state.lastRefusal ? { lastRefusal: state.lastRefusal } : {}) });
    }
  },
});
