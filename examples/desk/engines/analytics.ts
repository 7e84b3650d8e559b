// Analytics: the desk's performance (Sharpe, drawdown, hit rate, trades, turnover) from
// portfolio.pnl and fills.*, published on analytics.performance once a second of wall time by a
// timer: spawn it with wait: 'async' so that its event loop runs the timer while it waits.
import { Topics, type Fill, type Performance, type PnlUpdate } from '../contract.js';
import { PerformanceTracker } from '../logic/analytics.js';
import { deskEngine } from '../engine.js';

export const PUBLISH_EVERY_MS = 1000;

type Msg = PnlUpdate | Fill | { type: 'performance?' };

interface State {
  tracker: PerformanceTracker;
  /** Something arrived since the last publish: an idle desk does not repeat itself every second. */
  changed: boolean;
  timer?: ReturnType<typeof setInterval>;
}

export default deskEngine<Msg, Performance, State>({
  subscribe: [Topics.pnl, Topics.fill('*')],
  init(ctx) {
    const state: State = { tracker: new PerformanceTracker(), changed: false };
    state.timer = setInterval(() => {
      if (!state.changed) return;
      state.changed = false;
      try {
        ctx.publish(Topics.performance, state.tracker.performance());
      } catch {
        // This incarnation ended (its context refuses to act): its timer goes with it.
        clearInterval(state.timer);
      }
    }, PUBLISH_EVERY_MS);
    return state;
  },
  receive(state, msg, ctx) {
    const topic = ctx.topic;
    if (topic === Topics.pnl) state.tracker.onPnl(msg as PnlUpdate);
    else if (topic !== undefined && topic.startsWith(Topics.fill(''))) state.tracker.onFill(msg as Fill);
    else if ('type' in msg && msg.type === 'performance?') return ctx.reply(state.tracker.performance());
    else return;
    state.changed = true;
  },
  stop(state) {
    clearInterval(state.timer);
  },
});
