import { Worker } from 'node:worker_threads';
import { SpawnFailed } from '../transport/errors.js';
import { Mailbox } from '../transport/ring/mailbox.js';
import {
  ActorState,
  FailureCode,
  serializeError,
  type AttachMessage,
  type ControlFromWorker,
  type ControlToWorker,
  type PeerEntry,
  type SerializedError,
  type SubscriptionEntry,
  type WorkerBoot,
} from '../transport/protocol.js';
import type { KernelPool } from '../kernels/pool.js';
import type { CacheRegistry } from '../cache/registry.js';
import type { ExitCause } from '../../supervisors/supervisor-machine.js';
import { takeHeadRecord, type TakenRecord } from './dead-letters.js';
import type { ResolvedSpawnOptions, ResolvedSupervision } from './options.js';
import { KernelCalls } from './kernel-calls.js';
import { WorkerLink } from './worker-link.js';

/** How a worker ended without being asked to, as the supervisor needs to know it. */
export interface CellExit {
  cause: ExitCause;
  reason: string;
  error: SerializedError | undefined;
  code: number;
  /** The message in hand when it died is delivered again to the next worker. */
  redelivered: boolean;
  /** ... unless it has now failed maxDeliveries times: then it is taken out, here. */
  deadLetter: { record: TakenRecord; deliveries: number } | undefined;
}

/** What the system lends a cell. */
export interface CellEnv {
  /** The module every actor worker runs (injected: the runtime does not name the worker side). */
  workerEntry: URL;
  boot: Omit<WorkerBoot, 'moduleUrl' | 'wait' | 'spinMicros' | 'parkTimeoutMs' | 'onError' | 'hangTimeoutMs' | 'snapshotIntervalMs'>;
  peers(): PeerEntry[];
  subscriptions(): SubscriptionEntry[];
  /** Actors on other hosts (the bus), by name. */
  remote(): string[];
  /** An event the worker reported (a handler error, a bad frame...). */
  onWorkerEvent(cell: ActorCell, m: Extract<ControlFromWorker, { type: 'event' }>): void;
  /** The worker ended without being asked to: the rings are already recovered. */
  onExit(cell: ActorCell, exit: CellExit): void;
  /** A standby worker died before it was needed (the next start makes a fresh one). */
  onStandbyFailed(cell: ActorCell, error: SerializedError): void;
  /** The system's kernel pool, which the actor's `ctx.kernels` calls run in. */
  kernels: KernelPool;
  /** The host's caches, which the actor's `ctx.cache()` maps. */
  caches: CacheRegistry;
}

export type CellState = 'down' | 'starting' | 'running' | 'stopping';

/**
 * One actor's mechanism: the mailbox block (owned here, so it outlives every worker), the worker
 * that consumes it now, and a standby worker loaded and waiting to replace it. It starts, stops and
 * kills workers and recovers the rings after one dies; it decides nothing (supervisors do).
 */
export class ActorCell {
  readonly mailbox: Mailbox;
  readonly entry: PeerEntry;
  state: CellState = 'down';
  /** When the current worker became ready (performance.now()). */
  startedAt = 0;
  /** The actor's latest snapshot (see defineActor's snapshot/restore). */
  snapshot: { data: unknown } | undefined;
  deadLetters = 0;
  private worker: Worker | undefined;
  /** The control channel to the running worker. */
  private link: WorkerLink | undefined;
  /** The kernel calls the running worker made that are not answered yet. */
  private kernelCalls: KernelCalls | undefined;
  /** The worker's slot in the caches (memo owners, stats rows), while it runs. */
  private cacheParticipant: number | undefined;
  private exited: Promise<number> = Promise.resolve(0);
  private standby: Worker | undefined;
  private standbyLoaded = false;
  private expectingExit = false;
  private failure: SerializedError | undefined;
  private killedFor: string | undefined;
  private blameMessage = true;
  /** The position of the message in hand at the last crash, and how many deliveries failed on it. */
  private poison: { position: number; deliveries: number } | undefined;
  private readonly boot: WorkerBoot;

