import { describe, expect, it } from 'vitest';
import { VpinCdf } from '../examples/desk/logic/enhanced-vpin.js';
import { BarFactors } from '../examples/desk/logic/factors.js';
import { FeatureBuilder } from '../examples/desk/logic/features.js';
import { forward } from '../examples/desk/logic/model.js';
import { normalCdf } from '../examples/desk/logic/normal.js';
import { VpinBuckets } from '../examples/desk/logic/vpin.js';

// The desk's signal logic against numbers worked by hand, or by a formula written here apart from
// the code under test (direct sums over whole arrays where the code keeps running state).

/** Phi by Simpson's rule on the density: a second, independent way to the same numbers. */
function phiBySimpson(x: number): number {
  const n = 2000;
  const h = x / n;
  const f = (t: number) => Math.exp(-t * t / 2) / Math.sqrt(2 * Math.PI);
  let s = f(0) + f(x);
  for (let i = 1; i < n; i++) s += (i % 2 === 1 ? 4 : 2) * f(i * h);
  return 0.5 + (s * h) / 3;
}

describe('normalCdf', () => {
  it('matches known values and an integration of the density', () => {
    expect(normalCdf(0)).toBe(0.5);
    expect(normalCdf(1)).toBeCloseTo(0.8413447460685429, 14);
    expect(normalCdf(-1.96)).toBeCloseTo(0.024997895148220435, 14);
    for (const x of [-3.3, -0.7, 0.25, 2.1]) expect(Math.abs(normalCdf(x) - phiBySimpson(x))).toBeLessThan(1e-12);
  });
});

describe('VpinBuckets', () => {
  it('fills buckets with signed trades, splits the trade that crosses a boundary, averages over the window', () => {
    const v = new VpinBuckets({ bucketVolumes: [100], window: 2 });
    expect(v.onTrade(1, 10, 60, 1)).toEqual([]); // bucket 1: 60 buy
    // 40 sell completes bucket 1: |60 - 40| = 20; one bucket of a window of 2: no VPIN yet.
    expect(v.onTrade(2, 10, 40, -1)).toEqual([{ ts: 2, bucketVolume: 100, vpin: NaN, buckets: 1 }]);
    // 150 buy: 100 complete bucket 2 (|100 - 0| = 100), 50 start bucket 3. VPIN = (20 + 100) / (2 x 100).
    expect(v.onTrade(3, 10, 150, 1)).toEqual([{ ts: 3, bucketVolume: 100, vpin: 0.6, buckets: 2 }]);
    // 50 sell completes bucket 3: |50 - 50| = 0. VPIN = (100 + 0) / 200.
    expect(v.onTrade(4, 10, 50, -1)).toEqual([{ ts: 4, bucketVolume: 100, vpin: 0.5, buckets: 3 }]);
    // One trade of 200 sells fills exactly two buckets: imbalances 100 and 100.
    expect(v.onTrade(5, 10, 200, -1)).toEqual([
      { ts: 5, bucketVolume: 100, vpin: 0.5, buckets: 4 }, // (0 + 100) / 200
      { ts: 5, bucketVolume: 100, vpin: 1, buckets: 5 }, // (100 + 100) / 200
    ]);
  });

  it('keeps each bucket volume apart: several at once equal one instance per volume', () => {
    const both = new VpinBuckets({ bucketVolumes: [30, 70], window: 3 });
    const a = new VpinBuckets({ bucketVolumes: [30], window: 3 });
    const b = new VpinBuckets({ bucketVolumes: [70], window: 3 });
    const trades = [[1, 100, 25, 1], [2, 101, 40, -1], [3, 100.5, 12, 1], [4, 100.7, 80, 1], [5, 99, 33, -1], [6, 99.5, 90, 1]] as const;
    const got: unknown[] = [];
    const want: unknown[] = [];
    for (const [ts, px, qty, side] of trades) {
      got.push(...both.onTrade(ts, px, qty, side));
      want.push(...a.onTrade(ts, px, qty, side), ...b.onTrade(ts, px, qty, side));
    }
    expect(got).toEqual(want);
    expect(got.length).toBe(Math.floor(280 / 30) + Math.floor(280 / 70)); // 280 traded: 9 + 4 buckets
  });

  it('classifies unsigned trades by bulk volume: Phi(dp / sigma), sigma given or the sample std of the changes', () => {
    const fixed = new VpinBuckets({ bucketVolumes: [100], window: 1, sigma: 2 });
    fixed.onTrade(1, 100, 50, 0); // no previous price: half and half, 25 buy
    const [u] = fixed.onTrade(2, 101, 50, 0); // dp = 1: buy share Phi(0.5)
    const buy = 25 + 50 * phiBySimpson(0.5);
    expect(u.vpin).toBeCloseTo(Math.abs(2 * buy - 100) / 100, 10);
    expect(u.vpin).toBeCloseTo(0.1914624612740131, 10); // 2 Phi(0.5) - 1, hand-checked value

    const est = new VpinBuckets({ bucketVolumes: [100], window: 1 });
    est.onTrade(1, 100, 10, 0); // 5 buy
    est.onTrade(2, 101, 10, 0); // one change so far: no sigma, 5 buy
    est.onTrade(3, 100, 10, 1); // a signed trade: 10 buy, but its change (-1) counts toward sigma
    // changes 1, -1, -2: mean -2/3, sample var = ((5/3)^2 + (1/3)^2 + (4/3)^2) / 2 = 7/3
    const [w] = est.onTrade(4, 98, 70, 0);
    const share = phiBySimpson(-2 / Math.sqrt(7 / 3));
    expect(w.vpin).toBeCloseTo(Math.abs(2 * (5 + 5 + 10 + 70 * share) - 100) / 100, 10);
  });
});

