// `npm run fuzz`: a million inputs (or --inputs N) per decoder, each decoder's inputs in a child
// process watched for crashes and hangs; writes bench/results/fuzz.json and exits non-zero on any
// failure. Options: --inputs N, --seed S, --only ring-frame,msgpack, --out path.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Campaign, addCounts, emptyCounts, failureCount, type FuzzCounts, type FuzzFailure } from './campaign.js';
import type { SegmentReport, SegmentRequest } from './child.js';
import { TARGETS } from './targets/index.js';

/** No report for this long from a child: it is stuck on an input. */
const WATCHDOG_MS = 20_000;
const PROGRESS_EVERY = 1000;
const RESULTS = fileURLToPath(new URL('../../../bench/results/fuzz.json', import.meta.url));

const args = parseArgs(process.argv.slice(2));
const decoders = args.only ?? Object.keys(TARGETS);
for (const d of decoders) if (TARGETS[d] === undefined) throw new Error(`--only: no decoder named '${d}' (there are ${Object.keys(TARGETS).join(', ')})`);

const results: Record<string, unknown> = {};
const failures: FuzzFailure[] = [];
const totals: Record<string, FuzzCounts> = {};
for (const decoder of decoders) {
  const started = performance.now();
  const { counts, found } = await fuzzDecoder(decoder, args.seed, args.inputs);
  const elapsedMs = performance.now() - started;
  totals[decoder] = counts;
  failures.push(...found);
  results[decoder] = {
    inputs: counts.inputs,
    random: counts.random,
    mutated: counts.mutated,
    ok: counts.ok,
    frameErrors: counts.frameErrors,
    crashes: counts.crashes,
    hangs: counts.hangs,
    otherFailures: counts.otherErrors + counts.instantiated + counts.disturbed,
    otherErrors: counts.otherErrors,
    instantiated: counts.instantiated,
    disturbed: counts.disturbed,
    elapsedMs: Math.round(elapsedMs),
    inputsPerSec: Math.round(counts.inputs / (elapsedMs / 1000)),
    slowestInputMs: Math.round(counts.slowestMs * 100) / 100,
    slowestInput: counts.slowestIndex,
    topRejections: Object.fromEntries(Object.entries(counts.rejections).sort((a, b) => b[1] - a[1]).slice(0, 12)),
  };
  printRow(decoder, counts, elapsedMs);
}

const report = {
  about: 'npm run fuzz: random and mutated inputs per decoder; ok = decoded to plain data, frameErrors = rejected with a FrameError; crashes, hangs and otherFailures (another error thrown, an object constructed, a good input disturbed) must be 0. Input i is Campaign.inputAt(i) for the seed below.',
  command: `npm run fuzz -- --inputs ${args.inputs} --seed ${args.seed}`,
  seed: args.seed,
  inputsPerDecoder: args.inputs,
  node: process.version,
  cpus: `${cpus().length} x ${cpus()[0]?.model ?? 'unknown'}`,
  finishedAt: new Date().toISOString(),
  decoders: results,
  failures,
};
mkdirSync(dirname(args.out), { recursive: true });
writeFileSync(args.out, `${JSON.stringify(report, null, 2)}\n`);
const failed = Object.values(totals).reduce((n, c) => n + failureCount(c), 0);
console.log(`\n${failed === 0 ? 'no failures' : `${failed} FAILURES (inputs in ${args.out})`}; written ${args.out}`);
process.exitCode = failed === 0 ? 0 : 1;

/**
 * One decoder's inputs, in children: one child for the whole range while all goes well; when a
 * child dies or stops reporting, a child reporting every input finds the input that did it, which
 * is recorded (its bytes made again here) and skipped, and a new child goes on after it.
 */
