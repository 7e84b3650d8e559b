import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { ActorCrashed, AskTimeout, InvalidOption, MailboxFull, MessageTooLarge, NoReply, RemoteError, SpawnFailed } from 'dualbus';
import { Tick } from './fixtures/records.js';
import { eventually, fixture, systemPerTest } from './helpers.js';

const start = systemPerTest();

const tick = (i: number) => ({ px: 100 + i, qty: i, ts: 1_700_000_000_000 + i, sym: 42, side: -1, live: true });

describe.each(['spin', 'block', 'async'] as const)('actors with the %s wait strategy', (wait) => {
  it('send, ask and publish between actors and from the host, in order', async () => {
    const { system } = await start();
    const collector = await system.spawn('collector', fixture('collector'), { wait });
    const echo = await system.spawn('echo', fixture('echo'), { wait });
    for (let i = 0; i < 100; i++) expect(collector.send({ i })).toBe(true);
    for (let i = 0; i < 50; i++) echo.send({ type: 'forward', to: 'collector', msg: { via: 'echo', i } });
    echo.send({ type: 'publish', topic: 'md.AAPL', msg: { px: 1 } });
    system.publish('all.x', { from: 'host' });
    system.publish('nobody.listens', { lost: false });
    expect(await echo.ask({ type: 'echo', value: { deep: [1, 'two', { three: 3 }] } })).toEqual({ deep: [1, 'two', { three: 3 }] });

    const got = await eventually(() => collector.ask({ type: 'dump?' }) as Promise<Array<{ msg: any; topic?: string; sender?: string }>>, (g) => g.length === 152);
    const direct = got.filter((g) => g.sender === '$host' && g.topic === undefined).map((g) => g.msg.i);
    expect(direct).toEqual(Array.from({ length: 100 }, (_, i) => i));
    const viaEcho = got.filter((g) => g.msg.via === 'echo').map((g) => g.msg.i);
    expect(viaEcho).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(got.filter((g) => g.msg.via === 'echo').every((g) => g.sender === 'echo')).toBe(true);
    expect(got).toContainEqual({ msg: { px: 1 }, topic: 'md.AAPL', sender: 'echo' });
    expect(got).toContainEqual({ msg: { from: 'host' }, topic: 'all.x', sender: '$host' });
  });

  it('records travel field by field, are read in place and forwarded without copying', async () => {
    const { system } = await start();
    const relay = await system.spawn('relay', fixture('record-relay'), { wait });
    const collector = await system.spawn('collector', fixture('collector'), { wait });
    relay.send({ type: 'to', to: 'collector' });
    for (let i = 0; i < 1000; i++) expect(relay.sendRecord(Tick, tick(i))).toBe(true);
    const got = await eventually(() => collector.ask({ type: 'dump?' }) as Promise<any[]>, (g) => g.length === 1000);
    expect(got.map((g) => g.msg.tick)).toEqual(Array.from({ length: 1000 }, (_, i) => tick(i)));
    expect(await relay.ask({ type: 'sum?' })).toEqual({ n: 1000, sum: Array.from({ length: 1000 }, (_, i) => (100 + i) * i).reduce((a, b) => a + b) });
  });

  it('batches: values and records sent and published as runs of one claim each, from actors and the host, whole and in order', async () => {
    const { system } = await start();
    // A small mailbox: a batch of 300 records takes two runs (a run is at most half the ring, 16 KiB).
    const collector = await system.spawn('collector', fixture('collector'), { wait, mailboxBytes: 1 << 15 });
    const batcher = await system.spawn('batcher', fixture('batcher'), { wait });
    // Everything handled, and its ring space released (at the end of the collector's drain): a
    // publish finds the room it needs (a full subscriber would lose it).
    const got = async (n: number) => {
      const g = await eventually(() => collector.ask({ type: 'dump?' }) as Promise<any[]>, (g) => g.length >= n);
      await eventually(() => system.stats().actors.collector!.mailboxBytesUsed, (used) => used === 0);
      return g;
    };
    expect(await batcher.ask({ type: 'values', to: 'collector', from: 0, n: 100 })).toBe(100);
    expect(await batcher.ask({ type: 'records', to: 'collector', from: 100, n: 100 })).toBe(100);
    expect(collector.sendBatch(Array.from({ length: 100 }, (_, k) => ({ i: 200 + k })))).toBe(100);
    expect(collector.sendRecordBatch(Tick, Array.from({ length: 100 }, (_, k) => tick(300 + k)))).toBe(100);
    let g = await got(400);
    expect(g.map((x) => x.msg.i ?? x.msg.tick.qty)).toEqual(Array.from({ length: 400 }, (_, i) => i));
    expect(g.slice(100, 200).map((x) => x.msg.tick)).toEqual(Array.from({ length: 100 }, (_, k) => tick(100 + k)));
    expect(new Set(g.map((x) => x.sender))).toEqual(new Set(['batcher', '$host']));
    expect(await batcher.ask({ type: 'publish-values', topic: 'md.batch', from: 400, n: 300 })).toBe(true);
    await got(700);
    expect(await batcher.ask({ type: 'publish-records', topic: 'md.batch', from: 700, n: 300 })).toBe(true);
    await got(1000);
    expect(system.publishBatch('md.batch', Array.from({ length: 100 }, (_, k) => ({ i: 1000 + k })))).toBe(true);
    g = await got(1100);
    expect(g.slice(400).map((x) => x.msg.i ?? x.msg.tick.qty)).toEqual(Array.from({ length: 700 }, (_, i) => 400 + i));
    expect(g.slice(400).every((x) => x.topic === 'md.batch')).toBe(true);
  });

  it('an async receive can await an ask, and messages are still handled one at a time', async () => {
    const { system } = await start();
    await system.spawn('echo', fixture('echo'), { wait });
    const asker = await system.spawn('asker', fixture('async-asker'), { wait });
    const answers = await Promise.all([1, 2, 3].map((v) => asker.ask({ type: 'relay', to: 'echo', value: v })));
    expect(answers).toEqual([{ relayed: 1 }, { relayed: 2 }, { relayed: 3 }]);
    expect(await asker.ask({ type: 'trace?' })).toEqual(['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3']);
  });
});

