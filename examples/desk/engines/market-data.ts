// market-data: publishes trade prints as Tick records on md.<SYM>, either from the seeded
// synthetic market in real time or by replaying given ticks (a CSV, a recording), and keeps the
// last ticks it published for the backtesting engine. Spawn it with wait: 'async': its 1 ms timers
// need the worker's event loop, which a parked 'block' actor freezes.
import { type ActorContext, type ReplyHandle } from 'dualbus';
import { SYMBOLS, Tick, Topics, type TickValues } from '../contract.js';
import { MarketSimulator, type BurstOptions } from '../logic/market.js';
import { TickRecorder, type RecordingAsk, type RecordingPage } from '../logic/recording.js';
import { deskEngine } from '../engine.js';

export type MarketDataMsg =
  /** Real time: `ticksPerSecond` is the calm rate; bursts go several times faster (simulated ms = wall ms). */
  | { type: 'run'; ticksPerSecond: number; seed?: number; burst?: boolean | Partial<BurstOptions> }
  /** Starts a burst now in a running market. */
  | { type: 'burst'; durationMs?: number }
  /**
   * Publishes `ticks` (or, without them, the ticks loaded before) in order: as fast as the event
   * loop allows, or paced. As an ask, answered when done.
   */
  | { type: 'replay'; ticks?: TickValues[]; symbols: string[]; ticksPerSecond?: number }
  /** Adds ticks to those the next replay without ticks publishes: a file too large for one message goes in parts. */
  | { type: 'load'; ticks: TickValues[] }
  | { type: 'halt' }
  | { type: 'published?' }
  | RecordingAsk;

export interface PublishedCounts { published: number; refused: number; symbols: string[] }
export type MarketDataReply = PublishedCounts | RecordingPage;

interface State {
  symbols: string[];
  topics: string[];
  /** Ticks every subscriber took. */
  published: number;
  /** Ticks at least one subscriber's full mailbox refused (publishRecord returned false). */
  refused: number;
  recorder: TickRecorder;
  sim: MarketSimulator | undefined;
  timer: NodeJS.Timeout | undefined;
  /** Bumped by halt and by every new run/replay: a replay step of an older generation stops. */
  generation: number;
  replayDone: ReplyHandle<MarketDataReply> | undefined;
  loaded: TickValues[];
}

type Ctx = ActorContext<MarketDataReply>;

/** Most ticks one timer turn publishes: a late timer catches up over a few turns, not in one long stall. */
const MAX_PER_TURN = 5_000;
/** Ticks per event-loop turn in an unpaced replay: asks and halt get handled in between. */
const REPLAY_CHUNK = 512;

export default deskEngine<MarketDataMsg, MarketDataReply, State>({
  init: () => ({ symbols: [...SYMBOLS], topics: SYMBOLS.map(Topics.tick), published: 0, refused: 0, recorder: new TickRecorder(), sim: undefined, timer: undefined, generation: 0, replayDone: undefined, loaded: [] }),
  receive(state, msg, ctx) {
    switch (msg.type) {
      case 'published?':
        return ctx.reply({ published: state.published, refused: state.refused, symbols: state.symbols });
      case 'recording?':
        return ctx.reply(state.recorder.page(msg));
      case 'halt':
        return halt(state);
      case 'burst':
        state.sim?.startBurst(msg.durationMs);
        return;
      case 'run':
        return run(state, msg, ctx);
      case 'replay':
        return replay(state, msg, ctx);
      case 'load':
        for (const t of msg.ticks) state.loaded.push(t);
        return;
    }
  },
  stop: (state) => halt(state),
});

function halt(state: State): void {
  clearInterval(state.timer);
  state.timer = undefined;
  state.sim = undefined;
  state.generation++;
  finishReplay(state);
}

function useSymbols(state: State, symbols: readonly string[]): void {
  state.symbols = [...symbols];
  state.topics = symbols.map(Topics.tick);
  state.recorder.useSymbols(symbols);
}

function publish(state: State, ctx: Ctx, tick: TickValues): void {
  if (ctx.publishRecord(state.topics[tick.sym], Tick, tick)) state.published++;
  else state.refused++;
  state.recorder.record(tick); // refused or not: the market printed it
}

function run(state: State, msg: Extract<MarketDataMsg, { type: 'run' }>, ctx: Ctx): void {
  halt(state);
  useSymbols(state, SYMBOLS);
  const burst = msg.burst === undefined || msg.burst === true ? {} : msg.burst;
  const startTs = Date.now();
  const sim = new MarketSimulator({ symbols: SYMBOLS, seed: msg.seed, ticksPerSecond: msg.ticksPerSecond, burst, startTs });
  state.sim = sim;
  const t0 = performance.now();
  let due = sim.next(); // generated, waiting for the wall clock to reach its simulated time
  state.timer = setInterval(() => {
    const now = startTs + (performance.now() - t0);
    for (let n = 0; n < MAX_PER_TURN && due.ts <= now; n++) {
      publish(state, ctx, due);
      due = sim.next();
    }
  }, 1);
}

function replay(state: State, msg: Extract<MarketDataMsg, { type: 'replay' }>, ctx: Ctx): void {
  halt(state);
  useSymbols(state, msg.symbols);
  if (ctx.isAsk) state.replayDone = ctx.deferReply();
  const generation = state.generation;
  const ticks = msg.ticks ?? state.loaded;
  state.loaded = [];
  let i = 0;
  if (msg.ticksPerSecond !== undefined && msg.ticksPerSecond > 0) {
    const perMs = msg.ticksPerSecond / 1000;
    const t0 = performance.now();
    state.timer = setInterval(() => {
      const target = Math.min(ticks.length, Math.floor((performance.now() - t0) * perMs) + 1);
      for (let n = 0; i < target && n < MAX_PER_TURN; n++) publish(state, ctx, ticks[i++]);
      if (i >= ticks.length) halt(state);
    }, 1);
    return;
  }
  const step = (): void => {
    if (state.generation !== generation) return; // halted, or another run/replay took over
    const stop = Math.min(ticks.length, i + REPLAY_CHUNK);
    while (i < stop) publish(state, ctx, ticks[i++]);
    if (i < ticks.length) setImmediate(step);
    else finishReplay(state);
  };
  step();
}

function finishReplay(state: State): void {
  const done = state.replayDone;
  state.replayDone = undefined;
  if (done && !done.settled) done.reply({ published: state.published, refused: state.refused, symbols: state.symbols });
}
