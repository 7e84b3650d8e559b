import { EventEmitter } from 'node:events';
import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { pino, type Logger } from 'pino';
import type { AnyActorDefinition, MessageOf, ReplyOf } from '../actors/define.js';
import type { RecordFields, RecordType, RecordValues } from '../transport/codec/records.js';
import { Endpoint } from '../transport/endpoint.js';
import { ActorNotFound, DualbusError, InvalidOption, SpawnFailed, SystemStopped } from '../transport/errors.js';
import { Mailbox } from '../transport/ring/mailbox.js';
import {
  ActorState,
  HOST_ID,
  HOST_NAME,
  type ControlFromWorker,
  type ControlToWorker,
  type PeerEntry,
  type SerializedError,
  type SubscriptionEntry,
  type WorkerBoot,
  serializeError,
} from '../transport/protocol.js';
import { patternProblem, matchTopic } from '../transport/topic.js';
import { ActorRef } from './actor-ref.js';
import { HostInbox } from './host-inbox.js';
import { resolveSpawnOptions, resolveSystemOptions, type ResolvedSystemOptions, type SpawnOptions, type SystemOptions } from './options.js';
import { readStats, type ActorStats } from './stats.js';

const WORKER_MAIN = new URL('../actors/worker-main.js', import.meta.url);
const HOST_MAILBOX_BYTES = 1 << 20;
const HOST_REPLIES_BYTES = 1 << 18;

type Lifecycle = ActorStats['state'];

/** What the host keeps for each spawned actor. */
interface ActorHandle {
  id: number;
  name: string;
  entry: PeerEntry;
  mailbox: Mailbox;
  worker: Worker;
  lifecycle: Lifecycle;
  startedAt: number;
  subscribe: string[];
  acks: Map<number, () => void>;
  exited: Promise<number>;
  stopped?: Promise<void>;
  /** The uncaught error that killed the worker, if one did. */
  failure?: SerializedError;
}

export interface SystemStats {
  system: string;
  actors: Record<string, ActorStats>;
  host: Pick<ActorStats, 'received' | 'sent' | 'asksSent' | 'repliesReceived' | 'mailboxDepth' | 'overflows'> & { pendingAsks: number };
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

/**
 * An actor system embedded in this process: spawns actors on worker threads, owns their mailbox
 * blocks, keeps the directory and subscription table, and carries control messages. Data never
 * passes through here: actors write into each other's rings directly.
 *
 * Events: 'actor-error' (ActorEvent: a handler threw, a frame was malformed), 'actor-exit'
 * ({ actor, code, crashed }).
 */
export class System extends EventEmitter {
  readonly name: string;
  readonly logger: Logger;
  private readonly options: ResolvedSystemOptions;
  private readonly endpoint: Endpoint;
  private readonly inbox: HostInbox;
  private readonly hostEntry: PeerEntry;
  private readonly actors = new Map<string, ActorHandle>();
  private readonly hostHandlers = new Set<{ pattern: string; handler: SubscriptionHandler }>();
  private subscriptions: SubscriptionEntry[] = [];
  private nextId = HOST_ID + 1;
  private controlSeq = 0;
  private closed = false;

  /** @internal use createSystem */
  constructor(options: ResolvedSystemOptions) {
    super();
    this.options = options;
    this.name = options.name;
    this.logger = options.logger ?? pino({ name: 'dualbus', level: process.env.DUALBUS_LOG_LEVEL ?? 'info' }, pino.destination(2));
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
  }

  // ------------------------------------------------------------------ actors

