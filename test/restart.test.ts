import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InvalidOption, SupervisionFailed, child, supervisor, type ChildOptions, type System } from 'dualbus';
import { exitLoopFile } from './fixtures/exit-loop.js';
import type { IncarnationsMsg } from './fixtures/incarnations.js';
import { eventually, fixture, systemPerTest } from './helpers.js';

const start = systemPerTest();

const NOW: ChildOptions = { backoff: { minMs: 0, maxMs: 0, jitter: 0 } };
type Who = { inc: number; inits: number; threadId: number; seen: unknown[]; resumedAfterAsk: number[]; ticksOf: Record<number, number> };
const who = (sys: System, name: string) => sys.ref(name).ask({ type: 'who?' } satisfies IncarnationsMsg) as Promise<Who>;
const send = (sys: System, name: string, msg: IncarnationsMsg) => sys.ref(name).send(msg);
const lifecycle = (logs: Array<Record<string, unknown>>, actor: string, event: string) => logs.filter((l) => l.actor === actor && l.event === event);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('restarts in place: a failure of the actor’s own code keeps its worker', () => {
  it('a receive that throws (onError restart) restarts the actor in the same worker: state rebuilt by init, the message in hand delivered again and handled, the restart counted', async () => {
    const { system, logs } = await start();
    await system.start(supervisor({ children: [child('a', fixture('incarnations'), { ...NOW, onError: 'restart' })] }));
    send(system, 'a', { type: 'record', n: 1 });
    const before = await who(system, 'a');
    expect(before).toMatchObject({ inc: 1, seen: [1] });
    send(system, 'a', { type: 'throw-once', key: 'k' });
    send(system, 'a', { type: 'record', n: 2 });
    await eventually(() => system.stats().actors.a!.restarts, (r) => r === 1);
    const after = await eventually(() => who(system, 'a'), (w) => w.seen.length === 2);
    expect(after.threadId).toBe(before.threadId);
    expect(after.inits).toBe(2); // the module stayed loaded: the same worker ran init again
    expect(after.seen).toEqual(['k', 2]); // state from init; 'k' came again and was handled this time
    const stats = system.stats().actors.a!;
    expect(stats).toMatchObject({ restarts: 1, state: 'running', threadId: before.threadId });
    expect(stats.restartsVia).toMatchObject({ 'in-place': 1, warm: 0, warming: 0, standby: 0, cold: 0 });
    // No backoff: the supervisor approved the restart ahead of time and the worker made it at once.
    expect(lifecycle(logs, 'a', 'failed')[0]).toMatchObject({ inPlace: true, restartedAtOnce: true, redelivered: true, reason: { message: 'receive threw Error: receive failed on k' } });
    expect(lifecycle(logs, 'a', 'restarted')[0]).toMatchObject({ via: 'in-place', restarts: 1 });
  });

  it('with a backoff the supervisor decides first (no approval ahead of time), and the restart is still in place', async () => {
    const { system, logs } = await start();
    await system.start(supervisor({ children: [child('a', fixture('incarnations'), { backoff: { minMs: 30, maxMs: 30, jitter: 0 }, onError: 'restart' })] }));
    const before = await who(system, 'a');
    send(system, 'a', { type: 'throw-once', key: 'k' });
    await eventually(() => system.stats().actors.a!.restarts, (r) => r === 1);
    expect(await eventually(() => who(system, 'a'), (w) => w.seen.length === 1)).toMatchObject({ threadId: before.threadId, inc: 2, seen: ['k'] });
    const failed = lifecycle(logs, 'a', 'failed')[0]!;
    expect(failed).toMatchObject({ inPlace: true });
    expect(failed.restartedAtOnce).toBeUndefined();
    expect(lifecycle(logs, 'a', 'restarting')[0]).toMatchObject({ delayMs: 30 });
    expect(lifecycle(logs, 'a', 'restarted')[0]!.downtimeMs).toBeGreaterThanOrEqual(30);
  });

  it.each<[string, IncarnationsMsg, RegExp]>([
    ['an uncaught exception from a timer', { type: 'throw-from-timer' }, /^Error: boom from a timer$/],
    ['an unhandled rejection', { type: 'reject' }, /^Error: a rejection nobody handles$/],
  ])('%s restarts the actor in the same worker', async (_what, failure, reason) => {
    const { system, logs } = await start();
    const a = await system.spawn('a', fixture('incarnations'), NOW);
    send(system, 'a', { type: 'record', n: 1 });
    const before = await who(system, 'a');
    a.send(failure);
    await eventually(() => system.stats().actors.a!.restarts, (r) => r === 1);
    const after = await who(system, 'a');
    expect(after).toMatchObject({ threadId: before.threadId, inc: 2, seen: [] });
    expect(system.stats().actors.a!.restartsVia['in-place']).toBe(1);
    const failed = lifecycle(logs, 'a', 'failed')[0]!;
    expect(failed).toMatchObject({ inPlace: true, cause: 'crash' });
    expect((failed.reason as { message: string }).message).toMatch(reason);
  });

  it('a timer the failed incarnation started never fires into the new one', async () => {
    const { system } = await start();
    const ticks: Array<{ inc: number; tick: number }> = [];
    await system.subscribe('ticks', (m) => void ticks.push(m as { inc: number; tick: number })).ready;
    await system.spawn('a', fixture('incarnations'), { ...NOW, onError: 'restart' });
    send(system, 'a', { type: 'tick', topic: 'ticks', ms: 10 });
    await eventually(() => ticks.length, (n) => n >= 3); // the interval runs
    send(system, 'a', { type: 'throw-once', key: 'stop ticking' });
    await eventually(() => system.stats().actors.a!.restarts, (r) => r === 1);
    expect((await who(system, 'a')).inc).toBe(2);
    const then = (await who(system, 'a')).ticksOf[1]!;
    await sleep(200); // twenty periods of the old interval
    expect((await who(system, 'a')).ticksOf).toEqual({ 1: then }); // it never ran again
    expect(ticks.every((t) => t.inc === 1)).toBe(true);
  });

  it('an ask pending in the failed incarnation is abandoned: its code never resumes, the message in hand is handled by the new one', async () => {
    const { system } = await start();
    const published: Array<{ inc: number; answer: unknown }> = [];
    await system.subscribe('answers', (m) => void published.push(m as { inc: number; answer: unknown })).ready;
    await system.spawn('slow', fixture('incarnations'), NOW);
    await system.spawn('a', fixture('incarnations'), NOW);
    send(system, 'a', { type: 'throw-from-timer', ms: 100 }); // fails while the ask below waits
    send(system, 'a', { type: 'ask-then-publish', to: 'slow', value: 'v', delayMs: 300, topic: 'answers' });
    await eventually(() => system.stats().actors.a!.restarts, (r) => r === 1);
    await eventually(() => published.length, (n) => n >= 1);
    await sleep(500); // the first ask's answer came and went: nobody waited for it
    expect(published).toEqual([{ inc: 2, answer: 'v' }]);
    expect((await who(system, 'a')).resumedAfterAsk).toEqual([2]); // the first incarnation never went on
  });

  it("with restartInPlace: false the failure ends the worker and the actor restarts in another thread", async () => {
    const { system } = await start();
    await system.spawn('a', fixture('incarnations'), { ...NOW, onError: 'restart', restartInPlace: false });
    const before = await who(system, 'a');
    send(system, 'a', { type: 'throw-once', key: 'k' });
    await eventually(() => system.stats().actors.a!.restarts, (r) => r >= 1);
    const after = await who(system, 'a');
    expect(after.threadId).not.toBe(before.threadId);
    expect(after.inits).toBe(1); // a fresh module: the message came again and threw again, in the new worker
    expect(system.stats().actors.a!.restartsVia['in-place']).toBe(0);
  });

  it('restart intensity counts in-place restarts: exceeded, the supervisor escalates as before', async () => {
    const { system, logs } = await start();
    await system.start(supervisor({ name: 'root', intensity: 2, periodMs: 60_000, children: [child('a', fixture('incarnations'), { ...NOW, onError: 'restart', maxDeliveries: 100 })] }));
    send(system, 'a', { type: 'throw' }); // fails on every delivery
    const err = await system.whenStopped().catch((e) => e);
    expect(err).toBeInstanceOf(SupervisionFailed);
    expect(err.message).toMatch(/supervisor 'root' gave up: 3 restarts within 60000 ms \(intensity 2\); last: 'a': receive threw Error: receive fails every time/);
    // Two restarts, then the third failure escalates (a last start to drain the mailbox at shutdown may follow).
    const via = lifecycle(logs, 'a', 'restarted').map((l) => l.via);
    expect(via.slice(0, 2)).toEqual(['in-place', 'in-place']);
    expect(via.every((v) => v === 'in-place')).toBe(true);
    expect(lifecycle(logs, 'root', 'escalated')).toHaveLength(1);
  });

  it('a poison message is still dead-lettered at maxDeliveries when each failure restarts in place', async () => {
    const { system } = await start();
    await system.spawn('a', fixture('incarnations'), { ...NOW, onError: 'restart', maxDeliveries: 3 });
    send(system, 'a', { type: 'throw' });
    send(system, 'a', { type: 'record', n: 'after' });
    const got = await eventually(() => who(system, 'a'), (w) => w.seen.length === 1);
    expect(got.seen).toEqual(['after']);
    expect(system.deadLetters()).toMatchObject([{ actor: 'a', deliveries: 3, message: { type: 'throw' } }]);
    // The host counts a restart when the worker's 'ready' reaches it, which may come after the answer above.
    await eventually(() => system.stats().actors.a!.restartsVia['in-place'], (n) => n === 3);
  });

  it("a one_for_all restart stops the siblings and runs them again in their own workers", async () => {
    const { system } = await start();
    await system.start(supervisor({ strategy: 'one_for_all', children: ['a', 'b', 'c'].map((n) => child(n, fixture('incarnations'), { ...NOW, onError: 'restart' })) }));
    const threads = await Promise.all(['a', 'b', 'c'].map(async (n) => (await who(system, n)).threadId));
    send(system, 'b', { type: 'throw-once', key: 'k' });
    await eventually(() => ['a', 'b', 'c'].map((n) => system.stats().actors[n]!.restarts), (r) => r.every((n) => n === 1));
    const after = await Promise.all(['a', 'b', 'c'].map((n) => who(system, n)));
    expect(after.map((w) => w.threadId)).toEqual(threads);
    expect(after.map((w) => w.inc)).toEqual([2, 2, 2]);
    for (const n of ['a', 'b', 'c']) expect(system.stats().actors[n]!.restartsVia['in-place']).toBe(1);
  });
});

