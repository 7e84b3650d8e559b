import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startGateway, type Gateway, type System } from 'dualbus';
import { Tick } from './fixtures/records.js';
import { call, parseMetrics, sample } from './gateway-http.js';
import { eventually, fixture, testSystem } from './helpers.js';

/** A real WebSocket client that keeps every frame it got, parsed. */
class StreamClient {
  readonly frames: any[] = [];
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => this.frames.push(JSON.parse(data.toString())));
  }

  static async connect(gateway: Gateway): Promise<StreamClient> {
    const ws = new WebSocket(`${gateway.url.replace('http', 'ws')}/stream`);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    return new StreamClient(ws);
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** The first frame (after `from`) that `ok` accepts, waiting for it. */
  async next(ok: (f: any) => boolean, from = 0, timeoutMs = 5000): Promise<any> {
    return eventually(() => this.frames.slice(from).find(ok), (f) => f !== undefined, timeoutMs);
  }

  /** Subscribes and waits for the acknowledgement (from then on nothing published is missed). */
  async subscribe(...patterns: string[]): Promise<void> {
    const from = this.frames.length;
    this.send({ op: 'subscribe', patterns });
    await this.next((f) => f.type === 'subscribed', from);
  }

  data(prefix: string): any[] {
    return this.frames.filter((f) => typeof f.topic === 'string' && f.topic.startsWith(prefix));
  }

  close(): void {
    this.ws.terminate();
  }
}

