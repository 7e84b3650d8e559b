// `npm run bench`: dualbus against postMessage, comlink, piscina and ringbuf.js, side by side in
// one run on the same messages. Prints a table with ratios and writes bench/results/inhost.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { MessageChannel, Worker } from 'node:worker_threads';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { pino } from 'pino';
import { Piscina } from 'piscina';
import { RingBuffer } from 'ringbuf.js';
import { createSystem, type System } from 'dualbus';
import { Ping, now, pause, pct, pingObject } from './shared.js';

const here = (p: string) => new URL(p, import.meta.url);
const quick = process.env.BENCH_QUICK === '1';
const N_LAT = quick ? 3_000 : 20_000;
const N_RPC = quick ? 2_000 : 10_000;
const N_REC = quick ? 300_000 : 3_000_000;
const N_OBJ = quick ? 120_000 : 1_200_000;
type Pct = { p50: number; p99: number; p999: number };
const rows: Record<string, Record<string, number | Pct | null>> = {};
const put = (impl: string, metric: string, v: number | Pct | null) => ((rows[impl] ??= {})[metric] = v);
const log = (s: string) => process.stderr.write(`${s}\n`);

/** N_RPC sequential calls from this thread; percentiles of their round trips (warm-up excluded). */
async function roundTrips(call: (i: number, sentAt: number) => Promise<unknown>): Promise<Pct> {
  const rtt: number[] = [];
  for (let i = 0; i < N_RPC; i++) {
    const t = now();
    await call(i, t);
    rtt.push(now() - t);
  }
  return pct(rtt.slice(100));
}

// ------------------------------------------------------------------ baselines
async function postMessageBench(): Promise<void> {
  const run = async (mode: 'pingpong' | 'flood', n: number) => {
    const a = new Worker(here('./baselines/pm-peer.js'), { workerData: { role: 'a' } });
    const b = new Worker(here('./baselines/pm-peer.js'), { workerData: { role: 'b' } });
    const { port1, port2 } = new MessageChannel();
    const done = new Promise<any>((r) => (mode === 'flood' ? b.once('message', r) : (a.once('message', r), b.once('message', r))));
    b.postMessage({ port: port2, n, mode }, [port2]);
    await new Promise((r) => setTimeout(r, 100));
    a.postMessage({ port: port1, n, mode }, [port1]);
    const out = await done;
    await Promise.all([a.terminate(), b.terminate()]);
    return out;
  };
  put('postMessage', 'oneWayActorUs', await run('pingpong', N_LAT));
  put('postMessage', 'objectsPerSec1', N_OBJ / ((await run('flood', N_OBJ)).ms / 1000));
}

async function comlinkBench(): Promise<void> {
  const w = new Worker(here('./baselines/comlink-worker.js'));
  const api = Comlink.wrap<{ echo(x: unknown): unknown }>(nodeEndpoint(w));
  put('comlink', 'askRoundTripUs', await roundTrips((i, t) => api.echo(pingObject(i, t))));
  await w.terminate();
}

async function piscinaBench(): Promise<void> {
  const pool = new Piscina({ filename: here('./baselines/piscina-task.js').href, minThreads: 1, maxThreads: 1 });
  put('piscina', 'askRoundTripUs', await roundTrips((i, t) => pool.run(pingObject(i, t))));
  await pool.destroy();
}

async function ringbufBench(): Promise<void> {
  const sab = RingBuffer.getStorageForCapacity(1 << 20, Uint8Array);
  const c = new Worker(here('./baselines/ringbuf-peer.js'), { workerData: { role: 'consumer', sab, n: N_OBJ } });
  const p = new Worker(here('./baselines/ringbuf-peer.js'), { workerData: { role: 'producer', sab, n: N_OBJ } });
  const { ms } = await new Promise<{ ms: number }>((r) => c.once('message', r));
  put('ringbuf.js+msgpackr', 'objectsPerSec1', N_OBJ / (ms / 1000));
  await Promise.all([c.terminate(), p.terminate()]);
}