describe('worker deaths: a warm worker of the shared pool takes over', () => {
  it('a worker that exits is replaced by a warm worker (a new thread, not a cold start)', async () => {
    const { system, logs } = await start();
    await system.spawn('a', fixture('incarnations'), NOW);
    await eventually(() => system.stats().actors.a!.standby, (s) => s === 'ready');
    const before = await who(system, 'a');
    send(system, 'a', { type: 'exit', code: 3 });
    await eventually(() => system.stats().actors.a!.restarts, (r) => r === 1);
    const after = await who(system, 'a');
    expect(after.threadId).not.toBe(before.threadId);
    expect(after.inits).toBe(1); // a worker that had not run this actor
    expect(system.stats().actors.a!.restartsVia).toMatchObject({ warm: 1, cold: 0, 'in-place': 0 });
    expect(lifecycle(logs, 'a', 'failed')[0]).toMatchObject({ inPlace: false, reason: { message: expect.stringMatching(/its worker exited with code 3/) } });
    expect(lifecycle(logs, 'a', 'restarted')[0]).toMatchObject({ via: 'warm' });
    // The pool replaced the worker it gave away.
    await eventually(() => system.stats().warmWorkers, (w) => w.ready === 2 && w.taken === 1);
  });

  it('a crash loop (the worker exits ~20 ms after every start, 8 times) recovers every time, never from a cold start', async () => {
    const { system, logs } = await start();
    const name = `looper-${process.pid}-${Date.now()}`;
    writeFileSync(exitLoopFile(name), '0');
    await system.start(supervisor({ intensity: 100, periodMs: 60_000, children: [child(name, fixture('exit-loop'), NOW)] }));
    await eventually(() => system.stats().actors[name]!.standby, (s) => s === 'ready', 20_000);
    writeFileSync(exitLoopFile(name), '8');
    await eventually(() => system.stats().warmWorkers.taken, (t) => t === 0); // nothing taken yet
    system.kill(name, 'start the loop'); // the restarted incarnation reads the count: 8 exits follow, one per incarnation
    await eventually(() => system.stats().actors[name]!.restarts, (r) => r === 9, 30_000);
    expect(await system.ref(name).ask({ type: 'ping' })).toBe('pong');
    const via = system.stats().actors[name]!.restartsVia;
    expect(via.cold).toBe(0);
    expect(via.warm + via.warming).toBe(9);
    const restarted = lifecycle(logs, name, 'restarted').map((l) => l.via);
    expect(restarted).toHaveLength(9);
    expect(restarted.filter((v) => v === 'cold')).toEqual([]);
  });
});

