import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { Packr } from 'msgpackr';
import { Encoding } from '../src/transport/codec/frame.js';
import { BusKind, encodeBusFrame, type BusMessage } from '../src/transport/redis/bus-frame.js';
import { EngineLogicConsumer, appendFrame, type EngineLogicOptions } from '../src/transport/redis/engine-logic.js';
import { eventually } from './helpers.js';
import { RedisServer } from '../tools/redis-server.js';
import { RedisProxy } from './redis-proxy.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function server(): Promise<RedisServer> {
  const s = await RedisServer.start({ durable: true });
  cleanups.push(() => s.stop());
  return s;
}

function client(s: { url: string }): Redis {
  // Reconnect quickly and keep commands queued while Redis is away (at-least-once needs resends).
  const r = new Redis(s.url, { lazyConnect: false, maxRetriesPerRequest: null, retryStrategy: (n) => Math.min(20 * n, 200) });
  r.on('error', () => {}); // connection errors while Redis is down are expected here; commands are retried
  cleanups.push(() => void r.disconnect());
  return r;
}

const options = (consumer: string, claimIdleMs = 5000, dedupeWindow = 1_000_000): EngineLogicOptions => ({ stream: 'test:el:host-b', group: 'dualbus', consumer, maxLen: 1_000_000, claimIdleMs, dedupeWindow, progressTtlMs: 60_000, maxInHand: 100_000, entryMessagesMax: 256 });
const packr = new Packr();
/** Messages `from` .. `from + n - 1` of host-a, as one bus frame (sequence numbers from + 1 ...). */
const batch = (from: number, n: number): Buffer =>
  encodeBusFrame('host-a', 1, from + 1, Array.from({ length: n }, (_, i): BusMessage => ({ kind: BusKind.Send, address: 'risk', encoding: Encoding.Msgpack, payload: packr.pack({ seq: from + i }) })));

function consume(redis: Redis, consumer: string, claimIdleMs?: number, dedupeWindow?: number) {
  const handled = new Map<string, number>();
  const order = { last: -1, outOfOrder: 0 };
  const rejected: string[] = [];
  const c = new EngineLogicConsumer(
    redis,
    options(consumer, claimIdleMs, dedupeWindow),
    (frame, from, to) => {
      for (let i = from; i < to; i++) see((packr.unpack(frame.payload(i)) as { seq: number }).seq);
      return to - from;
    },
    (_id, err) => rejected.push(err.message),
    () => {},
  );
  function see(seq: number): void {
    handled.set(`host-a:${seq}`, (handled.get(`host-a:${seq}`) ?? 0) + 1);
    if (seq < order.last) order.outOfOrder++;
    order.last = Math.max(order.last, seq);
  }
  c.start();
  cleanups.push(() => c.stop());
  return { c, handled, order, rejected };
}

