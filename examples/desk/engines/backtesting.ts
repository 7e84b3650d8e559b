// backtesting: replays a recorded session through the desk's logic (logic/backtest.ts) and
// answers with the orders it gives and their digest. `{ type: 'run', source: 'recorded' }` reads
// the session market-data recorded (its last ticks, page by page); `{ type: 'run', session }`
// takes one given. The same session gives the same orders: the digest says so at a glance.
import { deskModelLayers } from 'dualbus';
import type { Order, TickValues } from '../contract.js';
import { deskEngine } from '../engine.js';
import { runBacktest } from '../logic/backtest.js';
import { readRecording, type RecordingAsk, type RecordingPage } from '../logic/recording.js';

type Session = { symbols: string[]; ticks: TickValues[] };
type Msg = { type: 'run'; source: 'recorded'; max?: number } | { type: 'run'; session: Session };

export interface BacktestSummary {
  ticks: number;
  orders: number;
  fills: number;
  refused: number;
  pnl: number;
  sharpe: number;
  maxDrawdown: number;
  digest: string;
  firstOrders: Order[];
  ms: number;
}

export default deskEngine<Msg, BacktestSummary, { layers: ReturnType<typeof deskModelLayers> }>({
  init: () => ({ layers: deskModelLayers() }),
  async receive(state, msg, ctx) {
    const session =
      'session' in msg ? msg.session : await readRecording((ask: RecordingAsk) => ctx.ask('market-data', ask, { timeoutMs: 10_000 }) as Promise<RecordingPage>, msg.max);
    const t0 = performance.now();
    const r = runBacktest(session, { layers: state.layers });
    ctx.reply({
      ticks: r.ticks,
      orders: r.orders.length,
      fills: r.fills.length,
      refused: r.refused,
      pnl: r.pnl.total,
      sharpe: r.performance.sharpe,
      maxDrawdown: r.performance.maxDrawdown,
      digest: r.digest,
      firstOrders: r.orders.slice(0, 5),
      ms: performance.now() - t0,
    });
  },
});