  constructor(
    readonly id: number,
    readonly name: string,
    readonly path: string,
    moduleUrl: string,
    readonly spawn: ResolvedSpawnOptions,
    readonly supervision: ResolvedSupervision,
    private readonly env: CellEnv,
  ) {
    this.mailbox = Mailbox.create(spawn.mailboxBytes, spawn.repliesBytes);
    this.mailbox.setOnFullThrows(spawn.onFull === 'throw');
    this.entry = { id, name, block: this.mailbox.block, messagesBytes: spawn.mailboxBytes, repliesBytes: spawn.repliesBytes };
    this.boot = {
      ...env.boot,
      moduleUrl,
      wait: spawn.wait,
      spinMicros: spawn.spinMicros,
      parkTimeoutMs: spawn.parkTimeoutMs,
      onError: supervision.onError,
      hangTimeoutMs: supervision.hangTimeoutMs,
      snapshotIntervalMs: supervision.snapshotIntervalMs,
    };
  }

  /** Starts a worker on the mailbox (the standby one when there is one); resolves with its topic patterns. */
  async start(): Promise<string[]> {
    this.state = 'starting';
    this.expectingExit = false;
    this.failure = undefined;
    this.killedFor = undefined;
    this.mailbox.setFailure(FailureCode.None);
    // Senders keep writing while it is down: its ring queues for the next worker.
    this.mailbox.setState(ActorState.Starting);
    const worker = this.standby ?? this.newWorker();
    this.standby = undefined;
    this.standbyLoaded = false;
    this.worker = worker;
    this.link = new WorkerLink(worker, this.mailbox.doorbell);
    this.kernelCalls = new KernelCalls(this.env.kernels, this.link, this.mailbox.doorbell.i32);
    this.exited = new Promise((resolve) => worker.once('exit', resolve));
    const [cacheParticipant, cacheGeneration] = this.env.caches.enter();
    this.cacheParticipant = cacheParticipant;
    const attach: AttachMessage = {
      type: 'attach',
      caches: this.env.caches.list(),
      cacheParticipant,
      cacheGeneration,
      self: this.entry,
      peers: this.env.peers(),
      subscriptions: this.env.subscriptions(),
      ...(this.snapshot !== undefined ? { snapshot: this.snapshot } : {}),
      controlCount: this.mailbox.doorbell.controlCount(),
      remote: this.env.remote(),
    };
    let subscribe: string[];
    try {
      const ready = this.awaitReady(worker, attach); // posts the attach message at once
      this.kernelCalls.openLanes(); // after it: a worker takes its first message for the attach
      subscribe = await ready;
    } catch (err) {
      this.expectingExit = true;
      await worker.terminate();
      await this.exited;
      this.gone();
      this.recoverRings(false);
      throw err;
    }
    worker.on('error', (err) => {
      this.failure = serializeError(err); // 'exit' follows and does the work
    });
    worker.on('message', (m: ControlFromWorker) => this.onMessage(m));
    worker.once('exit', (code) => this.onWorkerExit(worker, code));
    this.state = 'running';
    this.startedAt = performance.now();
    if (this.supervision.standby) this.standby = this.newWorker();
    return subscribe;
  }

