import { fork, type ChildProcess } from 'node:child_process';
import { afterEach, expect } from 'vitest';
import type { RedisTarget } from 'dualbus';
import { RedisCluster } from '../tools/redis-cluster.js';
import { RedisServer } from '../tools/redis-server.js';
import { eventually, fixture } from './helpers.js';

/** Run after each test, last added first: hosts killed, Redis servers stopped. */
export const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

let clusterSeq = 0;

/** Two redis-servers as the two buses. */
export interface Buses extends TestBuses {
  md: RedisServer;
  el: RedisServer;
}

/** A cluster name no other test uses (hosts of one test see only each other). */
export const clusterName = (): string => `t${process.pid}-${++clusterSeq}`;

/** The two buses on two fresh redis-server processes (engine logic durable), and a cluster name of its own. */
export async function buses(): Promise<Buses> {
  const md = await RedisServer.start();
  const el = await RedisServer.start({ durable: true });
  cleanups.push(() => md.stop(), () => el.stop());
  return { md, el, cluster: clusterName() };
}

/**
 * Where the two buses of a test are: single servers, or a Redis Cluster carrying both; `targets`:
 * how hosts reach them when not by URL or cluster nodes (ioredis options: TLS, an ACL user).
 */
export interface TestBuses {
  md: RedisServer | RedisCluster;
  el: RedisServer | RedisCluster;
  cluster: string;
  targets?: { marketData: RedisTarget; engineLogic: RedisTarget };
}

/** A bus as host-process.ts takes it in argv: a URL, or a cluster target as JSON. */
const argvTarget = (bus: RedisServer | RedisCluster): string => (bus instanceof RedisCluster ? JSON.stringify(bus.target) : bus.url);

/** A system in a child process (test/fixtures/host-process.ts), on the bus, driven over IPC. */
export class Host {
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  readonly exited: Promise<number | null>;

  private constructor(readonly name: string, readonly proc: ChildProcess) {
    this.exited = new Promise((resolve) => proc.once('exit', (code) => resolve(code)));
    proc.on('message', (m: { id: number; ok: boolean; value?: unknown; error?: { name: string; message: string; code?: string } }) => {
      const p = this.pending.get(m.id);
      if (p === undefined) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve(m.value);
      else p.reject(Object.assign(new Error(m.error!.message), m.error));
    });
  }

  /** `b.targets`: bus targets other than the servers' URLs (ioredis options: TLS, a user), passed as JSON. */
  static async start(name: string, b: TestBuses, actors: string[] = [], env: Record<string, string> = {}): Promise<Host> {
    const [md, el] = b.targets === undefined ? [argvTarget(b.md), argvTarget(b.el)] : [JSON.stringify(b.targets.marketData), JSON.stringify(b.targets.engineLogic)];
    const proc = fork(fixture('host-process'), [name, md, el, ...actors], { env: { ...process.env, DUALBUS_TEST_CLUSTER: b.cluster, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const host = new Host(name, proc);
    cleanups.push(() => host.kill());
    await new Promise<void>((resolve, reject) => {
      proc.once('message', () => resolve());
      proc.once('exit', (code) => reject(new Error(`host ${name} exited with code ${code} while starting`)));
    });
    return host;
  }

  call<T = any>(cmd: Record<string, unknown>): Promise<T> {
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.proc.send({ id, ...cmd });
    });
  }

  async kill(): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
    await this.exited;
  }
}

/**
 * What two hosts on a bus must be able to do with each other, whatever carries it (single servers,
 * TLS, a Redis Cluster): asks both ways and an error thrown across, 100 sends in order, a send from
 * an actor of A to an actor of B, and wildcard publishes. Host A runs `echo`; host B `collector` and `tally`.
 */
export async function exchangeAcrossHosts(a: Host, hb: Host): Promise<void> {
  for (const name of ['collector', 'tally']) await eventually(() => a.call<boolean>({ cmd: 'knows?', name }), (k) => k, 10_000);
  await eventually(() => hb.call<boolean>({ cmd: 'knows?', name: 'echo' }), (k) => k, 10_000);
  // ask across hosts, both ways, and an error thrown on the other host comes back as the asker's RemoteError
  expect(await a.call({ cmd: 'ask', to: 'collector', msg: { type: 'count?' } })).toBe(0);
  expect(await hb.call({ cmd: 'ask', to: 'echo', msg: { type: 'echo', value: { deep: [1, 'two'] } } })).toEqual({ deep: [1, 'two'] });
  await expect(hb.call({ cmd: 'ask', to: 'echo', msg: { type: 'throw', message: 'bad input' } })).rejects.toThrow(/bad input/);
  // sends from the host of A, in order; and from an actor of A (echo forwards) to an actor of B
  for (let seq = 0; seq < 100; seq++) await a.call({ cmd: 'send', to: 'tally', msg: { seq } });
  await a.call({ cmd: 'send', to: 'echo', msg: { type: 'forward', to: 'collector', msg: { via: 'echo' } } });
  const tally = await eventually(() => hb.call<any>({ cmd: 'ask', to: 'tally', msg: { type: 'tally?' } }), (t) => t.count === 100, 10_000);
  expect(tally).toEqual({ count: 100, unique: 100, outOfOrder: 0, max: 99 });
  const got = await eventually(() => hb.call<any[]>({ cmd: 'ask', to: 'collector', msg: { type: 'dump?' } }), (g) => g.length === 1, 10_000);
  expect(got[0]).toMatchObject({ msg: { via: 'echo' } });
  // publish: a wildcard subscription on host B sees host A's publishes, and not the others
  await hb.call({ cmd: 'subscribe', pattern: 'md.*.trade' });
  await new Promise((r) => setTimeout(r, 400)); // the pattern reaches host A with the next heartbeats
  await a.call({ cmd: 'publish', topic: 'md.AAPL.trade', msg: { px: 101.5 } });
  await a.call({ cmd: 'publish', topic: 'md.AAPL.quote', msg: { px: 0 } });
  await a.call({ cmd: 'publish', topic: 'md.MSFT.trade', msg: { px: 420 } });
  const seen = await eventually(() => hb.call<any[]>({ cmd: 'collected?' }), (c) => c.length === 2, 10_000);
  expect(seen).toEqual([['md.AAPL.trade', { px: 101.5 }], ['md.MSFT.trade', { px: 420 }]]);
}
