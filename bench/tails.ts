// Where the tail of host -> actor latency comes from. For each wait strategy, N one-way messages
// from the host thread to an actor (paced as in the in-host bench), and for each message: its
// latency, the time the actor's thread spent runnable but waiting for a CPU meanwhile (from
// /proc/<pid>/task/<tid>/schedstat, read by the host before each send; the host's own too), and GC
// pauses of the actor and of the host. Each slow message (over 10x the median and 50 µs) is put down to its cause.
// Prints a table and writes bench/results/tails.json.
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { PerformanceObserver } from 'node:perf_hooks';
import { pino } from 'pino';
import { createSystem } from 'dualbus';
import { Ping, now, pause } from './shared.js';

const here = (p: string) => new URL(p, import.meta.url);
const quick = process.env.BENCH_QUICK === '1';
const N = quick ? 3_000 : 20_000;
const WARMUP = 500;

const hostGcs: number[] = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) hostGcs.push(performance.timeOrigin + e.startTime, e.duration);
}).observe({ entryTypes: ['gc'] });

/** Nanoseconds the thread has waited on a run queue so far (the second field of schedstat). */
function runDelayNs(tid: number): number {
  return Number(readFileSync(`/proc/${process.pid}/task/${tid}/schedstat`, 'utf8').split(' ')[1]);
}

interface Cause {
  /** GC pauses of the actor's thread and of the host's during the run: how many, how long in all (ms). */
  actorGc: { count: number; ms: number };
  hostGc: { count: number; ms: number };
  samples: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
  slow: number;
  causes: Record<string, number>;
}

function overlaps(events: number[], from: number, to: number): boolean {
  for (let i = 0; i < events.length; i += 2) if (events[i]! < to && events[i]! + events[i + 1]! > from) return true;
  return false;
}

const nap = new Int32Array(new SharedArrayBuffer(4));

/** `pacing` 'busy': the host busy-waits between sends (a core taken, as in the in-host bench); 'sleep': it sleeps (a core left free). */
async function run(wait: 'spin' | 'block' | 'async', pacing: 'busy' | 'sleep'): Promise<Cause> {
  const system = await createSystem({ name: 'tails', logger: pino({ level: 'silent' }) });
  const sink = await system.spawn('sink', here('./actors/tail-sink.js'), { wait, standby: false });
  const tid = (await sink.ask({ type: 'tid?' })) as number;
  await sink.ask({ type: 'arm', n: N + WARMUP });
  hostGcs.length = 0;
  const sentAt = new Float64Array(N + WARMUP);
  /** The actor's and the host thread's run-queue wait so far (ms), read just before each send: time series. */
  const runDelayMs = new Float64Array(N + WARMUP);
  const hostDelayMs = new Float64Array(N + WARMUP);
  const rec = { ts: 0, px: 101.25, qty: 300, seq: 0 };
  for (let i = 0; i < N + WARMUP; i++) {
    runDelayMs[i] = runDelayNs(tid) / 1e6;
    hostDelayMs[i] = runDelayNs(process.pid) / 1e6;
    rec.seq = i;
    rec.ts = sentAt[i] = now();
    sink.sendRecord(Ping, rec);
    if (pacing === 'busy') pause(wait === 'spin' ? 5 : 60);
    else Atomics.wait(nap, 0, 0, 0.06);
  }
  await new Promise((r) => setTimeout(r, 50));
  const { lat, gcs } = (await sink.ask({ type: 'result?' }, { timeoutMs: 30_000 })) as { lat: number[]; gcs: number[] };
  await system.shutdown();
  const measured = lat.slice(WARMUP).map((ms) => ms * 1000); // µs
  const sorted = Float64Array.from(measured).sort();
  const at = (q: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! * 100) / 100;
  const p50 = at(0.5);
  const threshold = Math.max(10 * p50, 50);
  const causes: Record<string, number> = {};
  let slow = 0;
  for (let k = 0; k < measured.length; k++) {
    const us = measured[k]!;
    if (us < threshold) continue;
    slow++;
    const i = k + WARMUP;
    const from = sentAt[i]!;
    const to = from + us / 1000;
    // The actor's run-queue wait from this send to the first reading after it handled the message
    // (the kernel accounts a wait when the thread gets a CPU back, so a window that ends early misses it).
    let j = i;
    while (j < sentAt.length - 1 && sentAt[j]! < to) j++;
    const waitedUs = (runDelayMs[j]! - runDelayMs[i]!) * 1000;
    // The sender stamps before it writes: a host thread descheduled in between delays the message too.
    const hostWaitedUs = (hostDelayMs[Math.min(i + 1, sentAt.length - 1)]! - hostDelayMs[i]!) * 1000;
    const cause =
      overlaps(gcs, from, to) ? 'actor GC'
      : waitedUs > us / 2 ? 'actor waiting for a CPU (descheduled)'
      : hostWaitedUs > us / 2 ? 'host waiting for a CPU (descheduled)'
      : overlaps(hostGcs, from, to) ? 'host GC'
      : 'other';
    causes[cause] = (causes[cause] ?? 0) + 1;
  }
  const gcSum = (events: number[]) => ({ count: events.length / 2, ms: Math.round(events.filter((_, k) => k % 2 === 1).reduce((a, b) => a + b, 0) * 100) / 100 });
  return { actorGc: gcSum(gcs), hostGc: gcSum(hostGcs), samples: measured.length, p50, p99: at(0.99), p999: at(0.999), max: Math.round(sorted[sorted.length - 1]! * 100) / 100, slow, causes };
}

const results: Record<string, Cause> = {};
for (const pacing of ['busy', 'sleep'] as const) {
  for (const wait of ['spin', 'block', 'async'] as const) {
    const key = `${wait}, host ${pacing === 'busy' ? 'busy-waits' : 'sleeps'}`;
    results[key] = await run(wait, pacing);
    process.stderr.write(`${key}: ${JSON.stringify(results[key])}\n`);
  }
}
console.log(`\nHost -> actor one-way latency, ${N} messages each (Node ${process.version}, ${os.cpus().length} cores)\n`);
console.log('| wait, between sends | p50 µs | p99 µs | p99.9 µs | max µs | slow (>10x p50, >50 µs) | causes of the slow ones | GC actor / host (count, ms) |');
console.log('|---|---|---|---|---|---|---|---|');
for (const [key, r] of Object.entries(results)) {
  const causes = Object.entries(r.causes).sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c}: ${n}`).join(', ');
  console.log(`| ${key} | ${r.p50} | ${r.p99} | ${r.p999} | ${r.max} | ${r.slow} | ${causes} | ${r.actorGc.count}, ${r.actorGc.ms} / ${r.hostGc.count}, ${r.hostGc.ms} |`);
}
mkdirSync(here('../../bench/results'), { recursive: true });
const out = here('../../bench/results/tails.json');
writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, quick, n: N, results }, null, 2));
process.stderr.write(`wrote ${out.pathname}\n`);
