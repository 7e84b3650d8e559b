import { EventEmitter } from 'node:events';
import { createServer, type Server } from 'node:net';
import { pino, type Logger } from 'pino';
import type { AnyActorDefinition, MessageOf, ReplyOf } from '../actors/define.js';
import type { RecordFields, RecordType, RecordValues } from '../transport/codec/records.js';
import { Endpoint } from '../transport/endpoint.js';
import { ActorNotFound, DualbusError, InvalidOption, SupervisionFailed, SystemStopped } from '../transport/errors.js';
import { STAT_RECEIVED } from '../transport/ring/layout.js';
import { Mailbox } from '../transport/ring/mailbox.js';
import {
  ActorState,
  BRIDGE_ID,
  HOST_ID,
  HOST_NAME,
  Kind,
  type ControlFromWorker,
  type ControlToWorker,
  type PeerEntry,
  type SerializedError,
  type SubscriptionEntry,
  serializeError,
} from '../transport/protocol.js';
import { patternProblem, matchTopic } from '../transport/topic.js';
import { SUPERVISOR_DEFAULTS, type ChildSpec, type SupervisorSpec } from '../../supervisors/spec.js';
import { child, moduleUrlOf } from './tree.js';
import { ActorCell, type CellEnv, type CellExit } from './actor-cell.js';
import { ActorRef } from './actor-ref.js';
import { ChildNode } from './child-node.js';
import { DeadLetterQueue, kindName, type DeadLetter } from './dead-letters.js';
import { HostInbox } from './host-inbox.js';
import { LifecycleLog } from './lifecycle-log.js';
import { resolveSystemOptions, splitChildOptions, type ChildOptions, type ResolvedSystemOptions, type SystemOptions } from './options.js';
import { RateMeter } from './rates.js';
import { readCounters, readStats, type ActorStats } from './stats.js';
import type { SupervisionHost } from './supervision-host.js';
import { SupervisorNode } from './supervisor-node.js';
import { Watchdog } from './watchdog.js';
import { BusLink } from './bus-link.js';
import { resolveBusOptions } from '../transport/redis/config.js';
import type { BridgeCounters } from '../transport/redis/bridge.js';

const HOST_MAILBOX_BYTES = 1 << 20;
const HOST_REPLIES_BYTES = 1 << 18;
/** How often the watchdog and the rate meter look at the actors. */
const MONITOR_TICK_MS = 25;
/** The supervisor that adopts actors started with `spawn`. */
const SPAWNED = '$spawned';

export interface SystemStats {
  system: string;
  actors: Record<string, ActorStats>;
  host: Pick<ActorStats, 'received' | 'sent' | 'asksSent' | 'repliesReceived' | 'mailboxDepth' | 'overflows'> & { pendingAsks: number };
  /** With a bus: what the bridge sent, received, dropped (market data) and rejected. */
  bus?: BridgeCounters & { remoteActors: number; mailboxDepth: number };
}

export type SubscriptionHandler = (msg: any, topic: string) => void;

/** What `subscribe` returns: call it to unsubscribe; `ready` resolves once every actor routes to it. */
export interface Unsubscribe {
  (): void;
  readonly ready: Promise<void>;
}

export interface ActorEvent {
  actor: string;
  event: string;
  error?: SerializedError;
  detail?: Record<string, unknown>;
}

export interface ActorExitEvent {
  actor: string;
  code: number;
  crashed: boolean;
  cause: CellExit['cause'];
  reason: string;
}

/**
 * An actor system embedded in this process: it owns the actors' mailbox blocks (so they outlive
 * any worker), runs their supervision trees, keeps the directory and subscription table, and
 * carries control messages. Data never passes through here: actors write into each other's rings.
 *
 * Events: 'actor-error' (ActorEvent: a handler threw, a frame was malformed), 'actor-exit'
 * (ActorExitEvent: a worker ended without being asked to), 'dead-letter' (DeadLetter),
 * 'failed' (SupervisionFailed: a root supervisor gave up and the system is stopping).
 */
