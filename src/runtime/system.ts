import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { RecordFields, RecordType, RecordValues } from '../transport/codec/records.js';
import type { AnyActorDefinition, MessageOf, ReplyOf } from '../transport/contract.js';
import { Endpoint } from '../transport/endpoint/endpoint.js';
import { ActorNotFound, InvalidOption, SupervisionFailed, SystemStopped } from '../transport/errors.js';
import { Mailbox } from '../transport/ring/mailbox.js';
import { ActorState, HOST_ID, HOST_NAME, serializeError } from '../transport/protocol.js';
import { patternProblem } from '../transport/topic.js';
import type { SupervisorSpec } from '../../supervisors/spec.js';
import type { CellEnv } from './cell-contract.js';
import type { ActorExitEvent, Kernels, Unsubscribe, WorkerEntries } from './system-types.js';
import { KernelPool } from '../kernels/pool.js';
import { DEFAULT_CACHE } from '../cache/options.js';
import { CacheRegistry } from '../cache/registry.js';
import type { SharedCache } from '../cache/shared-cache.js';
import { ActorRef } from './actor-ref.js';
import { DeadLetters, type DeadLetter } from './dead-letters.js';
import { HostInbox } from './host-inbox.js';
import { HostSubscribers, type SubscriptionHandler } from './host-subscribers.js';
import { LifecycleLog } from './lifecycle-log.js';
import { defaultLogger } from './logger.js';
import { Observability, type SystemStats } from './observability.js';
import { resolveSystemOptions, type ChildOptions, type ResolvedSystemOptions, type SystemOptions } from './options.js';
import { Supervision } from './supervision.js';
import { connectSystemBus } from './system-bus.js';
import { WarmPools } from './warm-pool.js';
import { SystemDirectory } from './system-directory.js';
import { child } from './tree.js';

export type { SystemStats, ActorEvent } from './observability.js';
export type { SubscriptionHandler } from './host-subscribers.js';
export type { WorkerEntries, Kernels, Unsubscribe, ActorExitEvent } from './system-types.js';

const HOST_MAILBOX_BYTES = 1 << 20;
const HOST_REPLIES_BYTES = 1 << 18;

