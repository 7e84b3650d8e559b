// Before and after issue 8, side by side: the figures the benchmarks just wrote in bench/results/
// next to those of the build before it (bench/results/before-issue-8/: its own benchmarks, and the
// new harness where it runs on that build). Prints a table and writes bench/results/before-after.json.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const here = (p: string) => new URL(p, import.meta.url);
const results = (name: string, before = false): any => {
  const file = here(`../../bench/results/${before ? 'before-issue-8/' : ''}${name}.json`);
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined;
};
const WAITS = ['dualbus spin', 'dualbus block', 'dualbus async'];
/** The best of the three wait strategies (highest rate, or lowest latency). */
const bestRate = (r: any, metric: string) => Math.max(...WAITS.map((w) => r?.results?.[w]?.[metric] ?? 0)) || undefined;
const latency = (r: any, wait: string, metric: string) => r?.results?.[`dualbus ${wait}`]?.[metric];
const rate = (v: number | undefined) => (v === undefined ? 'n/a' : `${(v / 1e6).toFixed(2)} M/s`);
const us = (p: any) => (p === undefined ? 'n/a' : `${p.p50} / ${p.p99} / ${p.p999}`);

const rows: Array<[string, string, string, string]> = [];
const row = (what: string, before: string, after: string, goal = ''): void => void rows.push([what, before, after, goal]);

// ---- in-host
const inOld = results('inhost', true);
const inSame = results('inhost-same-harness', true);
const inNew = results('inhost');
for (const [metric, label, goal] of [
  ['recordsPerSec1', 'records, 1 producer', ''],
  ['recordsPerSec1Batched', 'records, 1 producer, batched', '10 M/s'],
  ['recordsPerSec3', 'records, 3 producers', ''],
  ['recordsPerSec3Batched', 'records, 3 producers, batched', '5 M/s'],
  ['objectsPerSec1', 'objects, 1 producer', '2 M/s'],
  ['objectsPerSec1Batched', 'objects, 1 producer, batched', ''],
  ['objectsPerSec3', 'objects, 3 producers', ''],
] as const) {
  const old = bestRate(inOld, metric);
  const same = bestRate(inSame, metric);
  row(`in-host ${label} (best wait strategy)`, `${rate(old)} (old bench), ${rate(same)} (this bench)`, rate(bestRate(inNew, metric)), goal);
}
row('raw SPSC ring of the same records (ceiling, same run)', `${rate(inSame?.results?.['raw SPSC ring']?.recordsPerSec1)}`, rate(inNew?.results?.['raw SPSC ring']?.recordsPerSec1));
row('one-way actor->actor µs p50/p99/p99.9 (spin)', us(latency(inOld, 'spin', 'oneWayActorUs')), us(latency(inNew, 'spin', 'oneWayActorUs')));
row('one-way host->actor µs p50/p99/p99.9 (block)', us(latency(inOld, 'block', 'oneWayHostUs')), us(latency(inNew, 'block', 'oneWayHostUs')));
row('ask round trip µs p50/p99/p99.9 (spin)', us(latency(inOld, 'spin', 'askRoundTripUs')), us(latency(inNew, 'spin', 'askRoundTripUs')));
row('13 idle actors, % of a core (block / async)', `${inOld?.results?.['dualbus block']?.idleCpuPctOfCore13}% / ${inOld?.results?.['dualbus async']?.idleCpuPctOfCore13}%`, `${inNew?.results?.['dualbus block']?.idleCpuPctOfCore13}% / ${inNew?.results?.['dualbus async']?.idleCpuPctOfCore13}%`);

// ---- across hosts
const xOld = results('cross-host', true);
const xNew = results('cross-host');
for (const [key, label, goal] of [
  ['dualbusSendsObjects', 'two systems, actor -> actor sends (engine logic), objects', '0.2 M/s, CPU <= 1/5 raw'],
  ['dualbusPublishesObjects', 'two systems, publishes -> subscribed actor (market data), objects', '0.5 M/s, CPU <= 1/5 raw'],
  ['dualbusSendsRecords', 'two systems, sends, records', ''],
  ['dualbusPublishesRecords', 'two systems, publishes, records', ''],
] as const) {
  const raw = key.includes('Sends') ? 'rawStreams' : 'rawPubsub';
  const fig = (x: any) => {
    const d = x?.results?.[key];
    const r = x?.results?.[raw];
    return d === undefined ? 'n/a' : `${rate(d.perSec)}, ${d.cpuNsPerMsg} ns CPU/msg (${(d.cpuNsPerMsg / r.cpuNsPerMsg).toFixed(3)} of raw ioredis)`;
  };
  row(label, fig(xOld), fig(xNew), goal);
}

// ---- tails
const tOld = results('tails', true);
const tNew = results('tails');
for (const key of Object.keys(tNew?.results ?? {})) {
  const f = (t: any) => {
    const r = t?.results?.[key];
    return r === undefined ? 'n/a' : `${r.p50} / ${r.p99} / ${r.p999} µs, GC ${r.actorGc.count}`;
  };
  row(`host -> actor p50/p99/p99.9, actor GCs: ${key}`, f(tOld), f(tNew));
}

// ---- supervision
const sOld = results('supervision', true);
const sNew = results('supervision');
const rec = (s: any, i: number) => (s?.recovery?.[i] === undefined ? 'n/a' : `${s.recovery[i].p50Ms} / ${s.recovery[i].p99Ms} ms`);
row('recovery p50 / p99, uncaught exception', rec(sOld, 0), rec(sNew, 0));
row('recovery p50 / p99, system.kill', rec(sOld, 1), rec(sNew, 1));
row('chain of 3 under 100 crashes: msg/s, lost', sOld?.chain ? `${sOld.chain.msgPerSec} msg/s, ${sOld.chain.lost} lost` : 'n/a', sNew?.chain ? `${sNew.chain.msgPerSec} msg/s, ${sNew.chain.lost} lost` : 'n/a');

console.log('\nBefore and after issue 8 (this machine; before: the build before it)\n');
console.log('| figure | before | after | goal |');
console.log('|---|---|---|---|');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
writeFileSync(here('../../bench/results/before-after.json'), JSON.stringify({ date: new Date().toISOString(), rows: rows.map(([figure, before, after, goal]) => ({ figure, before, after, goal })) }, null, 2));