export class System extends EventEmitter {
  readonly name: string;
  readonly logger: Logger;
  /** Set when a root supervisor gave up: why the system stopped. */
  failure: SupervisionFailed | undefined;
  private readonly options: ResolvedSystemOptions;
  private readonly endpoint: Endpoint;
  private readonly inbox: HostInbox;
  private readonly hostEntry: PeerEntry;
  private readonly cells = new Map<string, ActorCell>();
  private readonly nodeOf = new Map<ActorCell, ChildNode>();
  private readonly started = new Set<ActorCell>();
  private readonly roots: SupervisorNode[] = [];
  private spawned: Promise<SupervisorNode> | undefined;
  private spawnedNode: SupervisorNode | undefined;
  private readonly hostHandlers = new Set<{ pattern: string; handler: SubscriptionHandler }>();
  private subscriptions: SubscriptionEntry[] = [];
  private readonly dead = new DeadLetterQueue();
  private readonly lifecycle: LifecycleLog;
  private readonly watchdog: Watchdog;
  private readonly rates = new RateMeter();
  private readonly monitor: ReturnType<typeof setInterval>;
  private statsLoggedAt = performance.now();
  private nextId = HOST_ID + 1;
  private closed = false;
  private shutdownDone: Promise<void> | undefined;
  private readonly host: SupervisionHost;
  private readonly cellEnv: CellEnv;
  private readonly statsServers = new Set<Server>();
  private bus: BusLink | undefined;
  /** Actors on other hosts, and the topic patterns they subscribed (routed to the bridge). */
  private remoteActors: string[] = [];
  private remoteSubs: SubscriptionEntry[] = [];

  /** @internal use createSystem */
  constructor(options: ResolvedSystemOptions) {
    super();
    this.options = options;
    this.name = options.name;
    this.logger = options.logger ?? defaultLogger(options.logFormat);
    this.lifecycle = new LifecycleLog(this.logger, this.name);
    const mailbox = Mailbox.create(HOST_MAILBOX_BYTES, HOST_REPLIES_BYTES);
    mailbox.setState(ActorState.Running);
    this.hostEntry = { id: HOST_ID, name: HOST_NAME, block: mailbox.block, messagesBytes: HOST_MAILBOX_BYTES, repliesBytes: HOST_REPLIES_BYTES };
    this.endpoint = new Endpoint({
      id: HOST_ID,
      name: HOST_NAME,
      mailbox,
      compressAbove: options.compressAbove,
      latencySampleEvery: options.latencySampleEvery,
      onBadFrame: (err) => this.actorEvent({ actor: HOST_NAME, event: 'bad-frame', error: serializeError(err) }),
    });
    this.endpoint.setPeers([this.hostEntry]);
    this.inbox = new HostInbox(this.endpoint, (topic, msg) => this.deliverToHost(topic, msg), (err) =>
      this.actorEvent({ actor: HOST_NAME, event: 'bad-frame', error: serializeError(err) }),
    );
    this.inbox.start();
    this.watchdog = new Watchdog((cell, reason) => {
      this.lifecycle.write({ actor: cell.name, path: cell.path, event: 'hang', reason, restarts: this.nodeOf.get(cell)?.availability(0).restarts ?? 0 });
      cell.kill(reason, true);
    });
    this.monitor = setInterval(() => this.tick(), MONITOR_TICK_MS);
    this.monitor.unref();
    this.host = {
      log: this.lifecycle,
      createCell: (spec, path) => this.createCell(spec, path),
      startCell: (cell) => this.startCell(cell),
      retireCell: (cell, reason, crashed) => this.retireCell(cell, reason, crashed),
      internalError: (where, err) => {
        this.logger.error({ system: this.name, event: 'internal-error', path: where, reason: serializeError(err) }, `supervisor ${where}: ${String(err)}`);
        this.emit('internal-error', err);
      },
    };
    this.cellEnv = {
      boot: {
        askTimeoutMs: options.askTimeoutMs,
        compressAbove: options.compressAbove,
        latencySampleEvery: options.latencySampleEvery,
        staleClaimMs: options.staleClaimMs,
      },
      peers: () => this.allPeers(),
      subscriptions: () => this.routedSubscriptions(),
      remote: () => this.remoteActors,
      onWorkerEvent: (cell, m) => this.onWorkerEvent(cell, m),
      onExit: (cell, exit) => this.onCellExit(cell, exit),
      onStandbyFailed: (cell, error) =>
        this.logger.warn({ system: this.name, actor: cell.name, path: cell.path, event: 'standby-failed', reason: error }, `${cell.path}: standby worker died: ${error.message}`),
    };
  }