  /**
   * Starts actor `name` from the module at `moduleUrl` (its default export is a defineActor) in a
   * worker thread of its own. Resolves once `init` has run and every other actor can reach it.
   */
  async spawn<A extends AnyActorDefinition = AnyActorDefinition>(
    name: string,
    moduleUrl: URL | string,
    options?: SpawnOptions,
  ): Promise<ActorRef<MessageOf<A>, ReplyOf<A>>> {
    this.assertOpen();
    if (typeof name !== 'string' || name === '' || name.length > 200 || name.startsWith('$')) {
      throw new InvalidOption('name', "a non-empty string of at most 200 characters, not starting with '$'", name);
    }
    if (this.actors.has(name)) throw new InvalidOption('name', 'the name of no running actor', name);
    const url = moduleUrlOf(moduleUrl);
    const opts = resolveSpawnOptions(options);
    const mailbox = Mailbox.create(opts.mailboxBytes, opts.repliesBytes);
    mailbox.setOnFullThrows(opts.onFull === 'throw');
    const id = this.nextId++;
    if (id > 0xffff) throw new DualbusError('TooManyActors', 'a system holds at most 65535 actors over its life');
    const entry: PeerEntry = { id, name, block: mailbox.block, messagesBytes: opts.mailboxBytes, repliesBytes: opts.repliesBytes };
    const boot: WorkerBoot = {
      self: entry,
      moduleUrl: url,
      wait: opts.wait,
      spinMicros: opts.spinMicros,
      parkTimeoutMs: opts.parkTimeoutMs,
      askTimeoutMs: this.options.askTimeoutMs,
      compressAbove: this.options.compressAbove,
      latencySampleEvery: this.options.latencySampleEvery,
      peers: [this.hostEntry, ...[...this.actors.values()].map((a) => a.entry), entry],
      subscriptions: this.subscriptions,
    };
    const worker = new Worker(WORKER_MAIN, {
      workerData: boot,
      name: `dualbus:${name}`,
      ...(opts.resourceLimits !== undefined ? { resourceLimits: opts.resourceLimits } : {}),
    });
    const handle: ActorHandle = {
      id,
      name,
      entry,
      mailbox,
      worker,
      lifecycle: 'starting',
      startedAt: performance.now(),
      subscribe: [],
      acks: new Map(),
      exited: new Promise((resolve) => worker.once('exit', resolve)),
    };
    // Known to the host at once, so sends made before it is ready queue in its mailbox.
    this.actors.set(name, handle);
    this.endpoint.setPeers([entry]);
    try {
      handle.subscribe = await this.awaitReady(handle);
    } catch (err) {
      this.actors.delete(name);
      this.endpoint.peerDown(id, 'failed to start', true);
      mailbox.setState(ActorState.Stopped);
      await worker.terminate();
      throw err;
    }
    handle.lifecycle = 'running';
    handle.startedAt = performance.now();
    worker.on('error', (err) => {
      // An uncaught exception in the worker: it is dying; 'exit' follows and does the cleanup.
      handle.failure = serializeError(err);
    });
    worker.on('exit', (code) => this.onExit(handle, code));
    worker.on('message', (m: ControlFromWorker) => this.onWorkerMessage(handle, m));
    await this.broadcast((seq) => ({ type: 'peers', seq, peers: [entry] }), handle);
    for (const pattern of handle.subscribe) this.subscriptions.push({ id, pattern });
    if (handle.subscribe.length > 0) await this.broadcastSubscriptions();
    this.logger.info({ system: this.name, actor: name, event: 'started', wait: opts.wait }, `actor ${name} started`);
    return this.ref(name);
  }

  /** A ref to a running actor, by name. */
  ref<A extends AnyActorDefinition = AnyActorDefinition>(name: string): ActorRef<MessageOf<A>, ReplyOf<A>> {
    if (!this.actors.has(name)) throw new ActorNotFound(name);
    return new ActorRef(name, this.endpoint, this.options.askTimeoutMs, () => this.afterAsk());
  }

  /** Names of the actors, in start order. */
  actorNames(): string[] {
    return [...this.actors.keys()];
  }

  /**
   * Stops one actor gracefully: it drains its mailbox, runs its `stop` hook and exits; after
   * stopTimeoutMs it is terminated. Asks still pending on it reject with ActorStopped.
   */
  async stop(name: string): Promise<void> {
    const handle = this.actors.get(name);
    if (handle === undefined) throw new ActorNotFound(name);
    handle.stopped ??= this.stopHandle(handle);
    return handle.stopped;
  }

  private async stopHandle(handle: ActorHandle): Promise<void> {
    if (handle.lifecycle === 'running' || handle.lifecycle === 'starting') {
      handle.lifecycle = 'stopping';
      handle.mailbox.setState(ActorState.Stopping);
      this.post(handle, { type: 'stop', seq: ++this.controlSeq });
      const timer = setTimeout(() => {
        this.logger.warn({ system: this.name, actor: handle.name, event: 'stop-timeout' }, `actor ${handle.name} did not stop within ${this.options.stopTimeoutMs} ms; terminating`);
        void handle.worker.terminate();
      }, this.options.stopTimeoutMs);
      const gracefully = new Promise<void>((resolve) => {
        const onMsg = (m: ControlFromWorker): void => {
          if (m.type !== 'stopped') return;
          handle.worker.off('message', onMsg);
          resolve();
        };
        handle.worker.on('message', onMsg);
      });
      await Promise.race([gracefully, handle.exited]);
      clearTimeout(timer);
    }
    // Stopped: senders now get ActorStopped; no one will read this mailbox again.
    handle.mailbox.setState(ActorState.Stopped);
    if (handle.lifecycle !== 'crashed') handle.lifecycle = 'stopped';
    await handle.worker.terminate();
    await handle.exited;
    this.actors.delete(handle.name);
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

  /** Per actor: counts, mailbox depth and high-water mark, errors, handler time, latency percentiles. */
  stats(): SystemStats {
    const actors: Record<string, ActorStats> = {};
    for (const a of this.actors.values()) actors[a.name] = readStats(a.mailbox, a.lifecycle, a.startedAt);
    const h = readStats(this.endpoint.own, 'running', 0);
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
    };
  }

