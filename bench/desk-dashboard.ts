// Does watching the desk slow it? The desk runs at a fixed tick rate for a phase without a browser
// and a phase with Debian's chromium showing the dashboard (alternating, three phases each, so a
// drift of the machine does not pass for the dashboard's cost). Per phase: what the engines
// handled per second, their responsiveness (the round trip of a ping the host asks each engine
// every 50 ms, p50 and p99 over the phase: the engines' own latency percentiles count from the
// start, so they cannot tell the phases apart), the
// desk process's CPU time per handled message (all its threads: engines, host, gateway), and,
// with the browser, how often the page redrew (snapshots per second it received).
// Writes bench/results/desk-dashboard.json.
//   node dist/bench/desk-dashboard.js [--seconds-per-phase N] [--rate TICKS_PER_S]
import { writeFileSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { startDesk } from '../examples/desk/desk.js';

const argv = process.argv.slice(2);
const opt = (name: string, fallback: number) => (argv.includes(name) ? Number(argv[argv.indexOf(name) + 1]) : fallback);
const PHASE_S = opt('--seconds-per-phase', 10);
const RATE = opt('--rate', 10_000);

interface Phase {
  browser: boolean;
  handledPerSec: number;
  p50Us: number;
  p99Us: number;
  cpuUsPerMessage: number;
  pageUpdatesPerSec: number | undefined;
}

const desk = await startDesk({ port: 0, logFormat: 'json' });
const { system, gateway } = desk;
const engines = desk.engines;
system.ref('market-data').send({ type: 'run', ticksPerSecond: RATE, seed: 7, burst: false }); // a steady load: bursts would land in one phase or the other
await sleep(3000); // warm-up: calibration, JIT, caches filling
const phases: Phase[] = [];
let browser: Browser | undefined;
try {
  // The gateway's first page and snapshots warm its code too: one visit before anything is measured.
  await phase(true, 3);
  for (const withBrowser of [false, true, false, true, false, true]) phases.push(await phase(withBrowser));
} finally {
  await browser?.close();
  system.ref('market-data').send({ type: 'halt' });
  await desk.stop();
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const summary = (b: boolean) => {
  const ps = phases.filter((p) => p.browser === b);
  return {
    handledPerSec: Math.round(mean(ps.map((p) => p.handledPerSec))),
    p50Us: +mean(ps.map((p) => p.p50Us)).toFixed(1),
    p99Us: +mean(ps.map((p) => p.p99Us)).toFixed(1),
    cpuUsPerMessage: +mean(ps.map((p) => p.cpuUsPerMessage)).toFixed(2),
    pageUpdatesPerSec: b ? +mean(ps.map((p) => p.pageUpdatesPerSec!)).toFixed(2) : undefined,
  };
};
const without = summary(false);
const withB = summary(true);
const pct = (a: number, b: number) => `${(((b - a) / a) * 100).toFixed(1)}%`;
console.log(`desk at ${RATE.toLocaleString()} ticks/s, ${PHASE_S} s phases, alternating\n`);
console.log('| | handled/s | ping p50 µs | ping p99 µs | CPU µs per message | page updates/s |');
console.log('|---|---:|---:|---:|---:|---:|');
console.log(`| no browser | ${without.handledPerSec.toLocaleString()} | ${without.p50Us} | ${without.p99Us} | ${without.cpuUsPerMessage} | - |`);
console.log(`| dashboard open in chromium | ${withB.handledPerSec.toLocaleString()} | ${withB.p50Us} | ${withB.p99Us} | ${withB.cpuUsPerMessage} | ${withB.pageUpdatesPerSec} |`);
console.log(`| change | ${pct(without.handledPerSec, withB.handledPerSec)} | ${pct(without.p50Us, withB.p50Us)} | ${pct(without.p99Us, withB.p99Us)} | ${pct(without.cpuUsPerMessage, withB.cpuUsPerMessage)} | |`);
writeFileSync(new URL('../../bench/results/desk-dashboard.json', import.meta.url), JSON.stringify({ at: new Date().toISOString(), rate: RATE, phaseSeconds: PHASE_S, phases, without, with: withB }, null, 2));

async function phase(withBrowser: boolean, seconds = PHASE_S): Promise<Phase> {
  let countUpdates = async () => 0;
  if (withBrowser) {
    browser ??= await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox', '--headless=new'] });
    const page = await browser.newPage();
    await page.goto(`${gateway!.url}/`);
    await page.waitForFunction(() => ((globalThis as unknown as { __dashboard?: { snapshots: number } }).__dashboard?.snapshots ?? 0) > 0);
    countUpdates = () => page.evaluate(() => (globalThis as unknown as { __dashboard: { snapshots: number } }).__dashboard.snapshots);
    const first = await countUpdates();
    const p = await measure(async () => (await countUpdates()) - first, seconds);
    await page.close();
    return { ...p, browser: true };
  }
  return { ...(await measure(countUpdates, seconds)), browser: false, pageUpdatesPerSec: undefined };
}

async function measure(updates: () => Promise<number>, phaseSeconds: number): Promise<Omit<Phase, 'browser'>> {
  const before = system.stats();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const rtts = await pingEvery(50, phaseSeconds * 1000);
  const cpu = process.cpuUsage(cpu0);
  const seconds = (performance.now() - t0) / 1000;
  const after = system.stats();
  const handled = engines.reduce((n, e) => n + after.actors[e]!.received - before.actors[e]!.received, 0);
  return {
    handledPerSec: handled / seconds,
    p50Us: quantile(rtts, 0.5),
    p99Us: quantile(rtts, 0.99),
    cpuUsPerMessage: (cpu.user + cpu.system) / handled,
    pageUpdatesPerSec: (await updates()) / seconds,
  };
}

/** Round trips in µs of pings asked to every engine every `everyMs`, for `forMs`. */
async function pingEvery(everyMs: number, forMs: number): Promise<number[]> {
  const rtts: number[] = [];
  const pending: Array<Promise<void>> = [];
  const end = performance.now() + forMs;
  while (performance.now() < end) {
    for (const e of engines) {
      const t = performance.now();
      pending.push(system.ref(e).ask({ type: 'ping' }, { timeoutMs: 5000 }).then(() => void rtts.push((performance.now() - t) * 1000)));
    }
    await sleep(everyMs);
  }
  await Promise.all(pending);
  return rtts;
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
