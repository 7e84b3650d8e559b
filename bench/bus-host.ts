// One host of the cross-host bench, in a process of its own, driven by its parent over IPC.
// host-b runs the sinks ('sink' for sends, 'md-sink' for publishes on bench.md.*) and reports when
// a run is complete; host-a runs the producers ('flood', 'publisher'). Both report their CPU time.
import { pino } from 'pino';
import { createSystem } from 'dualbus';
import { ownCpuMs } from './cpu.js';

const [name, marketData, engineLogic] = process.argv.slice(2) as [string, string, string];
const here = (p: string) => new URL(p, import.meta.url);
const system = await createSystem({ name, logger: pino({ level: 'warn' }), bus: { marketData, engineLogic, cluster: 'bench', heartbeatMs: 100 } });
const noStandby = { standby: false, mailboxBytes: 1 << 22 } as const;
if (name === 'host-b') {
  await system.spawn('sink', here('./actors/sink.js'), noStandby);
  await system.spawn('md-sink', here('./actors/md-sink.js'), noStandby);
  await system.subscribe('bench.done', (m: { ms: number; n: number }) => process.send!({ done: m })).ready;
} else {
  await system.spawn('flood', here('./actors/flood.js'), noStandby);
  await system.spawn('publisher', here('./actors/publisher.js'), noStandby);
}

type Command =
  | { cpu: true }
  | { expect: number; md: boolean; quietMs?: number }
  | { send: { n: number; record: boolean; batch: number } }
  | { publish: { n: number; record: boolean } }
  | { knows: string }
  | { stats: true }
  | { quit: true };

process.on('message', (m: Command) => {
  if ('cpu' in m) process.send!({ cpuMs: ownCpuMs() });
  else if ('stats' in m) process.send!({ stats: system.stats() });
  else if ('expect' in m) system.ref(m.md ? 'md-sink' : 'sink').send({ type: 'expect', total: m.expect, ...(m.quietMs !== undefined ? { quietMs: m.quietMs } : {}) });
  else if ('send' in m) system.ref('flood').send({ ...m.send, to: 'sink' });
  else if ('publish' in m) system.ref('publisher').send({ ...m.publish, topic: 'bench.md.AAPL' });
  else if ('knows' in m) {
    let known = true;
    try {
      system.ref(m.knows);
    } catch {
      known = false;
    }
    process.send!({ known });
  } else if ('quit' in m) void system.shutdown().then(() => process.exit(0));
});
process.send!({ ready: true });
