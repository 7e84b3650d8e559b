// `npm run demo:hosts`: the desk split over two hosts on the dual bus. Two Redis servers (market
// data, engine logic) and two host processes: host-a runs market data and the signal and model
// engines, host-b the trading and reporting engines. Ticks, signals, orders, asks (strategy asks
// collateral, the lead asks across) and each host's snapshot cross the bus; host-a's dashboard
// shows both hosts.
//   npm run demo:hosts -- [--seconds N] [--port N]
import { fork } from 'node:child_process';
import { RedisServer } from '../../tools/redis-server.js';
import { HOSTS } from './hosts-split.js';

const argv = process.argv.slice(2);
const opt = (name: string, fallback: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1]! : fallback);
const seconds = opt('--seconds', '20');
const port = opt('--port', '8080');

const md = await RedisServer.start();
const el = await RedisServer.start({ durable: true });
console.log(`market-data bus ${md.url}, engine-logic bus ${el.url}\n`);
const children = Object.entries(HOSTS).map(([name, engines], i) =>
  fork(new URL('./host.js', import.meta.url), [name, md.url, el.url, engines.join(','), seconds, i === 0 ? port : 'none'], {
    env: { ...process.env, DUALBUS_LOG_LEVEL: process.env.DUALBUS_LOG_LEVEL ?? 'warn' },
  }),
);
process.once('SIGINT', () => children.forEach((c) => c.kill('SIGINT')));
const codes = await Promise.all(children.map((c) => new Promise<number | null>((resolve) => c.once('exit', resolve))));
await md.stop();
await el.stop();
if (codes.some((c) => c !== 0)) {
  console.error(`a host exited with ${codes.join(', ')}`);
  process.exit(1);
}
console.log('\nboth hosts done; Redis servers stopped');
