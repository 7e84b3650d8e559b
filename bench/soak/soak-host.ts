// One host of the soak: a system on the dual bus running some of the soak's actors under a
// supervisor, driven by the soak over IPC. argv: host name, market-data URL, engine-logic URL,
// actors (comma-separated).
import { readdirSync } from 'node:fs';
import { child, createSystem, supervisor } from 'dualbus';
import { pino } from 'pino';

const [host, marketData, engineLogic, list] = process.argv.slice(2) as [string, string, string, string];
const actor = (name: string) => new URL(`./actors/${name}.js`, import.meta.url);
const system = await createSystem({
  name: host,
  logger: pino({ level: process.env.SOAK_LOG_LEVEL ?? 'silent' }, pino.destination(2)),
  bus: { marketData, engineLogic, cluster: 'soak', heartbeatMs: 200, claimIdleMs: 2000 },
});
await system.start(
  supervisor({
    name: host,
    strategy: 'one_for_one',
    intensity: 1000, // the soak injects faults on purpose: restarts must never give up
    periodMs: 1000,
    children: list.split(',').map((name) =>
      child(name, actor(name), { wait: name === 'feeder' ? 'async' : 'block', mailboxBytes: 1 << 20, onError: 'restart', hangTimeoutMs: 1000 }),
    ),
  }),
);

type Command =
  | { id: number; cmd: 'knows?'; name: string }
  | { id: number; cmd: 'send'; to: string; msg: unknown }
  | { id: number; cmd: 'ask'; to: string; msg: unknown }
  | { id: number; cmd: 'kill'; name: string }
  | { id: number; cmd: 'stats?' }
  | { id: number; cmd: 'sample?' }
  | { id: number; cmd: 'shutdown' };

process.on('message', (c: Command) => {
  void (async () => {
    switch (c.cmd) {
      case 'knows?':
        try {
          system.ref(c.name);
          return true;
        } catch {
          return false;
        }
      case 'send': return system.ref(c.to).send(c.msg);
      case 'ask': return system.ref(c.to).ask(c.msg, { timeoutMs: 10_000 });
      case 'kill': return system.kill(c.name, 'soak: actor killed');
      case 'stats?': return system.stats();
      case 'sample?': {
        const m = process.memoryUsage();
        return { rss: m.rss, heapUsed: m.heapUsed, handles: process.getActiveResourcesInfo().length, fds: readdirSync('/proc/self/fd').length };
      }
      case 'shutdown':
        await system.shutdown();
        setTimeout(() => process.exit(0), 10);
        return true;
    }
  })().then(
    (value) => process.send!({ id: c.id, ok: true, value }),
    (err: Error) => process.send!({ id: c.id, ok: false, error: err.message }),
  );
});
process.send!({ ready: true });
