// enhanced-vpin: VPIN by the kernel pool's `vpin.incremental` (time bars, bulk volume
// classification), in batches per symbol, with CDF(VPIN) over the symbol's own history on top.
// The kernel runs while this actor keeps taking ticks (pipeToSelf): ticks that arrive meanwhile
// make the next batch. Publishes vpin-x.<SYM> and the toxicity cache key.
import { createVpinState, sharedArray, type ActorContext, type PipeOutcome, type ViewOf } from 'dualbus';
import { CacheKeys, DESK_CACHE, Tick, Topics, symbolOf, type EnhancedVpinUpdate } from '../contract.js';
import { VpinCdf, type VpinCdfOptions } from '../logic/enhanced-vpin.js';
import { deskEngine } from '../engine.js';

interface Settings {
  /** Each has its own kernel state per symbol; the toxicity cache key follows the first. */
  bucketVolumes: number[];
  window: number;
  /** The kernel's time bars, in seconds of the ticks' clock. */
  barSeconds: number;
  cdf: VpinCdfOptions;
  /**
   * A batch goes at once when this many ticks wait; fewer go after flushMs. The kernel's bars are a
   * second long, so a flush every 100 ms loses nothing of VPIN's timeliness, while each call (a trip
   * to a pool thread and back, three arrays on shared memory) costs far more than a few ticks' work:
   * 64 ticks or 5 ms made 3,000 calls a second at 5,000 ticks/s.
   */
  batch: number;
  flushMs: number;
}

const DEFAULTS: Settings = { bucketVolumes: [2_000, 5_000, 20_000], window: 50, barSeconds: 1, cdf: {}, batch: 1024, flushMs: 100 };

/** One symbol's stream: ticks waiting, and per bucket volume the kernel's state and the CDF window. */
interface Flow {
  sym: string;
  time: number[];
  price: number[];
  volume: number[];
  lastTs: number;
  inFlight: boolean;
  states: Float64Array[];
  cdfs: VpinCdf[];
}

interface VpinOut { vpin: Float64Array; count: number }
/** The kernel's answer, as a message to self; `flow` tells a result of a stream since replaced. */
interface Done { type: 'vpin-done'; flow: Flow; ts: number; outcome: PipeOutcome<VpinOut[]> }

export type EnhancedVpinMsg =
  | ViewOf<typeof Tick>
  | Done
  | { type: 'flush' }
  | ({ type: 'configure' } & Partial<Settings>)
  | { type: 'stats?' };

export interface EnhancedVpinStats { trades: number; batches: number; updates: number; errors: number; lastError?: string; inFlight: number }

interface State {
  settings: Settings;
  flows: Map<string, Flow>;
  flushDue: boolean;
  trades: number;
  batches: number;
  updates: number;
  errors: number;
  lastError: string | undefined;
}

type Ctx = ActorContext<EnhancedVpinStats>;

export default deskEngine<EnhancedVpinMsg, EnhancedVpinStats, State>({
  subscribe: ['md.*'],
  init: () => ({ settings: DEFAULTS, flows: new Map(), flushDue: false, trades: 0, batches: 0, updates: 0, errors: 0, lastError: undefined }),
  receive(state, msg, ctx) {
    if (Tick.is(msg)) return onTick(state, symbolOf(ctx.topic!), msg, ctx);
    switch (msg.type) {
      case 'vpin-done':
        return onDone(state, msg, ctx);
      case 'flush':
        return flushAll(state, ctx);
      case 'configure': {
        const { type: _, ...given } = msg;
        state.settings = { ...state.settings, ...given };
        state.flows.clear(); // results of calls in flight find their flow gone and are dropped
        return;
      }
      case 'stats?':
        return ctx.reply({ trades: state.trades, batches: state.batches, updates: state.updates, errors: state.errors, lastError: state.lastError, inFlight: [...state.flows.values()].filter((f) => f.inFlight).length });
    }
  },
});

function newFlow(sym: string, s: Settings): Flow {
  return { sym, time: [], price: [], volume: [], lastTs: -Infinity, inFlight: false, states: s.bucketVolumes.map(() => createVpinState(s.window)), cdfs: s.bucketVolumes.map(() => new VpinCdf(s.cdf)) };
}