  // ------------------------------------------------------------------ actors and trees

  /**
   * Starts actor `name` from the module at `moduleUrl` (its default export is a defineActor) in a
   * worker thread of its own, supervised by the system's default one_for_one supervisor
   * ('$spawned'). Resolves once `init` has run and every other actor can reach it.
   */
  async spawn<A extends AnyActorDefinition = AnyActorDefinition>(
    name: string,
    moduleUrl: URL | string,
    options?: ChildOptions,
  ): Promise<ActorRef<MessageOf<A>, ReplyOf<A>>> {
    this.assertOpen();
    const spec = child(name, moduleUrl, options);
    this.assertNamesFree([name]);
    const parent = await (this.spawned ??= this.startSpawnedSupervisor());
    await parent.addChild(spec);
    return this.ref(name);
  }

  /**
   * Starts a supervision tree: its children start in order, each once the one before is ready.
   * Rejects (having stopped what it started) if a child fails to start. If this root supervisor
   * ever gives up (restart intensity exceeded, an escalate directive), the system stops with a
   * SupervisionFailed error: see `failure`, `whenStopped()` and the 'failed' event.
   */
  async start(tree: SupervisorSpec): Promise<void> {
    this.assertOpen();
    if (tree === null || typeof tree !== 'object' || tree.kind !== 'supervisor') throw new InvalidOption('tree', 'a supervisor({...}) spec', tree);
    if (this.roots.some((r) => r.name === tree.name)) throw new InvalidOption('tree.name', 'a name no other started tree has', tree.name);
    this.assertNamesFree(actorNamesOf(tree));
    const node = new SupervisorNode(tree, tree.name, this.host);
    node.onExit = (_cause, reason) => this.failSystem(reason);
    this.roots.push(node);
    try {
      await node.start('initial');
    } catch (err) {
      this.roots.splice(this.roots.indexOf(node), 1);
      await node.retire('failed to start', true);
      throw err;
    }
  }

  /** A ref to an actor, by name (it stays valid across its restarts). */
  ref<A extends AnyActorDefinition = AnyActorDefinition>(name: string): ActorRef<MessageOf<A>, ReplyOf<A>> {
    if (!this.cells.has(name) && !this.remoteActors.includes(name)) throw new ActorNotFound(name);
    return new ActorRef(name, this.endpoint, this.options.askTimeoutMs, () => this.afterAsk());
  }

  /** Names of the actors, in start order. */
  actorNames(): string[] {
    return [...this.cells.keys()];
  }

  /**
   * Stops one actor gracefully and removes it from its supervisor: it drains its mailbox, runs its
   * `stop` hook and exits; after its shutdownTimeoutMs it is terminated. Asks still pending on it
   * reject with ActorStopped.
   */
  async stop(name: string): Promise<void> {
    const cell = this.cells.get(name);
    if (cell === undefined) throw new ActorNotFound(name);
    const parent = this.parentOf(name);
    if (parent === undefined) throw new ActorNotFound(name);
    await parent.removeChild(name);
  }

  /**
   * Terminates the actor's worker as a crash would, for failure drills and benchmarks: its
   * supervisor reacts as to any crash, and the message in hand is delivered again (a kill from
   * outside does not count against its maxDeliveries). False when no worker of it is running
   * (it is already down, starting or being killed).
   */
  kill(name: string, reason = 'killed by system.kill'): boolean {
    const cell = this.cells.get(name);
    if (cell === undefined) throw new ActorNotFound(name);
    return cell.kill(reason, false);
  }

  /** Messages that failed their actor maxDeliveries times, most recent last (the last 1000). */
  deadLetters(): DeadLetter[] {
    return this.dead.list();
  }

  // ------------------------------------------------------------------ topics

  /** Delivers `msg` to every actor (and host handler) subscribed to a matching pattern. */
  publish(topic: string, msg: unknown): boolean {
    this.assertPublishable(topic);
    return this.endpoint.publish(topic, msg);
  }

  publishRecord<F extends RecordFields>(topic: string, type: RecordType<F>, values: RecordValues<F>): boolean {
    this.assertPublishable(topic);
    return this.endpoint.publishRecord(topic, type, values);
  }

