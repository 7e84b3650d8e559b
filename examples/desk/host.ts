// One host of `npm run demo:hosts`: a share of the desk's engines on the dual Redis bus.
// argv: host name, market-data URL, engine-logic URL, engines (comma-separated), seconds, gateway
// port ('none': this host runs no gateway and shares its snapshot on the bus instead).
import { shareHostSnapshots } from 'dualbus';
import { startDesk } from './desk.js';
import { ENGINES, type EngineName } from './tree.js';

const [host, marketData, engineLogic, list, secondsArg, portArg] = process.argv.slice(2) as [string, string, string, string, string, string];
const engines = list.split(',') as EngineName[];
const seconds = Number(secondsArg);
const HOSTS_TOPIC = 'gateway.hosts';

const desk = await startDesk({
  name: host,
  engines,
  port: portArg === 'none' ? false : Number(portArg),
  hostsTopic: HOSTS_TOPIC,
  bus: { marketData, engineLogic, cluster: 'desk', heartbeatMs: 200 },
});
const { system } = desk;
const stopSharing = desk.gateway === undefined ? shareHostSnapshots(system, { topic: HOSTS_TOPIC, everyMs: 500 }) : undefined;
await reachable(ENGINES.filter((e) => !engines.includes(e)));
console.log(`${host}: runs ${engines.join(', ')}; reaches the other ${ENGINES.length - engines.length} engines over the bus${desk.gateway ? `; dashboard (both hosts) ${desk.gateway.url}/` : ''}`);
if (engines.includes('market-data')) system.ref('market-data').send({ type: 'run', ticksPerSecond: Number(process.env.DESK_RATE ?? 5_000), seed: 7 });

let stopping = false;
process.once('SIGINT', () => (stopping = true));
let prev = system.stats();
for (let s = 1; s <= seconds && !stopping; s++) {
  await new Promise((r) => setTimeout(r, 1000));
  const now = system.stats();
  const handled = engines.reduce((n, e) => n + now.actors[e]!.received - prev.actors[e]!.received, 0);
  const bus = now.bus!;
  console.log(`${host} ${String(s).padStart(3)}s: engines handled ${handled.toLocaleString()}/s | bus out ${(bus.elSent + bus.mdSent).toLocaleString()} in ${(bus.elReceived + bus.mdReceived).toLocaleString()} dropped ${bus.mdDropped}`);
  prev = now;
}
if (engines.includes('market-data')) {
  system.ref('market-data').send({ type: 'halt' });
  // Asks across hosts: this host asks the other host's engines.
  const book = (await system.ref('strategy').ask({ type: 'book?' }, { timeoutMs: 5000 })) as Record<string, number>;
  const pnl = (await system.ref('portfolio').ask({ type: 'positions?' }, { timeoutMs: 5000 })) as { total: number };
  console.log(`${host}: asked host-b's strategy and portfolio over the bus: ${JSON.stringify(book)}, P&L ${pnl.total.toFixed(2)}`);
}
await new Promise((r) => setTimeout(r, 1500)); // the other host may still be asking this one
stopSharing?.();
await desk.stop();

async function reachable(names: readonly string[]): Promise<void> {
  for (const name of names) {
    for (let tries = 0; ; tries++) {
      try {
        system.ref(name);
        break;
      } catch {
        if (tries > 400) throw new Error(`${host}: engine ${name} never appeared on the bus`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }
}