describe('the cost of readiness and its options', () => {
  it('the shared pool keeps warmWorkers workers for all actors; own keeps one per actor; false none', async () => {
    const { system } = await start({ warmWorkers: 3 });
    for (const n of ['a', 'b', 'c', 'd']) await system.spawn(n, fixture('incarnations'));
    await eventually(() => system.stats().warmWorkers, (w) => w.ready === 3, 20_000);
    expect(system.stats().warmWorkers).toMatchObject({ size: 3, ready: 3, loading: 0, pools: 1, started: 3 });
    await system.spawn('own', fixture('incarnations'), { standby: 'own' });
    await system.spawn('none', fixture('incarnations'), { standby: false });
    await eventually(() => system.stats().actors.own!.standby, (s) => s === 'ready', 20_000);
    expect(system.stats().actors.none!.standby).toBe('none');
    expect(system.stats().actors.a!.standby).toBe('ready');
    expect(system.stats().warmWorkers.size).toBe(3); // still one pool of 3 for everyone
  });

  it('warmWorkers: 0 keeps no warm worker: a worker death is a cold start; an own-code failure still restarts in place', async () => {
    const { system } = await start({ warmWorkers: 0 });
    const a = await system.spawn('a', fixture('incarnations'), NOW);
    expect(system.stats().warmWorkers).toMatchObject({ size: 0, ready: 0, pools: 0 });
    expect(system.stats().actors.a!.standby).toBe('none');
    a.send({ type: 'throw-from-timer' });
    await eventually(() => system.stats().actors.a!.restarts, (r) => r === 1);
    a.send({ type: 'exit', code: 1 });
    await eventually(() => system.stats().actors.a!.restarts, (r) => r === 2);
    expect(system.stats().actors.a!.restartsVia).toMatchObject({ 'in-place': 1, cold: 1 });
  });

  it('options are checked where they are given: standby, restartInPlace, warmWorkers', async () => {
    const { system } = await start();
    const invalid = async (p: Promise<unknown>, option: string, expected: RegExp) => {
      const err = (await p.catch((e: unknown) => e)) as Error;
      expect(err).toBeInstanceOf(InvalidOption);
      expect(err.message).toMatch(new RegExp(`'?${option}'?`));
      expect(err.message).toMatch(expected);
    };
    await invalid(system.spawn('x', fixture('incarnations'), { standby: 'yes' as never }), 'standby', /'shared', 'own' or false/);
    await invalid(system.spawn('x', fixture('incarnations'), { restartInPlace: 1 as never }), 'restartInPlace', /a boolean/);
    const { createSystem } = await import('dualbus');
    await invalid(createSystem({ warmWorkers: -1 }), 'warmWorkers', /an integer from 0 to 64/);
    await invalid(createSystem({ warmWorkers: 1.5 }), 'warmWorkers', /an integer from 0 to 64/);
  });
});
