// The desk as `npm start` runs it: the program itself in a child process (13 engines, the drill,
// the scorecard), a user's trades file with malformed lines, and the backtest's determinism.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { deskModelLayers } from 'dualbus';
import { SYMBOLS, type TickValues } from '../examples/desk/contract.js';
import { runBacktest } from '../examples/desk/logic/backtest.js';
import { MarketSimulator } from '../examples/desk/logic/market.js';
import { ENGINES } from '../examples/desk/tree.js';

const MAIN = new URL('../dist/examples/desk/main.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'dualbus-desk-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function desk(args: string[]): { code: number | null; stdout: string; stderr: string; figures: any } {
  const json = join(dir, `run-${Math.random().toString(36).slice(2)}.json`);
  const r = spawnSync(process.execPath, [MAIN, '--no-gateway', '--json', json, ...args], {
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, DUALBUS_LOG_FORMAT: 'json', DUALBUS_LOG_LEVEL: 'info', DESK_PROBE_TIMEOUT_MS: '15000' },
  });
  let figures: any;
  try {
    figures = JSON.parse(readFileSync(json, 'utf8'));
  } catch {
    figures = undefined;
  }
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, figures };
}

function session(seed: number, n: number): { symbols: string[]; ticks: TickValues[] } {
  const sim = new MarketSimulator({ symbols: SYMBOLS, seed, ticksPerSecond: 2_000 });
  return { symbols: [...SYMBOLS], ticks: Array.from({ length: n }, () => sim.next()) };
}

describe('the desk (npm start)', () => {
  it('runs the 13 engines, survives a drill on risk, and prints the scorecard with every figure measured', () => {
    const r = desk(['--seconds', '6', '--rate', '3000', '--drill', 'risk']);
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    for (const engine of ENGINES) expect(r.stdout).toMatch(new RegExp(`^\\s+${engine}\\s+[\\d,]+`, 'm'));
    expect(r.stdout).toMatch(/drill: risk answered again after [\d.]+ ms/);
    expect(r.stdout).toContain('a second replay gives the same orders');
    for (const kpi of ['average engine latency', 'peak throughput', 'availability', 'cache hit rate', 'recovery time', 'message delivery']) expect(r.stdout).toContain(kpi);
    const f = r.figures.figures;
    // Nothing lost: every tick market-data published reached the host's md.* subscription, and
    // no engine refused or dead-lettered a message, the drill included.
    expect(r.figures.published.published).toBeGreaterThan(3000);
    expect(f.deliveryPct).toBe(100);
    expect(r.figures.availability.failed).toBe(0);
    expect(f.availabilityPct).toBe(100);
    expect(f.recoveryMs).toBeGreaterThan(0);
    expect(f.recoveryMs).toBeLessThan(30_000);
    expect(f.peakOpsPerSec).toBeGreaterThan(r.figures.published.published / 6);
    // The drill shows in the lifecycle log: risk restarted, and strategy with it (rest_for_one).
    const events = r.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    const restarted = events.filter((e) => e.event === 'restarted').map((e) => e.actor);
    expect(restarted).toContain('risk');
    expect(restarted).toContain('strategy');
  });

  it('replays a trades file, reporting each malformed line by number and skipping it', () => {
    const { symbols, ticks } = session(5, 3000);
    const lines = ['time,symbol,price,volume', ...ticks.map((t) => `${t.ts},${symbols[t.sym]},${t.px},${t.qty}`)];
    lines.splice(6, 0, `${ticks[5]!.ts},AAPL,abc,100`); // line 7
    lines.splice(11, 0, `${ticks[9]!.ts},MSFT,101.5`); // line 12
    const file = join(dir, 'trades.csv');
    writeFileSync(file, lines.join('\n') + '\n');
    const r = desk(['--trades', file, '--rate', '20000', '--no-drill']);
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    expect(r.stderr).toMatch(/trades\.csv line 7: .*price.*'abc'/);
    expect(r.stderr).toMatch(/trades\.csv line 12: /);
    expect(r.stdout).toContain(`replaying 3,000 trades of ${new Set(ticks.map((t) => t.sym)).size} symbols`);
    expect(r.figures.published.published).toBe(3000);
    expect(r.figures.figures.deliveryPct).toBe(100);
  });

  it('with --on-bad-line stop, stops at the first malformed line, naming it, before any engine starts', () => {
    const file = join(dir, 'bad.csv');
    writeFileSync(file, 'time,symbol,price,volume\n1700000000000,AAPL,101,5\n1700000000001,AAPL,-3,5\n1700000000002,AAPL,abc,5\n');
    const r = desk(['--trades', file, '--on-bad-line', 'stop']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.csv line 3: .*price/);
    expect(r.stderr).not.toMatch(/line 4/);
    expect(r.stdout).not.toContain('dualbus desk');
  });

  it('with --forever, runs until Ctrl-C (SIGINT), then prints the scorecard and exits cleanly', async () => {
    const child = spawn(process.execPath, [MAIN, '--forever', '--no-gateway', '--no-drill', '--rate', '2000'], {
      env: { ...process.env, DUALBUS_LOG_FORMAT: 'json', DUALBUS_LOG_LEVEL: 'warn' },
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    // Three printed seconds, then Ctrl-C.
    while ((out.match(/^\s+\d+\s+[\d,]+\s+[\d,]+/gm) ?? []).length < 3) await new Promise((r) => setTimeout(r, 100));
    expect(out).toContain('running until Ctrl-C');
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(out).toMatch(/\| message delivery\s+\| %\s+\|\s+-\s+\|\s+100\.000\s+\|\s+100\.000 \| meets/);
  }, 60_000);

  it('refuses a wrong option with a message naming it', () => {
    const r = desk(['--seconds', 'soon']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--seconds expects a number >= 1; got 'soon'");
    expect(desk(['--drill', 'nobody']).stderr).toContain("--drill expects one of market-data, vpin");
  });
});

describe('the backtest', () => {
  const layers = deskModelLayers();

  it('gives the same orders, to the bit, for the same session, and other orders for another', () => {
    const a = runBacktest(session(11, 20_000), { layers });
    const b = runBacktest(session(11, 20_000), { layers });
    expect(a.orders.length).toBeGreaterThan(0);
    expect(b.orders).toEqual(a.orders);
    expect(b.fills).toEqual(a.fills);
    expect(b.digest).toBe(a.digest);
    expect(b.pnl.total).toBe(a.pnl.total);
    const other = runBacktest(session(12, 20_000), { layers });
    expect(other.digest).not.toBe(a.digest);
  });

  it("keeps its books: the portfolio's positions are the sum of the fills, and every order was filled or refused", () => {
    const r = runBacktest(session(11, 20_000), { layers });
    expect(r.fills.length + r.refused).toBe(r.orders.length);
    const positions: Record<string, number> = {};
    for (const f of r.fills) positions[f.sym] = (positions[f.sym] ?? 0) + f.side * f.qty;
    for (const [sym, qty] of Object.entries(positions)) expect(r.pnl.positions[sym] ?? 0).toBe(qty);
    expect(r.performance.trades).toBe(r.fills.length);
  });
});