  /**
   * Stops the worker: `drain` handles everything queued first (a final stop), otherwise it stops
   * after the message in hand (a restart: the rest waits in the ring). After shutdownTimeoutMs it
   * is terminated. Resolves once the worker is gone and the rings are recovered.
   */
  async stop(drain: boolean): Promise<{ terminated: boolean }> {
    const worker = this.worker;
    if (worker === undefined || this.state === 'down') return { terminated: false };
    this.state = 'stopping';
    this.expectingExit = true;
    if (drain) this.mailbox.setState(ActorState.Stopping);
    const gracefully = new Promise<void>((resolve) => {
      const onMsg = (m: ControlFromWorker): void => {
        if (m.type !== 'stopped') return;
        worker.off('message', onMsg);
        resolve();
      };
      worker.on('message', onMsg);
    });
    void this.post({ type: 'stop', seq: 0, drain });
    let terminated = false;
    const timer = setTimeout(() => {
      terminated = true;
      void worker.terminate();
    }, this.supervision.shutdownTimeoutMs);
    await Promise.race([gracefully, this.exited]);
    clearTimeout(timer);
    await worker.terminate();
    await this.exited;
    this.gone();
    this.recoverRings(false);
    return { terminated };
  }

  /**
   * Terminates the running worker; its exit is then reported as a crash with this reason. With
   * `blameMessage` (a hang), the message in hand counts a failed delivery; a kill from outside
   * (a drill) does not hold it against the message. False if no worker runs.
   */
  kill(reason: string, blameMessage: boolean): boolean {
    if (this.worker === undefined || this.state !== 'running' || this.killedFor !== undefined) return false;
    this.killedFor = reason;
    this.blameMessage = blameMessage;
    void this.worker.terminate();
    return true;
  }

  /** 'ready': a loaded standby waits to take over; 'loading': it is still loading; 'none': restarts start cold. */
  standbyState(): 'none' | 'loading' | 'ready' {
    return this.standby === undefined ? 'none' : this.standbyLoaded ? 'ready' : 'loading';
  }

  /** The cell is retired for good: no worker will read its mailbox again. */
  async dispose(): Promise<void> {
    this.mailbox.setState(ActorState.Stopped);
    const standby = this.standby;
    this.standby = undefined;
    if (standby !== undefined) await standby.terminate();
    if (this.worker !== undefined) {
      this.expectingExit = true;
      await this.worker.terminate();
      await this.exited;
      this.gone();
    }
  }

  /**
   * Posts a control message and wakes the actor to read it; resolves on its ack (or its exit).
   * A starting worker gets it too: it reads control messages from its attach on, in order.
   */
  post(msg: ControlToWorker): Promise<void> {
    if (this.link === undefined || this.state === 'down') return Promise.resolve();
    return this.link.post(msg);
  }

  // ------------------------------------------------------------------ internals

  private newWorker(): Worker {
    const w = new Worker(this.env.workerEntry, {
      workerData: this.boot,
      name: `dualbus:${this.name}`,
      ...(this.spawn.resourceLimits !== undefined ? { resourceLimits: this.spawn.resourceLimits } : {}),
    });
    // A standby that dies before it is needed is reported, and simply not there next time. (Once
    // it is the running worker, start() listens for its errors.)
    w.on('error', (err) => {
      if (this.standby === w) this.env.onStandbyFailed(this, serializeError(err));
    });
    w.once('exit', () => {
      if (this.standby === w) this.standby = undefined;
    });
    w.on('message', (m: ControlFromWorker) => {
      if (m.type === 'loaded' && this.standby === w) this.standbyLoaded = true;
    });
    return w;
  }

