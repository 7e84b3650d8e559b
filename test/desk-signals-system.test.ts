import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DESK_MODEL_FEATURES, DESK_MODEL_FILE, createSystem, deskModelLayers, sharedArray, type System } from 'dualbus';
import { CacheKeys, type EnhancedVpinUpdate, type FactorUpdate, type Prediction, type TickValues, type VpinUpdate } from '../examples/desk/contract.js';
import { BarFactors } from '../examples/desk/logic/factors.js';
import { MarketSimulator } from '../examples/desk/logic/market.js';
import { forward } from '../examples/desk/logic/model.js';
import { readRecording, type RecordingAsk, type RecordingPage } from '../examples/desk/logic/recording.js';
import { VpinBuckets } from '../examples/desk/logic/vpin.js';
import { eventually } from './helpers.js';

// The six signal engines in one system, fed a fixed replay: what they publish must be what their
// logic computes on the same ticks (vpin, factor), what the pool's batch kernel computes (enhanced
// VPIN), and plausible where timing decides the inputs (the model's rows read the factor cache).
const ROOT = new URL('..', import.meta.url).pathname;
const engine = (name: string) => new URL(`../dist/examples/desk/engines/${name}.js`, import.meta.url);

let system: System;
beforeAll(async () => {
  system = await createSystem({
    logger: pino({ level: 'warn' }),
    caches: { desk: { maxBytes: 1 << 20 } },
    // The accelerators that need seconds to open (webgpu, mlx) are left out: onnx is what ml uses.
    kernels: { threads: 1, calibrationFile: false, backends: ['js', 'native', 'onnx'] },
  });
});
afterAll(async () => {
  await system?.shutdown();
});

describe('the desk model', () => {
  it('the plain JS forward equals the mlp kernel and the ONNX file within 1e-5', async () => {
    const rows = 16;
    const x = sharedArray(Float64Array, rows * DESK_MODEL_FEATURES);
    for (let i = 0; i < x.length; i++) x[i] = Math.sin(i * 1.7) * 2; // inputs of unit scale, as the features engine makes them
    const layers = deskModelLayers();
    const mine = forward(layers, x, rows);
    const js = await system.kernels.run('mlp', { x, rows, layers }, { backend: 'js' });
    const onnx = await system.kernels.run('model.onnx', { model: `${ROOT}${DESK_MODEL_FILE}`, feeds: { x: { data: x, dims: [rows, DESK_MODEL_FEATURES] } } }, { backend: 'onnx' });
    expect(Array.from(mine)).toEqual(Array.from(js.out)); // the same sums in the same order
    for (let i = 0; i < rows; i++) expect(Math.abs(onnx.y.data[i] - mine[i])).toBeLessThan(1e-5);
    expect(Math.max(...mine) - Math.min(...mine)).toBeGreaterThan(0.05); // not a network pinned at one value
  });
});