/** A producer and a consumer thread on a raw ring (a baseline module), n messages; msg/s. */
async function rawPair(module: string, n: number, data: Record<string, unknown>, bytes: number): Promise<number> {
  const sab = new SharedArrayBuffer(128 + bytes);
  const c = new Worker(here(module), { workerData: { role: 'consumer', sab, n, ...data } });
  const p = new Worker(here(module), { workerData: { role: 'producer', sab, n, ...data } });
  const { ms } = await new Promise<{ ms: number }>((r) => c.once('message', r));
  await Promise.all([c.terminate(), p.terminate()]);
  return n / (ms / 1000);
}

async function rawRingBench(): Promise<void> {
  // The same records without dualbus: the ceiling.
  put('raw SPSC ring', 'recordsPerSec1', await rawPair('./baselines/spsc-peer.js', N_REC * 4, { slots: 1 << 15 }, 32 << 15));
  // Objects over a raw byte ring: plain msgpack (dualbus's codec) against msgpackr shared structures.
  put('raw ring + msgpack', 'objectsPerSec1', await rawPair('./baselines/objects-peer.js', N_OBJ, { shared: false }, 1 << 20));
  put('raw ring + shared structures', 'objectsPerSec1', await rawPair('./baselines/objects-peer.js', N_OBJ, { shared: true }, 1 << 20));
}

// ------------------------------------------------------------------ dualbus
const silent = pino({ level: 'silent' });
// Nothing fails here: no standby workers loading in the background while the 2 cores measure.
const NO_STANDBY = { standby: false } as const;

async function until(probe: () => boolean): Promise<void> {
  while (!probe()) await new Promise((r) => setTimeout(r, 5));
}

interface Flow {
  producers: number;
  record: boolean;
  /** Messages per ring claim (1: one send per message). */
  batch: number;
  n: number;
}

/** msg/s through `producers` actors to one sink, and the CPU this process spent per message (all threads). */
async function throughput(system: System, wait: 'spin' | 'block' | 'async', f: Flow): Promise<{ perSec: number; cpuNs: number }> {
  const tag = `${f.producers}-${f.record}-${f.batch}`;
  const sink = await system.spawn(`sink-${tag}`, here('./actors/sink.js'), { wait, mailboxBytes: 1 << 22, ...NO_STANDBY });
  const floods = [];
  for (let i = 0; i < f.producers; i++) floods.push(await system.spawn(`flood-${tag}-${i}`, here('./actors/flood.js'), { wait, ...NO_STANDBY }));
  sink.send({ type: 'expect', total: f.n });
  const done = new Promise<{ ms: number }>((r) => {
    const off = system.subscribe('bench.done', (m) => {
      off();
      r(m);
    });
  });
  await new Promise((r) => setTimeout(r, 50));
  const cpu0 = process.cpuUsage();
  for (const fl of floods) fl.send({ n: f.n / f.producers, to: sink.name, record: f.record, batch: f.batch });
  const { ms } = await done;
  const cpu = process.cpuUsage(cpu0);
  for (const fl of floods) await system.stop(fl.name);
  await system.stop(sink.name);
  return { perSec: f.n / (ms / 1000), cpuNs: Math.round(((cpu.user + cpu.system) * 1000) / f.n) };
}

/** The flows of the throughput rows: [metric, flow]. Counts divide by 3 for the three-producer ones. */
const FLOWS: Array<[string, Flow]> = [
  ['recordsPerSec1', { producers: 1, record: true, batch: 1, n: N_REC }],
  ['recordsPerSec1Batched', { producers: 1, record: true, batch: 64, n: N_REC }],
  ['recordsPerSec3', { producers: 3, record: true, batch: 1, n: N_REC }],
  ['recordsPerSec3Batched', { producers: 3, record: true, batch: 64, n: N_REC }],
  ['objectsPerSec1', { producers: 1, record: false, batch: 1, n: N_OBJ }],
  ['objectsPerSec1Batched', { producers: 1, record: false, batch: 64, n: N_OBJ }],
  ['objectsPerSec3', { producers: 3, record: false, batch: 1, n: N_OBJ }],
];

