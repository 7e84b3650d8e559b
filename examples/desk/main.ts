// `npm start`: the seed's trading desk on dualbus. Thirteen engines under one supervision tree,
// the gateway and its live dashboard, a drill halfway through (an engine killed, its restart
// timed), and at the end the seed's scorecard measured on this run.
//   npm start -- --seconds 60 | --forever (Ctrl-C ends it) | --trades trades.csv [--on-bad-line stop]
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { ArgsError, parseArgs, USAGE, type DeskArgs } from './args.js';
import type { TickValues } from './contract.js';
import { startDesk, type Desk } from './desk.js';
import { parseTradesCsv, TradesFileError } from './logic/trades-csv.js';
import { cacheHitPct, DeskMeter, meanLatencyUs } from './meter.js';
import { AvailabilityProbe, timeToAnswer } from './probe.js';
import { kernelsLine, printEngines, row, ROW_HEADER } from './report.js';
import { scorecard, type RunFigures } from './scorecard.js';

if (process.argv.includes('--help')) {
  console.log(USAGE);
  process.exit(0);
}
/** Ticks per load message: about 300 KB of msgpack, well under half of market-data's 4 MiB mailbox. */
const REPLAY_PART = 4_000;
let args: DeskArgs;
let replay: { symbols: string[]; ticks: TickValues[] } | undefined;
try {
  args = parseArgs(process.argv.slice(2));
  replay = args.trades === undefined ? undefined : readTrades(args.trades, args.onBadLine);
} catch (err) {
  if (err instanceof ArgsError || err instanceof TradesFileError) {
    console.error(err.message);
    process.exit(2);
  }
  throw err;
}

const desk = await startDesk({ port: args.port, logFormat: process.env.DUALBUS_LOG_FORMAT === 'json' ? 'json' : 'pretty' });
const { system } = desk;
let ticksSeen = 0;
await system.subscribe('md.*', () => ticksSeen++).ready;
console.log(`dualbus desk: ${desk.engines.length} engines (${desk.engines.join(', ')})`);
if (desk.gateway !== undefined) console.log(`dashboard: ${desk.gateway.url}/   metrics: ${desk.gateway.url}/metrics`);
console.log(replay === undefined ? `synthetic market: ${args.rate.toLocaleString()} ticks/s base rate, seed ${args.seed}` : `replaying ${replay.ticks.length.toLocaleString()} trades of ${replay.symbols.length} symbols from ${args.trades}`);
console.log(args.forever ? 'running until Ctrl-C\n' : `running ${args.seconds} s${args.drill === false ? '' : `; drill: ${args.drill} is killed at ${Math.ceil(args.seconds / 2)} s`}\n`);

// DESK_PROBE_TIMEOUT_MS: the tests wait longer, so that only a ping lost or failed counts, not a slow machine.
const probe = new AvailabilityProbe(system, desk.engines, 100, Number(process.env.DESK_PROBE_TIMEOUT_MS ?? 1000));
const meter = new DeskMeter(system, desk.engines, () => ticksSeen);
let interrupted = false;
process.once('SIGINT', () => (interrupted = true));
const md = system.ref('market-data');
const replayDone = replay === undefined ? undefined : startReplay(replay);
if (replay === undefined) md.send({ type: 'run', ticksPerSecond: args.rate, seed: args.seed });
probe.start();
const cpu0 = process.cpuUsage();
const wall0 = performance.now();

