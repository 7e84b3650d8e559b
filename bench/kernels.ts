// `npm run bench:kernels`: the heavy-kernel pool against piscina's own run(), per kernel and size:
// js inside the calling thread, js in the pool, native in the pool, and piscina with
// structured-cloned arrays (the anchor); an empty kernel's round trip from the host and from an
// actor; pool threads 1 and 2; and an engine's message latency while it computes VaR 100 times,
// offloaded or inline. Writes bench/results/kernels.json.
import { writeFileSync } from 'node:fs';
import { Piscina } from 'piscina';
import { createSystem, sharedArray, type System } from 'dualbus';
import { BUILTIN_KERNELS } from '../src/kernels/builtin/index.js';
import { contextFor } from '../src/kernels/context.js';
import { jsCores } from '../src/kernels/cores-js.js';
import { bytesCopied } from '../src/kernels/shared-arrays.js';
import { round } from '../src/transport/ring/histogram.js';
import { ownCpuMs } from './cpu.js';
import { pct, randomShared } from './shared.js';

const here = (p: string) => new URL(p, import.meta.url);
const defs = new Map(BUILTIN_KERNELS.map((k) => [k.name, k]));
const results: Record<string, unknown> = { machine: `${process.arch}, ${process.version}` };

/** The same input with every shared array copied to a plain one (what a piscina user would pass). */
function unshared(v: unknown): unknown {
  if (ArrayBuffer.isView(v)) return (v as Float64Array).slice();
  if (Array.isArray(v)) return v.map(unshared);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unshared(x)]));
  return v;
}

function vpinInput(trades: number): unknown {
  const time = sharedArray(Float64Array, trades);
  const price = sharedArray(Float64Array, trades);
  const volume = sharedArray(Float64Array, trades);
  let p = 100;
  const noise = randomShared(trades, 0.1, 7);
  for (let i = 0; i < trades; i++) {
    time[i] = i * 0.05;
    p += noise[i]!;
    price[i] = p;
    volume[i] = 100 + (i % 7) * 10;
  }
  return { time, price, volume, barSeconds: 1, bucketVolume: 50_000, buckets: 50 };
}

interface Case {
  kernel: string;
  size: string;
  input: () => unknown;
}

const CASES: Case[] = [
  { kernel: 'var.historical', size: '10000 x 500', input: () => ({ returns: randomShared(10_000 * 500), t: 10_000, n: 500, weights: randomShared(500, 1, 3), confidence: [0.95, 0.99] }) },
  { kernel: 'var.historical', size: '1000 x 50', input: () => ({ returns: randomShared(1000 * 50), t: 1000, n: 50, weights: randomShared(50, 1, 3), confidence: [0.95, 0.99] }) },
  { kernel: 'var.parametric', size: '2000 x 100', input: () => ({ returns: randomShared(2000 * 100), t: 2000, n: 100, weights: randomShared(100, 1, 3), confidence: [0.99] }) },
  { kernel: 'var.montecarlo', size: '500 x 50, 10000 paths', input: () => ({ returns: randomShared(500 * 50), t: 500, n: 50, weights: randomShared(50, 1, 3), confidence: [0.99], paths: 10_000, seed: 42 }) },
  { kernel: 'factors', size: '1000 x 50', input: () => ({ x: randomShared(1000 * 50), t: 1000, n: 50 }) },
  { kernel: 'matmul', size: '512 x 512', input: () => ({ a: randomShared(512 * 512, 1), b: randomShared(512 * 512, 1, 5), m: 512, k: 512, n: 512 }) },
  { kernel: 'matmul', size: '128 x 128', input: () => ({ a: randomShared(128 * 128, 1), b: randomShared(128 * 128, 1, 5), m: 128, k: 128, n: 128 }) },
  {
    kernel: 'mlp',
    size: '1024 rows, 256-256-10',
    input: () => ({
      x: randomShared(1024 * 256, 1),
      rows: 1024,
      layers: [
        { w: randomShared(256 * 256, 0.1, 11), b: randomShared(256, 0.1, 12), activation: 'relu' },
        { w: randomShared(256 * 10, 0.1, 13), b: randomShared(10, 0.1, 14), activation: 'sigmoid' },
      ],
    }),
  },
  { kernel: 'vpin', size: '200000 trades', input: () => vpinInput(200_000) },
];

/** Times `call` until about `budgetMs` is spent (3 to 200 runs after one warm-up); ms per run. */
async function timeRuns(call: () => unknown, budgetMs = 1200): Promise<{ medianMs: number; minMs: number; runs: number }> {
  await call();
  const t0 = performance.now();
  await call();
  const first = performance.now() - t0;
  const runs = Math.max(3, Math.min(200, Math.ceil(budgetMs / Math.max(first, 0.01))));
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const s = performance.now();
    await call();
    ms.push(performance.now() - s);
  }
  ms.sort((a, b) => a - b);
  return { medianMs: round(ms[ms.length >> 1]!, 3), minMs: round(ms[0]!, 3), runs };
}

