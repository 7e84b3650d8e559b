import { describe, expect, it } from 'vitest';
import type { TickValues } from '../examples/desk/contract.js';
import { MarketSimulator } from '../examples/desk/logic/market.js';
import { TickRecorder, readRecording, type RecordingAsk } from '../examples/desk/logic/recording.js';
import { TradesFileError, parseTradesCsv } from '../examples/desk/logic/trades-csv.js';
import { VpinBuckets } from '../examples/desk/logic/vpin.js';

const NAMES = ['AAA', 'BBB', 'CCC', 'DDD'];

function ticks(sim: MarketSimulator, n: number): TickValues[] {
  return Array.from({ length: n }, () => sim.next());
}

describe('MarketSimulator', () => {
  it('gives the same ticks for the same seed, and others for another', () => {
    const a = ticks(new MarketSimulator({ symbols: NAMES, seed: 42 }), 2000);
    const b = ticks(new MarketSimulator({ symbols: NAMES, seed: 42 }), 2000);
    const c = ticks(new MarketSimulator({ symbols: NAMES, seed: 43 }), 2000);
    expect(b).toEqual(a);
    expect(c.slice(0, 10)).not.toEqual(a.slice(0, 10));
  });

  it('prints plausible trades: on the tick grid, inside a positive spread, heavy-tailed sizes, every symbol, time forward', () => {
    const sim = new MarketSimulator({ symbols: NAMES, seed: 3 });
    const all = ticks(sim, 20_000);
    const onGrid = (x: number) => Math.abs(x * 100 - Math.round(x * 100)) < 1e-6;
    // One pass collecting what is wrong (20,000 expects would take most of a second).
    const wrong: string[] = [];
    all.forEach((t, i) => {
      if (!(t.bid < t.ask && t.bid <= t.px && t.px <= t.ask)) wrong.push(`tick ${i}: bid ${t.bid} px ${t.px} ask ${t.ask}`);
      if (!(onGrid(t.px) && onGrid(t.bid) && onGrid(t.ask))) wrong.push(`tick ${i}: off the 0.01 grid`);
      if (!(Number.isInteger(t.qty) && t.qty >= 1)) wrong.push(`tick ${i}: qty ${t.qty}`);
      if (t.side !== 1 && t.side !== -1) wrong.push(`tick ${i}: side ${t.side}`);
      // Microsecond times: two trades may share one, never go back.
      if (i > 0 && t.ts < all[i - 1].ts) wrong.push(`tick ${i}: time went back`);
    });
    expect(wrong).toEqual([]);
    expect(new Set(all.map((t) => t.sym)).size).toBe(NAMES.length);
    const sizes = all.map((t) => t.qty).sort((x, y) => x - y);
    const median = sizes[sizes.length >> 1];
    expect(median).toBeGreaterThan(50);
    expect(median).toBeLessThan(200);
    expect(sizes[sizes.length - 1] / median).toBeGreaterThan(30); // the tail: blocks far above the median
    // Spreads of a few ticks, wider now and then.
    const spreads = all.map((t) => Math.round((t.ask - t.bid) * 100));
    expect(Math.min(...spreads)).toBeGreaterThanOrEqual(2);
    expect(Math.max(...spreads)).toBeGreaterThanOrEqual(8);
  });

  it('trade signs persist (order flow), so VPIN moves', () => {
    const sim = new MarketSimulator({ symbols: NAMES, seed: 5 });
    const bySym = new Map<number, number[]>();
    const vpin = new VpinBuckets({ bucketVolumes: [2_000], window: 20 });
    const values: number[] = [];
    for (const t of ticks(sim, 20_000)) {
      bySym.set(t.sym, [...(bySym.get(t.sym) ?? []), t.side]);
      if (t.sym === 0) for (const u of vpin.onTrade(t.ts, t.px, t.qty, t.side)) if (!Number.isNaN(u.vpin)) values.push(u.vpin);
    }
    for (const sides of bySym.values()) {
      let same = 0;
      for (let i = 1; i < sides.length; i++) if (sides[i] === sides[i - 1]) same++;
      expect(same / (sides.length - 1)).toBeGreaterThan(0.6); // independent signs would give 0.5
    }
    expect(values.length).toBeGreaterThan(50);
    expect(Math.max(...values) - Math.min(...values)).toBeGreaterThan(0.15);
  });

  it('bursts raise the arrival rate several-fold', () => {
    const sim = new MarketSimulator({ symbols: NAMES, seed: 9, ticksPerSecond: 200, burst: { multiplier: 6, meanDurationMs: 2_000, meanGapMs: 8_000 } });
    const gap = { burst: [0, 0], calm: [0, 0] }; // [sum of inter-arrival ms, count]
    let prev = sim.next().ts;
    for (let i = 0; i < 30_000; i++) {
      const t = sim.next();
      const g = sim.inBurst ? gap.burst : gap.calm;
      g[0] += t.ts - prev;
      g[1]++;
      prev = t.ts;
    }
    const calmRate = gap.calm[1] / gap.calm[0];
    const burstRate = gap.burst[1] / gap.burst[0];
    expect(gap.burst[1]).toBeGreaterThan(3_000);
    expect(calmRate * 1000).toBeGreaterThan(170); // about the 200/s asked for
    expect(calmRate * 1000).toBeLessThan(230);
    expect(burstRate / calmRate).toBeGreaterThan(4);
    const none = new MarketSimulator({ symbols: NAMES, seed: 9, burst: false });
    ticks(none, 5_000);
    expect(none.inBurst).toBe(false);
    // A burst on demand: 1 s at 6 x 200/s is about 1200 trades (a calm second, about 200).
    none.startBurst(1_000);
    let during = 0;
    while (none.inBurst) (none.next(), during++);
    expect(during).toBeGreaterThan(900);
    expect(during).toBeLessThan(1500);
  });
});

