import { afterEach, describe, expect, it } from 'vitest';
import { InvalidOption, createSystem, type System } from 'dualbus';
import { RedisServer } from '../tools/redis-server.js';
import { eventually, fixture } from './helpers.js';
import { pino } from 'pino';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
const silent = pino({ level: 'silent' });

describe('bus configuration', () => {
  it('passes ioredis options through: two systems on password-protected Redis servers talk', async () => {
    const md = await RedisServer.start({ password: 's3cret' });
    const el = await RedisServer.start({ durable: true, password: 's3cret' });
    cleanups.push(() => md.stop(), () => el.stop());
    const bus = { marketData: { host: '127.0.0.1', port: md.port, password: 's3cret' }, engineLogic: { host: '127.0.0.1', port: el.port, password: 's3cret' }, cluster: 'auth', heartbeatMs: 100 };
    const a: System = await createSystem({ name: 'host-a', logger: silent, bus });
    cleanups.push(() => a.shutdown());
    const b: System = await createSystem({ name: 'host-b', logger: silent, bus });
    cleanups.push(() => b.shutdown());
    await b.spawn('echo', fixture('echo'), { standby: false });
    await eventually(() => { try { a.ref('echo'); return true; } catch { return false; } }, (k) => k, 10_000);
    expect(await a.ref('echo').ask({ type: 'echo', value: 42 })).toBe(42);
  }, 30_000);

  it('refuses a wrong bus option with a message naming it, and a Redis that cannot be reached with BusUnavailable', async () => {
    await expect(createSystem({ logger: silent, bus: { marketData: 'http://x' } })).rejects.toThrow(InvalidOption);
    await expect(createSystem({ logger: silent, bus: { marketData: 'http://x' } })).rejects.toThrow(/bus.marketData' must be a redis:\/\/ or rediss:\/\/ URL/);
    await expect(createSystem({ logger: silent, bus: { heartbeatMs: 0 } })).rejects.toThrow(/bus.heartbeatMs' must be a positive integer/);
    await expect(createSystem({ logger: silent, bus: { colour: 'red' } as never })).rejects.toThrow(/bus.colour/);
    const err = await createSystem({ logger: silent, bus: { marketData: 'redis://127.0.0.1:1', engineLogic: 'redis://127.0.0.1:2', startTimeoutMs: 500 } }).catch((e) => e);
    expect(err.code).toBe('BusUnavailable');
    // Each bus named, with why it did not answer (never a password).
    expect(err.message).toMatch(/no answer within 500 ms from market-data redis:\/\/127.0.0.1:1 \(last error: connect ECONNREFUSED 127.0.0.1:1\) and engine-logic redis:\/\/127.0.0.1:2 \(last error: connect ECONNREFUSED 127.0.0.1:2\)/);
  });

  it('refuses a Redis Cluster target without nodes, options with functions inside, a name with braces (a hash tag) and a bad replicaAcks, naming the option', async () => {
    await expect(createSystem({ logger: silent, bus: { engineLogic: { cluster: [] } } })).rejects.toThrow(/bus.engineLogic.cluster' must be a non-empty list of nodes/);
    await expect(createSystem({ logger: silent, bus: { marketData: { cluster: [{ host: '127.0.0.1' }] } as never } })).rejects.toThrow(/bus.marketData.cluster'/);
    const natMap = () => null;
    await expect(createSystem({ logger: silent, bus: { engineLogic: { cluster: [7000], options: { natMap } } } })).rejects.toThrow(/bus.engineLogic' must be options made of data/);
    await expect(createSystem({ logger: silent, bus: { host: 'a{b}' } })).rejects.toThrow(/bus.host' must be a non-empty name without spaces, ':', braces/);
    await expect(createSystem({ logger: silent, bus: { replicaAcks: -1 } })).rejects.toThrow(/bus.replicaAcks' must be 'auto' or a whole number/);
  });
});