  /** Drains every mailbox and stops the actors in the reverse order of their start. */
  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const name of [...this.actors.keys()].reverse()) await this.stop(name);
    await this.inbox.stop();
    this.logger.info({ system: this.name, event: 'shutdown' }, `system ${this.name} shut down`);
    this.logger.flush?.();
  }

  // ------------------------------------------------------------------ control plane

  private awaitReady(handle: ActorHandle): Promise<string[]> {
    return new Promise((resolve, reject) => {
      const onMessage = (m: ControlFromWorker): void => {
        if (m.type === 'ready') {
          cleanup();
          resolve(m.subscribe);
        } else if (m.type === 'init-failed') {
          cleanup();
          reject(new SpawnFailed(handle.name, `${m.error.name}: ${m.error.message}`));
        } else {
          this.onWorkerMessage(handle, m);
        }
      };
      const onError = (err: Error): void => {
        cleanup();
        reject(new SpawnFailed(handle.name, err.message, { cause: err }));
      };
      const onExit = (code: number): void => {
        cleanup();
        reject(new SpawnFailed(handle.name, `its worker exited with code ${code} during start`));
      };
      const cleanup = (): void => {
        handle.worker.off('message', onMessage);
        handle.worker.off('error', onError);
        handle.worker.off('exit', onExit);
      };
      handle.worker.on('message', onMessage);
      handle.worker.on('error', onError);
      handle.worker.on('exit', onExit);
    });
  }

  private onWorkerMessage(handle: ActorHandle, m: ControlFromWorker): void {
    if (m.type === 'ack') {
      handle.acks.get(m.seq)?.();
      handle.acks.delete(m.seq);
    } else if (m.type === 'event') {
      this.actorEvent({ actor: handle.name, event: m.event, ...(m.error ? { error: m.error } : {}), ...(m.detail ? { detail: m.detail } : {}) });
    }
  }

  private actorEvent(e: ActorEvent): void {
    const level = e.event === 'log-suppressed' ? 'warn' : 'error';
    this.logger[level](
      { system: this.name, actor: e.actor, event: e.event, reason: e.error, ...e.detail },
      `${e.actor}: ${e.event}${e.error ? `: ${e.error.message}` : ''}`,
    );
    this.emit('actor-error', e);
  }

  private onExit(handle: ActorHandle, code: number): void {
    const crashed = handle.lifecycle !== 'stopping' && handle.lifecycle !== 'stopped';
    if (crashed) handle.lifecycle = 'crashed';
    handle.mailbox.setState(ActorState.Stopped);
    for (const ack of handle.acks.values()) ack();
    handle.acks.clear();
    const reason = !crashed ? 'stopped' : handle.failure !== undefined ? `${handle.failure.name}: ${handle.failure.message}` : `worker exited with code ${code}`;
    this.endpoint.peerDown(handle.id, reason, crashed);
    this.subscriptions = this.subscriptions.filter((s) => s.id !== handle.id);
    for (const other of this.actors.values()) {
      if (other !== handle && (other.lifecycle === 'running' || other.lifecycle === 'stopping')) {
        this.post(other, { type: 'down', seq: ++this.controlSeq, id: handle.id, reason, crashed });
      }
    }
    if (crashed) {
      this.logger.error({ system: this.name, actor: handle.name, event: 'failed', code, reason: handle.failure }, `actor ${handle.name} crashed: ${reason}`);
      this.actors.delete(handle.name);
    } else {
      this.logger.info({ system: this.name, actor: handle.name, event: 'stopped' }, `actor ${handle.name} stopped`);
    }
    this.emit('actor-exit', { actor: handle.name, code, crashed });
  }

  /** Posts a control message and wakes the actor to read it; resolves on its ack (or its exit). */
  private post(handle: ActorHandle, msg: ControlToWorker): Promise<void> {
    const acked = new Promise<void>((resolve) => handle.acks.set(msg.seq, resolve));
    handle.worker.postMessage(msg);
    handle.mailbox.doorbell.bumpControl();
    return acked;
  }

  private async broadcast(make: (seq: number) => ControlToWorker, except?: ActorHandle): Promise<void> {
    const waits: Promise<void>[] = [];
    for (const a of this.actors.values()) {
      if (a !== except && (a.lifecycle === 'running' || a.lifecycle === 'stopping')) waits.push(this.post(a, make(++this.controlSeq)));
    }
    await Promise.all(waits);
  }

  private async broadcastSubscriptions(): Promise<void> {
    this.endpoint.setSubscriptions(this.subscriptions);
    const subscriptions = this.subscriptions.slice();
    await this.broadcast((seq) => ({ type: 'subscriptions', seq, subscriptions }));
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

/** Creates an embedded actor system: no service, no configuration needed. */
export async function createSystem(options?: SystemOptions): Promise<System> {
  return new System(resolveSystemOptions(options));
}

function moduleUrlOf(moduleUrl: URL | string): string {
  if (moduleUrl instanceof URL) return moduleUrl.href;
  if (typeof moduleUrl === 'string' && moduleUrl !== '') {
    if (/^(file|data):/.test(moduleUrl)) return moduleUrl;
    if (isAbsolute(moduleUrl)) return pathToFileURL(moduleUrl).href;
  }
  throw new InvalidOption('moduleUrl', 'a URL, a file: URL string or an absolute path', moduleUrl);
}