describe('the gateway stream (WebSocket /stream)', () => {
  let system: System;
  let gateway: Gateway;
  const clients: StreamClient[] = [];
  const connect = async () => {
    const c = await StreamClient.connect(gateway);
    clients.push(c);
    return c;
  };
  beforeAll(async () => {
    ({ system } = await testSystem({ name: 'st', warmWorkers: 0 }));
    await system.spawn('echo', fixture('echo'));
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await gateway?.close();
    await system?.shutdown();
  });

  it('forwards what is published on subscribed patterns as { topic, data }, once per client; records, typed arrays and BigInts as JSON; bad frames get an error and the socket stays open', async () => {
    gateway = await startGateway(system, { snapshotIntervalMs: 50 });
    expect(await call(gateway.url, 'GET', '/stream')).toMatchObject({ status: 426, body: { error: 'UpgradeRequired', message: expect.stringMatching(/^GET \/stream is a WebSocket/) } });
    const c = await connect();
    c.send('not json');
    c.send({ op: 'dance' });
    c.send({ op: 'subscribe', patterns: 'vpin.*' });
    c.send({ op: 'subscribe', patterns: ['vpin.*', 7] });
    c.send([1]);
    await eventually(() => c.frames.length, (n) => n === 5);
    expect(c.frames[0]).toMatchObject({ error: 'InvalidJson', message: expect.stringMatching(/^a text frame that is not JSON: /) });
    expect(c.frames[1]).toEqual({ error: 'UnknownOp', message: 'a frame must be { "op": "subscribe" | "unsubscribe", "patterns": [...] }; got op "dance"' });
    expect(c.frames[2]).toEqual({ error: 'InvalidField', message: "field 'patterns' must be a non-empty array of topic patterns (strings); got \"vpin.*\"" });
    expect(c.frames[3]).toEqual({ error: 'InvalidField', message: "field 'patterns[1]': a topic pattern must be a string, got number" });
    expect(c.frames[4]).toEqual({ error: 'UnknownOp', message: 'a frame must be { "op": "subscribe" | "unsubscribe", "patterns": [...] }; got op nothing' });
    expect(c.ws.readyState).toBe(WebSocket.OPEN);

    // two patterns matching one topic: the message comes once
    await c.subscribe('vpin.*', 'vpin.AAPL', 'risk.alert.*');
    expect(gateway.stats().subscriptions).toBe(3);
    system.publish('vpin.AAPL', { vpin: 0.42 });
    system.publish('risk.alert.MSFT', { level: 2 });
    system.publish('other.thing', { no: true });
    system.publishRecord('vpin.rec', Tick, { px: 101.5, qty: 3, ts: 7, sym: 1, side: -1, live: true });
    system.publishRecord('vpin.rec', Tick, { px: 99, qty: 1, ts: 8, sym: 2, side: 1, live: false }); // the same view object, pointed elsewhere
    system.publish('vpin.arr', Float64Array.of(1.5, -2));
    system.publish('vpin.big', { big: 2n ** 60n, small: 5n });
    system.ref('echo').send({ type: 'publish', topic: 'vpin.MSFT', msg: { from: 'an actor' } }); // from an actor's thread
    await c.next((f) => f.topic === 'vpin.MSFT');
    expect(c.frames.filter((f) => f.topic !== undefined)).toEqual([
      { topic: 'vpin.AAPL', data: { vpin: 0.42 } },
      { topic: 'risk.alert.MSFT', data: { level: 2 } },
      { topic: 'vpin.rec', data: { px: 101.5, qty: 3, ts: 7, sym: 1, side: -1, live: true } },
      { topic: 'vpin.rec', data: { px: 99, qty: 1, ts: 8, sym: 2, side: 1, live: false } },
      { topic: 'vpin.arr', data: [1.5, -2] },
      { topic: 'vpin.big', data: { big: '1152921504606846976', small: 5 } },
      { topic: 'vpin.MSFT', data: { from: 'an actor' } },
    ]);

    // a second client shares the system subscriptions; unsubscribing stops the messages
    const d = await connect();
    await d.subscribe('vpin.*');
    expect(gateway.stats()).toMatchObject({ clients: 2, subscriptions: 3 });
    const from = c.frames.length;
    c.send({ op: 'unsubscribe', patterns: ['vpin.*', 'vpin.AAPL', 'never.subscribed'] });
    await c.next((f) => f.type === 'unsubscribed', from);
    expect(gateway.stats().subscriptions).toBe(2); // vpin.* still held by d
    system.publish('vpin.AAPL', { after: true });
    system.publish('risk.alert.X', { marker: true });
    await c.next((f) => f.topic === 'risk.alert.X', from);
    await d.next((f) => f.topic === 'vpin.AAPL' && f.data.after === true);
    expect(c.frames.slice(from).filter((f) => f.topic?.startsWith('vpin.'))).toEqual([]);
    d.close();
    await eventually(() => gateway.stats(), (s) => s.clients === 1 && s.subscriptions === 1); // the last one out of vpin.* ended it
  });

  it('$snapshot pushes the snapshot at once and every snapshotIntervalMs', async () => {
    const c = await connect();
    const t0 = Date.now();
    await c.subscribe('$snapshot');
    const first = await c.next((f) => f.topic === '$snapshot');
    expect(first.data.hosts[0]).toMatchObject({ host: 'st', engines: [{ name: 'echo', state: 'running' }], bus: null });
    await eventually(() => c.data('$snapshot').length, (n) => n >= 4, 2000);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(100); // 50 ms apart, not a burst
    const from = c.frames.length;
    c.send({ op: 'unsubscribe', patterns: ['$snapshot'] });
    await c.next((f) => f.type === 'unsubscribed', from);
    const count = c.data('$snapshot').length;
    await new Promise((r) => setTimeout(r, 200));
    expect(c.data('$snapshot').length).toBe(count);
    await gateway.close();
  });

  it('a client that does not read has its messages dropped past maxBufferedBytes and is told how many; the host keeps at most that for it; a fast client gets everything in order', async () => {
    const maxBufferedBytes = 256 << 10;
    gateway = await startGateway(system, { maxBufferedBytes });
    const slow = await connect();
    const fast = await connect();
    await slow.subscribe('flood.*');
    await fast.subscribe('flood.*');
    (slow.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause(); // reads nothing from here on

    const n = 6000;
    const pad = 'x'.repeat(4000);
    let frameBytes = 0;
    for (let seq = 0; seq < n; seq++) {
      const msg = { seq, pad };
      frameBytes = Math.max(frameBytes, JSON.stringify({ topic: 'flood.t', data: msg }).length);
      while (!system.publish('flood.t', msg)) await new Promise((r) => setImmediate(r)); // the host's own ring is full: let its inbox drain
      // flow control by the fast client: it is never more than 32 frames (128 KB) behind
      if (seq % 16 === 15) await eventually(() => fast.data('flood.').length, (got) => got >= seq - 32, 10_000);
    }
    const got = await eventually(() => fast.data('flood.'), (f) => f.length === n, 10_000);
    expect(got.map((f) => f.data.seq)).toEqual(Array.from({ length: n }, (_, i) => i));

    const stats = gateway.stats();
    expect(stats.dropped).toBeGreaterThan(0);
    expect(stats.maxBuffered).toBeLessThanOrEqual(maxBufferedBytes + frameBytes + 16); // a frame header is at most 14 bytes
    expect(stats.sent).toBe(2 * n - stats.dropped);
    const m = parseMetrics(await (await fetch(`${gateway.url}/metrics`)).text());
    expect(sample(m, 'dualbus_gateway_ws_messages_dropped_total', { host: 'st' })).toBe(stats.dropped);
    expect(sample(m, 'dualbus_gateway_ws_messages_sent_total', { host: 'st' })).toBe(stats.sent);
    expect(sample(m, 'dualbus_gateway_ws_clients', { host: 'st' })).toBe(2);

    // reading again, it drains, and is told how many it missed: what it got and what it missed make n
    (slow.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    const told = () => slow.frames.filter((f) => f.type === 'dropped').reduce((sum, f) => sum + f.count, 0);
    await eventually(told, (t) => t === stats.dropped, 10_000);
    const seqs = slow.data('flood.').map((f) => f.data.seq);
    expect(seqs.length + told()).toBe(n);
    expect(seqs.every((s, i) => i === 0 || s > seqs[i - 1])).toBe(true);
    expect(slow.frames.filter((f) => f.type === 'dropped').at(-1).total).toBe(stats.dropped);
  }, 60_000);
});