function copiedPerCall(system: System, kernel: string, backend: string): number {
  const s = system.stats().kernels.kernels[kernel]?.[backend];
  return s === undefined || s.calls === 0 ? 0 : Math.round(s.bytesCopied / s.calls);
}

async function perKernel(system: System, piscina: Piscina): Promise<unknown[]> {
  const nativeOk = (await system.kernels.backends()).native.available;
  const rows: unknown[] = [];
  console.log('\nkernel | size | js inline ms | js pool ms | native pool ms | piscina run (cloned) ms | native vs js | bytes copied per call (pool / piscina)');
  console.log('---|---|---|---|---|---|---|---');
  for (const c of CASES) {
    const input = c.input();
    const def = defs.get(c.kernel)!;
    const inline = await timeRuns(() => def.js(input, contextFor(c.kernel, 'js', jsCores)));
    const pooledJs = await timeRuns(() => system.kernels.run(c.kernel, input, { backend: 'js' }));
    const pooledNative = nativeOk && def.native !== undefined ? await timeRuns(() => system.kernels.run(c.kernel, input, { backend: 'native' })) : undefined;
    const cloned = unshared(input);
    let piscinaCopied = 0;
    const viaPiscina = await timeRuns(async () => {
      const r = await piscina.run({ kernel: c.kernel, input: cloned });
      piscinaCopied = bytesCopied(cloned) + bytesCopied(r);
    });
    const speedup = pooledNative === undefined ? undefined : round(pooledJs.medianMs / pooledNative.medianMs, 2);
    const row = {
      kernel: c.kernel,
      size: c.size,
      jsInlineMs: inline.medianMs,
      jsPoolMs: pooledJs.medianMs,
      nativePoolMs: pooledNative?.medianMs,
      piscinaClonedMs: viaPiscina.medianMs,
      nativeVsJs: speedup,
      bytesCopiedPool: copiedPerCall(system, c.kernel, 'js') + (pooledNative ? copiedPerCall(system, c.kernel, 'native') : 0),
      bytesCopiedPiscina: piscinaCopied,
    };
    rows.push(row);
    console.log(`${c.kernel} | ${c.size} | ${row.jsInlineMs} | ${row.jsPoolMs} | ${row.nativePoolMs ?? 'n/a'} | ${row.piscinaClonedMs} | ${speedup === undefined ? 'n/a' : `${speedup}x`} | ${row.bytesCopiedPool} / ${row.bytesCopiedPiscina}`);
  }
  return rows;
}

async function emptyRoundTrips(system: System, viaHost: System, piscina: Piscina): Promise<unknown> {
  const N = 3000;
  // Latency per call, and CPU time per call of the whole process (every thread: caller, host, pool).
  const measure = async (calls: () => Promise<number[]>) => {
    const cpu0 = ownCpuMs();
    const ms = await calls();
    return { ...pct(ms), cpuUsPerCall: round(((ownCpuMs() - cpu0) * 1000) / ms.length, 1) };
  };
  const fromMain = (call: () => Promise<unknown>) => async () => {
    for (let i = 0; i < 200; i++) await call();
    return measure(async () => {
      const ms: number[] = [];
      for (let i = 0; i < N; i++) {
        const t0 = performance.now();
        await call();
        ms.push(performance.now() - t0);
      }
      return ms;
    });
  };
  const fromActor = async (s: System, name: string) => {
    const caller = s.ref(name);
    await caller.ask({ type: 'empty', n: 200 }, { timeoutMs: 60_000 });
    return measure(async () => (await caller.ask({ type: 'empty', n: N }, { timeoutMs: 60_000 })) as number[]);
  };
  const rows: Record<string, Awaited<ReturnType<typeof measure>>> = {
    "piscina run() from the main thread (the anchor)": await fromMain(() => piscina.run({ kernel: 'empty', input: undefined }))(),
    'dualbus from the host (system.kernels.run)': await fromMain(() => system.kernels.run('bench.empty', undefined, { backend: 'js' }))(),
    "dualbus from an actor, direct lane ('async' wait)": await fromActor(system, 'caller'),
    "dualbus from an actor, direct lane ('block' wait)": await fromActor(system, 'caller-block'),
    "dualbus from an actor through the host (kernels.direct: false)": await fromActor(viaHost, 'caller'),
  };
  const anchor = Object.values(rows)[0]!.p50;
  console.log('\nempty kernel round trip | µs p50 / p99 / p99.9 | vs piscina p50 | CPU µs per call (all threads)');
  console.log('---|---|---|---');
  const out: Record<string, unknown> = {};
  for (const [label, r] of Object.entries(rows)) {
    const ratio = round(r.p50 / anchor, 2);
    out[label] = { ...r, vsPiscinaP50: ratio };
    console.log(`${label} | ${r.p50} / ${r.p99} / ${r.p999} | ${ratio}x | ${r.cpuUsPerCall}`);
  }
  console.log('goal: an actor <= 1.2x piscina');
  return out;
}

