// One host of the multi-host demo: a system on the dual Redis bus running some of the demo engines.
// argv: host name, market-data URL, engine-logic URL, engines (comma-separated).
import { child, createSystem, supervisor } from 'dualbus';

const [host, marketData, engineLogic, list] = process.argv.slice(2) as [string, string, string, string];
const seconds = Number(process.env.DEMO_SECONDS ?? 10);
const engines = list.split(',');
const engine = (name: string) => new URL(`./engines/${name}.js`, import.meta.url);

const system = await createSystem({ name: host, bus: { marketData, engineLogic, cluster: 'demo', heartbeatMs: 200 } });
await system.start(supervisor({ name: host, children: engines.map((e) => child(e, engine(e), { wait: e === 'market-data' ? 'async' : 'block', mailboxBytes: 1 << 22 })) }));
const all = ['market-data', 'vpin', 'risk', 'strategy'];
// Wait until every engine, here or on the other host, can be reached by name.
for (const name of all) {
  for (let tries = 0; ; tries++) {
    try {
      system.ref(name);
      break;
    } catch {
      if (tries > 200) throw new Error(`${host}: engine ${name} never appeared on the bus`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
console.log(`${host}: running ${engines.join(', ')}; reaches ${all.filter((e) => !engines.includes(e)).join(', ')} over the bus`);
if (engines.includes('market-data')) system.ref('market-data').send({ type: 'run', ticksPerSecond: Number(process.env.DEMO_RATE ?? 20_000) });
let prev = system.stats();
for (let s = 1; s <= seconds; s++) {
  await new Promise((r) => setTimeout(r, 1000));
  const now = system.stats();
  const rates = engines.map((e) => `${e} ${now.actors[e]!.received - prev.actors[e]!.received}/s`).join(', ');
  const bus = now.bus!;
  console.log(`${host} ${String(s).padStart(2)}s: ${rates} | bus out ${bus.elSent + bus.mdSent} in ${bus.elReceived + bus.mdReceived} dropped ${bus.mdDropped}`);
  prev = now;
}
if (engines.includes('market-data')) system.ref('market-data').send({ type: 'halt' });
if (engines.includes('vpin')) {
  // An ask across hosts: this host asks the other host's risk engine.
  const v = (await system.ref('risk').ask({ type: 'var?' }, { timeoutMs: 5000 })) as { var99: number; alerts: number };
  console.log(`${host}: asked risk on the other host: VaR99 ${v.var99.toFixed(1)} per 1M, ${v.alerts} alerts`);
}
await new Promise((r) => setTimeout(r, 1500)); // let the other host finish its asks before leaving
await system.shutdown();
