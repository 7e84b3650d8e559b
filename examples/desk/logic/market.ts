// The synthetic market: one seeded stream of trade prints for several symbols, with enough
// microstructure (spreads, heavy-tailed sizes, persistent order flow, bursts) that VPIN, the factors
// and the model have something real to react to. Pure: no threads, no clock; the market-data engine
// paces it against the wall clock.
import type { TickValues } from '../contract.js';
import { Rng } from './rng.js';

/** The burst regime: a two-state Markov switch in simulated time (calm <-> burst). */
export interface BurstOptions {
  /** Arrival intensity in a burst, as a multiple of the calm one. */
  multiplier: number;
  /** Mean length of a burst (exponential), simulated ms. */
  meanDurationMs: number;
  /** Mean calm time between bursts (exponential), simulated ms. */
  meanGapMs: number;
}

export interface MarketOptions {
  /** The names, in Tick.sym order (the engine passes the contract's SYMBOLS). */
  symbols: readonly string[];
  seed?: number;
  /** One per symbol; default 50..450 drawn from the seed. */
  startPrices?: readonly number[];
  tickSize?: number;
  /** Calm arrival rate of trades, all symbols together, per simulated second. */
  ticksPerSecond?: number;
  /** The simulated clock's start, ms since the epoch. */
  startTs?: number;
  /** false: no bursts but those startBurst() starts. */
  burst?: Partial<BurstOptions> | false;
}

export const MARKET_DEFAULTS = Object.freeze({
  seed: 1,
  tickSize: 0.01,
  ticksPerSecond: 200,
  startTs: 1_700_000_000_000,
  burst: Object.freeze({ multiplier: 6, meanDurationMs: 2_000, meanGapMs: 20_000 }),
});

/** Order-flow persistence per trade: AR(1) coefficient of the latent flow that sets P(buy). */
const FLOW_PHI = 0.9;
const FLOW_NOISE = 0.35;
/** Share of trades that print inside the spread (midpoint, hidden liquidity) rather than at the touch. */
const INSIDE_PRINT = 0.08;
/** Share of trades that are blocks: a Pareto(1.5) multiple of the lognormal size (the heavy tail). */
const BLOCK_SHARE = 0.03;
const MAX_QTY = 100_000;

interface SymbolState {
  logMid: number;
  /** Std of the log mid move per trade of this symbol, calm. */
  sigma: number;
  /** Spread in ticks, calm. */
  spreadTicks: number;
  /** Latent order flow: P(buy) = logistic(2 flow). */
  flow: number;
  /** Where the flow is pushed during a burst (informed trading one way): +1 or -1. */
  bias: number;
  weight: number;
}

export class MarketSimulator {
  readonly symbols: readonly string[];
  readonly tickSize: number;
  private readonly rng: Rng;
  private readonly perTick: number;
  private readonly ratePerMs: number;
  private readonly burst: BurstOptions;
  /** false: bursts come only from startBurst(). */
  private readonly autoBursts: boolean;
  private readonly sym: SymbolState[];
  private readonly cumulativeWeight: number[];
  private ts: number;
  private burstUntil = -Infinity;
  private nextBurstAt = Infinity;

  constructor(options: MarketOptions) {
    this.symbols = options.symbols;
    if (this.symbols.length === 0 || this.symbols.length > 65_535) throw new RangeError(`MarketSimulator: symbols must hold 1 to 65535 names; got ${this.symbols.length}`);
    this.tickSize = options.tickSize ?? MARKET_DEFAULTS.tickSize;
    // Prices are kept as integer tick counts divided by this, so 100.01 prints as 100.01, not 100.01000000000001.
    this.perTick = Math.round(1 / this.tickSize);
    const tps = options.ticksPerSecond ?? MARKET_DEFAULTS.ticksPerSecond;
    if (!(tps > 0)) throw new RangeError(`MarketSimulator: ticksPerSecond must be > 0; got ${tps}`);
    this.ratePerMs = tps / 1000;
    this.autoBursts = options.burst !== false;
    this.burst = { ...MARKET_DEFAULTS.burst, ...(options.burst || {}) };
    this.ts = options.startTs ?? MARKET_DEFAULTS.startTs;
    this.rng = new Rng(options.seed ?? MARKET_DEFAULTS.seed);
    const rng = this.rng;
    this.sym = this.symbols.map((_, i) => ({
      logMid: Math.log(options.startPrices?.[i] ?? 50 + Math.round(rng.next() * 400)),
      sigma: 1e-4 * (1 + 2 * rng.next()),
      spreadTicks: 2 + rng.below(3),
      flow: 0,
      bias: 1,
      weight: 0.5 + rng.next(),
    }));
    let sum = 0;
    this.cumulativeWeight = this.sym.map((s) => (sum += s.weight));
    if (this.autoBursts) this.nextBurstAt = this.ts + this.exponential(this.burst.meanGapMs);
  }

