import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ActorCrashed, ActorNotFound, SupervisionFailed, child, supervisor, type ChildOptions, type System } from 'dualbus';
import type { FailHow } from './fixtures/flaky.js';
import { eventually, fixture, systemPerTest } from './helpers.js';

const start = systemPerTest();

const dir = mkdtempSync(join(tmpdir(), 'dualbus-sup-'));
let markers = 0;
/** A fresh marker file path: a 'fail' message with it fails once, then is handled. */
const marker = (): string => join(dir, `m${++markers}`);
const FAST: ChildOptions = { backoff: { minMs: 1, maxMs: 5, jitter: 0 }, standby: true };
const flaky = (name: string, options: ChildOptions = {}) => child(name, fixture('flaky'), { ...FAST, ...options });
const events = (logs: Array<Record<string, unknown>>, actor?: string) =>
  logs.filter((l) => typeof l.path === 'string' && (actor === undefined || l.actor === actor)).map((l) => `${l.actor}:${l.event}`);
const seen = (sys: System, name: string) => sys.ref(name).ask({ type: 'seen?' }) as Promise<number[]>;

describe('failure detection and recovery', () => {
  it.each<[string, FailHow, ChildOptions, RegExp]>([
    ['an uncaught exception', 'uncaught', {}, /Error: boom from a timer/],
    ['process.exit() (code 0)', 'exit', {}, /its worker exited \(code 0\) without being asked to stop/],
    ['a non-zero exit', 'exit', {}, /its worker exited with code 3/],
    ['a worker over its memory limit', 'oom', { resourceLimits: { maxOldGenerationSizeMb: 24 } }, /memory limit|out of memory/i],
    ['a receive that throws, with the restart directive', 'throw', { onError: 'restart' }, /receive threw Error: receive failed on 1/],
    ['a hung actor (an endless loop)', 'spin', { hangTimeoutMs: 300 }, /hang: no heartbeat for \d+ ms \(hangTimeoutMs 300\) with a message in hand/],
  ])('%s is detected, logged, and the actor restarted', async (what, how, options, reason) => {
    const { system, logs } = await start();
    await system.start(supervisor({ name: 'root', children: [flaky('f', options)] }));
    const code = what.includes('non-zero') ? 3 : 0;
    system.ref('f').send({ type: 'fail', how, n: 1, code, marker: marker() });
    for (let n = 2; n <= 5; n++) system.ref('f').send({ type: 'record', n });
    await eventually(() => system.stats().actors.f!.restarts, (r) => r === 1, 10_000);
    system.ref('f').send({ type: 'record', n: 6 });
    const got = await eventually(() => seen(system, 'f'), (s) => s.at(-1) === 6);
    // The message in hand when it died comes again, and what queued behind it follows. ('uncaught'
    // fails from a timer after receive returned: what it handled before is in the old state.)
    if (how !== 'uncaught') expect(got).toEqual([1, 2, 3, 4, 5, 6]);
    const failed = logs.find((l) => l.event === 'failed' && l.actor === 'f')!;
    expect((failed.reason as { message: string }).message).toMatch(reason);
    expect(events(logs, 'f')).toEqual(['f:started', ...(how === 'spin' ? ['f:hang'] : []), 'f:failed', 'f:restarting', 'f:restarted']);
    expect(system.stats().actors.f).toMatchObject({ state: 'running', restarts: 1, path: 'root/f' });
  });

  it('queued messages survive a restart, senders are not blocked while it is down, and nothing is handled twice', async () => {
    const { system } = await start();
    await system.start(supervisor({ children: [flaky('f', { backoff: { minMs: 300, maxMs: 300, jitter: 0 } })] }));
    const f = system.ref('f');
    f.send({ type: 'fail', how: 'exit', n: -1, code: 1, marker: marker() });
    await eventually(() => system.stats().actors.f!.state, (s) => s === 'restarting');
    for (let n = 0; n < 1000; n++) expect(f.send({ type: 'record', n })).toBe(true); // into the ring of a dead actor
    expect(system.stats().actors.f!.mailboxDepth).toBe(1001);
    const got = await eventually(() => seen(system, 'f'), (s) => s.length === 1001, 10_000);
    expect(got).toEqual([-1, ...Array.from({ length: 1000 }, (_, i) => i)]);
  });

  it('a poison message is dead-lettered after maxDeliveries, its asker gets ActorCrashed, and the actor goes on', async () => {
    const { system, logs } = await start();
    await system.start(supervisor({ children: [flaky('f', { maxDeliveries: 3 })] }));
    const f = system.ref('f');
    const answer = f.ask({ type: 'fail', how: 'exit', n: 7, code: 9 }, { timeoutMs: 10_000 }).catch((e) => e);
    f.send({ type: 'record', n: 8 });
    const err = await answer;
    expect(err).toBeInstanceOf(ActorCrashed);
    expect(err.message).toMatch(/actor 'f' crashed: its message was dead-lettered after 3 failed deliveries: its worker exited with code 9/);
    expect(await eventually(() => seen(system, 'f'), (s) => s.length === 1)).toEqual([8]);
    const [letter] = system.deadLetters();
    expect(letter).toMatchObject({ actor: 'f', deliveries: 3, kind: 'ask', from: '$host', message: { type: 'fail', how: 'exit', n: 7, code: 9 } });
    expect(letter!.reason.message).toMatch(/code 9/);
    expect(logs.filter((l) => l.event === 'failed' && l.actor === 'f')).toHaveLength(3);
    expect(logs.find((l) => l.event === 'dead-letter')).toMatchObject({ actor: 'f', path: 'root/f', deliveries: 3, kind: 'ask' });
    // The worker handles messages as soon as it is attached; the host marks it running when its 'ready' arrives.
    await eventually(() => system.stats().actors.f!.restarts, (r) => r === 3);
    expect(system.stats().actors.f).toMatchObject({ restarts: 3, deadLetters: 1 });
  });

  it("the 'resume' directive (the default) skips the message and keeps the actor; 'stop' removes it", async () => {
    const { system, logs } = await start();
    await system.start(supervisor({ children: [flaky('resumer'), flaky('stopper', { onError: 'stop' })] }));
    system.ref('resumer').send({ type: 'fail', how: 'throw', n: 1 });
    system.ref('resumer').send({ type: 'record', n: 2 });
    expect(await eventually(() => seen(system, 'resumer'), (s) => s.length === 1)).toEqual([2]);
    expect(system.stats().actors.resumer).toMatchObject({ restarts: 0, errors: 1 });
    system.ref('stopper').send({ type: 'fail', how: 'throw', n: 1 });
    await eventually(() => system.actorNames(), (n) => !n.includes('stopper'));
    expect(() => system.ref('stopper')).toThrow(ActorNotFound);
    expect(logs.find((l) => l.actor === 'stopper' && l.event === 'stopped')).toMatchObject({ reason: { message: expect.stringMatching(/not restarted: receive threw/) } });
  });

  it('shutdown drains the queue of an actor that is down waiting for its restart', async () => {
    const { system: sys, logs } = await start();
    const finals: unknown[] = [];
    await sys.subscribe('stopper.final', (m) => finals.push(m)).ready;
    await sys.start(supervisor({ children: [child('stopper', fixture('stopper'), { backoff: { minMs: 60_000, maxMs: 60_000, jitter: 0 } })] }));
    sys.kill('stopper');
    await eventually(() => sys.stats().actors.stopper!.state, (s) => s === 'restarting'); // for a minute
    for (let n = 1; n <= 5; n++) sys.ref('stopper').send({ n });
    await sys.shutdown();
    expect(finals).toEqual([{ handled: 5, sum: 15 }]);
    expect(logs.filter((l) => l.actor === 'stopper').map((l) => l.event)).toEqual(['started', 'failed', 'restarting', 'restarted', 'stopped']);
  });

  it('system.kill restarts the actor and delivers the message in hand again, without holding it against maxDeliveries', async () => {
    const { system } = await start();
    await system.start(supervisor({ children: [flaky('f', { maxDeliveries: 1 })] }));
    const f = system.ref('f');
    f.send({ type: 'sleep', ms: 300 });
    f.send({ type: 'record', n: 1 });
    await eventually(() => system.stats().actors.f!.mailboxDepth, (d) => d === 1); // the sleep is in hand
    expect(system.kill('f', 'drill')).toBe(true);
    expect(system.kill('f', 'drill')).toBe(false); // already being killed
    await eventually(() => system.stats().actors.f!.restarts, (r) => r === 1);
    expect(await eventually(() => seen(system, 'f'), (s) => s.length === 1)).toEqual([1]);
    expect(system.deadLetters()).toEqual([]);
  });

  it('a start whose init never finishes fails after startTimeoutMs, and nothing is left running', async () => {
    const { system } = await start();
    const err = await system.spawn('stuck', fixture('init-hangs'), { startTimeoutMs: 200 }).catch((e) => e);
    expect(err.message).toMatch(/actor 'stuck' failed to start: init did not finish within 200 ms \(startTimeoutMs\)/);
    expect(system.actorNames()).toEqual([]);
    await expect(system.start(supervisor({ children: [flaky('ok'), child('stuck', fixture('init-hangs'), { startTimeoutMs: 200 })] }))).rejects.toThrow(/init did not finish/);
    expect(system.actorNames()).toEqual([]);
  });

  it('asks pending on an actor that will not come back reject with ActorCrashed', async () => {
    const { system } = await start();
    await system.start(supervisor({ children: [flaky('t', { restart: 'temporary' })] }));
    const t = system.ref('t');
    t.send({ type: 'sleep', ms: 100 });
    const pending = t.ask({ type: 'fail', how: 'exit', n: 1, code: 4 }, { timeoutMs: 10_000 }).catch((e) => e);
    const queued = t.ask({ type: 'ping' }, { timeoutMs: 10_000 }).catch((e) => e);
    for (const err of [await pending, await queued]) {
      expect(err).toBeInstanceOf(ActorCrashed);
      expect(err.message).toMatch(/actor 't' crashed: its worker exited with code 4/);
    }
  });

  it('a sender that died between claiming space and publishing does not stall the ring: the claim is skipped and logged', async () => {
    const { system, logs } = await start({ staleClaimMs: 100 });
    await system.start(supervisor({ children: [flaky('f')] }));
    const block = (system as unknown as { directory: { cells: Map<string, { entry: { block: SharedArrayBuffer; messagesBytes: number; repliesBytes: number } }> } }).directory.cells.get('f')!.entry;
    const { Worker } = await import('node:worker_threads');
    const dying = new Worker(fixture('claim-and-die'), { workerData: block });
    await new Promise((resolve) => dying.once('exit', resolve));
    for (let n = 0; n < 10; n++) system.ref('f').send({ type: 'record', n });
    expect(await eventually(() => seen(system, 'f'), (s) => s.length === 10)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // The event travels by postMessage: it may land after the answer to the ask above.
    expect(await eventually(() => logs.find((l) => l.event === 'stale-claim'), (l) => l !== undefined)).toMatchObject({ actor: 'f', reason: { message: expect.stringMatching(/skipped a claim of 72 bytes/) } });
  });

  it("an actor skips a dead sender's claim in its reply ring: its ask is answered", async () => {
    const { system, logs } = await start({ staleClaimMs: 100 });
    await system.spawn('echo', fixture('echo'));
    const relay = await system.spawn('relay', fixture('async-asker'));
    const block = (system as unknown as { directory: { cells: Map<string, { entry: { block: SharedArrayBuffer; messagesBytes: number; repliesBytes: number } }> } }).directory.cells.get('relay')!.entry;
    const { Worker } = await import('node:worker_threads');
    const dying = new Worker(fixture('claim-and-die'), { workerData: { ...block, ring: 'replies' } });
    await new Promise((resolve) => dying.once('exit', resolve));
    expect(await relay.ask({ type: 'relay', to: 'echo', value: 7 })).toEqual({ relayed: 7 });
    expect(await eventually(() => logs.find((l) => l.event === 'stale-claim'), (l) => l !== undefined)).toMatchObject({ actor: 'relay', reason: { message: expect.stringMatching(/skipped a claim of 72 bytes/) } });
  });

  it("the host skips a dead sender's claim in its own inbox and in its reply ring", async () => {
    const { system, logs } = await start({ staleClaimMs: 100 });
    const echo = await system.spawn('echo', fixture('echo'));
    const got: unknown[] = [];
    const off = system.subscribe('news.*', (msg) => void got.push(msg));
    await off.ready;
    const host = (system as unknown as { endpoint: { own: { block: SharedArrayBuffer; messagesBytes: number; repliesBytes: number } } }).endpoint.own;
    const { Worker } = await import('node:worker_threads');
    for (const ring of ['messages', 'replies']) {
      const dying = new Worker(fixture('claim-and-die'), { workerData: { block: host.block, messagesBytes: host.messagesBytes, repliesBytes: host.repliesBytes, ring } });
      await new Promise((resolve) => dying.once('exit', resolve));
    }
    for (let n = 0; n < 5; n++) echo.send({ type: 'publish', topic: `news.${n}`, msg: n });
    expect(await echo.ask({ type: 'echo', value: 'through' })).toBe('through');
    expect(await eventually(() => got, (g) => g.length === 5)).toEqual([0, 1, 2, 3, 4]);
    const stale = await eventually(() => logs.filter((l) => l.event === 'stale-claim'), (l) => l.length === 2);
    expect(stale.map((l) => [l.actor, (l.reason as { message: string }).message])).toEqual([
      ['$host', expect.stringMatching(/skipped a claim of 72 bytes/)],
      ['$host', expect.stringMatching(/skipped a claim of 72 bytes/)],
    ]);
  });
});

describe('backpressure is not a hang', () => {
  it('an actor blocked for far longer than its hangTimeoutMs by a full mailbox it keeps retrying is not killed', async () => {
    const { system, logs } = await start();
    const consumer = await system.spawn('consumer', fixture('flooder'), { mailboxBytes: 1 << 12 });
    const producer = await system.spawn('producer', fixture('flooder'), { hangTimeoutMs: 200 });
    consumer.send({ type: 'slow', ms: 2 });
    producer.send({ type: 'flood', to: 'consumer', n: 500 }); // at least 1 s of waiting on a ring that holds ~60
    const got = await eventually(() => consumer.ask({ type: 'got?' }), (g: any) => g.count === 500, 20_000);
    expect(got).toEqual({ count: 500, inOrder: true });
    expect(system.stats().actors.producer!.restarts).toBe(0);
    expect(system.stats().actors.producer!.overflows + system.stats().actors.consumer!.overflows).toBeGreaterThan(0);
    expect(logs.filter((l) => l.event === 'hang')).toEqual([]);
  });

  it('an actor blocked on the full mailbox of a hung actor: the hung one is killed, the blocked one waits and finishes', async () => {
    const { system, logs } = await start();
    const f = await system.spawn('f', fixture('flaky'), { mailboxBytes: 1 << 12, hangTimeoutMs: 300, maxDeliveries: 1 });
    const producer = await system.spawn('producer', fixture('flooder'), { hangTimeoutMs: 200 });
    f.send({ type: 'fail', how: 'spin', n: 0 });
    producer.send({ type: 'flood', to: 'f', n: 300 });
    await eventually(() => system.stats().actors.f!.restarts, (r) => r === 1, 10_000);
    await eventually(() => system.stats().actors.f!.received, (n) => n >= 301, 10_000); // the spin, then all 300 items
    expect(logs.filter((l) => l.event === 'hang').map((l) => l.actor)).toEqual(['f']);
    expect(system.stats().actors.producer!.restarts).toBe(0);
  });

  it('two actors each blocked on the other full mailbox (a deadlock) are hung: one is killed, which breaks the cycle, and the other finishes', async () => {
    const { system, logs } = await start();
    const opts = { mailboxBytes: 1 << 12, hangTimeoutMs: 300, maxDeliveries: 1 };
    const refs = { a: await system.spawn('a', fixture('flooder'), opts), b: await system.spawn('b', fixture('flooder'), opts) };
    // Both floods are in their mailboxes before either starts (a first flood could fill the other's).
    const startAt = Date.now() + 50;
    expect([refs.a.send({ type: 'flood', to: 'b', n: 5000, startAt }), refs.b.send({ type: 'flood', to: 'a', n: 5000, startAt })]).toEqual([true, true]);
    const [hang] = await eventually(() => logs.filter((l) => l.event === 'hang'), (h) => h.length === 1, 10_000);
    expect((hang!.reason as { message: string }).message).toMatch(/blocked on a full mailbox in a cycle of actors each waiting on the next \(a deadlock\) for \d+ ms \(hangTimeoutMs 300\)/);
    const victim = hang!.actor as 'a' | 'b';
    const other = victim === 'a' ? 'b' : 'a';
    // maxDeliveries 1: the victim's flood is dead-lettered; restarted, it handles all of the other's.
    const letters = await eventually(() => system.deadLetters(), (d) => d.length === 1, 10_000);
    expect([letters[0]!.actor, (letters[0]!.message as { type: string }).type]).toEqual([victim, 'flood']);
    expect(await eventually(() => refs[victim].ask({ type: 'got?' }), (g: any) => g.count === 5000, 20_000)).toEqual({ count: 5000, inOrder: true });
    // The other one handles its own mailbox once its flood is done (an ask waits for room meanwhile).
    const partial = (await eventually(() => refs[other].ask({ type: 'got?' }), () => true, 10_000)) as { count: number; inOrder: boolean };
    expect(partial.inOrder).toBe(true);
    expect(partial.count).toBeLessThan(5000);
    expect(logs.filter((l) => l.event === 'hang').length).toBe(1);
  });

  it('an actor blocked on a deadlocked pair is not part of the cycle: one of the pair is killed, the waiting one is left alone and finishes', async () => {
    const { system, logs } = await start();
    const opts = { mailboxBytes: 1 << 12, hangTimeoutMs: 300, maxDeliveries: 1 };
    // c is watched first and has the shortest limit: were it judged a member of the cycle, it would be the one killed.
    const c = await system.spawn('c', fixture('flooder'), { ...opts, hangTimeoutMs: 150 });
    const refs = { a: await system.spawn('a', fixture('flooder'), opts), b: await system.spawn('b', fixture('flooder'), opts) };
    const startAt = Date.now() + 50;
    const sent = [refs.a.send({ type: 'flood', to: 'b', n: 5000, startAt }), refs.b.send({ type: 'flood', to: 'a', n: 5000, startAt }), c.send({ type: 'flood', to: 'a', n: 2000, startAt })];
    expect(sent).toEqual([true, true, true]);
    const [hang] = await eventually(() => logs.filter((l) => l.event === 'hang'), (h) => h.length === 1, 10_000);
    expect(['a', 'b']).toContain(hang!.actor);
    // c's ask is answered once its flood is through, after the cycle is broken.
    expect(await eventually(() => c.ask({ type: 'got?' }), () => true, 20_000)).toEqual({ count: 0, inOrder: true });
    expect(system.stats().actors.c!.restarts).toBe(0);
    expect(logs.filter((l) => l.event === 'hang').map((l) => l.actor)).toEqual([hang!.actor]);
  });
});

describe('strategies and restart types, with real workers', () => {
  const three = (strategy: 'one_for_one' | 'one_for_all' | 'rest_for_one') =>
    supervisor({ name: 'root', strategy, children: [flaky('a'), flaky('b'), flaky('c')] });
  const crash = (sys: System, name: string) => sys.ref(name).send({ type: 'fail', how: 'uncaught', n: 0 });
  const restarts = (sys: System) => Object.fromEntries(Object.entries(sys.stats().actors).map(([k, v]) => [k, v.restarts]));

  it('one_for_one restarts the failed child only', async () => {
    const { system } = await start();
    await system.start(three('one_for_one'));
    crash(system, 'b');
    await eventually(() => restarts(system), (r) => r.b === 1);
    expect(restarts(system)).toEqual({ a: 0, b: 1, c: 0 });
  });

  it('one_for_all restarts every child: the others stopped in reverse order, all started in order', async () => {
    const { system, logs } = await start();
    await system.start(three('one_for_all'));
    crash(system, 'b');
    await eventually(() => restarts(system), (r) => r.a === 1 && r.b === 1 && r.c === 1);
    const after = events(logs).slice(3);
    expect(after.filter((e) => e.endsWith(':restarted'))).toEqual(['a:restarted', 'b:restarted', 'c:restarted']);
    expect(after[0]).toBe('b:failed');
    for (const name of ['a', 'b', 'c']) expect(await system.ref(name).ask({ type: 'ping' })).toBe('pong');
  });

  it('rest_for_one restarts the failed child and those started after it', async () => {
    const { system } = await start();
    await system.start(three('rest_for_one'));
    crash(system, 'b');
    await eventually(() => restarts(system), (r) => r.b === 1 && r.c === 1);
    expect(restarts(system)).toEqual({ a: 0, b: 1, c: 1 });
  });

  it('transient restarts after a crash but not after a normal exit; temporary never restarts', async () => {
    const { system, logs } = await start();
    await system.start(supervisor({ children: [flaky('tr', { restart: 'transient' }), flaky('tr0', { restart: 'transient' }), flaky('tmp', { restart: 'temporary' })] }));
    crash(system, 'tr');
    system.ref('tr0').send({ type: 'fail', how: 'exit', n: 0, code: 0 });
    crash(system, 'tmp');
    await eventually(() => system.actorNames(), (n) => n.length === 1);
    await eventually(() => restarts(system), (r) => r.tr === 1);
    expect(system.actorNames()).toEqual(['tr']);
    expect(events(logs).filter((e) => e.endsWith(':stopped')).sort()).toEqual(['tmp:stopped', 'tr0:stopped']);
  });

  it("one_for_all: a temporary bystander of a permanent sibling's crash is stopped and removed, and stays gone", async () => {
    const { system, logs } = await start();
    await system.start(supervisor({ name: 'root', strategy: 'one_for_all', children: [flaky('a'), flaky('tmp', { restart: 'temporary' }), flaky('b')] }));
    crash(system, 'b');
    await eventually(() => restarts(system), (r) => r.a === 1 && r.b === 1);
    expect(restarts(system)).toEqual({ a: 1, b: 1 });
    expect(system.actorNames()).toEqual(['a', 'b']);
    expect(() => system.ref('tmp')).toThrow(ActorNotFound);
    expect(events(logs, 'tmp')).toEqual(['tmp:started', 'tmp:stopped']);
    const stopped = logs.find((l) => l.actor === 'tmp' && l.event === 'stopped')!;
    expect((stopped.reason as { message: string }).message).toBe("not restarted: temporary, stopped with 'b' (one_for_all)");
    // The next group restart does not bring it back.
    crash(system, 'a');
    await eventually(() => restarts(system), (r) => r.a === 2 && r.b === 2);
    expect(system.actorNames()).toEqual(['a', 'b']);
    for (const name of ['a', 'b']) expect(await system.ref(name).ask({ type: 'ping' })).toBe('pong');
  });

  it('rest_for_one: a temporary started after the crashed child is stopped and removed; one started before it is untouched', async () => {
    const { system, logs } = await start();
    const tmp = { restart: 'temporary' } as const;
    await system.start(supervisor({ name: 'root', strategy: 'rest_for_one', children: [flaky('t0', tmp), flaky('a'), flaky('t', tmp), flaky('c')] }));
    crash(system, 'a');
    await eventually(() => restarts(system), (r) => r.a === 1 && r.c === 1);
    expect(restarts(system)).toEqual({ t0: 0, a: 1, c: 1 });
    expect(system.actorNames()).toEqual(['t0', 'a', 'c']);
    expect(events(logs, 't')).toEqual(['t:started', 't:stopped']);
    expect(events(logs, 't0')).toEqual(['t0:started']);
    expect(system.stats().actors.t0).toMatchObject({ state: 'running', restarts: 0 });
    for (const name of ['t0', 'a', 'c']) expect(await system.ref(name).ask({ type: 'ping' })).toBe('pong');
  });

  it('backoff: each restart of a failing child waits longer, within [minMs, maxMs]', async () => {
    const { system, logs } = await start();
    await system.start(supervisor({ intensity: 10, periodMs: 60_000, children: [flaky('f', { backoff: { minMs: 80, maxMs: 250, jitter: 0.1 } })] }));
    for (let i = 1; i <= 3; i++) {
      crash(system, 'f');
      await eventually(() => restarts(system), (r) => r.f === i);
    }
    const delays = logs.filter((l) => l.event === 'restarting').map((l) => l.delayMs as number);
    expect(delays).toHaveLength(3);
    expect(delays[0]).toBeGreaterThanOrEqual(80 * 0.9);
    expect(delays[0]).toBeLessThanOrEqual(80);
    expect(delays[1]).toBeGreaterThanOrEqual(160 * 0.9);
    expect(delays[2]).toBeGreaterThanOrEqual(225);
    expect(delays[2]).toBeLessThanOrEqual(250);
    const downtimes = logs.filter((l) => l.event === 'restarted').map((l) => l.downtimeMs as number);
    downtimes.forEach((d, i) => expect(d).toBeGreaterThanOrEqual(delays[i]!));
  });
});

describe('escalation', () => {
  it('intensity exceeded at the root stops the system with an error naming the child and the failures', async () => {
    const { system, logs } = await start();
    const failed: unknown[] = [];
    system.on('failed', (e) => failed.push(e));
    await system.start(supervisor({ name: 'root', intensity: 2, periodMs: 60_000, children: [flaky('ok'), flaky('bad', { maxDeliveries: 100 })] }));
    system.ref('bad').send({ type: 'fail', how: 'exit', n: 0, code: 5 }); // fails every delivery
    const err = await system.whenStopped().catch((e) => e);
    expect(err).toBeInstanceOf(SupervisionFailed);
    expect(err.message).toMatch(/system 'dualbus' stopped: supervisor 'root' gave up: 3 restarts within 60000 ms \(intensity 2\); last: 'bad': its worker exited with code 5/);
    expect(failed).toEqual([err]);
    expect(logs.find((l) => l.event === 'escalated')).toMatchObject({ path: 'root', child: 'bad', failures: 3 });
    expect(system.actorNames()).toEqual([]);
    await expect(system.spawn('late', fixture('flaky'))).rejects.toThrow(/is shut down/);
  });

  it('a nested supervisor that gives up is restarted by its parent, and the parent escalates in turn', async () => {
    const { system, logs } = await start();
    const inner = supervisor({ name: 'inner', intensity: 1, periodMs: 60_000, children: [flaky('a', { maxDeliveries: 1000 })] });
    await system.start(supervisor({ name: 'root', intensity: 1, periodMs: 60_000, children: [inner, flaky('b')] }));
    expect(system.stats().actors.a!.path).toBe('root/inner/a');
    system.ref('a').send({ type: 'fail', how: 'exit', n: 0, code: 6 });
    const err = await system.whenStopped().catch((e) => e);
    expect(err.message).toMatch(/supervisor 'root' gave up: 2 restarts within 60000 ms \(intensity 1\); last: 'inner': supervisor 'root\/inner' gave up/);
    expect(logs.filter((l) => l.event === 'escalated').map((l) => l.path)).toEqual(['root/inner', 'root/inner', 'root']);
  });

  it("a child's escalate directive fails its supervisor at once", async () => {
    const { system } = await start();
    await system.start(supervisor({ name: 'root', children: [flaky('e', { onError: 'escalate' })] }));
    system.ref('e').send({ type: 'fail', how: 'throw', n: 3 });
    const err = await system.whenStopped().catch((e) => e);
    expect(err.message).toMatch(/'e' escalated: receive threw Error: receive failed on 3/);
  });
});

describe('state and observation', () => {
  it('snapshot and restore keep what the actor chooses across a hard crash', async () => {
    const { system } = await start();
    await system.start(supervisor({ children: [child('k', fixture('keeper'), { ...FAST, snapshotIntervalMs: 0 })] }));
    const k = system.ref('k');
    k.send({ type: 'add', n: 5 });
    k.send({ type: 'add', n: 7 });
    expect(await k.ask({ type: 'total?' })).toBe(12);
    expect(await k.ask({ type: 'restored?' })).toBe(false);
    await new Promise((r) => setTimeout(r, 50)); // it goes idle and snapshots
    k.send({ type: 'crash' });
    await eventually(() => system.stats().actors.k!.restarts, (r) => r === 1);
    expect(await k.ask({ type: 'restored?' })).toBe(true);
    expect(await k.ask({ type: 'total?' })).toBe(12);
  });

  it('every lifecycle log line is JSON with time, system, actor, path, event, reason (message and stack), restarts, downtime', async () => {
    const lines: string[] = [];
    const { pino } = await import('pino');
    const logger = pino({ level: 'debug' }, { write: (l: string) => lines.push(l) });
    const { system: sys } = await start({ logger, name: 'logs' });
    await sys.start(supervisor({ name: 'root', children: [flaky('f')] }));
    sys.ref('f').send({ type: 'fail', how: 'uncaught', n: 0 });
    await eventually(() => sys.stats().actors.f!.restarts, (r) => r === 1);
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, any>);
    const lifecycle = parsed.filter((l) => ['started', 'failed', 'restarting', 'restarted'].includes(l.event));
    expect(lifecycle.map((l) => l.event)).toEqual(['started', 'failed', 'restarting', 'restarted']);
    for (const l of lifecycle) {
      expect(l).toMatchObject({ system: 'logs', actor: 'f', path: 'root/f' });
      expect(typeof l.time).toBe('number');
      expect(typeof l.restarts).toBe('number');
    }
    const failed = lifecycle[1]!;
    expect(failed.reason.message).toMatch(/boom from a timer/);
    expect(failed.reason.stack).toMatch(/flaky\.js/);
    expect(lifecycle[3]!.downtimeMs).toBeGreaterThan(0);
  });

  it('stats report availability: uptime %, restarts, mean time to recover, dead letters', async () => {
    const { system } = await start();
    await system.start(supervisor({ children: [flaky('f', { maxDeliveries: 1 })] }));
    await new Promise((r) => setTimeout(r, 100));
    system.ref('f').send({ type: 'fail', how: 'exit', n: 0, code: 2 });
    await eventually(() => system.stats().actors.f!.restarts, (r) => r === 1);
    const s = system.stats().actors.f!;
    expect(s.deadLetters).toBe(1);
    expect(s.mttrMs).toBeGreaterThan(0);
    expect(s.uptimePct).toBeGreaterThan(0);
    expect(s.uptimePct).toBeLessThan(100);
  });

  it('spawn still works: its actors get the default one_for_one parent and are restarted', async () => {
    const { system } = await start();
    const f = await system.spawn('f', fixture('flaky'), FAST);
    expect(system.stats().actors.f!.path).toBe('$spawned/f');
    await eventually(() => system.stats().actors.f!.standby, (s) => s === 'ready'); // a loaded worker waits to take over
    const cold = await system.spawn('cold', fixture('flaky'), { standby: false });
    expect(system.stats().actors.cold!.standby).toBe('none');
    await system.stop(cold.name);
    f.send({ type: 'fail', how: 'uncaught', n: 0 });
    await eventually(() => system.stats().actors.f!.restarts, (r) => r === 1);
    expect(await f.ask({ type: 'ping' })).toBe('pong');
    await system.stop('f');
    expect(system.actorNames()).toEqual([]);
  });
});
