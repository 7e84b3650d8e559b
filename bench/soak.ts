// `npm run soak -- --minutes N`: two hosts on two real Redis servers under the demo's traffic shape
// (an engine-logic stream across hosts, in-host sends, market data across hosts) while random
// faults hit them: actor kills, throwing receives, hangs, each Redis SIGKILLed and restarted, the
// receiving host SIGKILLed and restarted. Memory, handles and file descriptors are sampled. At the
// end: every engine-logic and in-host message handled (none lost; duplicates counted), every fault
// recovered (with its recovery time), and no growth beyond the stated bounds. Writes
// bench/results/soak.json; exits non-zero when any of that fails.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RedisServer } from '../tools/redis-server.js';
import { FAULT_KINDS, injectFault, type FaultKind, type SoakWorld } from './soak/faults.js';
import { countJournal, journalLength } from './soak/journals.js';
import { SoakHost } from './soak/soak-process.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : Number(process.argv[i + 1]);
};
const minutes = arg('minutes', 2);
const perSecond = arg('rate', 2000);
const WARMUP_MS = 20_000;
const CALM_MS = 15_000;
const RECOVERY_TIMEOUT_MS = 60_000;
const SAMPLE_EVERY_MS = 5_000;
/** Growth allowed on the host that runs throughout (baseline: the first minute after warm-up; end: the last minute). */
const BOUNDS = { rssMiB: 64, handles: 8, fds: 8 };

const t0 = performance.now();
const elapsedS = () => (performance.now() - t0) / 1000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const dir = mkdtempSync(join(tmpdir(), 'dualbus-soak-'));
const env = { SOAK_DIR: dir };
const servers = { md: await RedisServer.start(), el: await RedisServer.start({ durable: true }) };
/** A host that exits on its own (not killed by a fault) is a failure the soak reports. */
const unexpectedExits: string[] = [];
const startHost = async (name: string, actors: string[]) => {
  const host = await SoakHost.start(name, servers.md.url, servers.el.url, actors, env);
  void host.exited.then((code) => {
    if (!killing.has(host)) unexpectedExits.push(`${name} exited with code ${code} at ${elapsedS().toFixed(0)} s`);
  });
  return host;
};
const killing = new Set<SoakHost>();
const hostA = await startHost('host-a', ['feeder', 'sink']);
let hostB = await startHost('host-b', ['ledger', 'quotes']);

const world: SoakWorld = {
  dir,
  hostOf: (actor) => (actor === 'sink' ? hostA : hostB),
  killRedis: (bus) => servers[bus].kill(),
  restartRedis: (bus) => servers[bus].launch(),
  killHostB: () => {
    killing.add(hostB);
    return hostB.kill();
  },
  restartHostB: async () => {
    hostB = await startHost('host-b', ['ledger', 'quotes']);
  },
  sent: () => hostA.call({ cmd: 'ask', to: 'feeder', msg: { type: 'sent?' } }),
};

interface Sample {
  atS: number;
  host: string;
  rss: number;
  heapUsed: number;
  handles: number;
  fds: number;
}
const samples: Sample[] = [];
let sampling = true;
const sampler = (async () => {
  while (sampling) {
    for (const h of [hostA, hostB]) {
      const s = await h.call<Omit<Sample, 'atS' | 'host'>>({ cmd: 'sample?' }, 5000).catch(() => undefined);
      if (s !== undefined) samples.push({ atS: elapsedS(), host: h.name, ...s });
    }
    await sleep(SAMPLE_EVERY_MS);
  }
})();

for (let tries = 0; !(await hostA.call<boolean>({ cmd: 'knows?', name: 'ledger' })); tries++) {
  if (tries > 200) throw new Error('host-a never saw ledger on host-b');
  await sleep(50);
}
await sleep(500); // host-b's quotes subscription reaches host-a with the next heartbeats
await hostA.call({ cmd: 'send', to: 'feeder', msg: { type: 'run', perSecond } });
console.log(`soak: ${minutes} min, ${perSecond} msg/s on each flow (engine logic A->B, in-host A, market data A->B), faults every 5-12 s after ${WARMUP_MS / 1000} s`);

// ---- faults
const faults: Array<{ kind: FaultKind; target: string; atS: number; recoveryMs: number | undefined }> = [];
await sleep(WARMUP_MS);
const endFaultsAt = t0 + minutes * 60_000 - CALM_MS;
while (performance.now() < endFaultsAt) {
  const kind = FAULT_KINDS[Math.floor(Math.random() * FAULT_KINDS.length)]!;
  const target = kind.startsWith('actor') ? (Math.random() < 0.5 ? 'ledger' : 'sink') : kind === 'host-kill' ? 'host-b' : 'bus';
  const atS = elapsedS();
  const recoveryMs = await injectFault(world, kind, target === 'sink' ? 'sink' : 'ledger', RECOVERY_TIMEOUT_MS);
  faults.push({ kind, target, atS, recoveryMs });
  console.log(`${atS.toFixed(0).padStart(5)} s  ${kind.padEnd(14)} ${target.padEnd(7)} ${recoveryMs === undefined ? 'NOT RECOVERED' : `recovered in ${recoveryMs.toFixed(0)} ms`}`);
  await sleep(5000 + Math.random() * 7000);
}
const left = t0 + minutes * 60_000 - performance.now();
if (left > 0) await sleep(left);