describe('VpinCdf (enhanced VPIN)', () => {
  it('gives the share of past values at or below the new one over a bounded window, toxic above the threshold', () => {
    const cdf = new VpinCdf({ window: 4, toxicAbove: 0.5, minHistory: 2 });
    expect(cdf.add(0.3)).toEqual({ cdf: NaN, toxic: false }); // nothing before it
    expect(cdf.add(0.1)).toEqual({ cdf: 0, toxic: false }); // past [0.3]
    expect(cdf.add(0.3)).toEqual({ cdf: 1, toxic: true }); // past [0.3, 0.1]: both <= 0.3
    expect(cdf.add(0.2)).toEqual({ cdf: 1 / 3, toxic: false }); // past [0.3, 0.1, 0.3]
    expect(cdf.add(0.5)).toEqual({ cdf: 1, toxic: true }); // past 4 values, all below; the first 0.3 then leaves
    expect(cdf.add(0.25)).toEqual({ cdf: 0.5, toxic: false }); // past [0.1, 0.3, 0.2, 0.5]: 2 of 4, not above 0.5
    expect(cdf.add(NaN)).toEqual({ cdf: NaN, toxic: false });
    expect(cdf.size).toBe(4);
    // past [0.3, 0.2, 0.5, 0.25] (0.1 left): 0.3 is at or above 3 of them
    expect(cdf.add(0.3).cdf).toBe(0.75);
  });

  it('needs minHistory past values before calling anything toxic', () => {
    const cdf = new VpinCdf({ minHistory: 3, toxicAbove: 0.9 });
    expect(cdf.add(0.1).toxic).toBe(false);
    expect(cdf.add(0.2)).toEqual({ cdf: 1, toxic: false }); // 1 past value
    expect(cdf.add(0.3)).toEqual({ cdf: 1, toxic: false }); // 2
    expect(cdf.add(0.4)).toEqual({ cdf: 1, toxic: true }); // 3
  });
});