async function dualbusBench(wait: 'spin' | 'block' | 'async'): Promise<void> {
  const impl = `dualbus ${wait}`;
  const system = await createSystem({ name: 'bench', logger: silent, hostWait: 'spin', latencySampleEvery: 1 });
  const a = await system.spawn('a', here('./actors/ping.js'), { wait, ...NO_STANDBY });
  const b = await system.spawn('b', here('./actors/ping.js'), { wait, ...NO_STANDBY });
  a.send({ type: 'start', peer: 'b', n: N_LAT, record: true });
  await until(() => system.stats().actors.a!.received >= N_LAT + 1);
  put(impl, 'oneWayActorUs', (await b.ask({ type: 'result?' })) as Pct);
  put(impl, 'askRoundTripUs', (await a.ask({ type: 'ask', n: N_RPC, peer: 'b' }, { timeoutMs: 120_000 })) as Pct);
  await system.stop('a');
  put(impl, 'hostAskRoundTripUs', await roundTrips((i, t) => b.ask(pingObject(i, t))));
  await system.stop('b'); // two cores: keep at most one spinning actor beside the host

  const sink = await system.spawn('lat', here('./actors/latency-sink.js'), { wait, ...NO_STANDBY });
  const rec = { ts: 0, px: 101.25, qty: 300, seq: 0 };
  for (let i = 0; i < N_LAT; i++) {
    rec.ts = now();
    rec.seq = i;
    sink.sendRecord(Ping, rec);
    pause(wait === 'spin' ? 5 : 60); // under 'block'/'async' each message finds the actor parked
  }
  put(impl, 'oneWayHostUs', (await sink.ask({ type: 'result?' })) as Pct);
  await system.stop('lat');

  await system.shutdown();
  // Throughput with the default configuration (every 16th message stamped for the latency
  // histogram; the latency runs above stamp every one).
  const flows = await createSystem({ name: 'bench-flows', logger: silent });
  for (const [metric, flow] of FLOWS) {
    if (flow.batch > 1 && process.env.BENCH_NO_BATCH === '1') continue; // measuring a build without batch sends
    const r = await throughput(flows, wait, flow);
    put(impl, metric, r.perSec);
    put(impl, `${metric}CpuNs`, r.cpuNs);
  }
  await flows.shutdown();
}

async function idleCpu(wait: 'block' | 'async'): Promise<void> {
  const system = await createSystem({ name: 'idle', logger: silent });
  // With the shared warm pool (the default): 15 isolates (26 with a standby per actor, before issue 12). Measured once settled: for the first
  // seconds after loading, V8 keeps compiling and collecting in each new isolate (about 8% of a
  // core for 26 of them at 3 s, 1.5% at 10 s).
  for (let i = 0; i < 13; i++) await system.spawn(`idle-${i}`, here('./actors/idle.js'), { wait });
  await new Promise((r) => setTimeout(r, quick ? 3000 : 10_000));
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, quick ? 1000 : 3000));
  const c1 = process.cpuUsage(c0);
  put(`dualbus ${wait}`, 'idleCpuPctOfCore13', Math.round(((c1.user + c1.system) / 1000 / (performance.now() - t0)) * 10000) / 100);
  await system.shutdown();
}

// ------------------------------------------------------------------ run and report
const steps: Array<[string, () => Promise<void>]> = [
  ['postMessage', postMessageBench],
  ['comlink', comlinkBench],
  ['piscina', piscinaBench],
  ['ringbuf.js', ringbufBench],
  ['raw rings', rawRingBench],
  ['dualbus spin', () => dualbusBench('spin')],
  ['dualbus block', () => dualbusBench('block')],
  ['dualbus async', () => dualbusBench('async')],
  ['idle block', () => idleCpu('block')],
  ['idle async', () => idleCpu('async')],
];
for (const [name, step] of steps) {
  const t = performance.now();
  await step();
  log(`${name} done in ${((performance.now() - t) / 1000).toFixed(1)} s`);
}