async function threadsScaling(): Promise<unknown> {
  const out: Record<string, unknown> = {};
  const input = { returns: randomShared(2000 * 500), t: 2000, n: 500, weights: randomShared(500, 1, 3), confidence: [0.99] };
  for (const threads of [1, 2]) {
    const system = await createSystem({ name: `threads-${threads}`, kernels: { threads, minThreads: threads, calibrationFile: false } });
    await Promise.all(Array.from({ length: threads * 2 }, () => system.kernels.run('var.historical', input, { backend: 'js' })));
    const calls = 64;
    const cpu0 = ownCpuMs();
    const t0 = performance.now();
    await Promise.all(Array.from({ length: calls }, () => system.kernels.run('var.historical', input, { backend: 'js' })));
    const wallMs = performance.now() - t0;
    const cpuMs = ownCpuMs() - cpu0;
    out[`threads ${threads}`] = { callsPerSec: round((calls * 1000) / wallMs, 1), cpuMsPerCall: round(cpuMs / calls, 3) };
    await system.shutdown();
  }
  console.log('\n64 concurrent var.historical 2000 x 500 (js) | calls/s | CPU ms per call');
  console.log('---|---|---');
  for (const [k, v] of Object.entries(out)) console.log(`${k} | ${(v as any).callsPerSec} | ${(v as any).cpuMsPerCall}`);
  return out;
}

async function latencyWhileVar(system: System): Promise<unknown> {
  const caller = system.ref('caller');
  const modes: Array<['inline' | 'offload', 'js' | 'native']> = [['inline', 'js'], ['offload', 'js']];
  if ((await system.kernels.backends()).native.available) modes.push(['offload', 'native']);
  const out: Record<string, unknown> = {};
  console.log('\nengine ping latency during 100 var.historical 10000 x 500 | ping µs p50 / p99 / max | pings | 100 VaRs took ms');
  console.log('---|---|---|---');
  for (const [mode, backend] of modes) {
    const pings: number[] = [];
    const t0 = performance.now();
    caller.send({ type: 'var', mode, calls: 100, t: 10_000, n: 500, backend });
    for (;;) {
      const s = performance.now();
      const left = (await caller.ask({ type: 'status?' }, { timeoutMs: 60_000 })) as number;
      pings.push(performance.now() - s);
      if (left === 0 && performance.now() - t0 > 50) break;
      await new Promise((r) => setTimeout(r, 1));
    }
    const tookMs = round(performance.now() - t0, 0);
    const p = pct(pings);
    const max = round(Math.max(...pings) * 1000, 0);
    const label = mode === 'inline' ? 'computed inline in the engine' : `offloaded to the pool (${backend}), pipeToSelf`;
    out[label] = { pingUs: { ...p, max }, pings: pings.length, tookMs };
    console.log(`${label} | ${p.p50} / ${p.p99} / ${max} | ${pings.length} | ${tookMs}`);
  }
  return out;
}

const piscina = new Piscina({ filename: here('./baselines/piscina-kernel.js').href, minThreads: 1, maxThreads: 1, atomics: 'sync' });
const system = await createSystem({ name: 'kernel-bench', kernels: { threads: 1, minThreads: 1, calibrationFile: false, modules: [here('./kernels/empty.js')] } });
await system.spawn('caller', here('./actors/kernel-caller.js'), { wait: 'async' });
await system.spawn('caller-block', here('./actors/kernel-caller.js'), { wait: 'block' });
const viaHost = await createSystem({ name: 'kernel-bench-via-host', kernels: { threads: 1, minThreads: 1, direct: false, calibrationFile: false, modules: [here('./kernels/empty.js')] } });
await viaHost.spawn('caller', here('./actors/kernel-caller.js'), { wait: 'async' });
results.backends = await system.kernels.backends();
results.emptyRoundTrip = await emptyRoundTrips(system, viaHost, piscina);
await viaHost.shutdown();
results.perKernel = await perKernel(system, piscina);
results.latencyWhileVar = await latencyWhileVar(system);
await system.shutdown();
await piscina.destroy();
results.threads = await threadsScaling();
writeFileSync(new URL('../../bench/results/kernels.json', import.meta.url), JSON.stringify(results, null, 2) + '\n');
console.log('\nwrote bench/results/kernels.json');
