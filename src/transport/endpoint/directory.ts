import { MAX_TOPIC_BYTES } from '../codec/frame.js';
import { ActorNotFound, FrameError } from '../errors.js';
import { Mailbox } from '../ring/mailbox.js';
import type { PeerEntry, SubscriptionEntry } from '../protocol.js';
import { matchTopic } from '../topic.js';

/** Another endpoint as this one sees it: its name and its mailbox block, mapped here. */
export interface Peer {
  readonly id: number;
  readonly name: string;
  readonly mailbox: Mailbox;
  /** For an actor on another host: its name, carried in the frame to the bridge that forwards it. */
  readonly address?: Uint8Array;
}

/** Where a topic goes: its subscribers, and the topic as the bytes a frame carries. */
export interface Route {
  readonly targets: readonly Peer[];
  readonly topic: Uint8Array;
}

const ROUTE_CACHE_LIMIT = 10_000;
const TOPIC_CACHE_LIMIT = 4_096;

/**
 * Who is where, as one endpoint sees it: the peers of this host by name and id (their mailbox
 * blocks mapped into this thread), the actors of other hosts (reached through the bridge), and
 * the subscriptions, with a cache of which peers each topic reaches.
 */
export class Directory {
  private readonly byName = new Map<string, Peer>();
  private readonly byId = new Map<number, Peer>();
  /** Actors on other hosts: written into the bridge's ring, with their name as the frame's address. */
  private readonly remote = new Map<string, Peer>();
  private subscriptions: SubscriptionEntry[] = [];
  private readonly routes = new Map<string, Route>();
  private readonly topicBytes = new Map<string, Uint8Array>();
  private readonly textEncoder = new TextEncoder();

  constructor(
    private readonly selfId: number,
    private readonly own: Mailbox,
  ) {}

  /** Adds (or re-maps) peers. A peer whose block is unchanged keeps its mapping. */
  setPeers(entries: readonly PeerEntry[]): void {
    for (const e of entries) {
      const known = this.byId.get(e.id);
      if (known !== undefined && known.mailbox.block === e.block && known.name === e.name) continue;
      if (known !== undefined) this.byName.delete(known.name);
      const mailbox = e.id === this.selfId ? this.own : new Mailbox(e.block, e.messagesBytes, e.repliesBytes);
      const peer: Peer = { id: e.id, name: e.name, mailbox };
      this.byId.set(e.id, peer);
      this.byName.set(e.name, peer);
    }
    this.routes.clear();
  }

  /** Forgets a peer that stopped or died; returns it (undefined if it was not known). */
  remove(id: number): Peer | undefined {
    const peer = this.byId.get(id);
    if (peer === undefined) return undefined;
    this.byId.delete(id);
    this.byName.delete(peer.name);
    this.routes.clear();
    return peer;
  }

  /** The peer named `name` on this host, or the bridge standing in for an actor of another host. */
  peer(name: string): Peer {
    const p = this.byName.get(name) ?? this.remote.get(name);
    if (p === undefined) throw new ActorNotFound(name);
    return p;
  }

  peerById(id: number): Peer | undefined {
    return this.byId.get(id);
  }

  /** The actors other hosts run, reachable through the bridge `bridgeId` (a local name wins). */
  setRemote(names: readonly string[], bridgeId: number): void {
    this.remote.clear();
    const bridge = this.byId.get(bridgeId);
    if (bridge === undefined) return;
    for (const name of names) {
      if (!this.byName.has(name)) this.remote.set(name, { ...bridge, name, address: this.encodeTopic(name) });
    }
  }

  setSubscriptions(entries: readonly SubscriptionEntry[]): void {
    this.subscriptions = entries.slice();
    this.routes.clear();
  }

  /** The peers subscribed to `topic`, each once, and the topic's bytes (cached per topic). */
  route(topic: string): Route {
    let route = this.routes.get(topic);
    if (route !== undefined) return route;
    const targets: Peer[] = [];
    for (const s of this.subscriptions) {
      if (!matchTopic(s.pattern, topic)) continue;
      const p = this.byId.get(s.id);
      if (p !== undefined && !targets.includes(p)) targets.push(p);
    }
    if (this.routes.size >= ROUTE_CACHE_LIMIT) this.routes.clear();
    route = { targets, topic: this.encodeTopic(topic) };
    this.routes.set(topic, route);
    return route;
  }

  /** A topic (or an actor name) as the UTF-8 bytes a frame carries; FrameError beyond the limit. */
  encodeTopic(topic: string): Uint8Array {
    let bytes = this.topicBytes.get(topic);
    if (bytes === undefined) {
      bytes = this.textEncoder.encode(topic);
      if (bytes.length > MAX_TOPIC_BYTES) throw new FrameError(`topic of ${bytes.length} bytes (limit ${MAX_TOPIC_BYTES})`);
      if (this.topicBytes.size >= TOPIC_CACHE_LIMIT) this.topicBytes.clear();
      this.topicBytes.set(topic, bytes);
    }
    return bytes;
  }

  /** Names of the endpoints of this host (not the remote ones). */
  localNames(): string[] {
    return [...this.byName.keys()];
  }

  /** The topic patterns subscribed on this host by endpoints other than `id`. */
  patternsExcept(id: number): string[] {
    return [...new Set(this.subscriptions.filter((s) => s.id !== id).map((s) => s.pattern))];
  }
}
