#!/usr/bin/env node
/**
 * The `dualbus` command. `dualbus top` shows a running system's supervision tree, live:
 *
 *   dualbus top [--once] [--interval MS] [FILE | - | --connect SOCKET|HOST:PORT]
 *
 * fed from the system's JSON log (a file, followed as it grows, or stdin) or from a running system
 * that serves its stats (`system.serveStats(...)`). --once prints one snapshot and exits.
 */
import { createReadStream, statSync } from 'node:fs';
import { connect } from 'node:net';
import { createInterface } from 'node:readline';
import { TopModel, type ReportedKernels, type ReportedCaches } from './top-model.js';
import { renderTop } from './top-render.js';

interface TopArgs {
  once: boolean;
  intervalMs: number;
  file: string | undefined;
  connect: string | undefined;
}

const USAGE = 'usage: dualbus top [--once] [--interval MS] [FILE | - | --connect SOCKET|HOST:PORT]';

function parseTopArgs(argv: string[]): TopArgs {
  const args: TopArgs = { once: false, intervalMs: 1000, file: undefined, connect: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--once') args.once = true;
    else if (a === '--interval') {
      const ms = Number(argv[++i]);
      if (!(ms >= 50)) throw new Error(`--interval must be a number of milliseconds >= 50; got ${argv[i]}`);
      args.intervalMs = ms;
    } else if (a === '--connect') {
      args.connect = argv[++i];
      if (args.connect === undefined) throw new Error('--connect needs a socket path or HOST:PORT');
    } else if (a === '-' || !a.startsWith('-')) {
      if (args.file !== undefined) throw new Error(`one log source only; got ${args.file} and ${a}`);
      args.file = a;
    } else throw new Error(`unknown option ${a}\n${USAGE}`);
  }
  if (args.file !== undefined && args.connect !== undefined) throw new Error('give a log file or --connect, not both');
  return args;
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command !== 'top') throw new Error(USAGE);
  const args = parseTopArgs(rest);
  const model = new TopModel();
  const show = (now: number): void => {
    if (!args.once) process.stdout.write('\x1b[H\x1b[2J'); // refresh in place
    process.stdout.write(renderTop(model, now));
  };
  if (args.connect !== undefined) {
    const poll = async (): Promise<void> => {
      const snap = await fetchSnapshot(args.connect!);
      model.system ??= snap.system;
      model.applyStats(snap.actors, snap.time, snap.kernels, snap.caches);
      show(snap.time);
    };
    await poll();
    if (args.once) return;
    setInterval(() => void poll().catch((err: Error) => process.stderr.write(`dualbus top: ${err.message}\n`)), args.intervalMs);
    return;
  }
  const source = args.file === undefined || args.file === '-' ? 'stdin' : args.file;
  if (source === 'stdin' && process.stdin.isTTY) throw new Error(`no log to read: pipe a system's JSON log in, or name a file\n${USAGE}`);
  if (args.once) {
    await readLines(source === 'stdin' ? process.stdin : createReadStream(source), model);
    show(model.lastTime || Date.now());
    return;
  }
  setInterval(() => show(Date.now()), args.intervalMs);
  if (source === 'stdin') await readLines(process.stdin, model);
  else await follow(source, model);
}

/** Reads JSON lines into the model; lines that are not JSON (a pretty log, a stack) are skipped. */
async function readLines(input: NodeJS.ReadableStream, model: TopModel): Promise<void> {
  for await (const line of createInterface({ input, crlfDelay: Infinity })) {
    if (!line.startsWith('{')) continue;
    try {
      model.apply(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // a line cut short while being written: the next read has it whole
    }
  }
}

/** Reads a log file, then what is appended to it, for as long as top runs. */
async function follow(path: string, model: TopModel): Promise<never> {
  let offset = 0;
  for (;;) {
    const size = statSync(path).size;
    if (size < offset) offset = 0; // rotated or truncated
    if (size > offset) {
      await readLines(createReadStream(path, { start: offset, end: size - 1 }), model);
      offset = size;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

interface Snapshot {
  time: number;
  system: string;
  actors: Parameters<TopModel['applyStats']>[0];
  kernels?: ReportedKernels;
  caches?: ReportedCaches;
}

function fetchSnapshot(address: string): Promise<Snapshot> {
  return new Promise((resolve, reject) => {
    const m = /^(.*):(\d+)$/.exec(address);
    const socket = m ? connect(Number(m[2]), m[1] || '127.0.0.1') : connect(address);
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (data += chunk));
    socket.on('error', (err) => reject(new Error(`cannot read stats from ${address}: ${err.message}`)));
    socket.on('end', () => {
      try {
        resolve(JSON.parse(data) as Snapshot);
      } catch {
        reject(new Error(`${address} did not answer with a stats snapshot`));
      }
    });
  });
}

main(process.argv.slice(2)).catch((err: Error) => {
  process.stderr.write(`dualbus: ${err.message}\n`);
  process.exit(2);
});
