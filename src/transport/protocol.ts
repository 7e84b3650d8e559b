import type { MessagePort } from 'node:worker_threads';
import { InvalidOption } from './errors.js';

/**
 * What the host side (runtime/) and the worker side (actors/) both need to agree on: frame kinds,
 * actor states, and the shapes of control-plane messages (which travel by postMessage; the data
 * plane uses only the rings).
 */

/** The host is endpoint 0; actors are numbered from 1 in spawn order. */
export const HOST_ID = 0;
export const HOST_NAME = '$host';
/** The Redis bus bridge of this host (when the system has a bus): the last endpoint id. */
export const BRIDGE_ID = 0xffff;
export const BRIDGE_NAME = '$bridge';

/** Frame kinds on the data plane. */
export const Kind = {
  Send: 1,
  Ask: 2,
  Reply: 3,
  ReplyError: 4,
  Publish: 5,
} as const;
export type Kind = (typeof Kind)[keyof typeof Kind];

/** Values of the STATE word of a mailbox block. */
export const ActorState = {
  Starting: 0,
  Running: 1,
  Stopping: 2,
  Stopped: 3,
} as const;
export type ActorState = (typeof ActorState)[keyof typeof ActorState];

export type WaitStrategyName = 'spin' | 'block' | 'async';

/** What a `receive` that throws does (a child's onError), and its code in the FAILURE word. */
export type ErrorDirectiveName = 'restart' | 'resume' | 'stop' | 'escalate';
export const FailureCode = { None: 0, Restart: 1, Stop: 2, Escalate: 3 } as const;
export type FailureCode = (typeof FailureCode)[keyof typeof FailureCode];

/** One endpoint (an actor or the host) as every other endpoint sees it. */
export interface PeerEntry {
  id: number;
  name: string;
  block: SharedArrayBuffer;
  messagesBytes: number;
  repliesBytes: number;
}

/** One subscription: endpoint `id` receives topics matching `pattern`. */
export interface SubscriptionEntry {
  id: number;
  pattern: string;
}

/**
 * What every actor worker receives as workerData when it starts: the system's settings, the
 * modules to load at once (the package root, so that an actor module importing it finds it
 * loaded), and, for a worker started for one actor (its first start, its own standby), that
 * actor's module. A worker of the shared warm pool has none: it loads its actor's module when an
 * `attach` gives it one. Either way it then waits for `attach`.
 */
export interface WorkerBoot {
  askTimeoutMs: number;
  compressAbove: number;
  latencySampleEvery: number;
  /** A claim unpublished for this long is taken to be a dead producer's, and skipped. */
  staleClaimMs: number;
  /** Modules imported before the worker says 'loaded'. */
  preload: string[];
  /** The module of the actor this worker was started for, imported before it says 'loaded'. */
  moduleUrl?: string;
}

/** What an actor needs to know to run in a worker: its module and its settings (sent with `attach`). */
export interface ActorBoot {
  moduleUrl: string;
  wait: WaitStrategyName;
  spinMicros: number;
  parkTimeoutMs: number;
  onError: ErrorDirectiveName;
  /** The watchdog's limit: the loop beats at least four times within it while it waits on a handler. */
  hangTimeoutMs: number;
  /** The least time between two snapshots taken while the actor is idle. */
  snapshotIntervalMs: number;
  /** A message in hand at this many failed deliveries is dead-lettered (by the host). */
  maxDeliveries: number;
  /**
   * A failure of the actor's own code (a receive that throws, an uncaught exception, an unhandled
   * rejection) is reported and the worker waits to run the actor again (`restart`), instead of
   * dying with it.
   */
  inPlace: boolean;
}

/** What a thread needs to map one of the host's caches (cache/layout.ts draws the buffer). */
export interface CacheHandle {
  name: string;
  buffer: SharedArrayBuffer;
  geometry: { maxEntries: number; slots: number; maxBytes: number; indexSize: number; sketchWidth: number; arenaBytes: number };
  /** Default TTL of an entry set without one (0: none). */
  ttlMs: number;
}

/** Where an incarnation of the actor starts from: what to restore, and its slot in the host's caches. */
export interface IncarnationStart {
  /** The actor's last snapshot, when it has one: passed to `restore` instead of calling `init`. */
  snapshot?: { data: unknown };
  /** The host's caches (shared memory the worker maps for `ctx.cache()`), and this incarnation's slot in them. */
  caches: CacheHandle[];
  cacheParticipant: number;
  cacheGeneration: number;
}

/** The first message to a worker: the actor to run, the mailbox it consumes, its peers, and where it starts from. */
export interface AttachMessage extends IncarnationStart {
  type: 'attach';
  actor: ActorBoot;
  self: PeerEntry;
  peers: PeerEntry[];
  subscriptions: SubscriptionEntry[];
  /** Actors on other hosts, reached through the bridge. */
  remote: string[];
  /**
   * The CONTROL word as it stood before this message: every control message posted after it bumps
   * the word once, and the worker counts the ones it read from here (counting from the word itself
   * would take messages already posted but not yet read as read, and it would never sleep).
   */
  controlCount: number;
}

/**
 * Where the next incarnation would start if it restarted at once (a restart approved ahead of
 * time: RESTART_APPROVED in the mailbox block): its slot in the caches, reserved. Not a control
 * message.
 */
export interface PrepareMessage extends Omit<IncarnationStart, 'snapshot'> {
  type: 'prepare';
}

/**
 * Runs the actor again in the worker it failed (or was stopped) in: the worker reported the
 * failure ('failed') or its stop ('stopped') and waits for this, or to be terminated. Control
 * messages (peers, routes) keep reaching it while it waits, so its endpoint is current. Not a
 * control message itself: it does not bump the CONTROL word.
 */