const recoveries: number[] = [];
let drill: Promise<void> | undefined;
console.log(ROW_HEADER);
for (let s = 1; !interrupted; s++) {
  await new Promise((r) => setTimeout(r, 1000));
  if (args.drill !== false && s === Math.ceil(args.seconds / 2)) drill = runDrill(desk, args.drill);
  console.log(row(meter.sample(), await ordersSoFar()));
  if (args.forever) continue;
  if (replayDone !== undefined ? await settled(replayDone) : s >= args.seconds) break;
}
await drill;
md.send({ type: 'halt' });
await drained(desk);
const cpu = process.cpuUsage(cpu0);
const wallS = (performance.now() - wall0) / 1000;
const availability = await probe.stop();
const published = (await md.ask({ type: 'published?' })) as { published: number; refused: number };
const final = system.stats();
printEngines(final, desk.engines);
const refused = desk.engines.reduce((n, e) => n + (final.actors[e]?.overflows ?? 0) + (final.actors[e]?.deadLetters ?? 0), published.refused);
const handled = desk.engines.reduce((n, e) => n + (final.actors[e]?.received ?? 0), 0);
const figures: RunFigures = {
  latencyMs: meanLatencyUs(final, desk.engines, 'p50') / 1000,
  latencyP99Ms: meanLatencyUs(final, desk.engines, 'p99') / 1000,
  peakOpsPerSec: meter.peakHandledPerSec(),
  meanOpsPerSec: meter.meanHandledPerSec(),
  availabilityPct: availability.availabilityPct,
  cacheHitPct: cacheHitPct(final),
  recoveryMs: recoveries.length === 0 ? undefined : Math.max(...recoveries),
  deliveryPct: 100 * Math.min(1, published.published === 0 ? 1 : ticksSeen / published.published) * (handled / (handled + refused)),
};
console.log(`\nticks published ${published.published.toLocaleString()} (refused ${published.refused}), received by the host's md.* subscription ${ticksSeen.toLocaleString()}; engines handled ${handled.toLocaleString()} messages, ${refused} refused or dead-lettered`);
console.log(`availability probe: ${availability.answered.toLocaleString()} of ${availability.asked.toLocaleString()} pings answered (slowest ${availability.slowestMs.toFixed(1)} ms)${availability.failed > 0 ? `; failures ${JSON.stringify(availability.failures)}` : ''}`);
console.log(kernelsLine(final));
const cpuS = (cpu.user + cpu.system) / 1e6;
console.log(`CPU: ${cpuS.toFixed(1)} s over ${wallS.toFixed(1)} s (${(cpuS / wallS).toFixed(2)} of ${os.cpus().length} cores, every thread of the desk process), ${((cpuS * 1e6) / handled).toFixed(2)} µs per message handled`);
console.log(`latency: engines' p50 averaged ${(figures.latencyMs * 1000).toFixed(1)} µs, p99 averaged ${(figures.latencyP99Ms * 1000).toFixed(1)} µs; throughput mean ${Math.round(figures.meanOpsPerSec).toLocaleString()} ops/s`);
await printBacktest(desk);
const card = scorecard(figures);
console.log(`\nscorecard (this run, this machine: ${os.cpus().length} cores)\n${card.table}`);
if (args.json !== undefined) writeFileSync(args.json, JSON.stringify({ figures, rows: meter.rows, availability, published, cpuSeconds: cpuS, wallSeconds: wallS, at: new Date().toISOString() }, null, 2));
await desk.stop();

/** Loads the trades into market-data in parts (one message may take half a mailbox), then replays them at --rate. */
async function startReplay(r: { symbols: string[]; ticks: TickValues[] }): Promise<unknown> {
  for (let i = 0; i < r.ticks.length; i += REPLAY_PART) await md.sendAsync({ type: 'load', ticks: r.ticks.slice(i, i + REPLAY_PART) }, { timeoutMs: 10_000 });
  return md.ask({ type: 'replay', symbols: r.symbols, ticksPerSecond: args.rate }, { timeoutMs: 24 * 3600_000 });
}

async function runDrill(d: Desk, engine: string): Promise<void> {
  console.log(`drill: killing ${engine}`);
  d.system.kill(engine, 'drill: killed by the desk');
  const ms = await timeToAnswer(d.system, engine);
  recoveries.push(ms);
  console.log(`drill: ${engine} answered again after ${ms.toFixed(1)} ms`);
}

async function ordersSoFar(): Promise<{ orders: number; pnl: number | undefined }> {
  try {
    const book = (await system.ref('strategy').ask({ type: 'book?' }, { timeoutMs: 200 })) as { orders?: number };
    const pnl = (await system.ref('portfolio').ask({ type: 'positions?' }, { timeoutMs: 200 })) as { total?: number };
    return { orders: book.orders ?? 0, pnl: pnl.total };
  } catch {
    return { orders: NaN, pnl: undefined };
  }
}

async function drained(d: Desk, limitMs = 10_000): Promise<void> {
  const t0 = performance.now();
  while (performance.now() - t0 < limitMs) {
    const s = d.system.stats();
    if (d.engines.every((e) => (s.actors[e]?.mailboxDepth ?? 0) === 0)) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function settled(p: Promise<unknown>): Promise<boolean> {
  return Promise.race([p.then(() => true, () => true), new Promise<boolean>((r) => setImmediate(() => r(false)))]);
}

async function printBacktest(d: Desk): Promise<void> {
  const bt = d.system.ref('backtesting');
  const a = (await bt.ask({ type: 'run', source: 'recorded' }, { timeoutMs: 120_000 })) as { ticks: number; orders: number; digest: string; pnl: number };
  const b = (await bt.ask({ type: 'run', source: 'recorded' }, { timeoutMs: 120_000 })) as { digest: string };
  console.log(`backtest of the recorded session: ${a.ticks.toLocaleString()} ticks -> ${a.orders} orders, P&L ${a.pnl.toFixed(2)}; orders digest ${a.digest}; a second replay gives ${b.digest === a.digest ? 'the same orders' : `DIFFERENT orders (${b.digest})`}`);
}

function readTrades(file: string, onBadLine: 'skip' | 'stop'): { symbols: string[]; ticks: TickValues[] } {
  const parsed = parseTradesCsv(readFileSync(file, 'utf8'), { onError: onBadLine, fileName: file });
  for (const e of parsed.errors.slice(0, 20)) console.error(`${file} line ${e.line}: ${e.message} (line skipped)`);
  if (parsed.errors.length > 20) console.error(`... and ${parsed.errors.length - 20} more malformed lines skipped`);
  if (parsed.ticks.length === 0) throw new ArgsError(`${file}: no valid trade in the file`);
  return { symbols: parsed.symbols, ticks: parsed.ticks };
}
