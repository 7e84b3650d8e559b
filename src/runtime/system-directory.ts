import type { Endpoint } from '../transport/endpoint/endpoint.js';
import { DualbusError } from '../transport/errors.js';
import { BRIDGE_ID, HOST_ID, type ControlToWorker, type PeerEntry, type SubscriptionEntry } from '../transport/protocol.js';
import type { ActorCell } from './actor-cell.js';
import type { BusLink } from './bus-link.js';

/**
 * The system's directory: its actors (cells) by name, the topic patterns each endpoint subscribed,
 * the actors and patterns of other hosts (the bus), and the control broadcasts that keep every
 * worker's copy (its endpoint's directory) in step with it.
 */
export class SystemDirectory {
  readonly cells = new Map<string, ActorCell>();
  /** Actors on other hosts, reached through the bridge. */
  remoteActors: string[] = [];
  private subscriptions: SubscriptionEntry[] = [];
  /** The bridge, for every pattern another host subscribed. */
  private remoteSubs: SubscriptionEntry[] = [];
  private nextId = HOST_ID + 1;
  bus: BusLink | undefined;

  constructor(
    private readonly host: Endpoint,
    private readonly hostEntry: PeerEntry,
  ) {
    host.setPeers([hostEntry]);
  }

  /** The id of the next actor. Ids are never reused: a message for a gone actor cannot reach another. */
  allocateId(): number {
    const id = this.nextId++;
    if (id >= BRIDGE_ID) throw new DualbusError('TooManyActors', 'a system holds at most 65534 actors over its life');
    return id;
  }

  /** Known to the host at once, so sends made before it is ready queue in its mailbox. */
  add(cell: ActorCell): void {
    this.cells.set(cell.name, cell);
    this.host.setPeers([cell.entry]);
  }

  /** First start of an actor: every endpoint learns where it is, and routes its topics to it. */
  async announce(cell: ActorCell, patterns: readonly string[]): Promise<void> {
    await this.broadcast({ type: 'peers', seq: 0, peers: [cell.entry] }, cell);
    for (const pattern of patterns) this.subscriptions.push({ id: cell.id, pattern });
    if (patterns.length > 0) await this.broadcastSubscriptions();
  }

  /** The actor is gone for good: every endpoint forgets it (failing asks waiting on it) and its topics. */
  async remove(cell: ActorCell, reason: string, crashed: boolean): Promise<void> {
    this.cells.delete(cell.name);
    this.host.peerDown(cell.id, reason, crashed);
    const hadTopics = this.subscriptions.some((s) => s.id === cell.id);
    this.subscriptions = this.subscriptions.filter((s) => s.id !== cell.id);
    await this.broadcast({ type: 'down', seq: 0, id: cell.id, reason, crashed });
    if (hadTopics) await this.broadcastSubscriptions();
  }

  /** A subscription of the host thread; `ready` resolves once every endpoint routes to it. */
  subscribeHost(pattern: string): { entry: SubscriptionEntry; ready: Promise<void> } {
    const entry: SubscriptionEntry = { id: HOST_ID, pattern };
    this.subscriptions.push(entry);
    return { entry, ready: this.broadcastSubscriptions() };
  }

  unsubscribeHost(entry: SubscriptionEntry): Promise<void> {
    this.subscriptions = this.subscriptions.filter((s) => s !== entry);
    return this.broadcastSubscriptions();
  }

  /** What another host runs and subscribes, as the bridge reports it. */
  async setRemote(actors: readonly string[], patterns: readonly string[]): Promise<void> {
    this.remoteActors = actors.filter((a) => !this.cells.has(a));
    this.remoteSubs = patterns.map((pattern) => ({ id: BRIDGE_ID, pattern }));
    this.host.setRemote(this.remoteActors);
    await this.broadcast({ type: 'remote', seq: 0, actors: this.remoteActors });
    await this.broadcastSubscriptions();
  }

  /** Whether `name` can be reached from here (an actor of this host, or of another through the bus). */
  reachable(name: string): boolean {
    return this.cells.has(name) || this.remoteActors.includes(name);
  }

  /** Every endpoint of this host: the host, the bridge, the actors. */
  allPeers(): PeerEntry[] {
    return [this.hostEntry, ...(this.bus !== undefined ? [this.bus.entry] : []), ...[...this.cells.values()].map((c) => c.entry)];
  }

  /** Local subscriptions, and the bridge for every pattern another host subscribed. */
  routedSubscriptions(): SubscriptionEntry[] {
    return this.remoteSubs.length === 0 ? this.subscriptions.slice() : [...this.subscriptions, ...this.remoteSubs];
  }

  /** Posts a control message to every worker (but `except`) and resolves once all acknowledged it. */
  async broadcast(msg: ControlToWorker, except?: ActorCell): Promise<void> {
    const waits: Promise<void>[] = [];
    for (const cell of this.cells.values()) if (cell !== except) waits.push(cell.post(msg));
    if (this.bus !== undefined && msg.type !== 'remote') waits.push(this.bus.post(msg));
    await Promise.all(waits);
  }

  private async broadcastSubscriptions(): Promise<void> {
    const all = this.routedSubscriptions();
    this.host.setSubscriptions(all);
    await this.broadcast({ type: 'subscriptions', seq: 0, subscriptions: all });
  }
}
