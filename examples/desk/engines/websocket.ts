// websocket: the desk's feed for its WebSocket clients. It subscribes to the desk's signal,
// order and P&L topics, conflates them (the latest value per topic, Conflator) and publishes each
// changed topic at most every `intervalMs` as `view.<topic>`; the gateway forwards `view.*` to the
// browsers. Market data itself is not conflated here: at tens of thousands of ticks a second a
// screen wants the signals derived from it, and a client can still subscribe to `md.*` directly.
import { Topics } from '../contract.js';
import { deskEngine } from '../engine.js';
import { Conflator } from '../logic/conflate.js';

export const FEED_TOPICS = ['vpin.*', 'vpin-x.*', 'factor.*', 'ml.*', 'orders.*', 'fills.*', 'risk.*', Topics.pnl, Topics.performance];

type Cmd = { type: 'feed?' } | { type: 'views?' };
interface State {
  feed: Conflator;
  timer: NodeJS.Timeout;
}
const INTERVAL_MS = Number(process.env.DESK_VIEW_INTERVAL_MS ?? 250);

export default deskEngine<Cmd | Record<string, unknown>, unknown, State>({
  subscribe: FEED_TOPICS,
  init(ctx) {
    const feed = new Conflator();
    const timer = setInterval(() => {
      for (const { topic, value } of feed.take()) ctx.publish(Topics.view(topic), value);
    }, INTERVAL_MS);
    return { feed, timer };
  },
  receive(state, msg, ctx) {
    if (ctx.topic !== undefined) return state.feed.offer(ctx.topic, msg);
    const cmd = msg as Cmd;
    if (cmd.type === 'feed?') ctx.reply({ offered: state.feed.offered, emitted: state.feed.emitted, intervalMs: INTERVAL_MS });
    else if (cmd.type === 'views?') ctx.reply(state.feed.all());
  },
  stop(state) {
    clearInterval(state.timer);
  },
});
