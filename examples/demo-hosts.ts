// `npm run demo:hosts`: two Redis servers (market data and engine logic) and two host processes
// that split the demo engines between them: host-a runs market-data and VPIN, host-b runs risk and
// strategy; ticks, VPIN readings and an ask cross the bus.
import { fork } from 'node:child_process';
import { RedisServer } from '../tools/redis-server.js';

const md = await RedisServer.start();
const el = await RedisServer.start({ durable: true });
console.log(`market-data bus ${md.url}, engine-logic bus ${el.url} (append-only file, fsync always)\n`);
const hosts = [
  ['host-a', 'market-data,vpin'],
  ['host-b', 'risk,strategy'],
].map(([name, engines]) => fork(new URL('./host.js', import.meta.url), [name!, md.url, el.url, engines!], { env: { ...process.env, DUALBUS_LOG_LEVEL: process.env.DUALBUS_LOG_LEVEL ?? 'warn' } }));
const codes = await Promise.all(hosts.map((h) => new Promise<number | null>((resolve) => h.once('exit', resolve))));
await md.stop();
await el.stop();
if (codes.some((c) => c !== 0)) {
  console.error(`a host exited with ${codes.join(', ')}`);
  process.exit(1);
}
console.log('\nboth hosts done; Redis servers stopped');
