// `npm run bench:cache`: the host's shared cache against npm lru-cache and the offline optimum.
// - Hits: a 64-byte value read by a worker thread (as an actor reads it) at 100k entries: latency
//   percentiles (batches of 100 gets) and gets per second, one thread and two at once; lru-cache
//   in one thread on the same keys.
// - Hit rates on traces of known character (Zipf 0.8-1.0, Zipf with scans of cold keys, a loop) at
//   a few capacities: this cache (W-TinyLFU), plain LRU (lru-cache) and Belady's optimum.
// - Memo: 4 actors ask for the same 1000 missing keys at once; how many computations ran.
// Writes bench/results/cache.json.
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { LRUCache } from 'lru-cache';
import { createSystem } from 'dualbus';
import { CacheRegistry } from '../src/cache/registry.js';
import { resolveCacheOptions } from '../src/cache/options.js';
import { round } from '../src/transport/ring/histogram.js';
import { beladyHits, lruHits } from './cache/belady.js';
import { describeTrace, generateTrace, type TraceSpec } from './cache/traces.js';

const ENTRIES = 100_000;
const VALUE = 'v'.repeat(64); // 64 bytes of UTF-8

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

async function readers(handle: unknown, keys: string[], threads: number): Promise<Array<{ perGetNs: Float64Array; misses: number; gets: number; wallMs: number; cpuMs: number }>> {
  return Promise.all(
    Array.from(
      { length: threads },
      (_, t) =>
        new Promise<{ perGetNs: Float64Array; misses: number; gets: number; wallMs: number; cpuMs: number }>((resolve, reject) => {
          const w = new Worker(new URL('./cache/reader.js', import.meta.url), { workerData: { handle, participant: t + 1, keys, batches: 30_000, batch: 100 } });
          w.once('message', resolve);
          w.once('error', reject);
        }),
    ),
  );
}

// ---- hits ----
const registry = new CacheRegistry(resolveCacheOptions({ hits: { maxBytes: 64 * 1024 * 1024, maxEntries: ENTRIES } }));
const cache = registry.cache('hits');
const allKeys = Array.from({ length: ENTRIES }, (_, i) => `quote:${i}`);
for (const key of allKeys) cache.set(key, VALUE);
const readKeys = Array.from({ length: 1 << 16 }, (_, i) => allKeys[(i * 7919) % ENTRIES]!);
const handle = registry.list().find((h) => h.name === 'hits');
const hitRows: Array<Record<string, unknown>> = [];
for (const threads of [1, 2]) {
  const results = await readers(handle, readKeys, threads);
  const all = Float64Array.from(results.flatMap((r) => Array.from(r.perGetNs))).sort();
  const gets = results.reduce((n, r) => n + r.gets, 0);
  const perThread = results.map((r) => r.gets / (r.wallMs / 1000));
  hitRows.push({
    what: `dualbus shared cache, ${threads} reader thread${threads > 1 ? 's' : ''}`,
    p50Ns: round(percentile(all, 0.5), 1),
    p99Ns: round(percentile(all, 0.99), 1),
    getsPerSecondPerThread: Math.round(perThread.reduce((a, b) => a + b, 0) / threads),
    cpuNsPerGet: round((results.reduce((n, r) => n + r.cpuMs, 0) * 1e6) / gets, 1),
    misses: results.reduce((n, r) => n + r.misses, 0),
  });
}
{
  const lru = new LRUCache<string, string>({ max: ENTRIES });
  for (const key of allKeys) lru.set(key, VALUE);
  const batches = new Float64Array(30_000);
  let i = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let b = 0; b < batches.length; b++) {
    const start = performance.now();
    for (let j = 0; j < 100; j++) lru.get(readKeys[i++ & 0xffff]!);
    batches[b] = ((performance.now() - start) * 1e6) / 100;
  }
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  batches.sort();
  hitRows.push({ what: 'lru-cache 11 (one thread, its own heap)', p50Ns: round(percentile(batches, 0.5), 1), p99Ns: round(percentile(batches, 0.99), 1), getsPerSecondPerThread: Math.round(3e6 / (wall / 1000)), cpuNsPerGet: round(((cpu.user + cpu.system) * 1000) / 3e6, 1), misses: 0 });
}
registry.close();
console.table(hitRows);

// ---- hit rates ----
const LENGTH = 1_000_000;
const TRACES: TraceSpec[] = [
  { kind: 'zipf', keys: 100_000, length: LENGTH, alpha: 0.8, seed: 1 },
  { kind: 'zipf', keys: 100_000, length: LENGTH, alpha: 0.9, seed: 2 },
  { kind: 'zipf', keys: 100_000, length: LENGTH, alpha: 1.0, seed: 3 },
  { kind: 'scan-polluted', keys: 100_000, length: LENGTH, alpha: 0.9, scanEvery: 20_000, scanLength: 20_000, seed: 4 },
  { kind: 'scan-polluted', keys: 100_000, length: LENGTH, alpha: 0.9, scanEvery: 2_000, scanLength: 2_000, seed: 5 },
  { kind: 'loop', keys: 20_000, length: LENGTH },
];
const CAPACITIES = [1_000, 10_000];
const rateRows: Array<Record<string, unknown>> = [];
for (const spec of TRACES) {
  const trace = generateTrace(spec);
  for (const capacity of CAPACITIES) {
    const r = new CacheRegistry(resolveCacheOptions({ rates: { maxEntries: capacity, maxBytes: capacity * 128 + 65536 } }));
    const c = r.cache('rates');
    let hits = 0;
    for (let i = 0; i < trace.length; i++) {
      const key = `k${trace[i]}`;
      if (c.get(key) !== undefined) hits++;
      else c.set(key, 1);
    }
    r.close();
    const optimum = beladyHits(trace, capacity);
    const lru = lruHits(trace, capacity);
    const pct = (h: number) => round((100 * h) / trace.length, 2);
    rateRows.push({ trace: describeTrace(spec), capacity, dualbus: pct(hits), lru: pct(lru), belady: pct(optimum), vsLru: lru === 0 ? 'inf' : round(hits / lru, 2), pointsBelowOptimum: round(pct(optimum) - pct(hits), 2) });
  }
}
console.table(rateRows);

// ---- memo across actors ----
const system = await createSystem({ logger: undefined });
const actors = await Promise.all([0, 1, 2, 3].map((i) => system.spawn(`memo${i}`, new URL('../test/fixtures/cache-user.js', import.meta.url))));
const keys = Array.from({ length: 1000 }, (_, i) => `missing:${i}`);
const t0 = performance.now();
const answers = (await Promise.all(actors.map((ref) => ref.ask({ type: 'memo', keys, delayMs: 2 }, { timeoutMs: 60_000 })))) as Array<{ computed: number }>;
const memo = { actors: 4, keys: 1000, computations: answers.reduce((n, a) => n + a.computed, 0), ms: round(performance.now() - t0, 1) };
await system.shutdown();
console.log('memo:', memo);

writeFileSync(new URL('../../bench/results/cache.json', import.meta.url), JSON.stringify({ date: new Date().toISOString(), machine: `${os.cpus()[0]?.model ?? '?'} x${os.cpus().length}, ${process.version}`, hits: hitRows, hitRates: rateRows, memo }, null, 2) + '\n');
console.log('\nwrote bench/results/cache.json');