describe('batches', () => {
  it('a batch into a mailbox with room for part of it writes the first ones, says how many, and loses none of them', async () => {
    const { system } = await start();
    const collector = await system.spawn('collector', fixture('collector'), { mailboxBytes: 1 << 12 });
    collector.send({ type: 'sleep', ms: 300 });
    await new Promise((r) => setTimeout(r, 50));
    const written = collector.sendBatch(Array.from({ length: 200 }, (_, i) => ({ i })));
    expect(written).toBeGreaterThan(0);
    expect(written).toBeLessThan(200);
    expect(system.stats().actors.collector!.overflows).toBeGreaterThan(0);
    const got = await eventually(() => collector.ask({ type: 'dump?' }) as Promise<any[]>, (g) => g.length === written, 5000);
    expect(got.map((x) => x.msg.i)).toEqual(Array.from({ length: written }, (_, i) => i));
  });
});

describe('asks', () => {
  it('time out with AskTimeout when the actor answers too late, and a late reply is dropped harmlessly', async () => {
    const { system } = await start();
    const collector = await system.spawn('collector', fixture('collector'));
    collector.send({ type: 'sleep', ms: 300 });
    const t0 = Date.now();
    await expect(collector.ask({ type: 'count?' }, { timeoutMs: 50 })).rejects.toBeInstanceOf(AskTimeout);
    expect(Date.now() - t0).toBeLessThan(250);
    expect(await collector.ask({ type: 'count?' }, { timeoutMs: 2000 })).toBe(0);
  });

  it('reject with RemoteError when the handler throws, and with NoReply when it does not answer', async () => {
    const { system } = await start();
    const echo = await system.spawn('echo', fixture('echo'));
    const crasher = await system.spawn('crasher', fixture('crasher'));
    const err = await echo.ask({ type: 'throw', message: 'bad input' }).catch((e) => e);
    expect(err).toBeInstanceOf(RemoteError);
    expect(err.message).toMatch(/actor 'echo' failed to answer: Error: bad input/);
    await expect(crasher.ask({ type: 'silent' })).rejects.toBeInstanceOf(NoReply);
  });

  it.each([
    ['an uncaught exception', { type: 'uncaught' }, /actor 'crasher' crashed: Error: boom from a timer/, 1],
    ['process.exit(3)', { type: 'exit', code: 3 }, /actor 'crasher' crashed: its worker exited with code 3/, 3],
  ] as const)('an ask pending on a temporary actor killed by %s rejects with ActorCrashed', async (_, kill, reason, code) => {
    const { system, logs } = await start();
    const crasher = await system.spawn('crasher', fixture('crasher'), { restart: 'temporary' });
    const exits: unknown[] = [];
    system.on('actor-exit', (e) => exits.push(e));
    crasher.send(kill); // sets a 20 ms timer that kills the worker
    const err = await crasher.ask({ type: 'never' }, { timeoutMs: 10_000 }).catch((e) => e); // held until then
    expect(err).toBeInstanceOf(ActorCrashed);
    expect(err.message).toMatch(reason);
    expect(exits).toMatchObject([{ actor: 'crasher', code, crashed: true, cause: 'crash' }]);
    expect(logs.find((l) => l.event === 'failed')).toMatchObject({ actor: 'crasher', code });
    expect(() => crasher.send({ type: 'ping' })).toThrow(/no actor named 'crasher'/);
  });

  it('a graceful stop answers the asks queued before it, then the actor is gone', async () => {
    const { system } = await start();
    const collector = await system.spawn('collector', fixture('collector'));
    collector.send({ type: 'sleep', ms: 200 });
    const pending = collector.ask({ type: 'count?' }, { timeoutMs: 10_000 });
    const stopping = system.stop('collector');
    expect(await pending).toBe(0);
    await stopping;
    expect(() => collector.send({ x: 1 })).toThrow(/no actor named 'collector'/);
  });
});