  /**
   * Calls `handler(msg, topic)` on the host thread for every publish matching `pattern`.
   * A record arrives as a view valid only during the call (use `toObject()` to keep it).
   */
  subscribe(pattern: string, handler: SubscriptionHandler): Unsubscribe {
    this.assertOpen();
    const problem = patternProblem(pattern);
    if (problem !== undefined) throw new InvalidOption('pattern', problem.replace(/^a topic pattern must /, ''), pattern);
    if (typeof handler !== 'function') throw new InvalidOption('handler', 'a function', handler);
    const entry = { pattern, handler };
    this.hostHandlers.add(entry);
    const sub: SubscriptionEntry = { id: HOST_ID, pattern };
    this.subscriptions.push(sub);
    const ready = this.broadcastSubscriptions();
    const off = (): void => {
      if (!this.hostHandlers.delete(entry)) return;
      this.subscriptions = this.subscriptions.filter((s) => s !== sub);
      if (!this.closed) void this.broadcastSubscriptions();
    };
    return Object.assign(off, { ready });
  }

  private deliverToHost(topic: string, msg: unknown): void {
    for (const { pattern, handler } of this.hostHandlers) {
      if (!matchTopic(pattern, topic)) continue;
      try {
        handler(msg, topic);
      } catch (err) {
        this.actorEvent({ actor: HOST_NAME, event: 'handler-error', error: serializeError(err), detail: { topic } });
      }
    }
  }

  // ------------------------------------------------------------------ observing

  /**
   * Per actor: supervision state, path, restarts, availability, dead letters, counts, mailbox
   * depth and high-water mark, errors, handler time, msg/s, latency percentiles.
   */
  stats(): SystemStats {
    const now = performance.now();
    const actors: Record<string, ActorStats> = {};
    for (const cell of this.cells.values()) {
      const node = this.nodeOf.get(cell);
      const a = node?.availability(now);
      actors[cell.name] = readStats(cell.mailbox, {
        state: node?.state() ?? 'starting',
        path: cell.path,
        messagesPerSec: this.rates.rate(cell.name),
        uptimeMs: Math.round(a?.uptimeMs ?? 0),
        restarts: a?.restarts ?? 0,
        uptimePct: Math.round((a?.uptimePct ?? 0) * 1000) / 1000,
        mttrMs: a?.mttrMs === undefined ? undefined : Math.round(a.mttrMs * 1000) / 1000,
        deadLetters: cell.deadLetters,
        standby: cell.standbyState(),
      });
    }
    const h = readCounters(this.endpoint.own);
    return {
      system: this.name,
      actors,
      host: {
        received: h.received,
        sent: h.sent,
        asksSent: h.asksSent,
        repliesReceived: h.repliesReceived,
        mailboxDepth: h.mailboxDepth,
        overflows: h.overflows,
        pendingAsks: this.endpoint.pendingAsks(),
      },
      ...(this.bus !== undefined ? { bus: { ...this.bus.counters, remoteActors: this.remoteActors.length, mailboxDepth: this.bus.mailbox.messages.depth() } } : {}),
    };
  }

  /**
   * Serves stats snapshots to `dualbus top --connect`: each connection receives one JSON document
   * ({ time, system, actors }) and is closed. `address` is a Unix socket path or a TCP port (bound
   * to 127.0.0.1). Closed by shutdown, or by the returned close().
   */
  async serveStats(address: string | number): Promise<{ close(): Promise<void> }> {
    this.assertOpen();
    if (!(typeof address === 'string' ? address !== '' : Number.isInteger(address) && address >= 0 && address < 65536)) {
      throw new InvalidOption('address', 'a Unix socket path or a TCP port number', address);
    }
    const server = createServer((socket) => {
      socket.on('error', () => socket.destroy()); // a client that went away mid-answer
      socket.end(JSON.stringify({ time: Date.now(), system: this.name, actors: this.stats().actors }));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      if (typeof address === 'string') server.listen(address, resolve);
      else server.listen(address, '127.0.0.1', resolve);
    });
    server.unref();
    this.statsServers.add(server);
    return {
      close: () => {
        this.statsServers.delete(server);
        return new Promise((resolve) => server.close(() => resolve()));
      },
    };
  }

  /** Stops every tree (children in reverse start order, mailboxes drained), then the host inbox. */
  shutdown(): Promise<void> {
    this.shutdownDone ??= this.doShutdown();
    return this.shutdownDone;
  }

