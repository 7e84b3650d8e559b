import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { busKeys } from '../src/transport/redis/config.js';
import { buses, cleanups, exchangeAcrossHosts, Host } from './bus-hosts.js';
import { eventually } from './helpers.js';

describe('the dual Redis bus between hosts', () => {
  it('two systems in two processes exchange send, ask and publish, with wildcard subscriptions across hosts', async () => {
    const b = await buses();
    const a = await Host.start('host-a', b, ['echo=echo']);
    const hb = await Host.start('host-b', b, ['collector=collector', 'tally=tally', 'relay=record-relay']);
    await exchangeAcrossHosts(a, hb);
    await eventually(() => a.call<boolean>({ cmd: 'knows?', name: 'relay' }), (k) => k, 10_000);
    // binary records cross hosts as records: the receiver reads them in place (Tick.is holds)
    for (let i = 1; i <= 3; i++) await a.call({ cmd: 'send-tick', to: 'relay', px: 100 * i, qty: 2 });
    expect(await eventually(() => hb.call<any>({ cmd: 'ask', to: 'relay', msg: { type: 'sum?' } }), (r) => r.n === 3, 10_000)).toEqual({ sum: 1200, n: 3 });
  }, 60_000);

  it('payloads cross both bridges unopened: a value only the two ends can decode arrives whole, and its answer comes back whole', async () => {
    const b = await buses();
    const a = await Host.start('host-a', b);
    const hb = await Host.start('host-b', b, ['keeper=money-keeper']);
    await eventually(() => a.call<boolean>({ cmd: 'knows?', name: 'keeper' }), (k) => k, 10_000);
    // Money travels as a msgpack extension type that neither bridge knows: decoding it there would fail.
    for (const [amount, currency] of [[5, 'EUR'], [7.25, 'USD']] as const) await a.call({ cmd: 'send-money', to: 'keeper', amount, currency });
    const kept = await eventually(() => hb.call<any>({ cmd: 'ask', to: 'keeper', msg: { type: 'kept?' } }), (k) => k.kept.length === 2, 10_000);
    expect(kept).toEqual({ kept: [[5, 'EUR'], [7.25, 'USD']], strangers: 0 });
    // The answer to an ask from host A, also Money, crosses back the same way.
    expect(await a.call({ cmd: 'ask-money', to: 'keeper', amount: 12 })).toEqual({ isMoney: true, amount: 12, currency: 'CHF' });
    const [sa, sb] = [await a.call<any>({ cmd: 'stats?' }), await hb.call<any>({ cmd: 'stats?' })];
    expect([sa.bus.rejected, sb.bus.rejected, sb.actors.keeper.errors]).toEqual([0, 0, 0]);
  }, 60_000);

  it('a message its actor can never take (larger than its mailbox allows) is reported and skipped; the stream goes on', async () => {
    const b = await buses();
    const a = await Host.start('host-a', b);
    const hb = await Host.start('host-b', b, ['tally=tally@1024']); // takes messages up to 504 bytes
    await eventually(() => a.call<boolean>({ cmd: 'knows?', name: 'tally' }), (k) => k, 10_000);
    const big = Array.from({ length: 300 }, () => Math.random()); // about 2.7 KB of msgpack that lz4 cannot shrink
    await a.call({ cmd: 'send', to: 'tally', msg: big });
    for (let seq = 0; seq < 10; seq++) await a.call({ cmd: 'send', to: 'tally', msg: { seq } });
    const t = await eventually(() => hb.call<any>({ cmd: 'ask', to: 'tally', msg: { type: 'tally?' } }), (x) => x.count === 10, 10_000);
    expect(t).toEqual({ count: 10, unique: 10, outOfOrder: 0, max: 9 });
    expect((await eventually(() => hb.call<any>({ cmd: 'stats?' }), (s) => s.bus.undeliverable === 1)).bus.undeliverable).toBe(1);
  }, 60_000);

  it('engine-logic Redis killed with SIGKILL and restarted during a 100k-message stream: nothing lost, nothing handled twice', async () => {
    const b = await buses();
    const a = await Host.start('host-a', b);
    const hb = await Host.start('host-b', b, ['tally=tally']);
    await eventually(() => a.call<boolean>({ cmd: 'knows?', name: 'tally' }), (k) => k, 10_000);
    const sending = a.call({ cmd: 'send-many', to: 'tally', from: 0, count: 100_000 });
    await eventually(() => hb.call<any>({ cmd: 'ask', to: 'tally', msg: { type: 'tally?' } }), (t) => t.count >= 20_000, 30_000);
    await b.el.kill();
    await new Promise((r) => setTimeout(r, 500));
    await b.el.launch();
    await sending;
    const t = await eventually(() => hb.call<any>({ cmd: 'ask', to: 'tally', msg: { type: 'tally?' }, timeoutMs: 20_000 }), (x) => x.unique === 100_000, 90_000);
    expect(t).toEqual({ count: 100_000, unique: 100_000, outOfOrder: 0, max: 99_999 });
  }, 150_000);

  it('garbage and corrupt frames injected straight into Redis are rejected, counted and dead-lettered; the bridge keeps running', async () => {
    const b = await buses();
    const a = await Host.start('host-a', b, ['echo=echo']);
    const hb = await Host.start('host-b', b);
    await hb.call({ cmd: 'subscribe', pattern: 'md.*' });
    await eventually(() => hb.call<boolean>({ cmd: 'knows?', name: 'echo' }), (k) => k, 10_000);
    const raw = new Redis(b.el.url);
    const rawMd = new Redis(b.md.url);
    cleanups.push(() => void raw.disconnect(), () => void rawMd.disconnect());
    await raw.xadd(busKeys(b.cluster).stream('host-a'), '*', 'f', Buffer.from('not a dualbus frame, just garbage bytes'));
    await raw.xadd(busKeys(b.cluster).stream('host-a'), '*', 'f', Buffer.alloc(40, 0x44));
    await rawMd.publish(busKeys(b.cluster).channel('host-a'), Buffer.from('garbage on the market-data channel'));
    const stats = await eventually(() => a.call<any>({ cmd: 'stats?' }), (s) => s.bus.rejected === 3, 10_000);
    expect(stats.bus.rejected).toBe(3);
    expect(await raw.xlen(busKeys(b.cluster).dead)).toBe(3);
    expect(await hb.call({ cmd: 'ask', to: 'echo', msg: { type: 'echo', value: 'still here' } })).toBe('still here');
  }, 60_000);

  it('a consumer host killed: the entries it had taken and not acknowledged are claimed by its next process', async () => {
    const b = await buses();
    const a = await Host.start('host-a', b);
    const first = await Host.start('host-b', b, ['tally=slow-tally@1024']);
    await eventually(() => a.call<boolean>({ cmd: 'knows?', name: 'tally' }), (k) => k, 10_000);
    await a.call({ cmd: 'send-many', to: 'tally', from: 0, count: 400 });
    // The slow actor's small mailbox fills (400 messages take it 2 s): host B's bridge holds stream
    // entries it has read and cannot deliver yet. (No ask to look: it would queue behind them.)
    await new Promise((r) => setTimeout(r, 500));
    await first.kill();
    const raw = new Redis(b.el.url);
    cleanups.push(() => void raw.disconnect());
    const [pending] = (await raw.xpending(busKeys(b.cluster).stream('host-b'), 'dualbus')) as [number];
    expect(pending).toBeGreaterThan(0);
    const next = await Host.start('host-b', b, ['tally=tally']);
    const stats = await eventually(() => next.call<any>({ cmd: 'stats?' }), (s) => s.bus.claimed > 0, 15_000);
    expect(stats.bus.claimed).toBeGreaterThan(0);
    const t = await eventually(() => next.call<any>({ cmd: 'ask', to: 'tally', msg: { type: 'tally?' } }), (x) => x.max === 399, 15_000);
    expect(t.outOfOrder).toBe(0);
  }, 60_000);

  it('a host shut down mid-stream hands nothing to its stopping actors: what it did not deliver waits in Redis for its next process', async () => {
    const b = await buses();
    const out = join(mkdtempSync(join(tmpdir(), 'dualbus-bus-')), 'first.json');
    const a = await Host.start('host-a', b);
    const first = await Host.start('host-b', b, ['tally=slow-tally@1024'], { DUALBUS_TALLY_OUT: out });
    await eventually(() => a.call<boolean>({ cmd: 'knows?', name: 'tally' }), (k) => k, 10_000);
    await a.call({ cmd: 'send-many', to: 'tally', from: 0, count: 400 }); // 2 s of work for the slow tally
    await new Promise((r) => setTimeout(r, 500));
    await first.call({ cmd: 'shutdown' });
    await first.exited;
    const before = JSON.parse(readFileSync(out, 'utf8')) as { count: number; seqs: number[] };
    expect(before.count).toBeGreaterThan(0);
    expect(before.count).toBeLessThan(400);
    const next = await Host.start('host-b', b, ['tally=tally']);
    const after = await eventually(() => next.call<any>({ cmd: 'ask', to: 'tally', msg: { type: 'tally?', seqs: true } }), (t) => t.max === 399, 15_000);
    await new Promise((r) => setTimeout(r, 300));
    const last = await next.call<any>({ cmd: 'ask', to: 'tally', msg: { type: 'tally?', seqs: true } });
    // Every one handled once, by one process or the other, each in order.
    expect([...before.seqs, ...last.seqs].sort((x, y) => x - y)).toEqual(Array.from({ length: 400 }, (_, i) => i));
    expect([before.count + last.count, after.outOfOrder]).toEqual([400, 0]);
  }, 60_000);

  it('a host that dies leaves the registry: asks to it fail fast, market data to it is counted as dropped, sends wait for it', async () => {
    const b = await buses();
    const a = await Host.start('host-a', b);
    let hb = await Host.start('host-b', b, ['tally=tally']);
    await hb.call({ cmd: 'subscribe', pattern: 'md.*' });
    await eventually(() => a.call<boolean>({ cmd: 'knows?', name: 'tally' }), (k) => k, 10_000);
    await new Promise((r) => setTimeout(r, 300));
    await hb.kill();
    // Three missed heartbeats (100 ms each) and host B is down for host A.
    const err = await eventually(
      () => a.call({ cmd: 'ask', to: 'tally', msg: { type: 'tally?' }, timeoutMs: 300 }).then(() => undefined, (e: Error) => e),
      (e) => e !== undefined && /is down/.test(e.message),
      10_000,
    );
    expect(err!.message).toMatch(/host 'host-b' of actor 'tally' is down/);
    await a.call({ cmd: 'publish', topic: 'md.AAPL', msg: { px: 1 } });
    await eventually(() => a.call<any>({ cmd: 'stats?' }), (st) => st.bus.mdDropped === 1, 5000); // figures come every 250 ms
    for (let seq = 0; seq < 50; seq++) await a.call({ cmd: 'send', to: 'tally', msg: { seq } });
    // Host B comes back: the sends that waited in its stream are delivered to it.
    hb = await Host.start('host-b', b, ['tally=tally']);
    const t = await eventually(() => hb.call<any>({ cmd: 'ask', to: 'tally', msg: { type: 'tally?' } }), (x) => x.unique === 50, 15_000);
    expect(t.count).toBe(50);
  }, 60_000);
});