export interface RestartMessage extends IncarnationStart {
  type: 'restart';
}

/** Host -> worker control messages. Each one bumps the mailbox CONTROL word. */
export type ControlToWorker =
  | { type: 'peers'; seq: number; peers: PeerEntry[] }
  | { type: 'down'; seq: number; id: number; reason: string; crashed: boolean }
  | { type: 'subscriptions'; seq: number; subscriptions: SubscriptionEntry[] }
  /** Actors on other hosts, reached through the bridge (replaces the previous list). */
  | { type: 'remote'; seq: number; actors: string[] }
  /** drain: handle everything queued first (a final stop); otherwise stop after the message in hand (a restart). */
  | { type: 'stop'; seq: number; drain: boolean }
  /** The answer to a kernel call the actor made (no seq, no ack: it is an answer, not a command). */
  | KernelResultMessage
  /** A direct lane to a kernel-pool thread (counted like a kernel result, not acknowledged). */
  | KernelLaneMessage;

/** A lane from an actor's worker straight to one kernel-pool thread, and the pool's terms. */
export interface KernelLaneMessage {
  type: 'kernel-lane';
  laneId: number;
  threadId: number;
  port: MessagePort;
  /** The lane's words: the last call begun, the one running, cancel slots. */
  words: Int32Array;
  /** The pool thread's load word (calls queued and running there). */
  load: Int32Array;
  /** The pool's queue limit, shared: calls outstanding, and at most how many. */
  admission: Int32Array;
  limit: number;
  /** kernels.maxQueue (what KernelQueueFull names). */
  maxQueue: number;
  /** kernels.timeoutMs. */
  timeoutMs: number;
}

/** One call an actor made over a lane, as its worker reports it to the host (for the stats). */
export interface DirectCallRecord {
  kernel: string;
  backend: string;
  ok: boolean;
  /** Undefined when the call never ran (given up on, refused). */
  queueMs?: number;
  runMs?: number;
  bytesCopied: number;
}

/** What both sides of a kernel call from an actor say (the host runs it in the system's kernel pool). */
export interface KernelRunMessage {
  type: 'kernel-run';
  id: number;
  kernel: string;
  input: unknown;
  options: { backend?: string; timeoutMs?: number; out?: Record<string, ArrayBufferView> };
}

export type KernelResultMessage =
  | { type: 'kernel-result'; id: number; ok: true; result: unknown }
  | { type: 'kernel-result'; id: number; ok: false; error: SerializedError & { argument?: string } };

/** Worker -> host control messages. */
export type ControlFromWorker =
  | { type: 'ready'; subscribe: string[] }
  | { type: 'ack'; seq: number }
  | { type: 'init-failed'; error: SerializedError }
  | { type: 'event'; event: ActorEventName; error?: SerializedError; detail?: Record<string, unknown> }
  | { type: 'snapshot'; data: unknown }
  /** The worker's modules are loaded: a standby (or a warm worker of the pool) is ready to take over. */
  | { type: 'loaded' }
  /**
   * The worker is ending through process.exit(): every 'exit' listener has run and the thread stops
   * right after this message (no more of its code runs), so the host need not wait for the thread's
   * teardown (milliseconds) to recover the rings and start the next worker.
   */
  | { type: 'exiting'; code: number }
  /** The actor stopped as asked; its worker now waits for `restart` (or to be terminated). */
  | { type: 'stopped' }
  /**
   * The actor's own code failed: a receive threw (with a directive other than 'resume'), or an
   * exception or a rejection went uncaught. The incarnation is retired (its timers cleared, its
   * asks and kernel calls abandoned, its loop ended, the message in hand left in the ring) and the
   * worker waits for `restart` (or to be terminated).
   */
  | {
      type: 'failed';
      origin: FailureOrigin;
      directive?: ErrorDirectiveName;
      error: SerializedError;
      /**
       * Set when the worker restarted the actor at once, on an approval taken from the mailbox
       * block (RESTART_APPROVED): when it failed (epoch ms), and whether the message in hand is
       * delivered again. The new incarnation then says 'ready' (or 'init-failed') as any start does.
       */
      restarted?: { at: number; redelivered: boolean };
    }
  | KernelRunMessage
  /** The caller gave up on kernel call `id` (its AbortSignal fired): stop it if it has not finished. */
  | { type: 'kernel-cancel'; id: number }
  /** The caller gave up on call `id` of lane `laneId` while it ran: stop its pool thread if it still runs it. */
  | { type: 'kernel-stop'; laneId: number; id: number }
  /** Lane calls since the last report, for the pool's stats. */
  | { type: 'kernel-stats'; records: DirectCallRecord[] };

/** Where a failure reported by a worker came from. */
export type FailureOrigin = 'receive' | 'uncaught' | 'rejection';

export type ActorEventName = 'handler-error' | 'bad-frame' | 'log-suppressed' | 'stop-hook-error' | 'snapshot-error' | 'stale-claim' | 'retired-error';

export interface SerializedError {
  name: string;
  message: string;
  code?: string;
  stack?: string;
}

export function serializeError(err: unknown): SerializedError {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return {
      name: err.name,
      message: err.message,
      ...(typeof code === 'string' ? { code } : {}),
      ...(err.stack !== undefined ? { stack: err.stack } : {}),
    };
  }
  return { name: 'Error', message: String(err) };
}

/** The timeout an ask or awaitable send uses: the caller's, else the system default; checked. */
export function timeoutOption(options: { timeoutMs?: number } | undefined, fallback: number): number {
  const t = options?.timeoutMs ?? fallback;
  if (!(typeof t === 'number' && t > 0 && Number.isFinite(t))) throw new InvalidOption('timeoutMs', 'a positive number of milliseconds', t);
  return t;
}
