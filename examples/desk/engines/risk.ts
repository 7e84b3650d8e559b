// Risk: the desk's VaR and ES, and toxicity alerts. Ticks (md.*) build a window of 1 s bar returns
// on shared memory; portfolio.pnl gives the positions. On a new positions version, or every K
// bars, the kernel pool computes historical and Monte Carlo VaR/ES over the window while ticks keep
// flowing (pipeToSelf), memoised in the desk cache per (positions version, bar): computed once per
// key whoever asks. The historical figures are the desk's (the backtest reproduces them in JS);
// Monte Carlo rides along for comparison.
import { sharedArray, type ActorContext, type ActorKernelRunOptions, type PipeOutcome, type ViewOf } from 'dualbus';
import { CacheKeys, DESK_CACHE, Tick, Topics, symbolOf, type EnhancedVpinUpdate, type PnlUpdate, type RiskUpdate } from '../contract.js';
import { BarWindow, RiskSchedule, ToxicityWatch, bookWeights } from '../logic/risk.js';
import { deskEngine } from '../engine.js';

export interface RiskConfig {
  /** Bars kept (T) and symbols tracked (columns). */
  capacity: number;
  maxSymbols: number;
  barMs: number;
  /** Recompute every this many bars even when positions did not change, once minBars exist. */
  everyBars: number;
  minBars: number;
  paths: number;
  seed: number;
  backend: NonNullable<ActorKernelRunOptions['backend']>;
  timeoutMs: number;
}

export const DEFAULT_RISK_CONFIG: Readonly<RiskConfig> = Object.freeze({
  capacity: 500,
  maxSymbols: 16,
  barMs: 1000,
  everyBars: 10,
  minBars: 20,
  paths: 10_000,
  seed: 1,
  backend: 'auto',
  // The first 'auto' call of a process calibrates the backends: seconds, once.
  timeoutMs: 30_000,
});

type Msg =
  | ViewOf<typeof Tick>
  | PnlUpdate
  | EnhancedVpinUpdate
  | { type: 'var?' }
  | { type: 'risk-done'; outcome: PipeOutcome<RiskUpdate> };

interface State {
  config: RiskConfig;
  window: BarWindow;
  schedule: RiskSchedule;
  toxicity: ToxicityWatch;
  positions: Record<string, number>;
  version: number;
  /** The latest message time seen: the time of the figures. */
  ts: number;
  latest?: RiskUpdate;
  /** One computation at a time; a change meanwhile is looked at when it ends. */
  computing: boolean;
  failures: number;
}

type Levels = { var: Float64Array; es: Float64Array; rows: number };

/** What `var?` gets before any figure exists: zeros, and method 'none' says they are not figures. */
const NO_FIGURES: RiskUpdate = { ts: 0, positionsVersion: -1, var95: 0, var99: 0, es95: 0, es99: 0, method: 'none', backend: 'none', scenarios: 0 };