  /** The simulated clock: the time of the last trade. */
  get now(): number {
    return this.ts;
  }

  get inBurst(): boolean {
    return this.ts < this.burstUntil;
  }

  /** Starts a burst now (a demo's button), whatever the regime would have done. */
  startBurst(durationMs = this.burst.meanDurationMs): void {
    this.enterBurst(durationMs);
  }

  /** The next trade print, `ts` after the previous one by an exponential wait at the current intensity. */
  next(): TickValues {
    this.advanceClock();
    const burst = this.inBurst;
    const i = this.pickSymbol();
    const s = this.sym[i];
    const rng = this.rng;

    // Order flow: persistent, and during a burst pushed one way (toxic flow is what VPIN should see).
    const push = burst ? 0.25 * s.bias : 0;
    s.flow = FLOW_PHI * s.flow + push + FLOW_NOISE * rng.normal();
    const pBuy = 1 / (1 + Math.exp(-2 * s.flow));
    const side = rng.next() < pBuy ? 1 : -1;

    // Size: lognormal around 100 (median), and now and then a Pareto block.
    let qty = Math.exp(Math.log(100) + 0.9 * rng.normal());
    if (rng.next() < BLOCK_SHARE) qty *= Math.pow(1 - rng.next(), -1 / 1.5);
    qty = Math.min(MAX_QTY, Math.max(1, Math.round(qty)));

    // Mid: a log random walk, more volatile in a burst, with a small impact in the trade's direction.
    const volMult = burst ? 2.5 : 1;
    s.logMid += s.sigma * volMult * rng.normal() + 0.3 * s.sigma * side * Math.sqrt(qty / 100);

    // Quote: a few ticks wide, wider in bursts and now and then for a moment.
    const spread = s.spreadTicks * (burst ? 2 : 1) + (rng.next() < 0.05 ? 1 + rng.below(4) : 0);
    const midTicks = Math.exp(s.logMid) * this.perTick;
    const bidTicks = Math.max(1, Math.floor(midTicks - spread / 2));
    const askTicks = bidTicks + spread;
    let pxTicks = side > 0 ? askTicks : bidTicks;
    if (rng.next() < INSIDE_PRINT) pxTicks = bidTicks + 1 + rng.below(spread - 1 || 1);

    return {
      ts: this.ts,
      px: pxTicks / this.perTick,
      qty,
      bid: bidTicks / this.perTick,
      ask: askTicks / this.perTick,
      sym: i,
      side,
    };
  }

  private advanceClock(): void {
    const rate = this.ratePerMs * (this.inBurst ? this.burst.multiplier : 1);
    // Rounded to the microsecond: readable times, and the same numbers after a CSV round trip.
    this.ts = Math.round((this.ts + this.exponential(1 / rate)) * 1000) / 1000;
    if (!this.inBurst && this.ts >= this.nextBurstAt) this.enterBurst(this.exponential(this.burst.meanDurationMs));
  }

  private enterBurst(durationMs: number): void {
    this.burstUntil = this.ts + durationMs;
    for (const s of this.sym) s.bias = this.rng.next() < 0.5 ? -1 : 1;
    if (this.autoBursts) this.nextBurstAt = this.burstUntil + this.exponential(this.burst.meanGapMs);
  }

  private pickSymbol(): number {
    const total = this.cumulativeWeight[this.cumulativeWeight.length - 1];
    const u = this.rng.next() * total;
    let i = 0;
    while (i < this.cumulativeWeight.length - 1 && this.cumulativeWeight[i] <= u) i++;
    return i;
  }

  private exponential(mean: number): number {
    return -Math.log(1 - this.rng.next()) * mean;
  }
}