describe('parseTradesCsv', () => {
  it('reads columns by name in any order and case, times as epoch ms, epoch seconds or ISO-8601 (UTC without an offset)', () => {
    const text = [
      'Volume,PRICE,symbol,Time,side,bid,ask',
      '100,10.5,XYZ,1700000000000,buy,10.49,10.51',
      '',
      '50,20,ABC,1700000000.5,S,,',
      '7,10.6,XYZ,2023-11-14T22:13:21.250Z,,10.55,10.65',
      '8,10.7,XYZ,2023-11-14 22:13:22,,,',
      '"9",10.8,"X,Y",1700000003000,-1,10.8,10.9',
    ].join('\r\n');
    const out = parseTradesCsv(text);
    expect(out.errors).toEqual([]);
    expect(out.symbols).toEqual(['XYZ', 'ABC', 'X,Y']);
    expect(out.ticks).toEqual([
      { ts: 1_700_000_000_000, px: 10.5, qty: 100, bid: 10.49, ask: 10.51, sym: 0, side: 1 },
      { ts: 1_700_000_000_500, px: 20, qty: 50, bid: 20, ask: 20, sym: 1, side: -1 },
      { ts: 1_700_000_001_250, px: 10.6, qty: 7, bid: 10.55, ask: 10.65, sym: 0, side: 0 },
      { ts: 1_700_000_002_000, px: 10.7, qty: 8, bid: 10.7, ask: 10.7, sym: 0, side: 0 },
      { ts: 1_700_000_003_000, px: 10.8, qty: 9, bid: 10.8, ask: 10.9, sym: 2, side: -1 },
    ]);
  });

  it('sorts by time, keeping the file order of equal times', () => {
    const out = parseTradesCsv('time,symbol,price,volume\n3000,A,1,1\n1000,B,2,1\n1000,A,3,1\n');
    expect(out.ticks.map((t) => t.px)).toEqual([2, 3, 1]);
  });

  const bad = [
    'time,symbol,price,volume', // 1
    '1000,A,10,5', // 2 good
    '1001,A,10', // 3 too few columns
    '1002,,10,5', // 4 empty symbol
    '', // 5 blank: skipped, still counted
    '1003,A,-1,5', // 6 price not positive
    '1004,A,abc,5', // 7 price not a number
    '1005,A,10,0', // 8 volume not positive
    'yesterday,A,10,5', // 9 time
    '2023-13-45T00:00:00Z,A,10,5', // 10 an impossible date
    '1006,B,11,6', // 11 good
  ].join('\n');

  it("with onError 'skip' reports each bad line with its number, column and value, and keeps the good ones", () => {
    const out = parseTradesCsv(bad, { onError: 'skip' });
    expect(out.errors).toEqual([
      { line: 3, message: 'expected 4 columns, got 3' },
      { line: 4, message: 'symbol is empty' },
      { line: 6, message: "price '-1' is not positive" },
      { line: 7, message: "price 'abc' is not a number" },
      { line: 8, message: "volume '0' is not positive" },
      { line: 9, message: "time 'yesterday' is not epoch ms, epoch seconds or ISO-8601" },
      { line: 10, message: "time '2023-13-45T00:00:00Z' is not epoch ms, epoch seconds or ISO-8601" },
    ]);
    expect(out.ticks.map((t) => [t.ts, t.px])).toEqual([[1000 * 1000, 10], [1006 * 1000, 11]]); // small numbers are epoch seconds
    expect(out.symbols).toEqual(['A', 'B']);
  });

  it("with onError 'stop' throws TradesFileError at the first bad line", () => {
    const err = (() => {
      try {
        parseTradesCsv(bad.split('\n').filter((_, i) => i !== 2 && i !== 3).join('\n'), { onError: 'stop' });
      } catch (e) {
        return e as TradesFileError;
      }
      throw new Error('no error');
    })();
    expect(err).toBeInstanceOf(TradesFileError);
    expect(err).toBeInstanceOf(Error);
    expect(err.code).toBe('TradesFileError');
    expect(err.line).toBe(4);
    expect(err.message).toBe("trades.csv line 4: price '-1' is not positive");
    expect(() => parseTradesCsv('time,symbol,price,volume\n1,A,abc,1\n', { fileName: 'mine.csv' })).toThrow("mine.csv line 2: price 'abc' is not a number");
  });

  it('refuses a file without the required header columns, in either mode', () => {
    expect(() => parseTradesCsv('1000,A,10,5\n', { onError: 'skip' })).toThrow(/trades.csv line 1: header row '1000,A,10,5' lacks columns time, symbol, price, volume/);
    expect(() => parseTradesCsv('time,symbol,qty\n', { onError: 'skip' })).toThrow(/lacks column price/);
    expect(() => parseTradesCsv('\n\n')).toThrow(/no header row/);
  });
});