function onTick(state: State, sym: string, tick: ViewOf<typeof Tick>, ctx: Ctx): void {
  let flow = state.flows.get(sym);
  // A stream whose time goes back (a new replay) starts afresh: the kernel's state refuses it.
  if (flow === undefined || tick.ts < flow.lastTs) state.flows.set(sym, (flow = newFlow(sym, state.settings)));
  state.trades++;
  if (!(tick.qty > 0)) return;
  flow.time.push(tick.ts / 1000);
  flow.price.push(tick.px);
  flow.volume.push(tick.qty);
  flow.lastTs = tick.ts;
  if (flow.time.length >= state.settings.batch) start(state, flow, ctx);
  else scheduleFlush(state, ctx);
}

/**
 * A small batch goes after flushMs: the wait comes back as a message (pipeToSelf), so the flush runs
 * inside receive like everything else, never in a bare timer callback where a throw would kill the worker.
 */
function scheduleFlush(state: State, ctx: Ctx): void {
  if (state.flushDue) return;
  state.flushDue = true;
  ctx.pipeToSelf(new Promise((resolve) => setTimeout(resolve, state.settings.flushMs)), () => ({ type: 'flush' }));
}

function flushAll(state: State, ctx: Ctx): void {
  state.flushDue = false;
  for (const flow of state.flows.values()) start(state, flow, ctx);
}

/** Hands the waiting ticks to the pool, one call per bucket volume, unless a call of this flow is still out. */
function start(state: State, flow: Flow, ctx: Ctx): void {
  const n = flow.time.length;
  if (flow.inFlight || n === 0) return;
  // On shared memory, so the pool thread reads them in place; the three calls share them.
  const time = sharedArray(Float64Array, n);
  const price = sharedArray(Float64Array, n);
  const volume = sharedArray(Float64Array, n);
  time.set(flow.time);
  price.set(flow.price);
  volume.set(flow.volume);
  flow.time.length = flow.price.length = flow.volume.length = 0;
  flow.inFlight = true;
  state.batches++;
  const s = state.settings;
  const calls = s.bucketVolumes.map((bucketVolume, i) =>
    ctx.kernels.run<VpinOut>('vpin.incremental', { time, price, volume, barSeconds: s.barSeconds, bucketVolume, buckets: s.window, state: flow.states[i] }, { backend: 'auto' }),
  );
  ctx.pipeToSelf(Promise.all(calls), (outcome): Done => ({ type: 'vpin-done', flow, ts: time[n - 1] * 1000, outcome }));
}

function onDone(state: State, msg: Done, ctx: Ctx): void {
  const { flow, outcome } = msg;
  flow.inFlight = false;
  if (state.flows.get(flow.sym) !== flow) return; // reconfigured or restarted meanwhile
  if (!outcome.ok) {
    state.errors++;
    state.lastError = String((outcome.error as Error)?.message ?? outcome.error);
    state.flows.set(flow.sym, newFlow(flow.sym, state.settings)); // its states may be half-fed: start over
    return;
  }
  const cache = ctx.cache(DESK_CACHE);
  state.settings.bucketVolumes.forEach((bucketVolume, i) => {
    const { vpin, count } = outcome.value[i];
    for (let k = 0; k < count; k++) {
      const { cdf, toxic } = flow.cdfs[i].add(vpin[k]);
      if (Number.isNaN(vpin[k])) continue; // before the window of buckets is full: nothing to say yet
      // The kernel does not say when in the batch a bucket closed: the batch's last trade time stands for it.
      // vpin.incremental has only a js implementation, but the pool chose: say 'auto' as asked.
      const update: EnhancedVpinUpdate = { sym: flow.sym, ts: msg.ts, bucketVolume, vpin: vpin[k], cdf, toxic, backend: 'auto' };
      state.updates++;
      ctx.publish(Topics.enhancedVpin(flow.sym), update);
      if (i === 0) cache.set(CacheKeys.toxicity(flow.sym), update);
    }
  });
  if (flow.time.length >= state.settings.batch) start(state, flow, ctx);
  else if (flow.time.length > 0) scheduleFlush(state, ctx);
}
