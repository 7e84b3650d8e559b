// The Redis bus building blocks against raw ioredis, on the same two redis-server processes in one
// run: market-data fan-out (pub/sub and streams, one message per command vs one bus frame per
// batch), the engine-logic stream with acknowledgements, and latency under low load. (Whole
// systems on two hosts: bench/cross-host.ts.)
// Prints a table and writes bench/results/redis.json.
import { writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { Redis } from 'ioredis';
import { Packr } from 'msgpackr';
import { BusKind, decodeBusFrame, encodeBusFrame, type BusMessage } from '../src/transport/redis/bus-frame.js';
import { EngineLogicConsumer, appendFrame } from '../src/transport/redis/engine-logic.js';
import { RedisServer } from '../tools/redis-server.js';
import { pct } from './shared.js';

const here = (p: string) => new URL(p, import.meta.url);
const quick = process.env.BENCH_QUICK === '1';
const N_RAW = quick ? 50_000 : 200_000;
const N_BATCHED = quick ? 500_000 : 2_000_000;
const N_EL = quick ? 200_000 : 1_000_000;
const N_LAT = quick ? 300 : 2000;
const BATCH = 256;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const packr = new Packr({ useRecords: false, moreTypes: false });
const tick = (i: number) => ({ sym: 'AAPL', px: 101.25 + (i % 100) / 100, qty: 100, ts: 1_700_000_000_000 + i });
const msg = (i: number, t?: number): BusMessage => ({ kind: BusKind.Publish, address: 'md.AAPL', encoding: 1, payload: packr.pack(t === undefined ? tick(i) : { ...tick(i), t }) });
const frameOf = (i: number, messages: BusMessage[]) => encodeBusFrame('bench', process.pid, i + 1, messages);

const md = await RedisServer.start();
const el = await RedisServer.start({ durable: true });
const elEverySec = await RedisServer.start({ durable: true, fsync: 'everysec' });
const connect = (s: RedisServer) => new Redis(s.url, { maxRetriesPerRequest: null });

/** Publisher here, subscriber in its own thread (as on another host); msg/s until it saw them all. */
async function pubsub(label: string, n: number, frames: boolean, send: (pub: Redis, i: number) => number): Promise<number> {
  const pub = connect(md);
  const sub = new Worker(here('./redis-subscriber.js'), { workerData: { url: md.url, channel: 'bench', expect: n, frames } });
  const done = new Promise<number>((resolve) => sub.on('message', (m: { done?: number }) => m.done !== undefined && resolve(m.done)));
  await new Promise<void>((resolve) => sub.once('message', () => resolve()));
  const t0 = performance.timeOrigin + performance.now();
  for (let i = 0; i < n; ) {
    i += send(pub, i);
    if ((i & 0x3fff) < BATCH) await new Promise((r) => setImmediate(r)); // let replies in
  }
  const rate = n / (((await done) - t0) / 1000);
  await sub.terminate();
  pub.disconnect();
  process.stderr.write(`${label}: ${Math.round(rate)} msg/s\n`);
  return rate;
}

// Market data, pub/sub: raw ioredis (one PUBLISH per message, auto-pipelined) vs one bus frame per 256.
const rawPubsub = await pubsub('raw ioredis publish', N_RAW, false, (pub, i) => (void pub.publish('bench', packr.pack(tick(i))), 1));
const batchedPubsub = await pubsub('dualbus frames over pub/sub', N_BATCHED, true, (pub, i) => {
  void pub.publish('bench', frameOf(i, Array.from({ length: BATCH }, (_, k) => msg(i + k))));
  return BATCH;
});

// Market data, streams: one bus frame per 256 messages, XADD MAXLEN ~ and a blocking XREAD reader.
async function streams(n: number): Promise<number> {
  const w = connect(md);
  const r = connect(md);
  await w.del('bench:s');
  let got = 0;
  let last = '$';
  let reading = true;
  const reader = (async () => {
    while (reading) {
      const reply = (await r.callBuffer('XREAD', 'COUNT', 1000, 'BLOCK', 100, 'STREAMS', 'bench:s', last)) as unknown;
      if (!Array.isArray(reply)) continue;
      const first = reply[0] as unknown;
      const entries = (Array.isArray(first) ? (first as unknown[])[1] : reply[1]) as Array<[Buffer, Buffer[]]>;
      for (const [id, fields] of entries) {
        got += decodeBusFrame(fields[1]!).entries.length;
        last = id.toString();
      }
    }
  })();
  await sleep(50);
  const t0 = performance.now();
  for (let i = 0; i < n; i += BATCH) {
    void w.xadd('bench:s', 'MAXLEN', '~', '10000', '*', 'f', frameOf(i, Array.from({ length: BATCH }, (_, k) => msg(i + k))));
    if ((i & 0x3fff) < BATCH) await new Promise((r) => setImmediate(r));
  }
  while (got < n) await sleep(1);
  const rate = n / ((performance.now() - t0) / 1000);
  reading = false;
  await reader;
  w.disconnect();
  r.disconnect();
  process.stderr.write(`dualbus frames over streams: ${Math.round(rate)} msg/s\n`);
  return rate;
}
const batchedStreams = await streams(N_BATCHED);

// Engine logic: frames of 256 into a durable stream, read by a consumer group, acknowledged.
async function engineLogic(server: RedisServer, n: number): Promise<number> {
  const w = connect(server);
  const r = connect(server);
  let handled = 0;
  const consumer = new EngineLogicConsumer(r, { stream: 'bench:el', group: 'g', consumer: 'c', maxLen: 1_000_000, claimIdleMs: 10_000, dedupeWindow: 100_000, progressTtlMs: 60_000, maxInHand: 1_000_000, entryMessagesMax: BATCH }, (_frame, from, to) => { handled += to - from; return to - from; }, () => {}, () => {});
  consumer.start();
  await sleep(100);
  const t0 = performance.now();
  const inflight: Promise<string>[] = [];
  for (let i = 0; i < n; i += BATCH) {
    const batch = Array.from({ length: BATCH }, (_, k): BusMessage => ({ ...msg(i + k), kind: BusKind.Send }));
    inflight.push(appendFrame(w, 'bench:el', 1_000_000, frameOf(i, batch)));
    if (inflight.length >= 64) await Promise.all(inflight.splice(0));
  }
  await Promise.all(inflight);
  while (handled < n) await sleep(1);
  const rate = n / ((performance.now() - t0) / 1000);
  await consumer.stop();
  w.disconnect();
  r.disconnect();
  process.stderr.write(`engine-logic with acks: ${Math.round(rate)} msg/s\n`);
  return rate;
}
const elRate = await engineLogic(el, N_EL);
const elRateEverySec = await engineLogic(elEverySec, N_EL);

// Latency under low load: publish -> subscriber, one message at a time, 1 ms apart.
async function latency(encode: (i: number, t: number) => Buffer, stampOf: (frame: Buffer) => number): Promise<ReturnType<typeof pct>> {
  const pub = connect(md);
  const sub = connect(md);
  await sub.subscribe('lat');
  const samples: number[] = [];
  sub.on('messageBuffer', (_ch: Buffer, frame: Buffer) => samples.push(performance.now() - stampOf(frame)));
  for (let i = 0; i < N_LAT; i++) {
    void pub.publish('lat', encode(i, performance.now()));
    await sleep(1);
  }
  await sleep(50);
  pub.disconnect();
  sub.disconnect();
  return pct(samples.slice(Math.floor(N_LAT / 10))); // past the warm-up
}
const rawLat = await latency((i, t) => packr.pack({ ...tick(i), t }), (f) => (packr.unpack(f) as { t: number }).t);
const busLat = await latency(
  (i, t) => frameOf(i, [msg(i, t)]),
  (f) => (packr.unpack(decodeBusFrame(f).payload(0)) as { t: number }).t,
);

await md.stop();
await el.stop();
await elEverySec.stop();

const fmt = (r: number) => `${(r / 1e6).toFixed(2)} M/s`;
const rows = [
  ['market data, pub/sub (subscriber in its own thread)', fmt(rawPubsub), fmt(batchedPubsub), `${(batchedPubsub / rawPubsub).toFixed(1)}x`],
  ['market data, streams (XADD MAXLEN ~, XREAD; reader in the same thread)', '', fmt(batchedStreams), `${(batchedStreams / rawPubsub).toFixed(1)}x`],
  ['engine logic, stream + group + XACK, appendfsync always', '', fmt(elRate), ''],
  ['engine logic, stream + group + XACK, appendfsync everysec', '', fmt(elRateEverySec), ''],
  ['publish -> subscriber µs p50/p99 (low load)', `${rawLat.p50} / ${rawLat.p99}`, `${busLat.p50} / ${busLat.p99}`, `${(busLat.p50 / rawLat.p50).toFixed(2)}x`],
];
console.log(`\nRedis bus building blocks (Node ${process.version}, ${os.cpus().length} cores, redis-server ${BATCH} messages per frame)\n`);
console.log('| path | raw ioredis, one message per command | dualbus bus frames | ratio |');
console.log('|---|---|---|---|');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
mkdirSync(here('../../bench/results'), { recursive: true });
const out = here('../../bench/results/redis.json');
writeFileSync(
  out,
  JSON.stringify(
    { date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, quick, batch: BATCH, rawPubsubPerSec: rawPubsub, batchedPubsubPerSec: batchedPubsub, batchedStreamsPerSec: batchedStreams, engineLogicPerSec: elRate, engineLogicEverySecPerSec: elRateEverySec, latencyUs: { raw: rawLat, bus: busLat } },
    null,
    2,
  ),
);
console.log(`\nwrote ${out.pathname}`);