export default deskEngine<Msg, RiskUpdate, State>({
  subscribe: [Topics.tick('*'), Topics.pnl, Topics.enhancedVpin('*')],
  init(ctx) {
    const config: RiskConfig = { ...DEFAULT_RISK_CONFIG, ...ctx.cache(DESK_CACHE).get<Partial<RiskConfig>>(CacheKeys.config('risk')) };
    const book = ctx.cache(DESK_CACHE).get<PnlUpdate>(CacheKeys.pnl);
    return {
      config,
      window: new BarWindow({ ...config, alloc: (n) => sharedArray(Float64Array, n) }),
      schedule: new RiskSchedule(config.everyBars, config.minBars),
      toxicity: new ToxicityWatch(),
      positions: book?.positions ?? {},
      version: book?.version ?? 0,
      ts: 0,
      computing: false,
      failures: 0,
    };
  },
  receive(state, msg, ctx) {
    const topic = ctx.topic;
    if (Tick.is(msg)) {
      state.ts = Math.max(state.ts, msg.ts);
      if (state.window.onTick(symbolOf(topic!), msg.px, msg.ts)) maybeCompute(state, ctx);
    } else if (topic === Topics.pnl) {
      const u = msg as PnlUpdate;
      state.positions = u.positions;
      state.version = u.version;
      state.ts = Math.max(state.ts, u.ts);
      maybeCompute(state, ctx);
    } else if (topic !== undefined && topic.startsWith(Topics.enhancedVpin(''))) {
      const alert = state.toxicity.update(msg as EnhancedVpinUpdate, symbolOf(topic));
      if (alert) ctx.publish(Topics.riskAlert(alert.sym), alert);
    } else if ('type' in msg && msg.type === 'risk-done') {
      state.computing = false;
      if (msg.outcome.ok) publish(state, ctx, msg.outcome.value);
      else state.failures++; // counted; the next bar or fill tries again
      maybeCompute(state, ctx);
    } else if ('type' in msg && msg.type === 'var?') {
      ctx.reply(state.latest ?? NO_FIGURES);
    }
  },
});

function publish(state: State, ctx: ActorContext<RiskUpdate>, update: RiskUpdate): void {
  state.latest = update;
  ctx.cache(DESK_CACHE).set(CacheKeys.risk, update);
  ctx.publish(Topics.risk, update);
}

function maybeCompute(state: State, ctx: ActorContext<RiskUpdate>): void {
  const { window, schedule } = state;
  if (state.computing || !schedule.due(window.bars, window.rows, state.version)) return;
  schedule.done(window.bars, state.version);
  const book = bookWeights(state.positions, window);
  const base = { ts: state.ts, positionsVersion: state.version, method: 'historical', scenarios: window.rows };
  if (book.columns.length === 0) {
    // A flat book loses nothing in any scenario: no kernel to run.
    publish(state, ctx, { ...base, var95: 0, var99: 0, es95: 0, es99: 0, backend: 'none' });
    return;
  }
  // A snapshot of the window's columns held: ticks arriving while the kernels read it change nothing.
  const input = {
    returns: window.window(book.columns, (n) => sharedArray(Float64Array, n)),
    t: window.rows,
    n: book.columns.length,
    weights: toSharedWeights(book.weights),
    confidence: [0.95, 0.99],
  };
  const { config } = state;
  const options = { backend: config.backend, timeoutMs: config.timeoutMs };
  const compute = async (): Promise<RiskUpdate> => {
    const [hist, mc] = await Promise.allSettled([
      ctx.kernels.run<Levels>('var.historical', input, options),
      // Monte Carlo needs a covariance it can factor: more bars than symbols, none constant.
      input.t > input.n + 1 ? ctx.kernels.run<Levels>('var.montecarlo', { ...input, paths: config.paths, seed: config.seed }, options) : Promise.reject(new Error('too few bars')),
    ]);
    if (hist.status === 'rejected') throw hist.reason;
    const h = hist.value;
    const update: RiskUpdate = { ...base, var95: h.var[0]!, var99: h.var[1]!, es95: h.es[0]!, es99: h.es[1]!, backend: config.backend, scenarios: h.rows };
    if (mc.status === 'fulfilled') {
      const m = mc.value;
      update.montecarlo = { var95: m.var[0]!, var99: m.var[1]!, es95: m.es[0]!, es99: m.es[1]!, backend: config.backend, scenarios: config.paths };
    }
    return update;
  };
  state.computing = true;
  ctx.pipeToSelf(ctx.cache(DESK_CACHE).memo(CacheKeys.riskOf(state.version, window.bars), compute, { ttlMs: 60_000 }), (outcome) => ({ type: 'risk-done', outcome }));
}

function toSharedWeights(weights: readonly number[]): Float64Array {
  const w = sharedArray(Float64Array, weights.length);
  w.set(weights);
  return w;
}