describe('the signal engines on a replay', () => {
  it('publish vpin, enhanced vpin, factors and predictions that agree with their logic', async () => {
    const symbols = ['AAPL', 'MSFT', 'NVDA', 'JPM'];
    const sim = new MarketSimulator({ symbols, seed: 7, ticksPerSecond: 100 }); // 10.7 s of market: a long burst
    const ticks: TickValues[] = Array.from({ length: 3000 }, () => sim.next());

    const md = await system.spawn('market-data', engine('market-data'), { wait: 'async' });
    const vpin = await system.spawn('vpin', engine('vpin'));
    const xvpin = await system.spawn('enhanced-vpin', engine('enhanced-vpin'));
    const factor = await system.spawn('factor', engine('factor'));
    await system.spawn('ml', engine('ml'));
    await system.spawn('features', engine('features'));
    vpin.send({ type: 'configure', bucketVolumes: [2_000, 5_000], window: 5 });
    xvpin.send({ type: 'configure', bucketVolumes: [2_000], window: 5, cdf: { minHistory: 3 } });

    const seen = { vpin: [] as VpinUpdate[], xvpin: [] as EnhancedVpinUpdate[], factor: [] as FactorUpdate[], ml: [] as Prediction[] };
    const subs = [
      system.subscribe('vpin.*', (m) => seen.vpin.push(m as VpinUpdate)),
      system.subscribe('vpin-x.*', (m) => seen.xvpin.push(m as EnhancedVpinUpdate)),
      system.subscribe('factor.*', (m) => seen.factor.push(m as FactorUpdate)),
      system.subscribe('ml.*', (m) => seen.ml.push(m as Prediction)),
    ];
    await Promise.all(subs.map((s) => s.ready));

    const done = await md.ask({ type: 'replay', ticks, symbols }, { timeoutMs: 20_000 });
    expect(done).toEqual({ published: 3000, refused: 0, symbols });

    // vpin: exactly the buckets VpinBuckets makes of the same ticks, per symbol.
    const expectedVpin: VpinUpdate[] = [];
    const local = new Map(symbols.map((s) => [s, new VpinBuckets({ bucketVolumes: [2_000, 5_000], window: 5 })]));
    for (const t of ticks) for (const u of local.get(symbols[t.sym])!.onTrade(t.ts, t.px, t.qty, t.side)) expectedVpin.push({ sym: symbols[t.sym], ...u });
    await eventually(() => seen.vpin.length, (n) => n >= expectedVpin.length, 10_000);
    expect(seen.vpin).toEqual(expectedVpin);
    const finite = seen.vpin.filter((u) => !Number.isNaN(u.vpin));
    expect(finite.length).toBeGreaterThan(100);
    expect(finite.every((u) => u.vpin >= 0 && u.vpin <= 1)).toBe(true);

    // factor: every bar close, as BarFactors computes it; the cache holds each symbol's latest.
    const bars = new BarFactors();
    const expectedFactors = ticks.flatMap((t) => bars.onTrade(symbols[t.sym], t.ts, t.px));
    expect(expectedFactors.length).toBeGreaterThan(4 * 8); // 10 bars: this seed bursts early and long (3.8 s at 6x)
    await eventually(() => seen.factor.length, (n) => n >= expectedFactors.length, 10_000);
    expect(seen.factor).toEqual(expectedFactors);
    for (const sym of symbols) {
      expect(system.cache('desk').get(CacheKeys.factor(sym))).toEqual(expectedFactors.filter((f) => f.sym === sym).at(-1));
    }

    // enhanced vpin: the pool kernel's buckets on 1 s bars; the batch kernel on the same trades
    // gives the same VPIN sequence (plus what the open last bar holds back).
    // Done, and the host has every update it published (the subscription and the ask's reply come on different rings).
    await eventually(() => xvpin.ask({ type: 'stats?' }) as Promise<{ inFlight: number; trades: number; updates: number }>, (s) => s.trades === 3000 && s.inFlight === 0 && seen.xvpin.length === s.updates, 10_000);
    const aapl = ticks.filter((t) => t.sym === 0);
    const batch = await system.kernels.run('vpin', {
      time: Float64Array.from(aapl, (t) => t.ts / 1000), price: Float64Array.from(aapl, (t) => t.px), volume: Float64Array.from(aapl, (t) => t.qty),
      barSeconds: 1, bucketVolume: 2_000, buckets: 5,
    });
    const batchFinite = Array.from(batch.vpin as Float64Array).filter((v) => !Number.isNaN(v));
    const xAapl = seen.xvpin.filter((u) => u.sym === 'AAPL');
    expect(xAapl.length).toBeGreaterThan(20);
    expect(xAapl.length).toBeLessThanOrEqual(batchFinite.length);
    expect(xAapl.map((u) => u.vpin)).toEqual(batchFinite.slice(0, xAapl.length));
    for (const u of seen.xvpin) {
      expect(u.bucketVolume).toBe(2_000);
      expect(u.backend).toBe('auto');
    }
    // CDF: the first has no history (NaN); each later one is the share of earlier values at or below it.
    expect(xAapl[0].cdf).toBeNaN();
    for (let i = 1; i < xAapl.length; i++) expect(xAapl[i].cdf).toBe(xAapl.slice(0, i).filter((u) => u.vpin <= xAapl[i].vpin).length / i);
    expect(system.cache('desk').get(CacheKeys.toxicity('AAPL'))).toEqual(xAapl.at(-1));

    // ml: predictions for every symbol, probabilities that differ, from onnx; the cache has the latest.
    await eventually(() => seen.ml.length, (n) => n >= 200, 10_000);
    expect(new Set(seen.ml.map((p) => p.sym))).toEqual(new Set(symbols));
    expect(seen.ml.every((p) => p.pUp > 0 && p.pUp < 1 && p.backend === 'onnx')).toBe(true);
    const p = seen.ml.map((q) => q.pUp);
    expect(Math.max(...p) - Math.min(...p)).toBeGreaterThan(0.01);
    // The latest in the cache is the last one published, once the flow is over: features and ml
    // have nothing queued, ml predicted every row features sent, and the host saw every prediction.
    await eventually(
      async () => {
        const f = (await system.ref('features').ask({ type: 'stats?' })) as { rows: number };
        const m = (await system.ref('ml').ask({ type: 'stats?' })) as { rows: number; predictions: number };
        const depth = (name: string) => system.stats().actors[name]!.mailboxDepth;
        return { quiet: depth('features') === 0 && depth('ml') === 0, sent: f.rows, rows: m.rows, predictions: m.predictions, seen: seen.ml.length };
      },
      (s) => s.quiet && s.rows === s.sent && s.predictions === s.rows && s.seen === s.predictions,
      10_000,
    );
    expect(system.cache('desk').get(CacheKeys.prediction('NVDA'))).toEqual(seen.ml.filter((q) => q.sym === 'NVDA').at(-1));
    expect(system.stats().caches.desk!.hits).toBeGreaterThan(0); // the features engine's factor reads

    // market-data keeps what it published, for the backtest.
    const recording = await readRecording((m: RecordingAsk) => md.ask(m) as Promise<RecordingPage>, 2_000);
    expect(recording.symbols).toEqual(symbols);
    expect(recording.ticks).toEqual(ticks.slice(-2_000));
  });

  it('ml answers the rows sent to it through ONNX, and through the mlp kernel when the model file is missing', async () => {
    const ml = await system.spawn('ml-b', engine('ml'));
    const got: Prediction[] = [];
    const off = system.subscribe('ml.Q*', (m) => got.push(m as Prediction));
    await off.ready;
    const rows = [0, 1, 2].map((i) => Array.from({ length: DESK_MODEL_FEATURES }, (_, k) => Math.cos(i * 3 + k) * 1.5));
    const want = forward(deskModelLayers(), rows.flat(), rows.length);
    rows.forEach((x, i) => ml.send({ type: 'features', sym: `Q${i}`, ts: i, x }));
    await eventually(() => got.length, (n) => n === 3, 10_000);
    got.forEach((p, i) => {
      expect(p).toMatchObject({ sym: `Q${i}`, ts: i, backend: 'onnx' });
      expect(Math.abs(p.pUp - want[i])).toBeLessThan(1e-5); // the file is float32
    });

    got.length = 0;
    ml.send({ type: 'configure', model: `${ROOT}models/no-such-model.onnx` });
    rows.forEach((x, i) => ml.send({ type: 'features', sym: `Q${i}`, ts: 10 + i, x }));
    await eventually(() => got.length, (n) => n === 3, 20_000); // the first mlp call on 'auto' calibrates
    got.forEach((p, i) => {
      expect(p).toMatchObject({ sym: `Q${i}`, ts: 10 + i, backend: 'mlp/auto' });
      expect(Math.abs(p.pUp - want[i])).toBeLessThan(1e-9); // f64 on js or native
    });
    const stats = (await ml.ask({ type: 'stats?' })) as { runner: string; fallbackReason: string; errors: number };
    expect(stats).toMatchObject({ runner: 'mlp', errors: 0 });
    expect(stats.fallbackReason).toContain('no-such-model.onnx');
    off();
    await system.stop('ml-b');
  });

  it('market-data runs in real time, bursts on demand, and halts', async () => {
    const md = system.ref('market-data');
    const count = async () => {
      const c = (await md.ask({ type: 'published?' })) as { published: number; refused: number; symbols: string[] };
      return { sent: c.published + c.refused, symbols: c.symbols };
    };
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const t0 = await count();
    md.send({ type: 'run', ticksPerSecond: 500, seed: 3, burst: false });
    await sleep(400);
    const t1 = await count();
    md.send({ type: 'burst', durationMs: 60_000 }); // 6x the calm rate from now on
    await sleep(400);
    const t2 = await count();
    md.send({ type: 'halt' });
    const t3 = await count();
    await sleep(50);
    const t4 = await count();
    expect(t1.symbols).toEqual(['AAPL', 'MSFT', 'NVDA', 'AMZN', 'META', 'TSLA', 'GOOG', 'JPM']);
    const calm = t1.sent - t0.sent;
    const burst = t2.sent - t1.sent;
    expect(calm).toBeGreaterThan(100); // about 200 at 500/s, less the start
    expect(calm).toBeLessThan(400);
    expect(burst / calm).toBeGreaterThan(3); // about 6
    expect(t4.sent).toBe(t3.sent); // halted: nothing more
  });
});
