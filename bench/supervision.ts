// Supervision benchmarks: recovery time (failure -> the restarted actor handles its next message)
// for each restart path: a receive that throws and an uncaught exception (both restarted inside
// their worker), a worker that exits and one terminated from outside (both replaced by a warm
// worker of the shared pool), and crash loops (a failure every 20 ms); the memory that readiness
// for restarts costs with 13 actors (RSS, each configuration in a process of its own); and a 1 M
// message stream through a chain of 3 actors with 100 random kills (loss, duplicates, order).
// Prints tables and writes bench/results/supervision.json.
import { fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { child, createSystem, supervisor, type ChildOptions, type System } from 'dualbus';
import { Seq } from './chain-records.js';
import { now, pct } from './shared.js';

const here = (p: string) => new URL(p, import.meta.url);
const quick = process.env.BENCH_QUICK === '1';
const CRASHES = quick ? 20 : 100;
const STREAM = quick ? 200_000 : 1_000_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
// Lifecycle lines go to a file, not the terminal: hundreds of crashes are the point here.
const logFile = here('../../bench/results/supervision-log.jsonl');
mkdirSync(here('../../bench/results'), { recursive: true });
const logger = pino({ level: 'info' }, pino.destination({ dest: logFile.pathname, sync: false }));
const silent = pino({ level: 'silent' });
/** No backoff: the figures are the mechanism's (the default backoff waits minMs, 1 ms, before a first restart). */
const NO_BACKOFF: ChildOptions = { backoff: { minMs: 0, maxMs: 0, jitter: 0 } };

async function waitFor(probe: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const until = performance.now() + timeoutMs;
  while (!probe()) {
    if (performance.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(1);
  }
}

type Via = Record<string, number>;
interface Recovery {
  kind: string;
  crashes: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  maxMs: number;
  /** Restarts by where their worker came from (stats().actors[name].restartsVia). */
  via: Via;
}

function summary(kind: string, samples: number[], via: Via): Recovery {
  const p = pct(samples);
  const ms = (us: number) => Math.round(us / 10) / 100;
  const r2 = (v: number) => Math.round(v * 100) / 100;
  const nonZero = Object.fromEntries(Object.entries(via).filter(([, n]) => n > 0));
  return { kind, crashes: samples.length, p50Ms: ms(p.p50), p99Ms: ms(p.p99), meanMs: r2(samples.reduce((a, b) => a + b, 0) / samples.length), maxMs: r2(Math.max(...samples)), via: nonZero };
}

type Drill = 'throw' | 'crash' | 'exit' | 'kill';
const DRILLS: Record<Drill, string> = {
  throw: 'receive throws (onError restart): in place',
  crash: 'uncaught exception: in place',
  exit: 'worker exits (process.exit): warm worker, ready',
  kill: 'worker terminated (system.kill): warm worker, ready',
};

/**
 * Failure -> the restarted actor handles its next message, `CRASHES` times, one failure at a time.
 * Timed inside the actor: it sends itself a stamp just before it fails (the host, after a kill),
 * and the restarted actor publishes when it handled it.
 */
async function recovery(drill: Drill): Promise<Recovery> {
  const system = await createSystem({ name: 'recovery', logger });
  await system.start(supervisor({ intensity: 1_000_000, periodMs: 1000, children: [child('r', here('./actors/recoverer.js'), { ...NO_BACKOFF, onError: 'restart' })] }));
  const r = system.ref<typeof import('./actors/recoverer.js').default>('r');
  const samples: number[] = [];
  // A kill lands while the worker may already be handling the stamp, which the next worker then
  // handles again (at least once): the same stamp is counted once.
  let lastCrashAt = -1;
  const off = system.subscribe('drill.recovered', (m: { crashAt: number; handledAt: number }) => {
    if (m.crashAt === lastCrashAt) return;
    lastCrashAt = m.crashAt;
    samples.push(m.handledAt - m.crashAt);
  });
  await off.ready;
  for (let i = 0; i < CRASHES; i++) {
    // A worker death needs a loaded warm worker waiting: that is what makes its restart fast.
    if (drill === 'exit' || drill === 'kill') await waitFor(() => system.stats().actors.r!.standby === 'ready', 30_000, 'a warm worker');
    const restarts = system.stats().actors.r!.restarts;
    if (drill === 'kill') {
      const crashAt = now();
      system.kill('r');
      r.send({ type: 'stamp', crashAt });
    } else {
      r.send(drill === 'throw' ? { type: 'throw', id: i } : { type: drill });
    }
    await waitFor(() => samples.length === i + 1, 10_000, 'the recovery');
    await waitFor(() => system.stats().actors.r!.restarts === restarts + 1, 5000, 'the restart count');
  }
  const via = system.stats().actors.r!.restartsVia;
  off();
  await system.shutdown();
  return summary(DRILLS[drill], samples, via);
}

/** A crash loop: every incarnation fails 20 ms after it started; recovery as above, for `CRASHES` failures. */
async function crashLoop(how: 'exit' | 'throw'): Promise<Recovery> {
  const name = how === 'exit' ? 'loop-exit' : 'loop-throw';
  const system = await createSystem({ name: 'crash-loop', logger });
  const samples: number[] = [];
  const off = system.subscribe('drill.recovered', (m: { crashAt: number; handledAt: number }) => {
    if (samples.length < CRASHES) samples.push(m.handledAt - m.crashAt);
  });
  await off.ready;
  await system.start(supervisor({ intensity: 1_000_000, periodMs: 1000, children: [child(name, here('./actors/crash-looper.js'), NO_BACKOFF)] }));
  await waitFor(() => samples.length >= CRASHES, 120_000, 'the crashes');
  const via = system.stats().actors[name]!.restartsVia;
  off();
  await system.shutdown();
  return summary(how === 'exit' ? 'crash loop, worker exits every 20 ms: warm pool' : 'crash loop, uncaught exception every 20 ms: in place', samples, via);
}

// ------------------------------------------------------------------ memory

type Readiness = 'empty' | 'none' | 'shared' | 'own';
const MEMORY_ACTORS = 13;

/** In a process of its own: a system with 13 idle 'block' actors and this readiness; prints its RSS once settled. */
async function memoryChild(readiness: Readiness): Promise<void> {
  const system = await createSystem({ name: 'memory', logger: silent, warmWorkers: readiness === 'shared' ? 2 : 0 });
  if (readiness !== 'empty') {
    const standby = readiness === 'shared' ? 'shared' : readiness === 'own' ? 'own' : false;
    for (let i = 0; i < MEMORY_ACTORS; i++) await system.spawn(`idle-${i}`, here('./actors/idle.js'), { wait: 'block', standby });
    await waitFor(() => Object.values(system.stats().actors).every((a) => a.standby === (readiness === 'none' ? 'none' : 'ready')), 60_000, 'the standbys');
  }
  await sleep(3000); // new isolates keep compiling and collecting for a while
  const rss: number[] = [];
  for (let i = 0; i < 5; i++) {
    rss.push(process.memoryUsage().rss);
    await sleep(200);
  }
  rss.sort((a, b) => a - b);
  const threads = readiness === 'empty' ? 0 : MEMORY_ACTORS + (readiness === 'shared' ? 2 : readiness === 'own' ? MEMORY_ACTORS : 0);
  process.send!({ readiness, rssMb: Math.round((rss[2]! / 1048576) * 10) / 10, actorThreads: threads, warm: system.stats().warmWorkers });
  await system.shutdown();
}

async function memory(): Promise<{ rows: Array<{ readiness: Readiness; rssMb: number; actorThreads: number }>; actorsOwnMb: number; sharedCostMb: number; sharedCostPct: number; ownCostMb: number; ownCostPct: number }> {
  const measure = (readiness: Readiness) =>
    new Promise<{ readiness: Readiness; rssMb: number; actorThreads: number }>((resolve, reject) => {
      const p = fork(fileURLToPath(import.meta.url), [], { env: { ...process.env, BENCH_MEMORY: readiness } });
      p.once('message', (m) => resolve(m as { readiness: Readiness; rssMb: number; actorThreads: number }));
      p.once('exit', (code) => code !== 0 && reject(new Error(`memory child (${readiness}) exited with ${code}`)));
    });
  const rows = [];
  for (const r of ['empty', 'none', 'shared', 'own'] as const) rows.push(await measure(r));
  const by = Object.fromEntries(rows.map((r) => [r.readiness, r.rssMb])) as Record<Readiness, number>;
  const actorsOwnMb = Math.round((by.none - by.empty) * 10) / 10;
  const cost = (r: Readiness) => Math.round((by[r] - by.none) * 10) / 10;
  const pctOf = (mb: number) => Math.round((mb / actorsOwnMb) * 1000) / 10;
  return { rows, actorsOwnMb, sharedCostMb: cost('shared'), sharedCostPct: pctOf(cost('shared')), ownCostMb: cost('own'), ownCostPct: pctOf(cost('own')) };
}

/** 1 M messages from 2 producers through stage1 -> stage2 -> stage3 -> checker, with random kills of the stages. */
async function chainUnderCrashes() {
  const system: System = await createSystem({ name: 'chain', logger, staleClaimMs: 200 });
  // A stage (and the producer actor) blocks while the next mailbox is full or its owner restarting:
  // that is waiting, not hanging, so the hang watchdog gets a generous limit here.
  const patient = { hangTimeoutMs: 60_000 };
  const stage = (name: string) => child(name, here('./actors/stage.js'), { ...patient, maxDeliveries: 20, backoff: { minMs: 1, maxMs: 20, jitter: 0.2 } });
  await system.start(
    supervisor({
      name: 'chain',
      strategy: 'one_for_one',
      intensity: 1_000_000,
      periodMs: 1000,
      children: [child('checker', here('./actors/checker.js')), stage('stage3'), stage('stage2'), stage('stage1'), child('producer', here('./actors/chain-producer.js'), patient)],
    }),
  );
  const perProducer = STREAM / 2;
  const t0 = performance.now();
  // Producer 1 is an actor, producer 0 is the host.
  const producerActor = system.ref('producer');
  for (let from = 0; from < perProducer; from += 1000) {
    while (!producerActor.send({ producer: 1, from, count: Math.min(1000, perProducer - from) })) await sleep(1);
  }
  const hostProducing = (async () => {
    const stage1 = system.ref('stage1');
    for (let seq = 0; seq < perProducer; ) {
      if (stage1.sendRecord(Seq, { producer: 0, seq })) seq++;
      else await sleep(0);
      if ((seq & 1023) === 0) await new Promise((r) => setImmediate(r));
    }
  })();
  // Kill a random running stage at random moments until CRASHES kills landed.
  let kills = 0;
  const stages = ['stage1', 'stage2', 'stage3'];
  const killing = (async () => {
    while (kills < CRASHES) {
      await sleep(20 + Math.random() * 40);
      const name = stages[Math.floor(Math.random() * 3)]!;
      if (system.kill(name, 'injected crash')) kills++;
    }
  })();
  await hostProducing;
  await killing;
  const checker = system.ref('checker');
  type Report = { received: number; producers: Array<{ producer: number; lost: number; duplicates: number; reordered: number }> };
  // Done when nothing is lost, or when the checker's count stops moving (what is missing then is lost).
  let report!: Report;
  let lastReceived = -1;
  let stillSince = performance.now();
  for (;;) {
    const answer = await checker.ask({ type: 'report?', perProducer, producers: 2 }, { timeoutMs: 30_000 }).catch((err: Error) => {
      if ((err as { code?: string }).code === 'MailboxFull') return undefined; // the stream is still draining into it
      throw err;
    });
    if (answer !== undefined) {
      report = answer as Report;
      if (report.producers.every((p) => p.lost === 0)) break;
      if (report.received !== lastReceived) {
        lastReceived = report.received;
        stillSince = performance.now();
      } else if (performance.now() - stillSince > 3000) break;
    }
    await sleep(50);
  }
  const seconds = (performance.now() - t0) / 1000;
  const stats = system.stats().actors;
  const restarts = stages.reduce((n, s) => n + stats[s]!.restarts, 0);
  const mttrMs = Math.round((stages.reduce((n, s) => n + (stats[s]!.mttrMs ?? 0), 0) / 3) * 100) / 100;
  const deadLetters = system.deadLetters().length;
  await system.shutdown();
  const lost = report.producers.reduce((n, p) => n + p.lost, 0);
  const duplicates = report.producers.reduce((n, p) => n + p.duplicates, 0);
  const reordered = report.producers.reduce((n, p) => n + p.reordered, 0);
  return { messages: STREAM, producers: 2, crashes: kills, restarts, meanTimeToRecoverMs: mttrMs, lost, duplicates, reordered, deadLetters, seconds: Math.round(seconds * 100) / 100, msgPerSec: Math.round(report.received / seconds) };
}

const progress = (what: string) => process.stderr.write(`${new Date().toISOString()} ${what}\n`);
if (process.env.BENCH_MEMORY !== undefined) {
  await memoryChild(process.env.BENCH_MEMORY as Readiness);
  process.exit(0);
}
const only = process.env.BENCH_ONLY?.split(',');
const wanted = (part: string) => only === undefined || only.includes(part);
const recoveries: Recovery[] = [];
for (const drill of ['throw', 'crash', 'exit', 'kill'] as const) {
  if (!wanted(drill)) continue;
  progress(`recovery: ${DRILLS[drill]}`);
  recoveries.push(await recovery(drill));
}
for (const how of ['exit', 'throw'] as const) {
  if (!wanted(`loop-${how}`)) continue;
  progress(`crash loop: ${how}`);
  recoveries.push(await crashLoop(how));
}
let mem: Awaited<ReturnType<typeof memory>> | undefined;
if (wanted('memory')) {
  progress('memory: 13 actors, each readiness in a process of its own');
  mem = await memory();
}
let chain: Awaited<ReturnType<typeof chainUnderCrashes>> | undefined;
if (wanted('chain')) {
  progress('chain of 3 under crashes');
  chain = await chainUnderCrashes();
}

console.log(`\nSupervision (${CRASHES} failures each; Node ${process.version}, ${os.cpus().length} cores; no backoff)\n`);
console.log('| failure: restart path | failures | recovery p50 ms | p99 ms | mean ms | max ms | restarts via |');
console.log('|---|---|---|---|---|---|---|');
for (const r of recoveries) console.log(`| ${r.kind} | ${r.crashes} | ${r.p50Ms} | ${r.p99Ms} | ${r.meanMs} | ${r.maxMs} | ${Object.entries(r.via).map(([k, n]) => `${k} ${n}`).join(', ')} |`);
if (mem !== undefined) {
  console.log(`\n| ${MEMORY_ACTORS} idle block actors | RSS MB | actor threads |`);
  console.log('|---|---|---|');
  const label = { empty: 'no actors (the host alone)', none: 'no readiness (standby: false)', shared: 'shared warm pool of 2 (the default)', own: "a loaded standby per actor (standby: 'own')" };
  for (const r of mem.rows) console.log(`| ${label[r.readiness]} | ${r.rssMb} | ${r.actorThreads} |`);
  console.log(`\nthe actors' own memory: ${mem.actorsOwnMb} MB; readiness costs ${mem.sharedCostMb} MB (${mem.sharedCostPct}%) shared, ${mem.ownCostMb} MB (${mem.ownCostPct}%) own`);
}
if (chain !== undefined) {
  console.log(`\n| chain of 3 under crashes | messages | crashes | restarts | mean recovery ms | lost | duplicates (<= crashes) | reordered | dead letters | msg/s |`);
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  console.log(`| stage1 -> stage2 -> stage3 -> checker | ${chain.messages} | ${chain.crashes} | ${chain.restarts} | ${chain.meanTimeToRecoverMs} | ${chain.lost} | ${chain.duplicates} | ${chain.reordered} | ${chain.deadLetters} | ${chain.msgPerSec} |`);
}
const out = here(only === undefined ? '../../bench/results/supervision.json' : '../../bench/results/supervision-partial.json');
writeFileSync(
  out,
  JSON.stringify(
    {
      date: new Date().toISOString(),
      node: process.version,
      cpus: os.cpus().length,
      cpu: os.cpus()[0]?.model,
      loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
      quick,
      recovery: recoveries,
      memory: mem,
      chain,
      goals: { thrownP99Ms: 1, workerDeathP99Ms: 30, readinessMemoryPct: 25 },
    },
    null,
    2,
  ),
);
console.log(`\nwrote ${out.pathname}`);