  /** Resolves when the system has shut down; rejects with SupervisionFailed if a root supervisor gave up. */
  async whenStopped(): Promise<void> {
    await new Promise<void>((resolve) => (this.shutdownDone !== undefined ? resolve() : this.once('shutdown', resolve)));
    await this.shutdownDone;
    if (this.failure !== undefined) throw this.failure;
  }

  private async doShutdown(): Promise<void> {
    this.closed = true;
    this.emit('shutdown');
    clearInterval(this.monitor);
    for (const server of this.statsServers) server.close();
    this.statsServers.clear();
    if (this.spawned !== undefined) await this.spawned;
    const nodes = [...this.roots, ...(this.spawnedNode !== undefined ? [this.spawnedNode] : [])].reverse();
    for (const node of nodes) {
      await node.stop(true);
      await node.retire('system shut down', false);
    }
    await this.bus?.stop();
    await this.inbox.stop();
    this.logger.info({ system: this.name, event: 'shutdown', ...(this.failure ? { reason: serializeError(this.failure) } : {}) }, `system ${this.name} shut down`);
    this.logger.flush?.();
  }

  // ------------------------------------------------------------------ supervision mechanism

  private async startSpawnedSupervisor(): Promise<SupervisorNode> {
    const spec: SupervisorSpec = { kind: 'supervisor', name: SPAWNED, strategy: 'one_for_one', intensity: SUPERVISOR_DEFAULTS.intensity, periodMs: SUPERVISOR_DEFAULTS.periodMs, children: [] };
    const node = new SupervisorNode(spec, SPAWNED, this.host);
    node.onExit = (_cause, reason) => this.failSystem(reason);
    await node.start('initial');
    this.spawnedNode = node;
    return node;
  }

  private createCell(spec: ChildSpec<ChildOptions>, path: string): ActorCell {
    if (this.cells.has(spec.name)) throw new InvalidOption('name', 'the name of no running actor', spec.name);
    const id = this.nextId++;
    if (id >= BRIDGE_ID) throw new DualbusError('TooManyActors', 'a system holds at most 65534 actors over its life');
    const { spawn, supervision } = splitChildOptions(spec.options, this.options.stopTimeoutMs);
    const cell = new ActorCell(id, spec.name, path, moduleUrlOf(spec.moduleUrl), spawn, supervision, this.cellEnv);
    // Known to the host at once, so sends made before it is ready queue in its mailbox.
    this.cells.set(spec.name, cell);
    this.endpoint.setPeers([cell.entry]);
    return cell;
  }

  /** Registers a ChildNode for the cell it is about to start (stats and exits find it by cell). */
  private async startCell(cell: ActorCell): Promise<void> {
    if (!this.nodeOf.has(cell)) {
      const node = this.findChildNode(cell.name);
      if (node !== undefined) this.nodeOf.set(cell, node);
    }
    const subscribe = await cell.start();
    if (this.started.has(cell)) return;
    // First start: everyone learns where it is, and routes its topics to it.
    this.started.add(cell);
    await this.broadcast({ type: 'peers', seq: 0, peers: [cell.entry] }, cell);
    for (const pattern of subscribe) this.subscriptions.push({ id: cell.id, pattern });
    if (subscribe.length > 0) await this.broadcastSubscriptions();
  }

  private async retireCell(cell: ActorCell, reason: string, crashed: boolean): Promise<void> {
    await cell.dispose();
    this.cells.delete(cell.name);
    this.nodeOf.delete(cell);
    this.started.delete(cell);
    this.rates.forget(cell.name);
    this.endpoint.peerDown(cell.id, reason, crashed);
    const hadTopics = this.subscriptions.some((s) => s.id === cell.id);
    this.subscriptions = this.subscriptions.filter((s) => s.id !== cell.id);
    await this.broadcast({ type: 'down', seq: 0, id: cell.id, reason, crashed });
    if (hadTopics) await this.broadcastSubscriptions();
  }

  private onCellExit(cell: ActorCell, exit: CellExit): void {
    if (exit.deadLetter !== undefined) this.deadLetter(cell, exit);
    this.emit('actor-exit', { actor: cell.name, code: exit.code, crashed: exit.cause !== 'normal', cause: exit.cause, reason: exit.reason } satisfies ActorExitEvent);
    this.nodeOf.get(cell)?.cellExited(exit);
  }

