import type { ClusterNode, ClusterOptions, RedisOptions } from 'ioredis';
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
  /**
   * The most engine-logic messages the host holds handed to its actors and not yet handled (not
   * acknowledged to Redis): the bound on what a host killed mid-stream hands out twice after it restarts.
   */
  maxInHand?: number;
  /** createSystem fails with BusUnavailable when the buses do not answer within this long. */
  startTimeoutMs?: number;
  /**
   * How many replicas must hold an engine-logic frame (Redis WAIT) before it counts as sent; until
   * they do, it is written again (the same idempotency keys). 'auto': 1 when engineLogic is a Redis
   * Cluster (a failover then loses no acknowledged frame), 0 on a single Redis.
   */
  replicaAcks?: number | 'auto';
}

export type ResolvedBusOptions = Required<Omit<BusOptions, 'marketData' | 'engineLogic' | 'replicaAcks'>> & { marketData: RedisTarget; engineLogic: RedisTarget; replicaAcks: number };

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
  maxInHand: 16_384,
  startTimeoutMs: 10_000,
  replicaAcks: 'auto',
});

const KEYS = new Set(['marketData', 'engineLogic', 'cluster', 'host', 'heartbeatMs', 'streamMaxLen', 'streamTtlMs', 'claimIdleMs', 'maxInflightFrames', 'batchMax', 'maxInHand', 'startTimeoutMs', 'replicaAcks']);

/** A Redis Cluster target (nodes given), not one server. */
export function isClusterTarget(t: RedisTarget): t is { cluster: ClusterNode[]; options?: ClusterOptions } {
  return typeof t === 'object' && t !== null && 'cluster' in t;
}

export function resolveBusOptions(given: BusOptions, systemName: string): ResolvedBusOptions {
  if (typeof given !== 'object' || given === null) throw new InvalidOption('bus', 'an object', given);
  for (const k of Object.keys(given)) if (!KEYS.has(k)) throw new InvalidOption(`bus.${k}`, `one of the known options (${[...KEYS].join(', ')})`, k);
  const o = { ...BUS_DEFAULTS, host: systemName, ...Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) } as Omit<ResolvedBusOptions, 'replicaAcks'> & { replicaAcks: unknown };
  for (const k of ['marketData', 'engineLogic'] as const) validateTarget(`bus.${k}`, o[k]);
  for (const k of ['cluster', 'host'] as const) {
    // Braces would make a Redis Cluster hash tag of part of a name (see busKeys).
    if (typeof o[k] !== 'string' || o[k] === '' || /[\s:*?[\]{}]/.test(o[k])) throw new InvalidOption(`bus.${k}`, "a non-empty name without spaces, ':', braces or glob characters", o[k]);
  }
  for (const k of ['heartbeatMs', 'streamMaxLen', 'streamTtlMs', 'claimIdleMs', 'maxInflightFrames', 'batchMax', 'maxInHand', 'startTimeoutMs'] as const) {
    if (!(Number.isInteger(o[k]) && o[k] > 0)) throw new InvalidOption(`bus.${k}`, 'a positive integer', o[k]);
  }
  if (o.batchMax > 0xffff) throw new InvalidOption('bus.batchMax', 'at most 65535', o.batchMax);
  if (o.replicaAcks === 'auto') o.replicaAcks = isClusterTarget(o.engineLogic) ? 1 : 0;
  if (!(Number.isInteger(o.replicaAcks) && (o.replicaAcks as number) >= 0)) throw new InvalidOption('bus.replicaAcks', "'auto' or a whole number of replicas (0: the master's acknowledgement is enough)", o.replicaAcks);
  return o as ResolvedBusOptions;
}

function validateTarget(name: string, t: unknown): void {
  if (!(typeof t === 'string' ? /^rediss?:\/\//.test(t) : typeof t === 'object' && t !== null)) throw new InvalidOption(name, 'a redis:// or rediss:// URL, ioredis options, or { cluster: nodes }', t);
  if (typeof t === 'object' && hasFunction(t, 3)) throw new InvalidOption(name, 'options made of data (they travel to the bridge worker): no functions', t);
  if (!isClusterTarget(t as RedisTarget)) return;
  const { cluster: nodes, options } = t as { cluster: unknown; options?: unknown };
  const isNode = (n: unknown) =>
    (typeof n === 'number' && Number.isInteger(n) && n > 0) || (typeof n === 'string' && n !== '') || (typeof n === 'object' && n !== null && Number.isInteger((n as { port?: unknown }).port));
  if (!Array.isArray(nodes) || nodes.length === 0 || !nodes.every(isNode)) throw new InvalidOption(`${name}.cluster`, "a non-empty list of nodes ('host:port', a port, or { host, port })", nodes);
  if (options !== undefined && (typeof options !== 'object' || options === null)) throw new InvalidOption(`${name}.options`, 'ioredis Cluster options (an object)', options);
}

/** Whether a function hides in `v`, down to `depth` levels of objects (cluster options nest redisOptions). */
function hasFunction(v: unknown, depth: number): boolean {
  if (typeof v === 'function') return true;
  if (depth === 0 || typeof v !== 'object' || v === null) return false;
  return Object.values(v).some((x) => hasFunction(x, depth - 1));
}

/**
 * Key and channel names, all under the cluster's namespace. The braces are Redis Cluster hash
 * tags: only the part inside the first pair picks a key's slot. A host's stream and its
 * `<stream>:progress` (see engine-logic.ts) share the slot of `{<cluster>:el:<host>}`, so a host's
 * reads stay on one shard while different hosts spread over the shards; the registry (a set and a
 * hash per host, written together in one MULTI) and the dead-letter stream share the slot of
 * `{<cluster>}`. A market-data channel is a sharded pub/sub channel on a Cluster, on the shard of
 * its own name (nothing is done across channels).
 */
export const busKeys = (cluster: string) => ({
  hosts: `{${cluster}}:hosts`,
  host: (host: string) => `{${cluster}}:host:${host}`,
  stream: (host: string) => `{${cluster}:el:${host}}`,
  channel: (host: string) => `${cluster}:md:${host}`,
  dead: `{${cluster}}:dead`,
});