  private awaitReady(worker: Worker, attach: AttachMessage): Promise<string[]> {
    return new Promise((resolve, reject) => {
      const onMessage = (m: ControlFromWorker): void => {
        if (m.type === 'ready') {
          cleanup();
          resolve(m.subscribe);
        } else if (m.type === 'init-failed') {
          cleanup();
          reject(new SpawnFailed(this.name, `${m.error.name}: ${m.error.message}`));
        } else {
          this.onMessage(m);
        }
      };
      const onError = (err: Error): void => {
        cleanup();
        reject(new SpawnFailed(this.name, err.message, { cause: err }));
      };
      const onExit = (code: number): void => {
        cleanup();
        reject(new SpawnFailed(this.name, `its worker exited with code ${code} during start`));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new SpawnFailed(this.name, `init did not finish within ${this.supervision.startTimeoutMs} ms (startTimeoutMs)`));
      }, this.supervision.startTimeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
      };
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      worker.postMessage(attach);
    });
  }

  private onMessage(m: ControlFromWorker): void {
    if (m.type === 'kernel-run') {
      const link = this.link; // the answer goes to the worker that asked, never to its successor
      this.kernelCalls?.run(m, (answer) => link?.notify(answer));
    } else if (m.type === 'kernel-cancel') {
      this.kernelCalls?.cancel(m.id);
    } else if (m.type === 'kernel-stop') {
      this.kernelCalls?.stopLaneCall(m.laneId, m.id);
    } else if (m.type === 'kernel-stats') {
      this.kernelCalls?.recordDirect(m.records);
    } else if (m.type === 'ack') {
      this.link?.acked(m.seq);
    } else if (m.type === 'event') {
      this.env.onWorkerEvent(this, m);
    } else if (m.type === 'snapshot') {
      this.snapshot = { data: m.data };
    }
  }

  private onWorkerExit(worker: Worker, code: number): void {
    if (this.worker !== worker || this.expectingExit) return; // a stop or a start handles its own exit
    this.gone();
    const failureCode = this.mailbox.failure();
    const cause: ExitCause =
      failureCode === FailureCode.Stop ? 'directive-stop'
      : failureCode === FailureCode.Escalate ? 'directive-escalate'
      : failureCode === FailureCode.Restart || code !== 0 || this.failure !== undefined || this.killedFor !== undefined ? 'crash'
      : 'normal';
    const error = this.failure;
    const reason =
      this.killedFor !== undefined ? this.killedFor
      : failureCode !== FailureCode.None ? `receive threw ${error ? `${error.name}: ${error.message}` : 'a non-error value'}`
      : error !== undefined ? `${error.name}: ${error.message}`
      : code === 0 ? 'its worker exited (code 0) without being asked to stop'
      : `its worker exited with code ${code}`;
    const { redelivered, deadLetter } = this.recoverRings(this.killedFor === undefined || this.blameMessage);
    this.env.onExit(this, { cause, reason, error, code, redelivered, deadLetter });
  }

  private gone(): void {
    if (this.cacheParticipant !== undefined) this.env.caches.leave(this.cacheParticipant); // its memos are handed over
    this.cacheParticipant = undefined;
    this.worker = undefined;
    this.state = 'down';
    this.link?.close();
    this.link = undefined;
    this.kernelCalls?.abortAll();
    this.kernelCalls = undefined;
  }

  /**
   * Takes the consumer's place while no worker runs: releases what the last worker finished, drops
   * replies nobody waits for any more, and finds the message it died with. When the failure is
   * held against that message (`blame`) it counts a failed delivery; at maxDeliveries it is taken
   * out as a dead letter.
   */
  private recoverRings(blame: boolean): Pick<CellExit, 'redelivered' | 'deadLetter'> {
    const messages = this.mailbox.messages;
    const inHand = messages.recoverConsumer();
    this.mailbox.replies.recoverConsumer();
    this.mailbox.replies.drain(() => {}, Infinity); // answers to asks of the dead worker: nobody waits
    if (!inHand) {
      if (blame) this.poison = undefined;
      return { redelivered: false, deadLetter: undefined };
    }
    if (!blame) return { redelivered: true, deadLetter: undefined };
    const position = messages.readPosition();
    const deliveries = this.poison?.position === position ? this.poison.deliveries + 1 : 1;
    if (deliveries < this.supervision.maxDeliveries) {
      this.poison = { position, deliveries };
      return { redelivered: true, deadLetter: undefined };
    }
    this.poison = undefined;
    const record = takeHeadRecord(this.mailbox);
    this.deadLetters++;
    return { redelivered: false, deadLetter: record === undefined ? undefined : { record, deliveries } };
  }
}