describe('the engine-logic bus (Redis streams, consumer groups)', () => {
  it('Redis killed with SIGKILL and restarted three times during a 100k-message stream: nothing lost, nothing handled twice, order kept', async () => {
    const redis = await server();
    const producer = client(redis);
    const { c, handled, order } = consume(client(redis), 'b-1');
    let sent = 0;
    const sending = (async () => {
      for (let from = 0; from < 100_000; from += 100) {
        const frame = batch(from, 100);
        for (;;) {
          try {
            await appendFrame(producer, 'test:el:host-b', 1_000_000, frame);
            break;
          } catch {
            await new Promise((r) => setTimeout(r, 20)); // Redis is away: the same frame again (ids make it idempotent)
          }
        }
        sent += 100;
      }
    })();
    for (const at of [20_000, 45_000, 70_000]) {
      await eventually(() => sent, (n) => n >= at, 30_000);
      await redis.kill();
      await new Promise((r) => setTimeout(r, 300));
      await redis.launch();
    }
    await sending;
    await eventually(() => handled.size, (n) => n === 100_000, 60_000);
    expect([...handled.values()].every((n) => n === 1)).toBe(true);
    expect(c.counters.handled).toBe(100_000);
    expect(order.outOfOrder).toBe(0);
  }, 120_000);

  it('a read whose reply is lost with the connection (Redis handed the entries out, then the socket died): its entries come first, in order, once', async () => {
    const redis = await server();
    const producer = client(redis);
    const proxy = await RedisProxy.start(redis.port);
    cleanups.push(() => proxy.stop());
    await producer.xgroup('CREATE', 'test:el:host-b', 'dualbus', '0', 'MKSTREAM');
    await appendFrame(producer, 'test:el:host-b', 1000, batch(0, 100));
    // The consumer's first read of new entries ('>') takes frame 0-99 into its pending list, and
    // the reply never arrives; ioredis sends the read again on its new connection, which finds 100-199.
    const cut = proxy.loseReplyTo('$1\r\n>\r\n'); // the id argument '>' of XREADGROUP, as RESP sends it
    const { c, handled, order } = consume(client(proxy), 'b-1');
    await cut;
    await appendFrame(producer, 'test:el:host-b', 1000, batch(100, 100));
    await eventually(() => handled.size, (n) => n === 200, 10_000);
    expect(order.outOfOrder).toBe(0);
    expect([...handled.values()].every((n) => n === 1)).toBe(true);
    expect(c.counters.claimed).toBe(0); // not left behind for XAUTOCLAIM to find later
    expect(await producer.xpending('test:el:host-b', 'dualbus')).toEqual([0, null, null, null]);
  });

  it('a message left for later (its actor not there yet) is not overtaken by newer ones to the same actor', async () => {
    const redis = await server();
    const producer = client(redis);
    let present = false;
    const got: number[] = [];
    const c = new EngineLogicConsumer(
      client(redis),
      options('b-1'),
      (frame, from, to) => {
        if (!present) return 'later';
        for (let i = from; i < to; i++) got.push((packr.unpack(frame.payload(i)) as { seq: number }).seq);
        return to - from;
      },
      () => {},
      () => {},
    );
    c.start();
    cleanups.push(() => c.stop());
    await producer.xgroup('CREATE', 'test:el:host-b', 'dualbus', '0', 'MKSTREAM').catch(() => {});
    await appendFrame(producer, 'test:el:host-b', 1000, batch(0, 10));
    await eventually(() => c.counters.received, (n) => n === 1); // read, and left pending: no actor yet
    present = true; // the actor arrives; a newer frame comes before the pending one is read again
    await appendFrame(producer, 'test:el:host-b', 1000, batch(10, 10));
    await eventually(() => got.length, (n) => n === 20, 5000);
    expect(got).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('an entry partly delivered (one of its actors not there yet) delivers each of its messages once, however far the dedupe window moved meanwhile', async () => {
    const redis = await server();
    const producer = client(redis);
    let mlPresent = false;
    const got: string[] = [];
    const c = new EngineLogicConsumer(
      client(redis),
      options('b-1', 5000, 4), // a dedupe window of 4: the second frame moves it past the first
      (frame, from, to) => {
        // As the bridge does: the run of messages to the first one's actor, or 'later' for them.
        const address = frame.entries[from]!.address;
        if (address === 'ml' && !mlPresent) return 'later';
        let i = from;
        for (; i < to && frame.entries[i]!.address === address; i++) got.push(`${address}:${(packr.unpack(frame.payload(i)) as { seq: number }).seq}`);
        return i - from;
      },
      () => {},
      () => {},
    );
    c.start();
    cleanups.push(() => c.stop());
    const to = (address: string, seqs: number[]): BusMessage[] => seqs.map((seq) => ({ kind: BusKind.Send, address, encoding: Encoding.Msgpack, payload: packr.pack({ seq }) }));
    await producer.xgroup('CREATE', 'test:el:host-b', 'dualbus', '0', 'MKSTREAM').catch(() => {});
    await appendFrame(producer, 'test:el:host-b', 1000, encodeBusFrame('host-a', 1, 1, [...to('risk', [0, 1, 2]), ...to('ml', [3, 4])]));
    await appendFrame(producer, 'test:el:host-b', 1000, encodeBusFrame('host-a', 1, 6, to('risk', [5, 6, 7, 8, 9, 10, 11, 12])));
    await eventually(() => got.length, (n) => n === 11);
    mlPresent = true; // the pending entry is read again: only its two messages for ml are new
    await eventually(() => got.length, (n) => n >= 13, 5000);
    await new Promise((r) => setTimeout(r, 600)); // two more re-read periods: nothing comes twice
    expect(got).toEqual([...[0, 1, 2].map((n) => `risk:${n}`), ...[5, 6, 7, 8, 9, 10, 11, 12].map((n) => `risk:${n}`), 'ml:3', 'ml:4']);
    expect(c.counters.duplicates).toBe(0);
  });

  it('a new process of a host takes over what its previous one left pending before anything newer, however recent', async () => {
    const redis = await server();
    const producer = client(redis);
    await producer.xgroup('CREATE', 'test:el:host-b', 'dualbus', '0', 'MKSTREAM');
    await appendFrame(producer, 'test:el:host-b', 1000, batch(0, 100));
    const previous = client(redis);
    await previous.xreadgroup('GROUP', 'dualbus', 'b-old', 'COUNT', 1, 'STREAMS', 'test:el:host-b', '>'); // took frame 0-99, then died
    previous.disconnect();
    await appendFrame(producer, 'test:el:host-b', 1000, batch(100, 100)); // never read by it
    const { c, handled, order } = consume(client(redis), 'b-new'); // claimIdleMs 5 s: the entry is far from idle
    await eventually(() => handled.size, (n) => n === 200, 10_000);
    expect(order.outOfOrder).toBe(0);
    expect(c.counters.claimed).toBe(1);
  });

  it('the entries of a consumer that died are claimed by another (XAUTOCLAIM)', async () => {
    const redis = await server();
    const producer = client(redis);
    await producer.xgroup('CREATE', 'test:el:host-b', 'dualbus', '0', 'MKSTREAM');
    for (let from = 0; from < 1000; from += 100) await appendFrame(producer, 'test:el:host-b', 1_000_000, batch(from, 100));
    // Consumer b-1 reads every entry, then dies before acknowledging any.
    const dying = client(redis);
    await dying.xreadgroup('GROUP', 'dualbus', 'b-1', 'COUNT', 1000, 'STREAMS', 'test:el:host-b', '>');
    dying.disconnect();
    const { c, handled } = consume(client(redis), 'b-2', 200);
    await eventually(() => handled.size, (n) => n === 1000, 10_000);
    expect(c.counters.claimed).toBe(10);
    expect(await producer.xpending('test:el:host-b', 'dualbus')).toEqual([0, null, null, null]);
  });

  it('garbage and corrupt frames put straight into Redis are rejected, counted and acknowledged; the good ones flow', async () => {
    const redis = await server();
    const producer = client(redis);
    const { c, handled, rejected } = consume(client(redis), 'b-1');
    const good = batch(0, 10);
    const corrupt = Buffer.from(good);
    corrupt[corrupt.length - 3]! ^= 0x55;
    const wrongVersion = Buffer.from(good);
    wrongVersion.writeUInt8(7, 4);
    await producer.xadd('test:el:host-b', '*', 'f', Buffer.from('garbage bytes, not a dualbus frame at all'));
    await producer.xadd('test:el:host-b', '*', 'f', corrupt);
    await producer.xadd('test:el:host-b', '*', 'f', wrongVersion);
    await producer.xadd('test:el:host-b', '*', 'f', good.subarray(0, good.length - 5));
    await producer.xadd('test:el:host-b', '*', 'other', 'field');
    await appendFrame(producer, 'test:el:host-b', 1000, good);
    await eventually(() => handled.size, (n) => n === 10, 10_000);
    expect(c.counters.rejected).toBe(5);
    expect(rejected.join('\n')).toMatch(/not 'DBUS'[\s\S]*checksum mismatch[\s\S]*version 7[\s\S]*checksum mismatch[\s\S]*no 'f' field/);
    expect(await producer.xpending('test:el:host-b', 'dualbus')).toEqual([0, null, null, null]);
  });

  it('recognises a redelivered id within its dedupe window (the most recent ids), and only there', async () => {
    const redis = await server();
    const producer = client(redis);
    const { c, handled } = consume(client(redis), 'b-1', 5000, 10);
    await appendFrame(producer, 'test:el:host-b', 1000, batch(0, 20));
    await appendFrame(producer, 'test:el:host-b', 1000, batch(15, 5)); // the last 10 include these: duplicates
    await appendFrame(producer, 'test:el:host-b', 1000, batch(0, 2)); // long forgotten: handled again
    await eventually(() => c.counters.handled + c.counters.duplicates, (n) => n === 27, 10_000);
    expect(c.counters).toMatchObject({ handled: 22, duplicates: 5 });
    expect(handled.get('host-a:0')).toBe(2);
    expect(handled.get('host-a:15')).toBe(1);
  });
});
