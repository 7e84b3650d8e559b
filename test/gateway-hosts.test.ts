import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createSystem, InvalidOption, shareHostSnapshots, startGateway, type System } from 'dualbus';
import { HostBoard } from '../src/gateway/hosts.js';
import { buses, cleanups } from './bus-hosts.js';
import { call, parseMetrics, sample } from './gateway-http.js';
import { eventually, fixture } from './helpers.js';

const silent = pino({ level: 'silent' });

describe('hosts sharing their snapshots', () => {
  it('host B shares its snapshot on the bus; host A gateway shows both in /snapshot, /engines?host=all and /metrics', async () => {
    const b = await buses();
    const bus = { marketData: b.md.url, engineLogic: b.el.url, cluster: b.cluster, heartbeatMs: 100 };
    const hostA: System = await createSystem({ name: 'host-a', warmWorkers: 0, bus, logger: silent });
    cleanups.push(() => hostA.shutdown());
    const hostB: System = await createSystem({ name: 'host-b', warmWorkers: 0, bus, logger: silent });
    cleanups.push(() => hostB.shutdown());
    await hostA.spawn('vpin', fixture('gateway-sink'));
    await hostB.spawn('tally', fixture('tally'));
    for (let seq = 0; seq < 7; seq++) hostB.ref('tally').send({ seq });

    const gateway = await startGateway(hostA, { hostsTopic: 'gateway.hosts', snapshotIntervalMs: 100 });
    cleanups.push(() => gateway.close());
    expect(() => shareHostSnapshots(hostB, { topic: 'gateway.*' })).toThrow(InvalidOption);
    const stop = shareHostSnapshots(hostB, { topic: 'gateway.hosts', everyMs: 100 });
    cleanups.push(stop);

    const snap = await eventually(() => call(gateway.url, 'GET', '/snapshot'), (a) => a.body.hosts.length === 2 && a.body.hosts[1].engines[0]?.received >= 7 && a.body.hosts[1].bus.mdSent > 0, 15_000);
    const [a, bb] = snap.body.hosts;
    expect(a).toMatchObject({ host: 'host-a', engines: [{ host: 'host-a', name: 'vpin', state: 'running' }], bus: { elSent: expect.any(Number), mdSent: expect.any(Number) } });
    expect(bb).toMatchObject({ host: 'host-b', engines: [{ host: 'host-b', name: 'tally', path: '$spawned/tally', state: 'running' }], tree: [{ name: '$spawned', kind: 'supervisor', children: [{ name: 'tally', kind: 'engine' }] }] });
    expect(bb.bus.mdSent).toBeGreaterThan(0); // its earlier snapshots went out on the market-data bus

    const all = await call(gateway.url, 'GET', '/engines?host=all');
    expect(all.body.engines.map((e: any) => `${e.host}/${e.name}`)).toEqual(['host-a/vpin', 'host-b/tally']);
    expect((await call(gateway.url, 'GET', '/engines?host=host-b')).body.engines.map((e: any) => e.name)).toEqual(['tally']);
    expect((await call(gateway.url, 'GET', '/engines')).body.engines.map((e: any) => e.name)).toEqual(['vpin']);

    const m = parseMetrics(await (await fetch(`${gateway.url}/metrics`)).text());
    const received = sample(m, 'dualbus_actor_messages_received_total', { host: 'host-b', actor: 'tally' });
    expect(received).toBeGreaterThanOrEqual(7);
    expect(sample(m, 'dualbus_actor_state', { host: 'host-b', actor: 'tally', state: 'running' })).toBe(1);
    expect(sample(m, 'dualbus_actor_state', { host: 'host-a', actor: 'vpin', state: 'running' })).toBe(1);
    expect(sample(m, 'dualbus_bus_md_sent_total', { host: 'host-b' })).toBeGreaterThan(0);
    expect(sample(m, 'dualbus_gateway_hosts')).toBe(2);

    // host A's gateway publishes its own snapshot too: host B hears it on the same topic
    const heard: string[] = [];
    const off = hostB.subscribe('gateway.hosts.*', (msg) => heard.push(msg.host));
    cleanups.push(off);
    await eventually(() => heard, (h) => h.includes('host-a'), 15_000);
  }, 60_000);

  it('another host snapshot older than 5 s is dropped; a message that is not a snapshot is ignored and counted', () => {
    let deliver: (msg: unknown, topic: string) => void = () => {};
    const system = {
      subscribe(pattern: string, handler: typeof deliver) {
        expect(pattern).toBe('hosts.*');
        deliver = handler;
        return Object.assign(() => {}, { ready: Promise.resolve() });
      },
    };
    const board = new HostBoard('me', system as never, 'hosts');
    const snap = (host: string) => ({ host, ts: 1, engines: [{ name: 'x' }], tree: [], caches: {}, kernels: { threads: 0, queued: 0, kernels: {} }, bus: null });
    const t0 = Date.now();
    deliver(snap('me'), 'hosts.me'); // its own, already shown first
    deliver(snap('zeta'), 'hosts.zeta');
    deliver(snap('alpha'), 'hosts.alpha');
    deliver({ host: 'broken' }, 'hosts.broken');
    deliver('hello', 'hosts.x');
    expect(board.hosts(t0).map((h) => h.host)).toEqual(['alpha', 'zeta']);
    expect(board.rejected).toBe(2);
    expect(board.hosts(t0 + 4_000).map((h) => h.host)).toEqual(['alpha', 'zeta']);
    expect(board.hosts(t0 + 6_000)).toEqual([]);
  });
});