const fmtRate = (v: unknown) => (typeof v === 'number' ? `${(v / 1e6).toFixed(2)} M/s` : '');
/** A rate, with the CPU per message beside it where the run measured it. */
const fmtRateCpu = (metric: string) => (v: unknown, impl?: string) => {
  const cpu = impl === undefined ? undefined : rows[impl]?.[`${metric}CpuNs`];
  return fmtRate(v) + (typeof cpu === 'number' ? ` (${cpu})` : '');
};
const fmtPct = (v: unknown) => (v && typeof v === 'object' ? `${(v as Pct).p50} / ${(v as Pct).p99} / ${(v as Pct).p999}` : '');
const metrics: Array<[string, string, (v: unknown, impl?: string) => string]> = [
  ['oneWayActorUs', 'one-way actor->actor µs p50/p99/p99.9', fmtPct],
  ['oneWayHostUs', 'one-way host->actor µs p50/p99/p99.9', fmtPct],
  ['askRoundTripUs', 'ask round trip (actor) µs p50/p99/p99.9', fmtPct],
  ['hostAskRoundTripUs', 'ask round trip (host, spin) µs', fmtPct],
  ['recordsPerSec1', 'records, 1 producer (CPU ns/msg)', fmtRateCpu('recordsPerSec1')],
  ['recordsPerSec1Batched', 'records, 1 producer, batches of 64', fmtRateCpu('recordsPerSec1Batched')],
  ['recordsPerSec3', 'records, 3 producers', fmtRateCpu('recordsPerSec3')],
  ['recordsPerSec3Batched', 'records, 3 producers, batches of 64', fmtRateCpu('recordsPerSec3Batched')],
  ['objectsPerSec1', 'msgpack objects, 1 producer', fmtRateCpu('objectsPerSec1')],
  ['objectsPerSec1Batched', 'msgpack objects, 1 producer, batches of 64', fmtRateCpu('objectsPerSec1Batched')],
  ['objectsPerSec3', 'msgpack objects, 3 producers', fmtRateCpu('objectsPerSec3')],
  ['idleCpuPctOfCore13', '13 idle actors, % of one core', (v) => (typeof v === 'number' ? `${v}%` : '')],
];
const impls = Object.keys(rows);
const table = [['metric', ...impls]];
for (const [key, label, fmt] of metrics) table.push([label, ...impls.map((i) => fmt(rows[i]![key], i))]);
const width = table[0]!.map((_, c) => Math.max(...table.map((r) => r[c]!.length)));
const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(width[i]!)).join(' | ')} |`;
console.log(line(table[0]!));
console.log(`|${width.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const r of table.slice(1)) console.log(line(r));

const p50 = (impl: string, key: string) => (rows[impl]?.[key] as Pct | undefined)?.p50;
const num = (impl: string, key: string) => rows[impl]?.[key] as number | undefined;
const ratios = {
  askVsPiscina: (p50('piscina', 'askRoundTripUs') ?? NaN) / (p50('dualbus spin', 'askRoundTripUs') ?? NaN),
  askVsComlink: (p50('comlink', 'askRoundTripUs') ?? NaN) / (p50('dualbus spin', 'askRoundTripUs') ?? NaN),
  oneWayVsPostMessage: (p50('postMessage', 'oneWayActorUs') ?? NaN) / (p50('dualbus spin', 'oneWayActorUs') ?? NaN),
  objectsVsPostMessage: Math.max(...['spin', 'block', 'async'].map((w) => num(`dualbus ${w}`, 'objectsPerSec1') ?? 0)) / (num('postMessage', 'objectsPerSec1') ?? NaN),
  objectsVsRingbuf: Math.max(...['spin', 'block', 'async'].map((w) => num(`dualbus ${w}`, 'objectsPerSec1') ?? 0)) / (num('ringbuf.js+msgpackr', 'objectsPerSec1') ?? NaN),
  batchedRecordsShareOfRawSpsc: Math.max(...['spin', 'block', 'async'].map((w) => num(`dualbus ${w}`, 'recordsPerSec1Batched') ?? 0)) / (num('raw SPSC ring', 'recordsPerSec1') ?? NaN),
  sharedStructuresVsPlainMsgpack: (num('raw ring + shared structures', 'objectsPerSec1') ?? NaN) / (num('raw ring + msgpack', 'objectsPerSec1') ?? NaN),
};
console.log('\nratios (higher is better for dualbus; the last two are shares and the shared-structures experiment):');
for (const [k, v] of Object.entries(ratios)) console.log(`  ${k}: ${v.toFixed(1)}x`);
mkdirSync(here('../../bench/results'), { recursive: true });
const out = here('../../bench/results/inhost.json');
writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, cpu: os.cpus()[0]?.model, quick, counts: { N_LAT, N_RPC, N_REC, N_OBJ }, results: rows, ratios }, null, 2));
log(`wrote ${out.pathname}`);
