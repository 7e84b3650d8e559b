// `npm start`: an embedded dualbus system with no external service. A synthetic market-data
// engine publishes Tick records to VPIN, risk and strategy engines, under a supervision tree;
// live throughput and latency print every second for DEMO_SECONDS (default 10), then a summary
// table. Halfway through, the risk engine is killed: its supervisor restarts it (the lifecycle log
// lines go to stderr, pretty-printed) and no tick queued for it is lost.
import { child, createSystem, supervisor } from 'dualbus';

const seconds = Number(process.env.DEMO_SECONDS ?? 10);
const ticksPerSecond = Number(process.env.DEMO_RATE ?? 100_000);
const engine = (name: string) => new URL(`./engines/${name}.js`, import.meta.url);

const system = await createSystem({ name: 'demo', logFormat: process.env.DUALBUS_LOG_FORMAT === 'json' ? 'json' : 'pretty' });
await system.start(
  supervisor({
    name: 'desk',
    strategy: 'one_for_one',
    children: [
      child('market-data', engine('market-data'), { wait: 'async' }),
      supervisor({
        name: 'engines',
        children: [
          child('vpin', engine('vpin'), { wait: 'block', mailboxBytes: 1 << 22 }),
          child('risk', engine('risk'), { wait: 'block', mailboxBytes: 1 << 22 }),
          child('strategy', engine('strategy'), { wait: 'async', mailboxBytes: 1 << 22 }),
        ],
      }),
    ],
  }),
);
const md = system.ref('market-data');
const risk = system.ref('risk');
const strategy = system.ref('strategy');
let alerts = 0;
await system.subscribe('risk.alert.*', () => alerts++).ready;

console.log(`dualbus demo: ${system.actorNames().join(', ')}; ${ticksPerSecond.toLocaleString()} ticks/s for ${seconds} s\n`);
md.send({ type: 'run', ticksPerSecond });
const row = (cells: Array<string | number>, widths: number[]) => cells.map((c, i) => String(c).padStart(widths[i]!)).join('  ');
const widths = [4, 10, 10, 10, 10, 11, 11, 7];
console.log(row(['sec', 'md out/s', 'vpin/s', 'risk/s', 'strat/s', 'p50 µs', 'p99 µs', 'alerts'], widths));
let prev = system.stats();
for (let s = 1; s <= seconds; s++) {
  await new Promise((r) => setTimeout(r, 1000));
  if (s === Math.ceil(seconds / 2)) system.kill('risk', 'demo: a crash drill');
  const now = system.stats();
  const rate = (a: string) => now.actors[a]!.received - prev.actors[a]!.received;
  const p = now.actors.risk!.latencyUs;
  console.log(row([s, now.actors['market-data']!.sent - prev.actors['market-data']!.sent, rate('vpin'), rate('risk'), rate('strategy'), p.p50, p.p99, alerts], widths));
  prev = now;
}
md.send({ type: 'halt' });
const published = await md.ask({ type: 'published?' });
const book = await strategy.ask({ type: 'book?' });
const v = await risk.ask({ type: 'var?' });
const final = system.stats();
console.log('\nsummary');
const w2 = [12, 10, 10, 8, 10, 9, 9, 9, 10, 9, 8, 9];
console.log(row(['actor', 'received', 'sent', 'errors', 'highWater', 'p50 µs', 'p99 µs', 'p99.9 µs', 'overflows', 'restarts', 'avail %', 'mttr ms'], w2));
for (const [name, a] of Object.entries(final.actors)) {
  console.log(row([name, a.received, a.sent, a.errors, a.highWater, a.latencyUs.p50, a.latencyUs.p99, a.latencyUs.p999, a.overflows, a.restarts, a.uptimePct.toFixed(2), a.mttrMs?.toFixed(1) ?? '-'], w2));
}
console.log(`\nticks published ${published.published.toLocaleString()}, refused ${published.refused}; strategy orders ${book.orders}, paused ${JSON.stringify(book.paused)}; VaR99 ${v.var99.toFixed(1)} per 1M; risk alerts ${alerts}`);
await system.shutdown();