// ---- drain and count
await hostA.call({ cmd: 'send', to: 'feeder', msg: { type: 'halt' } });
await sleep(200);
const sent = await hostA.call<{ ledger: number; sink: number; quotes: number }>({ cmd: 'ask', to: 'feeder', msg: { type: 'sent?' } });
const drainEnd = performance.now() + 120_000;
let ledger = countJournal(dir, 'ledger.bin', sent.ledger);
let sink = countJournal(dir, 'sink.bin', sent.sink);
while ((ledger.lost > 0 || sink.lost > 0) && performance.now() < drainEnd) {
  await sleep(500);
  ledger = countJournal(dir, 'ledger.bin', sent.ledger);
  sink = countJournal(dir, 'sink.bin', sent.sink);
}
const quotesReceived = journalLength(dir, 'quotes.bin', 1);
sampling = false;
await sampler;
const statsA = await hostA.call<any>({ cmd: 'stats?' });
for (const h of [hostA, hostB]) killing.add(h);
await Promise.all([hostA.shutdown(), hostB.shutdown()]);
await servers.md.stop();
await servers.el.stop();
rmSync(dir, { recursive: true, force: true });

// ---- report
const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mean = (xs: number[]) => (xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length);
const window = (host: string, fromS: number, toS: number) => samples.filter((s) => s.host === host && s.atS >= fromS && s.atS < toS);
const runS = minutes * 60;
const base = window('host-a', WARMUP_MS / 1000, WARMUP_MS / 1000 + 60);
const last = window('host-a', runS - 60, runS + 1);
const growth = {
  rssMiB: (mean(last.map((s) => s.rss)) - mean(base.map((s) => s.rss))) / 2 ** 20,
  heapMiB: (mean(last.map((s) => s.heapUsed)) - mean(base.map((s) => s.heapUsed))) / 2 ** 20,
  handles: Math.max(...last.map((s) => s.handles)) - Math.max(...base.map((s) => s.handles)),
  fds: Math.max(...last.map((s) => s.fds)) - Math.max(...base.map((s) => s.fds)),
};
const byKind = Object.fromEntries(
  FAULT_KINDS.map((k) => {
    const list = faults.filter((f) => f.kind === k);
    const times = list.map((f) => f.recoveryMs).filter((t): t is number => t !== undefined);
    return [k, { count: list.length, recovered: times.length, p50Ms: times.length ? Math.round(median(times)) : null, maxMs: times.length ? Math.round(Math.max(...times)) : null }];
  }),
);
const unrecovered = faults.filter((f) => f.recoveryMs === undefined).length;
const bounded = growth.rssMiB <= BOUNDS.rssMiB && growth.handles <= BOUNDS.handles && growth.fds <= BOUNDS.fds;
const ok = ledger.lost === 0 && sink.lost === 0 && unrecovered === 0 && bounded && unexpectedExits.length === 0;

console.log(`\nmessages (sent / handled once or more / lost / duplicates)`);
console.log(`  engine logic A->B  ${sent.ledger} / ${ledger.unique} / ${ledger.lost} / ${ledger.duplicates}`);
console.log(`  in-host A          ${sent.sink} / ${sink.unique} / ${sink.lost} / ${sink.duplicates}`);
console.log(`  market data A->B   ${sent.quotes} published, ${quotesReceived} received (${(100 * (1 - quotesReceived / sent.quotes)).toFixed(2)}% lost; host-a counted ${statsA.bus.mdDropped} dropped)`);
console.log(`\nfaults (count / recovered / recovery p50 / max ms)`);
for (const [k, v] of Object.entries(byKind)) console.log(`  ${k.padEnd(14)} ${v.count} / ${v.recovered} / ${v.p50Ms ?? '-'} / ${v.maxMs ?? '-'}`);
console.log(`\nhost-a growth, first minute after warm-up -> last minute: rss ${growth.rssMiB.toFixed(1)} MiB (bound ${BOUNDS.rssMiB}), heap ${growth.heapMiB.toFixed(1)} MiB, handles ${growth.handles} (bound ${BOUNDS.handles}), fds ${growth.fds} (bound ${BOUNDS.fds})`);
for (const e of unexpectedExits) console.log(`unexpected: ${e}`);
console.log(ok ? '\nsoak: PASS' : '\nsoak: FAIL');

writeFileSync(
  new URL('../../bench/results/soak.json', import.meta.url),
  JSON.stringify({ minutes, perSecond, unexpectedExits, sent, ledger, sink, quotesReceived, mdDroppedCountedByHostA: statsA.bus.mdDropped, faults, byKind, growth, bounds: BOUNDS, samples, pass: ok }, null, 1) + '\n',
);
process.exit(ok ? 0 : 1);
