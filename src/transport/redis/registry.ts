import type { Cluster, Redis } from 'ioredis';
import { busKeys } from './config.js';

/** What a host publishes about itself: its actors and its topic patterns. */
export interface HostRecord {
  host: string;
  alive: boolean;
  actors: string[];
  patterns: string[];
}

/**
 * The directory of hosts in Redis: each host renews `{<cluster>}:host:<name>` (its actors and topic
 * patterns) every heartbeat with an expiry of three beats, and is listed in `{<cluster>}:hosts`
 * (in one MULTI: on a Redis Cluster the hash tag puts every registry key in one slot). A
 * host whose entry expired is dead: its actors stay known (messages for them wait in its stream)
 * but it is not alive (asks to it fail fast, market data to it is dropped and counted).
 */
export class Registry {
  private readonly keys;

  constructor(
    private readonly redis: Redis | Cluster,
    cluster: string,
    private readonly host: string,
    private readonly ttlMs: number,
  ) {
    this.keys = busKeys(cluster);
  }

  async beat(actors: readonly string[], patterns: readonly string[]): Promise<void> {
    const key = this.keys.host(this.host);
    await this.redis
      .multi()
      .hset(key, 'actors', JSON.stringify(actors), 'patterns', JSON.stringify(patterns), 'at', String(Date.now()))
      .pexpire(key, this.ttlMs)
      .sadd(this.keys.hosts, this.host)
      .exec();
  }

  /** Every other host ever registered, alive or not. */
  async others(): Promise<HostRecord[]> {
    const names = (await this.redis.smembers(this.keys.hosts)).filter((h) => h !== this.host).sort();
    const out: HostRecord[] = [];
    for (const host of names) {
      const h = await this.redis.hgetall(this.keys.host(host));
      const alive = h.actors !== undefined;
      out.push({ host, alive, actors: alive ? parseList(h.actors) : [], patterns: alive ? parseList(h.patterns) : [] });
    }
    return out;
  }

  async leave(): Promise<void> {
    await this.redis.del(this.keys.host(this.host));
  }
}

function parseList(json: string | undefined): string[] {
  try {
    const v = JSON.parse(json ?? '[]') as unknown;
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}