async function fuzzDecoder(decoder: string, seed: number, inputs: number): Promise<{ counts: FuzzCounts; found: FuzzFailure[] }> {
  const counts = emptyCounts();
  const found: FuzzFailure[] = [];
  let campaign: Campaign | undefined; // made here only to show a crashing input
  let from = 0;
  let locating = false;
  let suspect: SegmentOutcome | undefined;
  while (from < inputs) {
    const to = locating ? Math.min(inputs, from + PROGRESS_EVERY) : inputs;
    const seg = await runSegment({ decoder, seed, from, to, progressEvery: locating ? 1 : PROGRESS_EVERY });
    addCounts(counts, seg.counts);
    found.push(...seg.failures);
    if (seg.ended === 'finished') {
      if (locating && suspect !== undefined) {
        // The child died in this window, but no input of it does it again: still a failure, reported as such.
        counts[suspect.ended === 'hung' ? 'hangs' : 'crashes']++;
        found.push({ decoder, index: from, kind: suspect.ended === 'hung' ? 'hang' : 'crash', detail: `${suspect.why} within inputs [${from}, ${to}), not reproduced input by input`, inputHex: '' });
      }
      from = to;
      locating = false;
      continue;
    }
    if (!locating) {
      // Somewhere in [seg.done, seg.done + PROGRESS_EVERY): look again, one input at a time.
      from = seg.done;
      locating = true;
      suspect = seg;
      continue;
    }
    const index = seg.done; // every input before it was reported done
    campaign ??= new Campaign(TARGETS[decoder]!, seed);
    const input = campaign.inputAt(index);
    counts.inputs++;
    counts[input.mutated ? 'mutated' : 'random']++;
    counts[seg.ended === 'hung' ? 'hangs' : 'crashes']++;
    found.push({ decoder, index, kind: seg.ended === 'hung' ? 'hang' : 'crash', detail: seg.why, inputHex: Buffer.from(input.bytes).toString('hex') });
    console.log(`${decoder}: input ${index} ${seg.ended}: ${seg.why}`);
    from = index + 1;
    locating = false;
  }
  return { counts, found };
}

interface SegmentOutcome {
  ended: 'finished' | 'crashed' | 'hung';
  why: string;
  /** Inputs before this one are done and counted. */
  done: number;
  counts: FuzzCounts;
  failures: FuzzFailure[];
}

function runSegment(request: SegmentRequest): Promise<SegmentOutcome> {
  return new Promise((resolve) => {
    const child: ChildProcess = fork(fileURLToPath(new URL('./child.js', import.meta.url)), { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const outcome: SegmentOutcome = { ended: 'crashed', why: '', done: request.from, counts: emptyCounts(), failures: [] };
    let lastHeard = performance.now();
    let ready = false;
    const watchdog = setInterval(() => {
      // The pool of seeds is made before the first input: the clock starts once the child is ready.
      if (!ready || performance.now() - lastHeard < WATCHDOG_MS) return;
      outcome.ended = 'hung';
      outcome.why = `no progress for ${WATCHDOG_MS / 1000} s`;
      child.kill('SIGKILL');
    }, 1000);
    child.on('message', (r: SegmentReport) => {
      lastHeard = performance.now();
      if (r.type === 'ready') {
        ready = true;
        return;
      }
      outcome.done = r.done;
      outcome.counts = r.counts;
      outcome.failures.push(...r.failures);
      if (r.type === 'finished') outcome.ended = 'finished';
    });
    child.once('exit', (code, signal) => {
      clearInterval(watchdog);
      if (outcome.ended === 'crashed') outcome.why = `the process exited (code ${code}, signal ${signal})`;
      resolve(outcome);
    });
    child.send(request);
  });
}

function printRow(decoder: string, c: FuzzCounts, ms: number): void {
  console.log(
    `${decoder.padEnd(11)} ${String(c.inputs).padStart(8)} inputs (${c.random} random, ${c.mutated} mutated): ${c.ok} ok, ${c.frameErrors} FrameError, ` +
      `${c.crashes} crashes, ${c.hangs} hangs, ${c.otherErrors + c.instantiated + c.disturbed} other failures; ${(ms / 1000).toFixed(1)} s, ${Math.round(c.inputs / (ms / 1000))} inputs/s, slowest input ${c.slowestMs.toFixed(1)} ms`,
  );
}

function parseArgs(argv: string[]): { inputs: number; seed: number; only: string[] | undefined; out: string } {
  const out = { inputs: 1_000_000, seed: 1, only: undefined as string[] | undefined, out: RESULTS };
  for (let i = 0; i < argv.length; i++) {
    const [name, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`${name} needs a value`);
    if (name === '--inputs' || name === '--seed') {
      const n = Number(value);
      if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name} must be a whole number >= 0; got ${value}`);
      out[name === '--inputs' ? 'inputs' : 'seed'] = n;
    } else if (name === '--only') out.only = value.split(',');
    else if (name === '--out') out.out = value;
    else throw new Error(`unknown option ${name} (options: --inputs N, --seed S, --only a,b, --out path)`);
    i++;
  }
  return out;
}