  /** A message failed its actor maxDeliveries times: out of circulation, logged, its asker answered. */
  private deadLetter(cell: ActorCell, exit: CellExit): void {
    const { record, deliveries } = exit.deadLetter!;
    const letter: DeadLetter = {
      actor: cell.name,
      at: Date.now(),
      deliveries,
      kind: kindName(record.kind),
      from: this.endpoint.peerById(record.from)?.name ?? `#${record.from}`,
      ...(record.topic !== undefined ? { topic: record.topic } : {}),
      message: record.message,
      reason: exit.error !== undefined ? { ...exit.error, message: exit.reason } : { name: 'Error', message: exit.reason },
    };
    this.dead.push(letter);
    this.lifecycle.write({
      actor: cell.name,
      path: cell.path,
      event: 'dead-letter',
      reason: letter.reason,
      deliveries,
      kind: letter.kind,
      from: letter.from,
      ...(letter.topic !== undefined ? { topic: letter.topic } : {}),
      ...(record.decodeError !== undefined ? { decodeError: record.decodeError } : {}),
    });
    if (record.kind === Kind.Ask) {
      // The asker turns this code back into ActorCrashed, with this message as the reason.
      this.endpoint.replyError(record.from, record.corr, new DualbusError('ActorCrashed', `its message was dead-lettered after ${deliveries} failed deliveries: ${exit.reason}`));
    }
    this.emit('dead-letter', letter);
  }

  private failSystem(reason: string): void {
    if (this.failure !== undefined || this.closed) return;
    this.failure = new SupervisionFailed(this.name, reason);
    this.logger.fatal({ system: this.name, event: 'system-failed', reason: serializeError(this.failure) }, this.failure.message);
    this.emit('failed', this.failure);
    void this.shutdown();
  }

  private findChildNode(name: string): ChildNode | undefined {
    const node = this.parentOf(name)?.children.get(name);
    return node instanceof ChildNode ? node : undefined;
  }

  private parentOf(name: string): SupervisorNode | undefined {
    const search = (s: SupervisorNode): SupervisorNode | undefined => {
      if (s.children.has(name)) return s;
      for (const c of s.children.values()) {
        if (c instanceof SupervisorNode) {
          const found = search(c);
          if (found !== undefined) return found;
        }
      }
      return undefined;
    };
    for (const root of this.roots) {
      const found = search(root);
      if (found !== undefined) return found;
    }
    return this.spawnedNode !== undefined ? search(this.spawnedNode) : undefined;
  }

  private tick(): void {
    const now = performance.now();
    this.watchdog.check(this.cells.values(), now);
    for (const cell of this.cells.values()) this.rates.sample(cell.name, cell.mailbox.stat(STAT_RECEIVED), now);
    if (this.options.statsLogIntervalMs > 0 && now - this.statsLoggedAt >= this.options.statsLogIntervalMs) {
      this.statsLoggedAt = now;
      this.logger.info({ system: this.name, event: 'stats', actors: this.stats().actors }, 'stats');
    }
  }

  // ------------------------------------------------------------------ control plane

  private onWorkerEvent(cell: ActorCell, m: Extract<ControlFromWorker, { type: 'event' }>): void {
    if (m.event === 'stale-claim') {
      this.lifecycle.write({ actor: cell.name, path: cell.path, event: 'stale-claim', ...(m.error ? { reason: m.error } : {}) });
      return;
    }
    this.actorEvent({ actor: cell.name, event: m.event, ...(m.error ? { error: m.error } : {}), ...(m.detail ? { detail: m.detail } : {}) });
  }

  private actorEvent(e: ActorEvent): void {
    const level = e.event === 'log-suppressed' ? 'warn' : 'error';
    this.logger[level](
      { system: this.name, actor: e.actor, event: e.event, reason: e.error, ...e.detail },
      `${e.actor}: ${e.event}${e.error ? `: ${e.error.message}` : ''}`,
    );
    this.emit('actor-error', e);
  }

  private async broadcast(msg: ControlToWorker, except?: ActorCell): Promise<void> {
    const waits: Promise<void>[] = [];
    for (const cell of this.cells.values()) if (cell !== except) waits.push(cell.post(msg));
    if (this.bus !== undefined && msg.type !== 'remote') waits.push(this.bus.post(msg));
    await Promise.all(waits);
  }

