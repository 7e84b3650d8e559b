import type { Worker } from 'node:worker_threads';
import { Mailbox } from '../transport/ring/mailbox.js';
import {
  ActorState,
  FailureCode,
  serializeError,
  type ActorBoot,
  type AttachMessage,
  type ControlFromWorker,
  type ControlToWorker,
  type IncarnationStart,
  type PeerEntry,
  type RestartMessage,
  type SerializedError,
} from '../transport/protocol.js';
import { CacheSlots } from './cache-slots.js';
import { inPlaceExit, failureReason, workerExit } from './exit-reasons.js';
import { InstantRestart } from './instant-restart.js';
import type { ResolvedSpawnOptions, ResolvedSupervision } from './options.js';
import { KernelCalls } from './kernel-calls.js';
import { PendingStart } from './pending-start.js';
import { recoverRings, type RecoveredRings } from './ring-recovery.js';
import type { CellEnv, CellState } from './cell-contract.js';
import { WorkerLink } from './worker-link.js';
import { WorkerSource, type StartVia } from './worker-source.js';

export type { StartVia } from './worker-source.js';

export type { CellEnv, CellExit, CellState } from './cell-contract.js';

/**
 * One actor's mechanism: the mailbox block (owned here, so it outlives every worker), the worker
 * that consumes it now, and where the next one comes from. It starts, stops and kills workers,
 * runs the actor again in a worker that kept it (an in-place restart), and recovers the rings
 * after a failure; it decides nothing (supervisors do).
 *
 * Its worker, when it has one, is running the actor ('starting', 'running', 'stopping'), or is
 * `parked` ('down'): the actor failed or stopped in it, and it waits for a 'restart'.
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
  /** Restarts (starts after the first) by where their worker came from. */
  readonly restartsVia: Record<StartVia, number> = { 'in-place': 0, warm: 0, warming: 0, standby: 0, cold: 0 };
  /** Where the last start found its worker. */
  lastVia: StartVia | undefined;
  private worker: Worker | undefined;
  /** The worker waits, the actor retired in it, for a 'restart'. */
  private parked = false;
  /** The control channel to the worker. */
  private link: WorkerLink | undefined;
  /** The kernel calls the worker made that are not answered yet. */
  private kernelCalls: KernelCalls | undefined;
  /** Its slots in the host's caches: the running incarnation's, and one reserved for a restart at once. */
  private readonly cacheSlots: CacheSlots;
  private exited: Promise<number> = Promise.resolve(0);
  /** A start waiting for the worker's 'ready' (or its failure). */
  private readonly pendingStart: PendingStart;
  /** A stop waiting for the worker's 'stopped' (or a failure while stopping). */
  private pendingStop: ((how: 'stopped' | 'failed') => void) | undefined;
  private readonly workers: WorkerSource;
  /** The slot and the approval a restart at once needs. */
  private readonly instant: InstantRestart;
  /** The worker restarted the actor at once: its 'ready' (or failure), for the start that follows. */
  private early: Promise<string[]> | undefined;
  private expectingExit = false;
  private failure: SerializedError | undefined;
  private killedFor: string | undefined;
  private blameMessage = true;
  private everStarted = false;
  private readonly actor: ActorBoot;

  constructor(
    readonly id: number,
    readonly name: string,
    readonly path: string,
    private readonly moduleUrl: string,
    readonly spawn: ResolvedSpawnOptions,
    readonly supervision: ResolvedSupervision,
    private readonly env: CellEnv,
  ) {
    this.mailbox = Mailbox.create(spawn.mailboxBytes, spawn.repliesBytes);
    this.mailbox.setOnFullThrows(spawn.onFull === 'throw');
    this.entry = { id, name, block: this.mailbox.block, messagesBytes: spawn.mailboxBytes, repliesBytes: spawn.repliesBytes };
    this.actor = {
      moduleUrl,
      wait: spawn.wait,
      spinMicros: spawn.spinMicros,
      parkTimeoutMs: spawn.parkTimeoutMs,
      onError: supervision.onError,
      hangTimeoutMs: supervision.hangTimeoutMs,
      snapshotIntervalMs: supervision.snapshotIntervalMs,
      maxDeliveries: supervision.maxDeliveries,
      inPlace: supervision.restartInPlace,
    };
    this.cacheSlots = new CacheSlots(env.caches);
    this.instant = new InstantRestart(this.mailbox, this.cacheSlots);
    this.pendingStart = new PendingStart(name, supervision.startTimeoutMs);
    this.workers = new WorkerSource({
      workerEntry: env.workerEntry,
      boot: env.boot,
      name,
      moduleUrl,
      spawn,
      standby: supervision.standby,
      warmPool: (limits) => env.warmPool(limits),
      onStandbyFailed: (error) => env.onStandbyFailed(this, error),
    });
  }

  /**
   * Runs the actor: again in its parked worker if it has one (in place), else in a worker that
   * attaches to the mailbox (its own standby, a warm one of the shared pool, or a new thread).
   * Resolves with its topic patterns once its `init` (or `restore`) ran. When the worker already
   * restarted it at once (approved ahead of time), this waits for that incarnation's 'ready'.
   */
  async start(): Promise<string[]> {
    this.expectingExit = false;
    this.failure = undefined;
    this.killedFor = undefined;
    this.instant.withdraw();
    const early = this.early;
    this.early = undefined;
    let worker: Worker;
    let via: StartVia;
    let ready: Promise<string[]>;
    if (early !== undefined && this.worker !== undefined) {
      worker = this.worker;
      via = 'in-place';
      ready = early;
    } else {
      this.state = 'starting';
      this.mailbox.setFailure(FailureCode.None);
      // Senders keep writing while it is down: its ring queues for the next incarnation.
      this.mailbox.setState(ActorState.Starting);
      const from: IncarnationStart = { ...this.cacheSlots.enter(), ...(this.snapshot !== undefined ? { snapshot: this.snapshot } : {}) };
      let message: AttachMessage | RestartMessage;
      if (this.worker !== undefined && this.parked) {
        worker = this.worker;
        this.parked = false;
        via = 'in-place';
        message = { type: 'restart', ...from };
      } else {
        ({ worker, via } = this.workers.take(!this.everStarted));
        this.serve(worker);
        message = {
          type: 'attach',
          actor: this.actor,
          self: this.entry,
          peers: this.env.peers(),
          subscriptions: this.env.subscriptions(),
          remote: this.env.remote(),
          controlCount: this.mailbox.doorbell.controlCount(),
          ...from,
        };
      }
      ready = this.awaitReady(worker, message); // posts the message at once
      if (message.type === 'attach') this.kernelCalls!.openLanes(); // after it: a worker takes its first message for the attach
      // The slot of a restart at once goes right behind the start, not once the actor is ready: a
      // worker busy with its first messages may fail before it reads a 'prepare' sent later, and
      // would then wait for its supervisor although the restart was approved (port messages keep
      // their order; the worker listens for 'prepare' from the moment it takes the attach).
      if (this.supervision.restartInPlace) this.instant.prepare(this.worker);
    }
    let subscribe: string[];
    try {
      subscribe = await ready;
    } catch (err) {
      this.expectingExit = true;
      await worker.terminate();
      await this.exited;
      this.gone(worker);
      this.recoverRings(false);
      throw err;
    }
    this.state = 'running';
    this.startedAt = performance.now();
    if (this.everStarted) this.restartsVia[via]++;
    this.everStarted = true;
    this.lastVia = via;
    if (this.supervision.restartInPlace) this.instant.prepare(this.worker);
    this.workers.replenish();
    return subscribe;
  }

  /**
   * Its supervisor says whether it would restart this actor at once and alone if it crashed now
   * (supervisors/approval.ts). While it would, and the actor runs in a worker that can restart it
   * in place, the approval is left in the mailbox block for the worker to take; otherwise it is
   * taken back (if the worker took it first, its report is on its way).
   */
  approveRestart(approve: boolean): void {
    if (approve && this.state === 'running' && this.instant.prepared && this.killedFor === undefined && this.supervision.restartInPlace) this.instant.approve();
    else this.instant.withdraw();
  }

  /**
   * Stops the actor: `drain` handles everything queued first (a final stop: its worker ends),
   * otherwise it stops after the message in hand (a restart: the rest waits in the ring, and the
   * worker, with restartInPlace, waits to run it again). After shutdownTimeoutMs it is terminated.
   * Resolves once the actor stopped and the rings are recovered.
   */
  async stop(drain: boolean): Promise<{ terminated: boolean }> {
    const worker = this.worker;
    this.instant.withdraw();
    this.early = undefined;
    if (worker === undefined || this.state === 'down') return { terminated: false };
    this.state = 'stopping';
    this.expectingExit = true; // whatever happens to the worker now is part of the stop
    if (drain) this.mailbox.setState(ActorState.Stopping);
    const stopped = new Promise<'stopped' | 'failed' | 'exited'>((resolve) => (this.pendingStop = resolve));
    void this.post({ type: 'stop', seq: 0, drain });
    let terminated = false;
    const timer = setTimeout(() => {
      terminated = true;
      void worker.terminate();
    }, this.supervision.shutdownTimeoutMs);
    const how = await Promise.race([stopped, this.exited.then(() => 'exited' as const)]);
    clearTimeout(timer);
    this.pendingStop = undefined;
    if (!drain && how === 'stopped' && this.supervision.restartInPlace && this.worker === worker) {
      this.park();
      this.recoverRings(false);
      return { terminated: false };
    }
    await worker.terminate();
    await this.exited;
    this.gone(worker);
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
    this.instant.withdraw();
    this.killedFor = reason;
    this.blameMessage = blameMessage;
    void this.worker.terminate();
    return true;
  }

  /** What a worker death would find now: 'ready' (a loaded worker waits), 'loading', or 'none' (a cold start). */
  standbyState(): 'none' | 'loading' | 'ready' {
    return this.workers.state();
  }

  /** The worker threadId the actor runs (or waits, parked) in; undefined without one. */
  threadId(): number | undefined {
    return this.worker?.threadId;
  }

  /** The cell is retired for good: no worker will read its mailbox again. */
  async dispose(): Promise<void> {
    this.mailbox.setState(ActorState.Stopped);
    await this.workers.dispose();
    const worker = this.worker;
    if (worker !== undefined) {
      this.expectingExit = true;
      await worker.terminate();
      await this.exited;
      this.gone(worker);
    }
  }

  /**
   * Posts a control message and wakes the actor to read it; resolves on its ack (or its exit).
   * A starting worker gets it too (it reads control messages from its attach on, in order), and so
   * does a parked one: its endpoint stays current for its next incarnation.
   */
  post(msg: ControlToWorker): Promise<void> {
    if (this.link === undefined) return Promise.resolve();
    return this.link.post(msg);
  }

  // ------------------------------------------------------------------ internals

  /** The worker now runs this actor: its control channel, its kernel calls, and what it tells. */
  private serve(worker: Worker): void {
    this.worker = worker;
    this.parked = false;
    this.link = new WorkerLink(worker, this.mailbox.doorbell);
    this.kernelCalls = new KernelCalls(this.env.kernels, this.link, this.mailbox.doorbell.i32);
    this.exited = new Promise((resolve) => worker.once('exit', resolve));
    worker.on('message', (m: ControlFromWorker) => this.onMessage(worker, m));
    worker.on('error', (err) => {
      if (this.worker !== worker) return;
      this.failure = serializeError(err); // 'exit' follows and does the work
      this.pendingStart.failed(err.message, err);
    });
    worker.once('exit', (code) => this.onWorkerExit(worker, code));
  }

  /** Posts the attach (or restart; none: the worker restarted on its own) and resolves with the actor's topics once it is ready. */
  private awaitReady(worker: Worker, message: AttachMessage | RestartMessage | undefined): Promise<string[]> {
    const ready = this.pendingStart.wait();
    if (message !== undefined) worker.postMessage(message);
    return ready;
  }

  private onMessage(worker: Worker, m: ControlFromWorker): void {
    if (this.worker !== worker) return;
    if (this.kernelCalls?.handle(m)) return;
    if (m.type === 'ack') {
      this.link?.acked(m.seq);
    } else if (m.type === 'event') {
      this.env.onWorkerEvent(this, m);
    } else if (m.type === 'snapshot') {
      this.snapshot = { data: m.data };
    } else if (m.type === 'ready') {
      this.pendingStart.ready(m.subscribe);
    } else if (m.type === 'init-failed') {
      this.pendingStart.failed(`${m.error.name}: ${m.error.message}`);
    } else if (m.type === 'stopped') {
      this.pendingStop?.('stopped');
    } else if (m.type === 'failed') {
      this.onFailedInPlace(worker, m);
    } else if (m.type === 'exiting') {
      this.onWorkerExit(worker, m.code); // its thread runs no more of its code: no need to wait for the teardown
    }
  }

  /** The actor's own code failed and its worker, kept, waits: the supervisor hears of it as of a crash. */
  private onFailedInPlace(worker: Worker, m: Extract<ControlFromWorker, { type: 'failed' }>): void {
    if (m.restarted !== undefined) {
      this.restartedAtOnce(worker, m, m.restarted);
      return;
    }
    if (this.state === 'stopping') {
      this.pendingStop?.('failed'); // it failed while stopping: the stop ends it
      return;
    }
    if (this.state !== 'running' || this.killedFor !== undefined) return; // being killed: its exit reports
    this.park();
    const { cause, reason } = inPlaceExit(m);
    this.env.onExit(this, { cause, reason, error: m.error, code: 1, ...this.recoverRings(true), inPlace: true, at: performance.now(), restartedAtOnce: false });
  }

  /**
   * The worker took the approval and restarted the actor at once (the rings recovered, the delivery
   * counted): the new incarnation runs in the cache slot prepared for it, and its 'ready' is kept
   * for the start its supervisor now orders. The supervisor hears of the failure as of any other.
   */
  private restartedAtOnce(worker: Worker, m: Extract<ControlFromWorker, { type: 'failed' }>, restarted: { at: number; redelivered: boolean }): void {
    this.instant.taken();
    // Being stopped or killed: what is under way ends the new incarnation as it would have the old.
    if (this.state !== 'running' || this.killedFor !== undefined) return;
    this.state = 'starting';
    this.early = this.awaitReady(worker, undefined);
    this.early.catch(() => {}); // a start that never comes (the supervisor gave up) leaves it unread
    const at = restarted.at - performance.timeOrigin;
    this.env.onExit(this, { cause: 'crash', reason: failureReason(m), error: m.error, code: 1, redelivered: restarted.redelivered, deadLetter: undefined, inPlace: true, at, restartedAtOnce: true });
  }

  /** The actor retired in its worker, which waits for a 'restart' (its link and kernel lanes stay). */
  private park(): void {
    this.state = 'down';
    this.parked = true;
    this.cacheSlots.leaveRunning();
  }

  private onWorkerExit(worker: Worker, code: number): void {
    if (this.worker !== worker) return;
    this.pendingStart.failed(`its worker exited with code ${code} during start`);
    // A stop, a start that failed, or a parked worker: nothing to report (a parked one's failure was).
    if (this.expectingExit || this.parked) {
      this.gone(worker);
      return;
    }
    this.gone(worker);
    const error = this.failure;
    const { cause, reason } = workerExit(this.mailbox.failure(), code, error, this.killedFor);
    const recovered = this.recoverRings(this.killedFor === undefined || this.blameMessage);
    this.env.onExit(this, { cause, reason, error, code, ...recovered, inPlace: false, at: performance.now(), restartedAtOnce: false });
  }

  /** The worker is gone (or given up on): its slot in the caches, its channel and its kernel calls go with it. */
  private gone(worker: Worker): void {
    if (this.worker !== worker) return;
    this.cacheSlots.leaveAll();
    this.instant.reset();
    this.early = undefined;
    this.worker = undefined;
    this.parked = false;
    this.state = 'down';
    this.link?.close();
    this.link = undefined;
    this.kernelCalls?.abortAll();
    this.kernelCalls = undefined;
  }

  /** Recovers the rings after an incarnation ended (see ring-recovery.ts); a dead letter is counted here. */
  private recoverRings(blame: boolean): RecoveredRings {
    const recovered = recoverRings(this.mailbox, blame, this.supervision.maxDeliveries);
    if (recovered.deadLetter !== undefined) this.deadLetters++;
    return recovered;
  }
}
