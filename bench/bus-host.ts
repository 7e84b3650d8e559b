// The second host of the cross-host bench, in its own process: a sink for sends and one for
// publishes; reports to its parent when a run is complete.
import { pino } from 'pino';
import { createSystem } from 'dualbus';

const [marketData, engineLogic] = process.argv.slice(2) as [string, string];
const system = await createSystem({ name: 'host-b', logger: pino({ level: 'warn' }), bus: { marketData, engineLogic, cluster: 'bench', heartbeatMs: 100 } });
const sink = await system.spawn('sink', new URL('./actors/sink.js', import.meta.url), { mailboxBytes: 1 << 22, standby: false });
const mdSink = await system.spawn('md-sink', new URL('./actors/md-sink.js', import.meta.url), { mailboxBytes: 1 << 22, standby: false });
await system.subscribe('bench.done', (m: { ms: number; n: number }) => process.send!({ done: m })).ready;
process.on('message', (m: { expect?: number; md?: boolean; quit?: boolean }) => {
  if (m.quit) void system.shutdown().then(() => process.exit(0));
  else if (m.expect !== undefined) (m.md ? mdSink : sink).send({ type: 'expect', total: m.expect });
});
process.send!({ ready: true });