describe('TickRecorder and readRecording', () => {
  const tick = (i: number): TickValues => ({ ts: 1000 + i, px: 10 + i / 100, qty: i + 1, bid: 10, ask: 11, sym: i % 3, side: i % 2 ? 1 : -1 });

  it('keeps the last capacity ticks and answers pages by absolute tick number', () => {
    const rec = new TickRecorder(5);
    rec.useSymbols(['A', 'B', 'C']);
    for (let i = 0; i < 12; i++) rec.record(tick(i));
    expect(rec.page({ max: 3, page: 2 })).toEqual({ symbols: ['A', 'B', 'C'], ticks: [tick(9), tick(10)], from: 9, next: 11, end: 12 });
    expect(rec.page({ from: 0, page: 100 })).toMatchObject({ from: 7, next: 12, end: 12 }); // 0..6 are gone
    expect(rec.page({ from: 12 }).ticks).toEqual([]);
    rec.useSymbols(['A', 'B', 'C']); // the same table: goes on
    expect(rec.recorded).toBe(12);
    rec.useSymbols(['X']); // another: starts afresh
    expect(rec.recorded).toBe(0);
  });

  it('readRecording pages through the last N ticks', async () => {
    const rec = new TickRecorder(50);
    rec.useSymbols(['A', 'B', 'C']);
    for (let i = 0; i < 80; i++) rec.record(tick(i));
    const asks: RecordingAsk[] = [];
    const ask = async (msg: RecordingAsk) => (asks.push(msg), rec.page(msg));
    const got = await readRecording(ask, 30, 7);
    expect(got.symbols).toEqual(['A', 'B', 'C']);
    expect(got.ticks).toEqual(Array.from({ length: 30 }, (_, k) => tick(50 + k)));
    expect(asks.length).toBe(5); // 7 + 7 + 7 + 7 + 2
  });
});