describe('BarFactors', () => {
  // Two symbols, one trade each per 1 s bar; a trade in bar 4 closes bar 3.
  const A = [100, 102, 101, 104];
  const B = [50, 51, 50.5, 50];

  function run(window: number): ReturnType<BarFactors['onTrade']>[] {
    const f = new BarFactors({ barMs: 1000, window, lambda: 0.94 });
    const closes: ReturnType<BarFactors['onTrade']>[] = [];
    for (let bar = 0; bar < 4; bar++) {
      closes.push(f.onTrade('A', bar * 1000 + 10, A[bar]));
      closes.push(f.onTrade('B', bar * 1000 + 20, B[bar]));
    }
    closes.push(f.onTrade('A', 4000, 103));
    return closes.filter((c) => c.length > 0);
  }

  it('closes a bar for every symbol when a later bar starts, with hand-computed factors', () => {
    const bars = run(3);
    expect(bars.length).toBe(4);
    const first = bars[0];
    expect(first).toEqual([
      { sym: 'A', ts: 1000, momentum: 0, volatility: 0, zscore: 0, beta: 1 },
      { sym: 'B', ts: 1000, momentum: 0, volatility: 0, zscore: 0, beta: 1 },
    ]);
    const a3 = bars[3].find((u) => u.sym === 'A')!;
    expect(a3.ts).toBe(4000);
    expect(a3.momentum).toBeCloseTo(Math.log(104 / 100), 14); // closes kept: 100 102 101 104
    // z-score over the last 3 closes 102 101 104: mean 102.333, sample std sqrt(7/3)
    expect(a3.zscore).toBeCloseTo((104 - 307 / 3) / Math.sqrt(7 / 3), 12);
    const rA = [Math.log(102 / 100), Math.log(101 / 102), Math.log(104 / 101)];
    const v = 0.94 * (0.94 * rA[0] ** 2 + 0.06 * rA[1] ** 2) + 0.06 * rA[2] ** 2;
    expect(a3.volatility).toBeCloseTo(Math.sqrt(v), 14);
  });

  it("beta is cov(r, m) / var(m) of the symbol's bar returns to the equal-weighted market", () => {
    const rA = [0, 1, 2].map((i) => Math.log(A[i + 1] / A[i]));
    const rB = [0, 1, 2].map((i) => Math.log(B[i + 1] / B[i]));
    const m = rA.map((r, i) => (r + rB[i]) / 2);
    const mean = (x: number[]) => x.reduce((s, y) => s + y, 0) / x.length;
    const cov = (x: number[], y: number[]) => x.reduce((s, _, i) => s + (x[i] - mean(x)) * (y[i] - mean(y)), 0);
    const last = run(3)[3];
    expect(last.find((u) => u.sym === 'A')!.beta).toBeCloseTo(cov(rA, m) / cov(m, m), 12);
    expect(last.find((u) => u.sym === 'B')!.beta).toBeCloseTo(cov(rB, m) / cov(m, m), 12);
    // Equal weights: the two betas average to 1.
    expect((last[0].beta + last[1].beta) / 2).toBeCloseTo(1, 12);
    // Over a window of 2 only the last two returns count.
    const w2 = run(2)[3].find((u) => u.sym === 'A')!;
    expect(w2.beta).toBeCloseTo(cov(rA.slice(1), m.slice(1)) / cov(m.slice(1), m.slice(1)), 12);
    expect(w2.momentum).toBeCloseTo(Math.log(104 / 102), 14);
  });

  it('skips empty bars, carries a silent symbol at its last price, and starts afresh when time goes back', () => {
    const f = new BarFactors({ barMs: 1000, window: 5 });
    f.onTrade('A', 0, 100);
    f.onTrade('B', 500, 10);
    const [a, b] = f.onTrade('A', 7_300, 110); // bars 1..6 had no trade: only bar 0 closes
    expect([a.ts, b.ts]).toEqual([1000, 1000]);
    const second = f.onTrade('A', 8_000, 111); // closes bar 7: B did not trade, zero return
    expect(second.find((u) => u.sym === 'B')).toMatchObject({ momentum: 0, volatility: 0 });
    expect(second.find((u) => u.sym === 'A')!.momentum).toBeCloseTo(Math.log(1.1), 14);
    expect(f.onTrade('A', 100, 50)).toEqual([]); // earlier than the open bar: a new stream
    expect(f.closeBar()).toEqual([{ sym: 'A', ts: 1000, momentum: 0, volatility: 0, zscore: 0, beta: 1 }]);
  });
});

