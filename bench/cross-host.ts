// Through two systems: host-a and host-b each in a process of their own, on two redis-servers.
// Actor -> bridge -> Redis -> bridge -> actor, for sends (engine logic) and publishes (market data)
// of plain values, next to raw ioredis doing the same with one command per message. Reports msg/s
// and CPU per message: the CPU time of both host processes and both redis-servers divided by the
// messages delivered (on 2 cores the wall-clock rate depends on who gets a core; CPU does not).
// Prints a table and writes bench/results/cross-host.json.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { RedisServer } from '../tools/redis-server.js';
import { processCpuMs } from './cpu.js';

const here = (p: string) => new URL(p, import.meta.url);
const quick = process.env.BENCH_QUICK === '1';
const N_EL = quick ? 200_000 : 1_000_000;
const N_MD = quick ? 400_000 : 2_000_000;
const N_RAW = quick ? 50_000 : 500_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (s: string) => process.stderr.write(`${s}\n`);

interface Peer {
  name: string;
  proc: ChildProcess;
  /** The next IPC message that has `key`. */
  next<T = any>(key: string): Promise<T>;
}

function start(name: string, module: string, args: string[]): Peer {
  const proc = fork(here(module), args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], ...(process.env.BENCH_PROFILE ? { execArgv: ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}/${name}`] } : {}) });
  const next = <T>(key: string) =>
    new Promise<T>((resolve) => {
      const on = (m: Record<string, unknown>) => {
        if (m[key] === undefined) return;
        proc.off('message', on);
        resolve(m as T);
      };
      proc.on('message', on);
    });
  return { name, proc, next };
}

async function cpuOf(peers: Peer[], servers: Array<[string, RedisServer]>): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const p of peers) {
    const reply = p.next<{ cpuMs: number }>('cpuMs');
    p.proc.send({ cpu: true });
    out[p.name] = (await reply).cpuMs;
  }
  for (const [name, s] of servers) out[name] = processCpuMs(s.pid!);
  return out;
}

/** A run that never completes: say what each peer holds, and stop. */
async function stuck(label: string, peers: Peer[]): Promise<void> {
  for (const p of peers) {
    const reply = p.next<{ stats: unknown }>('stats');
    p.proc.send({ stats: true });
    log(`${p.name}: ${JSON.stringify(await Promise.race([reply, sleep(2000)]))}`);
  }
  log(`${label}: did not complete within 120 s`);
  process.exit(1);
}

interface Figures {
  /** Messages sent, and delivered (market data under overload may be lost: counted, never hidden). */
  messages: number;
  delivered: number;
  perSec: number;
  cpuNsPerMsg: number;
  /** CPU ns per message of each process. */
  split: Record<string, number>;
  /** Share of the two cores the run used, in percent of one core. */
  coresPct: number;
}

async function measure(label: string, peers: Peer[], servers: Array<[string, RedisServer]>, n: number, go: () => void, done: Promise<{ done: { ms: number; n: number } }>): Promise<Figures> {
  const before = await cpuOf(peers, servers);
  const t0 = performance.now();
  go();
  const timeout = setTimeout(() => void stuck(label, peers), 120_000);
  const { done: d } = await done;
  clearTimeout(timeout);
  const wall = performance.now() - t0;
  const after = await cpuOf(peers, servers);
  const got = d.n;
  const split = Object.fromEntries(Object.keys(after).map((k) => [k, Math.round(((after[k]! - before[k]!) * 1e6) / got)]));
  const totalMs = Object.keys(after).reduce((a, k) => a + after[k]! - before[k]!, 0);
  const f = { messages: n, delivered: got, perSec: Math.round(got / (d.ms / 1000)), cpuNsPerMsg: Math.round((totalMs * 1e6) / got), split, coresPct: Math.round((totalMs / wall) * 100) };
  log(`${label}: ${(f.perSec / 1e6).toFixed(3)} M msg/s, ${got} of ${n} delivered, ${f.cpuNsPerMsg} ns CPU/msg ${JSON.stringify(split)}`);
  return f;
}

// ------------------------------------------------------------------ dualbus through two systems
const md = await RedisServer.start();
const el = await RedisServer.start({ durable: true, fsync: 'everysec' });
const servers: Array<[string, RedisServer]> = [['redis-md', md], ['redis-el', el]];
const hb = start('host-b', './bus-host.js', ['host-b', md.url, el.url]);
await hb.next('ready');
const ha = start('host-a', './bus-host.js', ['host-a', md.url, el.url]);
await ha.next('ready');
for (;;) {
  const known = ha.next<{ known: boolean }>('known');
  ha.proc.send({ knows: 'sink' });
  if ((await known).known) break;
  await sleep(50);
}
await sleep(500); // host-b's topic patterns reach host-a with the next heartbeats
const hosts = [ha, hb];

async function dualbus(kind: 'send' | 'publish', n: number, record: boolean): Promise<Figures> {
  hb.proc.send({ expect: n, md: kind === 'publish', ...(kind === 'publish' ? { quietMs: 1000 } : {}) });
  await sleep(100);
  const label = `dualbus ${kind === 'send' ? 'sends (engine logic)' : 'publishes (market data)'}, ${record ? 'records' : 'objects'}`;
  return measure(label, hosts, servers, n, () => ha.proc.send(kind === 'send' ? { send: { n, record, batch: 1 } } : { publish: { n, record } }), hb.next('done'));
}

const results: Record<string, Figures> = {};
const only = process.env.BENCH_ONLY; // e.g. 'publish-objects': one run, for profiling
if (!only || only === 'send-objects') results.dualbusSendsObjects = await dualbus('send', N_EL, false);
if (!only || only === 'publish-objects') results.dualbusPublishesObjects = await dualbus('publish', N_MD, false);
if (!only || only === 'send-records') results.dualbusSendsRecords = await dualbus('send', N_EL, true);
if (!only || only === 'publish-records') results.dualbusPublishesRecords = await dualbus('publish', N_MD, true);
for (const h of hosts) h.proc.send({ quit: true });
await Promise.all(hosts.map((h) => new Promise((r) => h.proc.once('exit', r))));
if (only) {
  await md.stop();
  await el.stop();
  process.exit(0);
}

// ------------------------------------------------------------------ raw ioredis, one command per message
async function raw(kind: 'xadd' | 'publish', server: RedisServer, serverName: string): Promise<Figures> {
  const consumer = start('consumer', './raw-redis-peer.js', [kind === 'xadd' ? 'xread' : 'subscribe', server.url, String(N_RAW)]);
  await consumer.next('subscribed');
  const producer = start('producer', './raw-redis-peer.js', [kind, server.url, String(N_RAW)]);
  await producer.next('ready');
  const label = `raw ioredis ${kind === 'xadd' ? 'XADD + XREADGROUP + XACK each' : 'PUBLISH each'}`;
  const f = await measure(label, [producer, consumer], [[serverName, server]], N_RAW, () => producer.proc.send({ go: true }), consumer.next('done'));
  for (const p of [producer, consumer]) p.proc.kill();
  return f;
}
results.rawStreams = await raw('xadd', el, 'redis-el');
results.rawPubsub = await raw('publish', md, 'redis-md');
await md.stop();
await el.stop();

// ------------------------------------------------------------------ report
const goals = { mdPerSec: 500_000, elPerSec: 200_000, cpuShareOfRaw: 1 / 5 };
const ratio = (a: Figures, b: Figures) => (a.cpuNsPerMsg / b.cpuNsPerMsg);
const rows: Array<[string, Figures, Figures | undefined]> = [
  ['actor -> actor sends (engine logic), objects', results.dualbusSendsObjects, results.rawStreams],
  ['actor publishes -> subscribed actor (market data), objects', results.dualbusPublishesObjects, results.rawPubsub],
  ['actor -> actor sends (engine logic), records', results.dualbusSendsRecords, results.rawStreams],
  ['actor publishes -> subscribed actor (market data), records', results.dualbusPublishesRecords, results.rawPubsub],
];
console.log(`\nThrough two systems (Node ${process.version}, ${os.cpus().length} cores, engine-logic Redis appendfsync everysec)\n`);
console.log('| path | dualbus msg/s | dualbus CPU ns/msg (host-a / host-b / redis-md / redis-el) | raw ioredis msg/s | raw CPU ns/msg | dualbus CPU / raw |');
console.log('|---|---|---|---|---|---|');
for (const [label, d, r] of rows) {
  const s = d.split;
  console.log(`| ${label} | ${(d.perSec / 1e6).toFixed(3)} M | ${d.cpuNsPerMsg} (${s['host-a']} / ${s['host-b']} / ${s['redis-md']} / ${s['redis-el']}) | ${r ? `${(r.perSec / 1e6).toFixed(3)} M` : ''} | ${r?.cpuNsPerMsg ?? ''} | ${r ? ratio(d, r).toFixed(3) : ''} |`);
}
mkdirSync(here('../../bench/results'), { recursive: true });
const out = here('../../bench/results/cross-host.json');
writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, quick, counts: { N_EL, N_MD, N_RAW }, goals, results }, null, 2));
log(`wrote ${out.pathname}`);
