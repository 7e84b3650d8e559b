// Connections to the buses, made only in the bridge worker: ioredis is loaded there, not in every
// thread that loads the package (an actor's worker imports the package root; ioredis alone cost
// about 100 ms of each worker's boot and 6 MB of its heap).
import { Cluster, Redis } from 'ioredis';
import { isClusterTarget, type RedisTarget } from './config.js';

/**
 * What a connection is for:
 * - 'reliable' (engine logic): commands wait in a queue while Redis is away and are sent when it is back;
 * - 'lossy' (market-data publishes): a command fails at once while Redis (or, on a Cluster, the
 *   shard of its channel) is away, and is counted dropped by the caller;
 * - 'subscriber' (market-data subscriptions): on a Cluster, one sharded subscriber per master
 *   (SSUBSCRIBE goes to the shard of its channel, and follows it to a promoted replica).
 */
export type ConnectionUse = 'reliable' | 'lossy' | 'subscriber';

/** Connects to one bus. */
export function connectRedis(target: RedisTarget, name: string, use: ConnectionUse): Redis | Cluster {
  const offlineQueue = use !== 'lossy';
  const common = {
    connectionName: name,
    enableOfflineQueue: offlineQueue,
    maxRetriesPerRequest: offlineQueue ? null : 1,
    // Reconnect with backoff for ever: a bus that comes back is used again.
    retryStrategy: (attempt: number) => Math.min(50 * 2 ** Math.min(attempt, 6), 2000),
  };
  if (typeof target === 'string') return new Redis(target, common);
  if (isClusterTarget(target)) {
    return new Cluster(target.cluster, {
      ...target.options,
      enableOfflineQueue: offlineQueue,
      // A publish caught by a failover is dropped and counted, not retried: a retry would arrive
      // seconds late and behind newer ones. (Reliable commands are retried while a replica takes over.)
      ...(use === 'lossy' ? { retryDelayOnFailover: 0 } : {}),
      shardedSubscribers: use === 'subscriber',
      // Without an offline queue, a node connection still connecting refuses commands: ioredis makes
      // them lazily, at a node's first command, so the connections are made at once instead.
      redisOptions: { ...target.options?.redisOptions, ...common, ...(use === 'lossy' ? { lazyConnect: false } : {}) },
    });
  }
  return new Redis({ ...target, ...common });
}