/**
 * An actor system embedded in this process. This class is its front door; the work is done by a
 * few parts with one job each: the directory (actors, subscriptions, control broadcasts), the
 * supervision (trees and the cells they direct), observability (stats, watchdog, logs), the host's
 * own endpoint and inbox, and the bus link. Data never passes through here: actors write into each
 * other's rings.
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
  private readonly handlers: HostSubscribers;
  private readonly directory: SystemDirectory;
  private readonly supervision: Supervision;
  private readonly observability: Observability;
  private readonly dead: DeadLetters;
  private readonly pool: KernelPool;
  private readonly caches: CacheRegistry;
  private readonly warm: WarmPools;
  private closed = false;
  private shutdownDone: Promise<void> | undefined;

  /** @internal use createSystem */
  constructor(options: ResolvedSystemOptions, private readonly entries: WorkerEntries) {
    super();
    this.options = options;
    this.name = options.name;
    this.logger = options.logger ?? defaultLogger(options.logFormat);
    const log = new LifecycleLog(this.logger, this.name);
    this.warm = new WarmPools(options.warmWorkers, entries.actor, this.workerBoot(), (error) =>
      this.logger.warn({ system: this.name, event: 'warm-worker-failed', reason: error }, `a warm worker died before it was needed: ${error.message}`),
    );
    this.pool = new KernelPool(options.kernels, entries.kernel);
    this.caches = new CacheRegistry(options.caches, (cache) =>
      this.logger.warn({ system: this.name, event: 'cache-reset', cache }, `cache ${cache}: emptied: a worker was killed while it held the cache's lock, in the middle of a change`),
    );
    const mailbox = Mailbox.create(HOST_MAILBOX_BYTES, HOST_REPLIES_BYTES);
    mailbox.setState(ActorState.Running);
    this.endpoint = new Endpoint({
      id: HOST_ID,
      name: HOST_NAME,
      mailbox,
      compressAbove: options.compressAbove,
      latencySampleEvery: options.latencySampleEvery,
      onBadFrame: (err) => this.observability.hostEvent('bad-frame', serializeError(err)),
    });
    this.directory = new SystemDirectory(this.endpoint, { id: HOST_ID, name: HOST_NAME, block: mailbox.block, messagesBytes: HOST_MAILBOX_BYTES, repliesBytes: HOST_REPLIES_BYTES });
    this.supervision = new Supervision({
      directory: this.directory,
      log,
      cellEnv: () => this.cellEnv,
      stopTimeoutMs: options.stopTimeoutMs,
      onRootFailed: (reason) => this.failSystem(reason),
      onInternalError: (where, err) => {
        this.logger.error({ system: this.name, event: 'internal-error', path: where, reason: serializeError(err) }, `supervisor ${where}: ${String(err)}`);
        this.emit('internal-error', err);
      },
      onRetired: (cell) => this.observability.forget(cell),
    });
    this.observability = new Observability({
      name: this.name,
      logger: this.logger,
      log,
      host: this.endpoint,
      directory: this.directory,
      supervision: this.supervision,
      warm: this.warm,
      statsLogIntervalMs: options.statsLogIntervalMs,
      kernels: this.pool,
      caches: this.caches,
      emit: (e) => this.emit('actor-error', e),
    });
    this.dead = new DeadLetters(this.endpoint, log, (letter) => this.emit('dead-letter', letter));
    this.handlers = new HostSubscribers((err, topic) => this.observability.hostEvent('handler-error', serializeError(err), { topic }));
    this.inbox = new HostInbox(
      this.endpoint,
      (topic, msg) => this.handlers.deliver(topic, msg),
      (err) => this.observability.hostEvent('bad-frame', serializeError(err)),
      options.staleClaimMs,
      (message) => log.write({ actor: HOST_NAME, path: HOST_NAME, event: 'stale-claim', reason: message }),
    );
    this.inbox.start();
  }

  // ------------------------------------------------------------------ actors and trees

  /**
   * Starts actor `name` from the module at `moduleUrl` (its default export is a defineActor) in a
   * worker thread of its own, supervised by the system's default one_for_one supervisor
   * ('$spawned'). Resolves once `init` has run and every other actor can reach it.
   */
  async spawn<A extends AnyActorDefinition = AnyActorDefinition>(name: string, moduleUrl: URL | string, options?: ChildOptions): Promise<ActorRef<MessageOf<A>, ReplyOf<A>>> {
    this.assertOpen();
    await this.supervision.spawn(child(name, moduleUrl, options));
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
    await this.supervision.startTree(tree);
  }

  /** A ref to an actor, by name (it stays valid across its restarts). */
  ref<A extends AnyActorDefinition = AnyActorDefinition>(name: string): ActorRef<MessageOf<A>, ReplyOf<A>> {
    if (!this.directory.reachable(name)) throw new ActorNotFound(name);
    return new ActorRef(name, this.endpoint, this.options.askTimeoutMs, () => this.afterAsk());
  }

  /**
   * The heavy-kernel pool: `run(kernel, input, { backend, timeoutMs, signal, out })`, `list()`,
   * `backends()` (async: it probes the accelerators once), `register(module)`. Actors reach the
   * same pool as `ctx.kernels`.
   */
  get kernels(): Kernels {
    return this.pool;
  }

  /**
   * A cache of this host (`'default'` when no name is given): shared memory that every actor of the
   * host reads in place through `ctx.cache(name)`. It belongs to the host, like the mailboxes, and
   * outlives any actor's restart.
   */
  cache(name = DEFAULT_CACHE): SharedCache {
    return this.caches.cache(name);
  }

  /** Names of the actors, in start order. */
  actorNames(): string[] {
    return [...this.directory.cells.keys()];
  }

  /**
   * Stops one actor gracefully and removes it from its supervisor: it drains its mailbox, runs its
   * `stop` hook and exits; after its shutdownTimeoutMs it is terminated. Asks still pending on it
   * reject with ActorStopped.
   */
  async stop(name: string): Promise<void> {
    if (!this.directory.cells.has(name) || !(await this.supervision.stopChild(name))) throw new ActorNotFound(name);
  }

  /**
   * Terminates the actor's worker as a crash would, for failure drills and benchmarks: its
   * supervisor reacts as to any crash, and the message in hand is delivered again (a kill from
   * outside does not count against its maxDeliveries). False when no worker of it is running
   * (it is already down, starting or being killed).
   */
  kill(name: string, reason = 'killed by system.kill'): boolean {
    const cell = this.directory.cells.get(name);
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

  /** Publishes many messages on one topic, one ring claim per subscriber and run; false if a subscriber could not take them all. */
  publishBatch(topic: string, msgs: readonly unknown[]): boolean {
    this.assertPublishable(topic);
    return this.endpoint.publishBatch(topic, msgs);
  }

  publishRecordBatch<F extends RecordFields>(topic: string, type: RecordType<F>, values: readonly RecordValues<F>[]): boolean {
    this.assertPublishable(topic);
    return this.endpoint.publishRecordBatch(topic, type, values);
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
    const remove = this.handlers.add(pattern, handler);
    const { entry, ready } = this.directory.subscribeHost(pattern);
    const off = (): void => {
      if (remove() && !this.closed) void this.directory.unsubscribeHost(entry);
    };
    return Object.assign(off, { ready });
  }

  // ------------------------------------------------------------------ observing

  /**
   * Per actor: supervision state, path, restarts, availability, dead letters, counts, mailbox
   * depth and high-water mark, errors, handler time, msg/s, latency percentiles.
   */
  stats(): SystemStats {
    return this.observability.stats();
  }

  /** Serves stats snapshots to `dualbus top --connect` on a Unix socket path or a TCP port (127.0.0.1). */
  serveStats(address: string | number): Promise<{ close(): Promise<void> }> {
    this.assertOpen();
    return this.observability.serveStats(address);
  }

  // ------------------------------------------------------------------ shutting down

  /** Stops every tree (children in reverse start order, mailboxes drained), then the bus and the host inbox. */
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
    this.observability.close();
    // Messages from other hosts stay in this host's stream from here on: the actors are about to stop.
    await this.directory.bus?.stopReceiving();
    await this.supervision.shutdown();
    await this.warm.close();
    await this.pool.close(); // after the actors: a stopping actor may still run kernels
    this.caches.close();
    await this.directory.bus?.stop();
    await this.inbox.stop();
    this.logger.info({ system: this.name, event: 'shutdown', ...(this.failure ? { reason: serializeError(this.failure) } : {}) }, `system ${this.name} shut down`);
    this.logger.flush?.();
  }

  private failSystem(reason: string): void {
    if (this.failure !== undefined || this.closed) return;
    this.failure = new SupervisionFailed(this.name, reason);
    this.logger.fatal({ system: this.name, event: 'system-failed', reason: serializeError(this.failure) }, this.failure.message);
    this.emit('failed', this.failure);
    void this.shutdown();
  }

  // ------------------------------------------------------------------ wiring

  /** What every actor worker is started with (workerData). */
  private workerBoot(): CellEnv['boot'] {
    const o = this.options;
    return {
      askTimeoutMs: o.askTimeoutMs,
      compressAbove: o.compressAbove,
      latencySampleEvery: o.latencySampleEvery,
      staleClaimMs: o.staleClaimMs,
      preload: (this.entries.actorPreload ?? []).map((u) => u.href),
    };
  }

  private get cellEnv(): CellEnv {
    return {
      workerEntry: this.entries.actor,
      boot: this.workerBoot(),
      warmPool: (limits) => this.warm.poolFor(limits),
      peers: () => this.directory.allPeers(),
      subscriptions: () => this.directory.routedSubscriptions(),
      remote: () => this.directory.remoteActors,
      onWorkerEvent: (cell, m) => this.observability.workerEvent(cell, m),
      onExit: (cell, exit) => {
        if (exit.deadLetter !== undefined) this.dead.take(cell, exit);
        this.emit('actor-exit', { actor: cell.name, code: exit.code, crashed: exit.cause !== 'normal', cause: exit.cause, reason: exit.reason, inPlace: exit.inPlace } satisfies ActorExitEvent);
        this.supervision.cellExited(cell, exit);
      },
      kernels: this.pool,
      caches: this.caches,
      onStandbyFailed: (cell, error) =>
        this.logger.warn({ system: this.name, actor: cell.name, path: cell.path, event: 'standby-failed', reason: error }, `${cell.path}: standby worker died: ${error.message}`),
    };
  }

  /** @internal createSystem: registers the user kernel modules of the options. */
  async startKernels(): Promise<void> {
    try {
      for (const m of this.options.kernels.modules) await this.pool.register(m);
    } catch (err) {
      await this.shutdown();
      throw err;
    }
  }

  /** @internal createSystem: connects the bridge (before any actor starts); shuts the system down if it cannot. */
  async startBus(): Promise<void> {
    try {
      await connectSystemBus({ name: this.name, options: this.options, bridgeEntry: this.entries.bridge, directory: this.directory, endpoint: this.endpoint, logger: this.logger });
    } catch (err) {
      await this.shutdown();
      throw err;
    }
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

  private assertPublishable(topic: unknown): void {
    this.assertOpen();
    if (typeof topic !== 'string' || topic === '') throw new InvalidOption('topic', 'a non-empty string', topic);
  }
}

/** Creates a system with the given worker entries (the package root's createSystem gives them). */
export async function startSystem(options: SystemOptions | undefined, entries: WorkerEntries): Promise<System> {
  const system = new System(resolveSystemOptions(options), entries);
  await system.startKernels();
  await system.startBus();
  return system;
}
