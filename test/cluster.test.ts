import { Cluster, Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { busKeys } from '../src/transport/redis/config.js';
import { RedisCluster } from '../tools/redis-cluster.js';
import { cleanups, exchangeAcrossHosts, Host, type TestBuses } from './bus-hosts.js';
import { eventually } from './helpers.js';

let namespaceSeq = 0;

/** A Redis Cluster of 3 masters and 3 replicas carrying both buses, stopped after the test. */
async function clusterBuses(): Promise<{ redis: RedisCluster; b: TestBuses }> {
  const redis = await RedisCluster.start({ nodeTimeoutMs: 1000, appendfsync: 'everysec' });
  cleanups.push(() => redis.stop());
  return { redis, b: { md: redis, el: redis, cluster: `c${process.pid}-${++namespaceSeq}` } };
}

/** A raw client of the cluster (closed after the test). */
function rawClient(redis: RedisCluster): Cluster {
  const c = new Cluster(redis.target.cluster);
  c.on('error', () => {});
  cleanups.push(() => void c.disconnect());
  return c;
}

const tally = (h: Host, timeoutMs = 5000) => h.call<{ count: number; unique: number; outOfOrder: number; max: number }>({ cmd: 'ask', to: 'tally', msg: { type: 'tally?' }, timeoutMs });

describe('the dual bus on a Redis Cluster', () => {
  it('two systems exchange send, ask and publish with wildcard subscriptions over a cluster: streams on hash-tagged keys, market data on sharded pub/sub', async () => {
    const { redis, b } = await clusterBuses();
    const a = await Host.start('host-a', b, ['echo=echo']);
    const hb = await Host.start('host-b', b, ['collector=collector', 'tally=tally']);
    await exchangeAcrossHosts(a, hb);

    // Where it all lives: host B's stream on the master of its hash tag's slot (with its consumer
    // group), its market-data channel a sharded channel on its own shard, not a plain one.
    const keys = busKeys(b.cluster);
    const raw = rawClient(redis);
    expect(await raw.xlen(keys.stream('host-b'))).toBeGreaterThan(0);
    expect(await raw.call('CLUSTER', 'KEYSLOT', keys.stream('host-b'))).toBe(await raw.call('CLUSTER', 'KEYSLOT', `${keys.stream('host-b')}:progress`));
    const shardOfChannel = await redis.masterOf(keys.channel('host-b'));
    const node = (port: number) => {
      const n = new Redis({ host: '127.0.0.1', port });
      cleanups.push(() => void n.disconnect());
      return n;
    };
    expect(await node(shardOfChannel.port).call('PUBSUB', 'SHARDCHANNELS', `${b.cluster}:md:*`)).toContain(keys.channel('host-b'));
    for (const port of redis.ports) expect(await node(port).call('PUBSUB', 'CHANNELS', `${b.cluster}:md:*`)).toEqual([]);
    const [sa, sb] = [await a.call<any>({ cmd: 'stats?' }), await hb.call<any>({ cmd: 'stats?' })];
    expect([sa.bus.rejected, sb.bus.rejected, sa.bus.mdDropped]).toEqual([0, 0, 0]);
  }, 60_000);

  it('a master killed with SIGKILL mid-stream, its replica promoted: engine logic loses nothing (each write held by a replica, WAIT), market-data loss is counted', async () => {
    const N = 40_000;
    const { redis, b } = await clusterBuses();
    // A namespace whose host-b stream and host-b channel live on one shard: the kill hits both buses.
    for (;;) {
      const keys = busKeys(b.cluster);
      if ((await redis.masterOf(keys.stream('host-b'))).port === (await redis.masterOf(keys.channel('host-b'))).port) break;
      b.cluster = `c${process.pid}-${++namespaceSeq}`;
    }
    const a = await Host.start('host-a', b);
    const hb = await Host.start('host-b', b, ['tally=tally']);
    await hb.call({ cmd: 'subscribe', pattern: 'md.*' });
    await eventually(() => a.call<boolean>({ cmd: 'knows?', name: 'tally' }), (k) => k, 10_000);
    await new Promise((r) => setTimeout(r, 400)); // host B's pattern reaches host A with the next heartbeats

    // A stream of sends that lasts a few seconds (10 a millisecond), and a steady market-data feed
    // (2 a millisecond), both to host B, while its shard fails over.
    const sending = a.call<number>({ cmd: 'send-many', to: 'tally', from: 0, count: N, perMs: 10 });
    const publishing = a.call<number>({ cmd: 'publish-many', topic: 'md.feed', count: 12_000, perMs: 2 });
    await eventually(() => tally(hb), (t) => t.count >= N / 5, 60_000);
    const victim = await redis.masterOf(busKeys(b.cluster).stream('host-b'));
    const atKill = (await tally(hb)).count;
    const killedAt = performance.now();
    await redis.kill(victim.port);
    const promoted = await redis.waitForFailover(victim.port);
    const failoverMs = performance.now() - killedAt;
    // The old master comes back as a replica of the promoted one: frames for host B wait for a
    // replica to hold them (replicaAcks 1) and go on once it has synced.
    await redis.restart(victim.port);
    await eventually(() => tally(hb, 20_000), (t) => t.count > atKill + 2048, 60_000);
    const resumedMs = performance.now() - killedAt;

    expect(await sending).toBe(N);
    const t = await eventually(() => tally(hb, 20_000), (x) => x.unique === N, 90_000);
    expect(t).toEqual({ count: N, unique: N, outOfOrder: 0, max: N - 1 }); // none lost, none twice, in order
    const published = await publishing;
    await new Promise((r) => setTimeout(r, 500)); // the last frames on their way
    const received = await hb.call<number>({ cmd: 'collected-count?' });
    const [sa, sb] = [await a.call<any>({ cmd: 'stats?' }), await hb.call<any>({ cmd: 'stats?' })];
    expect(received).toBeLessThanOrEqual(published);
    expect(sb.bus.mdReceived).toBe(received);
    // Every market-data message lost is counted (a publish whose reply died with the master counts
    // even if it was delivered: the count may be higher, never lower).
    expect(sa.bus.mdDropped + sb.bus.mdDropped).toBeGreaterThanOrEqual(published - received);
    console.log(
      `cluster failover: master :${victim.port} killed with ${atKill} of ${N} sends handled; replica :${promoted.port} promoted after ${Math.round(failoverMs)} ms; ` +
        `engine logic flowing again after ${Math.round(resumedMs)} ms; ${t.unique} of ${N} handled (lost ${N - t.unique}, twice ${t.count - t.unique}); ` +
        `market data: ${published} published, ${received} received, ${published - received} lost (host A counted ${sa.bus.mdDropped} dropped)`,
    );
  }, 120_000);

  it('an engine-logic frame counts as sent only once a replica holds it: with the replica of the shard frozen, sends wait in the sender and each arrives once when it is back', async () => {
    const { redis, b } = await clusterBuses();
    const a = await Host.start('host-a', b);
    const hb = await Host.start('host-b', b, ['tally=tally']);
    await eventually(() => a.call<boolean>({ cmd: 'knows?', name: 'tally' }), (k) => k, 10_000);
    await a.call({ cmd: 'send-many', to: 'tally', from: 0, count: 100 });
    await eventually(() => a.call<any>({ cmd: 'stats?' }), (s) => s.bus.elSent === 100, 10_000);
    const replica = await redis.replicaOf(await redis.masterOf(busKeys(b.cluster).stream('host-b')));
    redis.pause(replica.port);
    cleanups.push(() => redis.resume(replica.port)); // before the cluster stops, whatever happens
    await a.call({ cmd: 'send-many', to: 'tally', from: 100, count: 1000 });
    // The master has the frames (host B may even read them), no replica does: not sent, written again.
    await new Promise((r) => setTimeout(r, 1500));
    const waiting = (await a.call<any>({ cmd: 'stats?' })).bus;
    expect([waiting.elSent, waiting.inflightFrames > 0]).toEqual([100, true]);
    redis.resume(replica.port);
    await eventually(() => a.call<any>({ cmd: 'stats?' }), (s) => s.bus.elSent === 1100 && s.bus.inflightFrames === 0, 15_000);
    // Every message once, in order, although its frame may be in the stream several times.
    expect(await eventually(() => tally(hb), (t) => t.unique === 1100, 10_000)).toEqual({ count: 1100, unique: 1100, outOfOrder: 0, max: 1099 });
  }, 60_000);
});
