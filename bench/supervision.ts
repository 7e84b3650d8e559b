// Supervision benchmarks: recovery time over 100 crashes (two kinds), and a 1 M-message stream
// through a chain of 3 actors with 100 random crashes injected (loss, duplicates, order).
// Prints a table and writes bench/results/supervision.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { pino } from 'pino';
import { child, createSystem, supervisor, type System } from 'dualbus';
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

async function waitFor(probe: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const until = performance.now() + timeoutMs;
  while (!probe()) {
    if (performance.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(1);
  }
}

/** Crash -> the restarted actor handles its next message, `CRASHES` times. */
async function recovery(kind: 'uncaught exception' | 'terminated (system.kill)'): Promise<{ kind: string; crashes: number; p50Ms: number; p99Ms: number; maxMs: number }> {
  const system = await createSystem({ name: 'recovery', logger });
  await system.start(supervisor({ intensity: 1_000_000, periodMs: 1000, children: [child('r', here('./actors/recoverer.js'), { backoff: { minMs: 0, maxMs: 0, jitter: 0 } })] }));
  let crashAt = 0;
  const off = system.subscribe('drill.crash', (m: { at: number }) => (crashAt = m.at));
  await off.ready;
  const r = system.ref<typeof import('./actors/recoverer.js').default>('r');
  const samples: number[] = [];
  for (let i = 0; i < CRASHES; i++) {
    // The standby worker for the next restart must have loaded: that is what makes a restart fast.
    await waitFor(() => system.stats().actors.r!.standby === 'ready', 10_000, 'the standby worker');
    const restarts = system.stats().actors.r!.restarts;
    let t0: number;
    if (kind === 'uncaught exception') {
      crashAt = 0;
      r.send({ type: 'crash' });
      await waitFor(() => crashAt !== 0, 5000, 'the crash');
      t0 = crashAt;
    } else {
      t0 = now();
      system.kill('r');
    }
    const { handledAt } = await r.ask({ type: 'ping' }, { timeoutMs: 10_000 });
    samples.push(handledAt - t0);
    await waitFor(() => system.stats().actors.r!.restarts === restarts + 1, 5000, 'the restart count');
  }
  off();
  await system.shutdown();
  const p = pct(samples);
  const ms = (us: number) => Math.round(us / 10) / 100;
  return { kind, crashes: samples.length, p50Ms: ms(p.p50), p99Ms: ms(p.p99), maxMs: Math.round(Math.max(...samples) * 100) / 100 };
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
progress('recovery: uncaught exceptions');
const recoveries = [await recovery('uncaught exception')];
progress('recovery: terminated workers');
recoveries.push(await recovery('terminated (system.kill)'));
progress('chain of 3 under crashes');
const chain = await chainUnderCrashes();

console.log(`\nSupervision (${CRASHES} crashes each; Node ${process.version}, ${os.cpus().length} cores)\n`);
console.log('| crash kind | crashes | recovery p50 ms | p99 ms | max ms |');
console.log('|---|---|---|---|---|');
for (const r of recoveries) console.log(`| ${r.kind} | ${r.crashes} | ${r.p50Ms} | ${r.p99Ms} | ${r.maxMs} |`);
console.log(`\n| chain of 3 under crashes | messages | crashes | restarts | mean recovery ms | lost | duplicates (<= crashes) | reordered | dead letters | msg/s |`);
console.log('|---|---|---|---|---|---|---|---|---|---|');
console.log(`| stage1 -> stage2 -> stage3 -> checker | ${chain.messages} | ${chain.crashes} | ${chain.restarts} | ${chain.meanTimeToRecoverMs} | ${chain.lost} | ${chain.duplicates} | ${chain.reordered} | ${chain.deadLetters} | ${chain.msgPerSec} |`);
const out = here('../../bench/results/supervision.json');
writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, cpu: os.cpus()[0]?.model, quick, recovery: recoveries, chain, goals: { recoveryP99Ms: 50 } }, null, 2));
console.log(`\nwrote ${out.pathname}`);