  private async broadcastSubscriptions(): Promise<void> {
    const all = this.routedSubscriptions();
    this.endpoint.setSubscriptions(all);
    await this.broadcast({ type: 'subscriptions', seq: 0, subscriptions: all });
  }

  /** Local subscriptions, and the bridge for every pattern another host subscribed. */
  private routedSubscriptions(): SubscriptionEntry[] {
    return this.remoteSubs.length === 0 ? this.subscriptions.slice() : [...this.subscriptions, ...this.remoteSubs];
  }

  private allPeers(): PeerEntry[] {
    return [this.hostEntry, ...(this.bus !== undefined ? [this.bus.entry] : []), ...[...this.cells.values()].map((c) => c.entry)];
  }

  // ------------------------------------------------------------------ the bus

  /** @internal createSystem: connects the bridge (before any actor starts). */
  async startBus(): Promise<void> {
    if (this.options.bus === undefined) return;
    let options;
    try {
      options = resolveBusOptions(this.options.bus, this.name);
    } catch (err) {
      await this.shutdown();
      throw err;
    }
    const bus = new BusLink(options, {
      peers: () => this.allPeers(),
      subscriptions: () => this.routedSubscriptions(),
      compressAbove: this.options.compressAbove,
      latencySampleEvery: this.options.latencySampleEvery,
      onDirectory: (actors, patterns) => void this.onDirectory(actors, patterns),
      onEvent: (event, detail, error) => {
        const level = event === 'directory' ? 'info' : event === 'redis-error' || event === 'unroutable' ? 'warn' : 'error';
        this.logger[level]({ system: this.name, event, ...detail, ...(error ? { reason: error } : {}) }, `bus: ${event}${error ? `: ${error.message}` : ''}`);
      },
    });
    this.bus = bus;
    this.endpoint.setPeers([bus.entry]);
    try {
      await bus.start();
    } catch (err) {
      await bus.stop();
      this.bus = undefined;
      await this.shutdown();
      throw err;
    }
  }

  private async onDirectory(actors: string[], patterns: string[]): Promise<void> {
    this.remoteActors = actors.filter((a) => !this.cells.has(a));
    this.remoteSubs = patterns.map((pattern) => ({ id: BRIDGE_ID, pattern }));
    this.endpoint.setRemote(this.remoteActors);
    await this.broadcast({ type: 'remote', seq: 0, actors: this.remoteActors });
    await this.broadcastSubscriptions();
  }

  /** hostWait 'spin': poll for the reply of the ask just sent. */
  private afterAsk(): void {
    if (this.options.hostWait !== 'spin') return;
    // No microtask runs while this thread spins, so the ask's promise cannot tell us it settled:
    // the count of pending asks drops when the reply is read.
    const before = this.endpoint.pendingAsks();
    this.inbox.spinFor(() => this.endpoint.pendingAsks() < before, this.options.hostSpinMicros);
  }

  private assertOpen(): void {
    if (this.closed) throw new SystemStopped(this.name);
  }

  private assertNamesFree(names: string[]): void {
    for (const n of names) if (this.cells.has(n) || this.findChildNode(n) !== undefined) throw new InvalidOption('name', 'the name of no running actor', n);
  }

  private assertPublishable(topic: unknown): void {
    this.assertOpen();
    if (typeof topic !== 'string' || topic === '') throw new InvalidOption('topic', 'a non-empty string', topic);
  }
}

/** Creates an embedded actor system: no service, no configuration needed. */
export async function createSystem(options?: SystemOptions): Promise<System> {
  const system = new System(resolveSystemOptions(options));
  await system.startBus();
  return system;
}

/** JSON lines on stderr, or the same through pino-pretty (in pino's transport thread) for people. */
function defaultLogger(format: 'json' | 'pretty'): Logger {
  const level = process.env.DUALBUS_LOG_LEVEL ?? 'info';
  if (format === 'pretty') return pino({ name: 'dualbus', level }, pino.transport({ target: 'pino-pretty', options: { destination: 2, singleLine: true, ignore: 'pid,hostname' } }));
  return pino({ name: 'dualbus', level }, pino.destination(2));
}

function actorNamesOf(tree: SupervisorSpec): string[] {
  return tree.children.flatMap((c) => (c.kind === 'child' ? [c.name] : actorNamesOf(c)));
}

