import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { child, sharedArray, supervisor, type System } from 'dualbus';
import { TopModel } from '../src/cli/top-model.js';
import { renderTop } from '../src/cli/top-render.js';
import { eventually, fixture, testSystem } from './helpers.js';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../dist/src/cli/dualbus.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'dualbus-top-'));

let system: System | undefined;
afterEach(async () => {
  await system?.shutdown();
  system = undefined;
});

describe('dualbus top', () => {
  it('renders the tree of a known log: states, restarts, uptime, availability', () => {
    const t0 = 1_700_000_000_000;
    const lines = [
      { time: t0, system: 'desk', actor: 'md', path: 'root/md', event: 'started', restarts: 0 },
      { time: t0, system: 'desk', actor: 'risk', path: 'root/engines/risk', event: 'started', restarts: 0 },
      { time: t0 + 6000, system: 'desk', actor: 'risk', path: 'root/engines/risk', event: 'failed', reason: { message: 'boom' }, restarts: 0 },
      { time: t0 + 6000, system: 'desk', actor: 'risk', path: 'root/engines/risk', event: 'restarting', delayMs: 1, restarts: 0 },
      { time: t0 + 8000, system: 'desk', actor: 'risk', path: 'root/engines/risk', event: 'restarted', restarts: 1, downtimeMs: 2000 },
      { time: t0 + 8500, system: 'desk', actor: 'risk', path: 'root/engines/risk', event: 'dead-letter', deliveries: 3 },
      { level: 30, msg: 'not a dualbus line' },
    ];
    const model = new TopModel();
    for (const l of lines) model.apply(l);
    expect(renderTop(model, t0 + 10_000)).toBe(
      [
        'dualbus top — system desk — 2 actors — 2023-11-14T22:13:30.000Z',
        '',
        'ACTOR       STATE        RESTARTS  UPTIME    AVAIL  DEPTH  MSG/S  P99  DEAD',
        'root/       supervising',
        '  engines/  supervising',
        '    risk    running             1      2s   80.00%      -      -    -     1',
        '  md        running             0     10s  100.00%      -      -    -     0',
        '',
      ].join('\n'),
    );
  });

  it('--once reads a running system\'s JSON log file, stdin, or the system itself (--connect)', async () => {
    const logFile = join(dir, 'system.log');
    const t = await testSystem({ name: 'live', statsLogIntervalMs: 100 });
    system = t.system;
    await system.start(supervisor({ name: 'root', children: [child('a', fixture('flaky'), { backoff: { minMs: 1, maxMs: 5, jitter: 0 } }), child('b', fixture('flaky'))] }));
    for (let n = 0; n < 10; n++) system.ref('b').send({ type: 'record', n });
    system.ref('a').send({ type: 'fail', how: 'uncaught', n: 0 });
    await eventually(() => system!.stats().actors.a!.restarts, (r) => r === 1);
    // b may still be working through its ten on a busy machine: wait for a stats line written after it has.
    await eventually(() => system!.stats().actors.b!, (b) => b.received === 10 && b.mailboxDepth === 0);
    const statsSoFar = t.logs.filter((l) => l.event === 'stats').length;
    await eventually(() => t.logs.filter((l) => l.event === 'stats').length, (n) => n >= Math.max(2, statsSoFar + 1));
    const logText = t.logs.map((l) => JSON.stringify(l)).join('\n') + '\n';
    writeFileSync(logFile, logText);

    const fromFile = (await run(process.execPath, [CLI, 'top', '--once', logFile])).stdout;
    expect(fromFile).toMatch(/^dualbus top — system live — 2 actors/);
    expect(fromFile).toMatch(/^root\/\s+supervising$/m);
    expect(fromFile).toMatch(/^ {2}a\s+running\s+1\s+\S+\s+\d+\.\d\d%\s+0\s+\d+\s+\S+\s+0$/m);
    expect(fromFile).toMatch(/^ {2}b\s+running\s+0\s+\S+\s+100\.00%\s+0\s+\d+\s+\S+\s+0$/m);

    const child_ = execFile(process.execPath, [CLI, 'top', '--once', '-']);
    child_.stdin!.end(logText);
    const fromStdin = await new Promise<string>((resolve) => {
      let out = '';
      child_.stdout!.on('data', (d: string) => (out += d));
      child_.on('exit', () => resolve(out));
    });
    expect(fromStdin.split('\n').slice(2)).toEqual(fromFile.split('\n').slice(2));

    const socket = join(dir, 'stats.sock');
    await system.serveStats(socket);
    const live = (await run(process.execPath, [CLI, 'top', '--once', '--connect', socket])).stdout;
    expect(live).toMatch(/^ {2}a\s+running\s+1\s/m);
    expect(live).toMatch(/^ {2}b\s+running\s+0\s+\S+\s+100\.00%\s+0\s/m);
  });

  it('shows the kernel pool: calls, errors, queue and run percentiles, bytes copied per kernel and backend (--connect)', async () => {
    const t = await testSystem({ name: 'quant', kernels: { calibrationFile: false } });
    system = t.system;
    const a = sharedArray(Float64Array, 4).fill(1);
    await system.kernels.run('matmul', { a, b: a, m: 2, k: 2, n: 2 }, { backend: 'js' });
    await system.kernels.run('matmul', { a, b: a, m: 2, k: 2, n: 3 }, { backend: 'js' }).catch(() => {});
    const socket = join(dir, 'kernels.sock');
    await system.serveStats(socket);
    const out = (await run(process.execPath, [CLI, 'top', '--once', '--connect', socket])).stdout;
    const header = out.split('\n').find((l) => l.startsWith('KERNEL'));
    expect(header?.split(/\s+/)).toEqual(['KERNEL', 'BACKEND', 'CALLS', 'ERRORS', 'QUEUE', 'P99', 'RUN', 'P50', 'RUN', 'P99', 'COPIED']);
    const row = out.split('\n').find((l) => l.startsWith('matmul'))!.split(/\s+/);
    expect(row.slice(0, 4)).toEqual(['matmul', 'js', '2', '1']);
    expect(row[7]).toBe('0B');
  });

  it('shows the caches: hit rate, hits, misses, entries, bytes, evictions (--connect)', async () => {
    const t = await testSystem({ name: 'desk', caches: { risk: { maxBytes: 4096, maxEntries: 2 } } });
    system = t.system;
    const risk = system.cache('risk');
    risk.set('var:ES', 1.5);
    risk.set('var:NQ', 2.5);
    risk.set('var:CL', 3.5); // a third entry in a cache of two: one evicted
    risk.get('var:CL');
    risk.get('var:GC');
    const socket = join(dir, 'caches.sock');
    await system.serveStats(socket);
    const out = (await run(process.execPath, [CLI, 'top', '--once', '--connect', socket])).stdout;
    const header = out.split('\n').find((l) => l.startsWith('CACHE'));
    expect(header?.split(/\s+/)).toEqual(['CACHE', 'HIT', 'RATE', 'HITS', 'MISSES', 'ENTRIES', 'BYTES', 'EVICTIONS', 'EXPIRED']);
    expect(out.split('\n').find((l) => l.startsWith('risk'))!.split(/\s+/)).toEqual(['risk', '50.0%', '1', '1', '2', '128/4096', '1', '0']);
    expect(out.split('\n').some((l) => l.startsWith('default'))).toBe(false); // untouched caches are not listed
  });

  it('a bad command line is refused with a clear message', async () => {
    const err = await run(process.execPath, [CLI, 'top', '--bogus']).catch((e: { stderr: string; code: number }) => e);
    expect((err as { code: number }).code).toBe(2);
    expect((err as { stderr: string }).stderr).toMatch(/unknown option --bogus/);
  });
});
