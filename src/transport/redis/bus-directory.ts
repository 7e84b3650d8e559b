import type { Cluster, Redis } from 'ioredis';
import type { Endpoint, Peer } from '../endpoint/endpoint.js';
import { BRIDGE_ID, BRIDGE_NAME, HOST_NAME, serializeError } from '../protocol.js';
import { matchTopic } from '../topic.js';
import type { BridgeEvents } from './bridge.js';
import type { ResolvedBusOptions } from './config.js';
import { Registry, type HostRecord } from './registry.js';

const ROUTE_CACHE_LIMIT = 10_000;

/**
 * What the bridge knows of the other hosts: which host runs each actor, which hosts are alive, and
 * which hosts' topic patterns a publish matches; renewed every heartbeat from the registry, where
 * this host writes its own actors and patterns. A host that died keeps what it last published:
 * its actors still get sends (they wait in its stream) and its patterns still route here, where
 * market data for it is counted dropped.
 */
export class BusDirectory {
  private readonly registry: Registry;
  private hosts: HostRecord[] = [];
  /** Actor name -> host, including hosts that died (their streams keep messages for them). */
  private readonly where = new Map<string, string>();
  private readonly aliveHosts = new Set<string>();
  private readonly routes = new Map<string, HostRecord[]>();
  private lastDirectory = '';

  constructor(
    redis: Redis | Cluster,
    private readonly endpoint: Endpoint,
    options: ResolvedBusOptions,
    private readonly events: BridgeEvents,
  ) {
    this.registry = new Registry(redis, options.cluster, options.host, options.heartbeatMs * 3);
  }

  /** The host that runs `actor` (alive or not), or undefined. */
  hostOf(actor: string): string | undefined {
    return this.where.get(actor);
  }

  alive(host: string): boolean {
    return this.aliveHosts.has(host);
  }

  /** The hosts with a pattern matching `topic`. */
  subscribersOf(topic: string): HostRecord[] {
    let hosts = this.routes.get(topic);
    if (hosts === undefined) {
      hosts = this.hosts.filter((h) => h.patterns.some((p) => matchTopic(p, topic)));
      if (this.routes.size >= ROUTE_CACHE_LIMIT) this.routes.clear();
      this.routes.set(topic, hosts);
    }
    return hosts;
  }

  /** An actor of this host (not the bridge standing in for an actor of another: never forward in a loop). */
  localPeer(name: string): Peer | undefined {
    try {
      const peer = this.endpoint.peer(name);
      return peer.address === undefined && peer.id !== BRIDGE_ID ? peer : undefined;
    } catch {
      return undefined;
    }
  }

  /** Renews this host's entry, then reads every other's. */
  async heartbeat(): Promise<void> {
    try {
      const local = this.endpoint.directory.localNames().filter((n) => n !== HOST_NAME && n !== BRIDGE_NAME);
      await this.registry.beat(local, this.endpoint.directory.patternsExcept(BRIDGE_ID));
      const previous = new Map(this.hosts.map((h) => [h.host, h]));
      this.hosts = (await this.registry.others()).map((h) => {
        const before = previous.get(h.host);
        return h.alive || before === undefined ? h : { ...h, actors: before.actors, patterns: before.patterns };
      });
      this.aliveHosts.clear();
      for (const h of this.hosts) {
        if (h.alive) this.aliveHosts.add(h.host);
        for (const a of h.actors) this.where.set(a, h.host);
      }
      this.routes.clear();
      const actors = [...this.where.keys()].sort();
      const patterns = [...new Set(this.hosts.flatMap((h) => h.patterns))].sort();
      const directory = JSON.stringify([actors, patterns, this.hosts.map((h) => [h.host, h.alive])]);
      if (directory !== this.lastDirectory) {
        this.lastDirectory = directory;
        this.events.directory(actors, patterns);
        this.events.event('directory', { hosts: Object.fromEntries(this.hosts.map((h) => [h.host, h.alive ? 'alive' : 'down'])) });
      }
    } catch (err) {
      this.events.event('redis-error', { bus: 'engine-logic', while: 'heartbeat' }, serializeError(err));
    }
  }

  async leave(): Promise<void> {
    await this.registry.leave().catch(() => {});
  }
}
