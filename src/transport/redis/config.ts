import { Cluster, Redis, type ClusterNode, type ClusterOptions, type RedisOptions } from 'ioredis';
import { InvalidOption } from '../errors.js';

/**
 * Where one bus lives: a URL, ioredis options (keepalive, timeouts, username/password for
 * AUTH/ACL, tls...), or Redis Cluster nodes with cluster options. Passed to the bridge worker by
 * structured clone, so they must be data: no functions (the bridge sets its own retry strategy).
 */
export type RedisTarget = string | RedisOptions | { cluster: ClusterNode[]; options?: ClusterOptions };

export interface BusOptions {
  /** The high-rate bus (default redis://127.0.0.1:6380). */
  marketData?: RedisTarget;
  /** The reliable bus for commands, events and replies (default redis://127.0.0.1:6381). */
  engineLogic?: RedisTarget;
  /** Namespaces every key and channel: systems with the same cluster name see each other. */
  cluster?: string;
  /** This host's name in the registry (default: the system's name); unique in the cluster. */
  host?: string;
  /** How often the host renews its registry entry; it expires after 3 missed beats. */
  heartbeatMs?: number;
  /** XADD MAXLEN ~ bound of each host's engine-logic stream. */
  streamMaxLen?: number;
  /** A host's stream expires this long after the last write to it (a host that never returns). */
  streamTtlMs?: number;
  /** Entries pending on a consumer that has been silent this long are claimed by another. */
  claimIdleMs?: number;
  /** Engine-logic frames in flight to Redis before the bridge stops reading its ring (backpressure). */
  maxInflightFrames?: number;
  /** The most messages packed into one bus frame. */
  batchMax?: number;
  /** createSystem fails with BusUnavailable when the buses do not answer within this long. */
  startTimeoutMs?: number;
}

export type ResolvedBusOptions = Required<Omit<BusOptions, 'marketData' | 'engineLogic'>> & { marketData: RedisTarget; engineLogic: RedisTarget };

export const BUS_DEFAULTS = Object.freeze({
  marketData: 'redis://127.0.0.1:6380',
  engineLogic: 'redis://127.0.0.1:6381',
  cluster: 'dualbus',
  heartbeatMs: 500,
  streamMaxLen: 100_000,
  streamTtlMs: 3_600_000,
  claimIdleMs: 5_000,
  maxInflightFrames: 64,
  batchMax: 1024,
  startTimeoutMs: 10_000,
});

const KEYS = new Set(['marketData', 'engineLogic', 'cluster', 'host', 'heartbeatMs', 'streamMaxLen', 'streamTtlMs', 'claimIdleMs', 'maxInflightFrames', 'batchMax', 'startTimeoutMs']);

export function resolveBusOptions(given: BusOptions, systemName: string): ResolvedBusOptions {
  if (typeof given !== 'object' || given === null) throw new InvalidOption('bus', 'an object', given);
  for (const k of Object.keys(given)) if (!KEYS.has(k)) throw new InvalidOption(`bus.${k}`, `one of the known options (${[...KEYS].join(', ')})`, k);
  const o = { ...BUS_DEFAULTS, host: systemName, ...Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) } as ResolvedBusOptions;
  for (const k of ['marketData', 'engineLogic'] as const) {
    const t = o[k];
    if (!(typeof t === 'string' ? /^rediss?:\/\//.test(t) : typeof t === 'object' && t !== null)) throw new InvalidOption(`bus.${k}`, 'a redis:// or rediss:// URL, ioredis options, or { cluster: nodes }', t);
    if (typeof t === 'object' && Object.values(t).some((v) => typeof v === 'function')) throw new InvalidOption(`bus.${k}`, 'options made of data (they travel to the bridge worker): no functions', t);
  }
  for (const k of ['cluster', 'host'] as const) {
    if (typeof o[k] !== 'string' || o[k] === '' || /[\s:*?[\]]/.test(o[k])) throw new InvalidOption(`bus.${k}`, "a non-empty name without spaces, ':' or glob characters", o[k]);
  }
  for (const k of ['heartbeatMs', 'streamMaxLen', 'streamTtlMs', 'claimIdleMs', 'maxInflightFrames', 'batchMax', 'startTimeoutMs'] as const) {
    if (!(Number.isInteger(o[k]) && o[k] > 0)) throw new InvalidOption(`bus.${k}`, 'a positive integer', o[k]);
  }
  if (o.batchMax > 0xffff) throw new InvalidOption('bus.batchMax', 'at most 65535', o.batchMax);
  return o;
}

/** Connects to one bus. `offlineQueue: false` makes commands fail at once while Redis is away (market data). */
export function connectRedis(target: RedisTarget, name: string, offlineQueue: boolean): Redis | Cluster {
  const common = {
    connectionName: name,
    enableOfflineQueue: offlineQueue,
    maxRetriesPerRequest: offlineQueue ? null : 1,
    // Reconnect with backoff for ever: a bus that comes back is used again.
    retryStrategy: (attempt: number) => Math.min(50 * 2 ** Math.min(attempt, 6), 2000),
  };
  if (typeof target === 'string') return new Redis(target, common);
  if ('cluster' in target) return new Cluster(target.cluster, { ...target.options, enableOfflineQueue: offlineQueue, redisOptions: { ...target.options?.redisOptions, ...common } });
  return new Redis({ ...target, ...common });
}

/** Key and channel names, all under the cluster's namespace. */
export const busKeys = (cluster: string) => ({
  hosts: `${cluster}:hosts`,
  host: (host: string) => `${cluster}:host:${host}`,
  stream: (host: string) => `${cluster}:el:${host}`,
  channel: (host: string) => `${cluster}:md:${host}`,
  dead: `${cluster}:dead`,
});
