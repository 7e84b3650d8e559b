// Portfolio: the desk's book. Fills come from strategy (send), marks from the trade prints on
// md.*; the P&L goes out on portfolio.pnl and into the desk cache, at once when a fill changed
// the book, at most every 250 ms of message time when only marks moved.
import { type ActorContext, type ViewOf } from 'dualbus';
import { CacheKeys, DESK_CACHE, Tick, Topics, symbolOf, type Fill, type PnlUpdate } from '../contract.js';
import { Book } from '../logic/portfolio.js';
import { deskEngine } from '../engine.js';

/** Mark-only updates at most this often (message time). */
export const MARK_PUBLISH_MS = 250;

type Msg = ViewOf<typeof Tick> | { type: 'fill'; fill: Fill } | { type: 'positions?' };

interface State {
  book: Book;
  /** Message time of the last publish, and whether marks moved the P&L since. */
  publishedAt: number;
  dirty: boolean;
}

function publish(state: State, ctx: ActorContext<PnlUpdate>): PnlUpdate {
  const update = state.book.snapshot();
  ctx.cache(DESK_CACHE).set(CacheKeys.pnl, update);
  ctx.publish(Topics.pnl, update);
  state.publishedAt = update.ts;
  state.dirty = false;
  return update;
}

export default deskEngine<Msg, PnlUpdate, State>({
  subscribe: [Topics.tick('*')],
  init: () => ({ book: new Book(), publishedAt: -Infinity, dirty: false }),
  receive(state, msg, ctx) {
    if (Tick.is(msg)) {
      if (state.book.mark(symbolOf(ctx.topic!), msg.px, msg.ts)) state.dirty = true;
      if (state.dirty && state.book.ts - state.publishedAt >= MARK_PUBLISH_MS) publish(state, ctx);
    } else if (msg.type === 'fill') {
      state.book.applyFill(msg.fill);
      publish(state, ctx);
    } else if (msg.type === 'positions?') {
      ctx.reply(state.book.snapshot());
    }
  },
});