describe('backpressure', () => {
  it('a full mailbox makes send return false, counts the overflow and loses nothing', async () => {
    const { system } = await start();
    const collector = await system.spawn('collector', fixture('collector'), { mailboxBytes: 4096, wait: 'block' });
    collector.send({ type: 'sleep', ms: 300 });
    await new Promise((r) => setTimeout(r, 50));
    let accepted = 0;
    let refused = 0;
    for (let i = 0; i < 1000; i++) {
      if (collector.send({ i: accepted })) accepted++;
      else refused++;
    }
    expect(refused).toBeGreaterThan(0);
    expect(accepted).toBeGreaterThan(10);
    expect(system.stats().actors.collector!.overflows).toBe(refused);
    const got = await eventually(() => collector.ask({ type: 'dump?' }) as Promise<any[]>, (g) => g.length >= accepted);
    expect(got.map((g) => g.msg.i)).toEqual(Array.from({ length: accepted }, (_, i) => i));
    expect(system.stats().actors.collector!.highWater).toBeGreaterThanOrEqual(accepted);
  });

  it("with onFull 'throw' a full mailbox throws MailboxFull; sendAsync waits for room instead", async () => {
    const { system } = await start();
    const collector = await system.spawn('collector', fixture('collector'), { mailboxBytes: 4096, onFull: 'throw', wait: 'block' });
    collector.send({ type: 'sleep', ms: 200 });
    await new Promise((r) => setTimeout(r, 50));
    let sent = 0;
    let thrown: unknown;
    try {
      for (;;) {
        collector.send({ i: sent });
        sent++;
      }
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(MailboxFull);
    expect((thrown as Error).message).toMatch(/mailbox of actor 'collector' is full/);
    for (let i = 0; i < 20; i++) await collector.sendAsync({ i: sent++ }, { timeoutMs: 5000 });
    const got = await eventually(() => collector.ask({ type: 'dump?' }) as Promise<any[]>, (g) => g.length === sent);
    expect(got.map((g) => g.msg.i)).toEqual(Array.from({ length: sent }, (_, i) => i));
  });

  it("replies wait for room in a full reply ring, also for an actor spawned with onFull 'throw'", async () => {
    const { system } = await start();
    await system.spawn('echo', fixture('echo'));
    const fan = await system.spawn('fan', fixture('fan-out'), { repliesBytes: 1024, onFull: 'throw' });
    const answers = await fan.ask({ type: 'fan', to: 'echo', n: 200 }, { timeoutMs: 10_000 });
    expect(answers).toEqual(Array.from({ length: 200 }, (_, i) => `answer number ${i}`));
  });

  it('an answer too large for the asker\'s reply ring rejects the ask with the remote MessageTooLarge, and the next ask is answered', async () => {
    const { system } = await start();
    const echo = await system.spawn('echo', fixture('echo'), { mailboxBytes: 1 << 20 });
    const huge = randomBytes(160_000); // 160 KB that lz4 cannot shrink; the host takes answers up to 128 KiB
    const err = await echo.ask({ type: 'echo', value: huge }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteError);
    expect(err).toMatchObject({ remoteCode: 'MessageTooLarge' });
    expect((err as Error).message).toMatch(/answer of 160\d{3} bytes is larger than the largest answer actor '\$host' accepts \(131\d{3} bytes, half its reply ring\); raise the asker's repliesBytes/);
    expect(await echo.ask({ type: 'echo', value: 'small' })).toBe('small');
  });

  it('a message larger than half the mailbox is refused with MessageTooLarge, and nothing is written', async () => {
    const { system } = await start();
    const collector = await system.spawn('collector', fixture('collector'), { mailboxBytes: 4096 });
    const huge = Float64Array.from({ length: 300 }, () => Math.random()); // 2400 bytes that lz4 cannot shrink, over the 2040-byte limit
    expect(() => collector.send(huge as never)).toThrow(MessageTooLarge);
    expect(() => collector.send(huge as never)).toThrow(/largest message actor 'collector' accepts \(2040 bytes/);
    expect(collector.send(Float64Array.from({ length: 200 }, () => Math.random()) as never)).toBe(true);
    const got = await eventually(() => collector.ask({ type: 'dump?' }) as Promise<any[]>, (g) => g.length === 1);
    expect(got[0].msg).toEqual({ typed: 'Float64Array', length: 200 });
  });
});

describe('failures and lifecycle', () => {
  it('a receive that throws is caught, counted and logged, and the actor keeps processing', async () => {
    const { system, logs } = await start();
    const echo = await system.spawn('echo', fixture('echo'));
    const events: any[] = [];
    system.on('actor-error', (e) => events.push(e));
    for (let i = 0; i < 5; i++) echo.send({ type: 'throw', message: `bad ${i}` });
    expect(await echo.ask({ type: 'count?' })).toBe(5);
    await eventually(() => events.length, (n) => n === 5);
    expect(events[0]).toMatchObject({ actor: 'echo', event: 'handler-error', error: { message: 'bad 0' } });
    expect(system.stats().actors.echo!.errors).toBe(5);
    const line = logs.find((l) => l.event === 'handler-error');
    expect(line).toMatchObject({ level: 50, actor: 'echo', reason: { message: 'bad 0' } });
    expect(String((line!.reason as { stack: string }).stack)).toMatch(/bad 0/);
  });

  it('shutdown drains every mailbox, runs stop hooks, and stops actors in reverse start order', async () => {
    const { system: sys, logs } = await start();
    const finals: any[] = [];
    sys.subscribe('stopper.final', (m) => finals.push(m)).ready;
    await sys.spawn('first', fixture('echo'));
    const stopper = await sys.spawn('stopper', fixture('stopper'), { wait: 'block' });
    for (let n = 1; n <= 500; n++) stopper.send({ n });
    await sys.shutdown();
    expect(finals).toEqual([{ handled: 500, sum: (500 * 501) / 2 }]);
    const stops = logs.filter((l) => l.event === 'stopped').map((l) => l.actor);
    expect(stops).toEqual(['stopper', 'first']);
  });

  it('spawn fails with a clear error for a module that is not an actor, an init that throws, or a bad option', async () => {
    const { system } = await start();
    await expect(system.spawn('x', fixture('not-an-actor'))).rejects.toThrow(/must export default defineActor/);
    await expect(system.spawn('y', fixture('init-throws'))).rejects.toBeInstanceOf(SpawnFailed);
    await expect(system.spawn('y', fixture('init-throws'))).rejects.toThrow(/actor 'y' failed to start: Error: no config for this engine/);
    await expect(system.spawn('z', fixture('echo'), { wait: 'sleepy' as never })).rejects.toThrow(/option 'wait' must be one of 'spin', 'block', 'async'; got "sleepy"/);
    await expect(system.spawn('z', fixture('echo'), { mailboxBytes: 1000 })).rejects.toBeInstanceOf(InvalidOption);
    await expect(system.spawn('z', fixture('echo'), { mailbox: 1 } as never)).rejects.toThrow(/child options.mailbox/);
    await expect(system.spawn('z', 'relative/path.js')).rejects.toThrow(/moduleUrl/);
    await system.spawn('z', fixture('echo'));
    await expect(system.spawn('z', fixture('echo'))).rejects.toThrow(/option 'name'/);
    expect(system.actorNames()).toEqual(['z']);
  });

  it('stats report counts, depth, errors, handler time and latency percentiles per actor', async () => {
    const { system } = await start({ latencySampleEvery: 1 });
    const echo = await system.spawn('echo', fixture('echo'));
    for (let i = 0; i < 200; i++) await echo.ask({ type: 'echo', value: i });
    const s = system.stats();
    const e = s.actors.echo!;
    expect(e.state).toBe('running');
    expect(e.received).toBe(200);
    expect(e.sent).toBe(200); // the replies
    expect(e.mailboxDepth).toBe(0);
    expect(e.latencyUs.samples).toBe(200);
    expect(e.latencyUs.p50).toBeGreaterThan(0);
    expect(e.latencyUs.p99).toBeGreaterThanOrEqual(e.latencyUs.p50);
    expect(e.handlerMs).toBeGreaterThan(0);
    expect(s.host).toMatchObject({ sent: 200, asksSent: 200, repliesReceived: 200, pendingAsks: 0 });
  });

  it('host subscriptions see matching publishes from actors and stop after unsubscribe', async () => {
    const { system } = await start();
    const echo = await system.spawn('echo', fixture('echo'));
    const seen: Array<[unknown, string]> = [];
    const off = system.subscribe('risk.alert.*', (m, t) => seen.push([m, t]));
    await off.ready;
    echo.send({ type: 'publish', topic: 'risk.alert.AAPL', msg: { level: 2 } });
    echo.send({ type: 'publish', topic: 'risk.other', msg: { level: 9 } });
    await eventually(() => seen.length, (n) => n === 1);
    off();
    echo.send({ type: 'publish', topic: 'risk.alert.MSFT', msg: { level: 3 } });
    await echo.ask({ type: 'count?' });
    await new Promise((r) => setTimeout(r, 50));
    expect(seen).toEqual([[{ level: 2 }, 'risk.alert.AAPL']]);
    expect(() => system.subscribe('', () => {})).toThrow(InvalidOption);
  });

  it('sending to an actor that stopped fails loudly', async () => {
    const { system } = await start();
    const a = await system.spawn('a', fixture('echo'));
    await system.stop('a');
    expect(() => a.send({ type: 'echo', value: 1 })).toThrow(/no actor named 'a'/);
    await expect(a.ask({ type: 'echo', value: 1 })).rejects.toThrow(/no actor named 'a'/);
  });
});
