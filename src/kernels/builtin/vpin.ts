import { defineKernel, type KernelContext } from '../define.js';
import { allFinite, float64Array, positiveInteger, positiveNumber, requireObject } from './checks.js';
import { NormalGenerator } from '../rng.js';
import { atLeast } from './samples.js';
import { VPIN_STATE, closeBar, createVpinState, feedTrades, startVpinState, vpinStateLength, type BucketSink, type VpinParams, type VpinTrades } from './vpin-state.js';

export { createVpinState, vpinStateLength } from './vpin-state.js';

/** Trades (time in seconds, nondecreasing; volume > 0) and the VPIN parameters. */
export interface VpinInput extends VpinTrades, VpinParams {}

/** The same, plus the caller's state (createVpinState(buckets)), updated in place by each call. */
export interface VpinIncrementalInput extends VpinInput {
  state: Float64Array;
}

/** One entry per bucket completed by this call: VPIN after it (NaN until `buckets` exist) and its buy volume. */
export interface VpinOutput {
  vpin: Float64Array;
  buyVolume: Float64Array;
  count: number;
}

const SHAPE = '{ time, price, volume, barSeconds, bucketVolume, buckets, sigma? }';

function checkVpinInput(ctx: KernelContext, input: unknown, shape: string): Record<string, unknown> {
  const o = requireObject(ctx, input, shape);
  const time = float64Array(ctx, 'time', o.time);
  const length = time.length;
  const price = float64Array(ctx, 'price', o.price, length, 'one per trade, as time');
  const volume = float64Array(ctx, 'volume', o.volume, length, 'one per trade, as time');
  allFinite(ctx, 'time', time);
  for (let i = 1; i < length; i++) if (time[i] < time[i - 1]) ctx.reject('time', 'nondecreasing', `time[${i}] = ${time[i]} < time[${i - 1}] = ${time[i - 1]}`);
  allFinite(ctx, 'price', price);
  for (let i = 0; i < length; i++) if (!(volume[i] > 0 && volume[i] < Infinity)) ctx.reject('volume', 'finite numbers > 0', `${volume[i]} at index ${i}`);
  positiveNumber(ctx, 'barSeconds', o.barSeconds);
  positiveNumber(ctx, 'bucketVolume', o.bucketVolume);
  positiveInteger(ctx, 'buckets', o.buckets);
  if (o.sigma !== undefined) positiveNumber(ctx, 'sigma', o.sigma);
  return o;
}

function validateVpin(input: unknown, ctx: KernelContext): asserts input is VpinInput {
  checkVpinInput(ctx, input, SHAPE);
}

function validateVpinIncremental(input: unknown, ctx: KernelContext): asserts input is VpinIncrementalInput {
  const o = checkVpinInput(ctx, input, SHAPE.replace(' }', ', state }'));
  const buckets = o.buckets as number;
  const state = float64Array(ctx, 'state', o.state, vpinStateLength(buckets), `createVpinState(buckets = ${buckets})`);
  if (state[VPIN_STATE.STARTED] !== 1) return;
  // A state carries one stream: the parameters of its first call hold for the rest.
  const recorded: Array<[string, number, unknown]> = [
    ['barSeconds', state[VPIN_STATE.BAR_SECONDS], o.barSeconds],
    ['bucketVolume', state[VPIN_STATE.BUCKET_VOLUME], o.bucketVolume],
    ['buckets', state[VPIN_STATE.BUCKETS], o.buckets],
    ['sigma', state[VPIN_STATE.SIGMA], o.sigma ?? 0],
  ];
  for (const [name, was, given] of recorded) {
    if (was !== given) ctx.reject(name, `${name === 'sigma' && was === 0 ? 'absent' : was}, as in the first call on this state`, o[name]);
  }
  const time = o.time as Float64Array;
  const hasTrades = state[VPIN_STATE.HAS_OPEN] === 1 || state[VPIN_STATE.HAS_CLOSE] === 1;
  if (hasTrades && time.length > 0 && time[0] < state[VPIN_STATE.LAST_TIME]) {
    ctx.reject('time', `nondecreasing across calls (>= ${state[VPIN_STATE.LAST_TIME]}, the last time this state saw)`, `time[0] = ${time[0]}`);
  }
}

function bucketsOutput(sink: BucketSink, ctx: KernelContext): VpinOutput {
  const count = sink.vpin.length;
  const vpin = ctx.output('vpin', Float64Array, count);
  const buyVolume = ctx.output('buyVolume', Float64Array, count);
  vpin.set(sink.vpin);
  buyVolume.set(sink.buyVolume);
  return { vpin, buyVolume, count };
}

/** The whole stream at once: a fresh state, every trade, then the last bar closed. */
function vpinBatch(input: VpinInput, ctx: KernelContext): VpinOutput {
  const state = new Float64Array(vpinStateLength(input.buckets));
  const sink: BucketSink = { vpin: [], buyVolume: [] };
  startVpinState(state, input);
  feedTrades(state, input, input, sink);
  closeBar(state, input, sink);
  return bucketsOutput(sink, ctx);
}

/** The next chunk of a stream: the caller's state, the last bar left open for the next chunk. */
function vpinIncremental(input: VpinIncrementalInput, ctx: KernelContext): VpinOutput {
  const sink: BucketSink = { vpin: [], buyVolume: [] };
  startVpinState(input.state, input);
  feedTrades(input.state, input, input, sink);
  return bucketsOutput(sink, ctx);
}

/** A random walk of `trades` trades, about 4 per one-minute bar, 50 buckets of about 20 bars' volume. */
function sampleTrades(size: number): VpinInput {
  const trades = atLeast(10, size);
  const gen = new NormalGenerator(3);
  const time = new Float64Array(trades);
  const price = new Float64Array(trades);
  const volume = new Float64Array(trades);
  let p = 100;
  for (let i = 0; i < trades; i++) {
    time[i] = i * 15;
    p += 0.05 * gen.nextNormal();
    price[i] = p;
    volume[i] = 1 + Math.floor(100 * gen.nextUniform());
  }
  return { time, price, volume, barSeconds: 60, bucketVolume: 4000, buckets: 50 };
}

// VPIN is one sequential pass with no numeric core to hand to the addon: it runs on js only (listing
// a native backend that ran the same JS would claim a speed-up that is not there).
export const vpinKernel = defineKernel<VpinInput, VpinOutput>({
  name: 'vpin',
  description: 'VPIN over a whole trade stream (time bars, bulk volume classification, volume buckets)',
  validate: validateVpin,
  js: vpinBatch,
  size: ({ time }) => time.length,
  sample: sampleTrades,
});

export const vpinIncrementalKernel = defineKernel<VpinIncrementalInput, VpinOutput>({
  name: 'vpin.incremental',
  description: 'VPIN over the next chunk of a trade stream, its state in a caller-owned array (createVpinState)',
  validate: validateVpinIncremental,
  js: vpinIncremental,
  size: ({ time }) => time.length,
  sample: (size) => ({ ...sampleTrades(size), state: createVpinState(50) }),
});