describe('FeatureBuilder', () => {
  const tape = [
    { ts: 0, px: 100, qty: 10, bid: 99.99, ask: 100.01, side: 1 },
    { ts: 50, px: 100.02, qty: 20, bid: 100.01, ask: 100.03, side: 0 }, // up: tick rule +1
    { ts: 100, px: 99.98, qty: 30, bid: 99.98, ask: 100, side: -1 },
    { ts: 200, px: 99.98, qty: 40, bid: 99.97, ask: 99.99, side: 0 }, // unchanged: the previous sign, -1
    { ts: 300, px: 100.05, qty: 60, bid: 100, ask: 100.1, side: 0 }, // up: +1
  ];

  it('builds the 8 scaled numbers from a known tape and factors', () => {
    const f = new FeatureBuilder({ tapeLength: 4, everyMs: 100 });
    for (const t of tape) f.onTrade('A', t);
    const row = f.row('A', { momentum: 0.02, volatility: 0.0005, zscore: -1, beta: 1.5 });
    expect(row.length).toBe(8);
    // The tape is the last 4 trades (ts 50..300).
    expect(row[0]).toBeCloseTo(Math.log(100.05 / 100.02) / 1e-3, 10);
    expect(row[1]).toBeCloseTo((20 - 30 - 40 + 60) / 150, 14);
    expect(row[2]).toBeCloseTo(((0.1 / 100.05) * 1e4) / 10, 10);
    expect(row[3]).toBeCloseTo(Math.log(1 + 3 / 0.25) / Math.log(101), 14); // 3 gaps in 0.25 s: 12 trades/s
    expect(row.slice(4)).toEqual([2, 0.5, -0.5, 0.5]);
    // Factors clamp at +-3; no factors yet: zeros.
    expect(f.row('A', { momentum: 0.05, volatility: 0.01, zscore: 9, beta: -4 }).slice(4)).toEqual([3, 3, 3, -3]);
    expect(f.row('A', undefined).slice(4)).toEqual([0, 0, 0, 0]);
  });

  it('says a row is due at most every everyMs of the ticks clock per symbol', () => {
    const f = new FeatureBuilder({ tapeLength: 4, everyMs: 100 });
    const due: boolean[] = [];
    for (const t of tape) {
      const d = f.onTrade('A', t);
      due.push(d);
      if (d) f.row('A', undefined);
    }
    // 1 trade: not yet; ts 50 due (first row); 100: 50 ms later; 200: due; 300: due.
    expect(due).toEqual([false, true, false, true, true]);
    expect(f.onTrade('B', tape[0])).toBe(false); // each symbol on its own
  });
});

describe('forward (the desk model in plain JS)', () => {
  it('computes act(x w + b) layer by layer', () => {
    const layers = [
      { w: [1, -1, 2, 0.5], b: [0, -1], activation: 'relu' as const }, // 2 inputs -> 2
      { w: [1, 2], b: [0.5], activation: 'sigmoid' as const },
    ];
    const out = forward(layers, [1, 2, -1, 0], 2);
    // row 1: h = relu([1 + 4, -1 + 1 - 1]) = [5, 0]; y = sigmoid(5 + 0.5). row 2: h = relu([-1, 1 - 1]) = [0, 0]; y = sigmoid(0.5)
    expect(Array.from(out)).toEqual([1 / (1 + Math.exp(-5.5)), 1 / (1 + Math.exp(-0.5))]);
  });
});
