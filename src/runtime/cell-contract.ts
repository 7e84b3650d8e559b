// What the system and an actor cell exchange: what the system lends it, and how the actor's run ended.
import type { KernelPool } from '../kernels/pool.js';
import type { CacheRegistry } from '../cache/registry.js';
import type { ControlFromWorker, PeerEntry, SerializedError, SubscriptionEntry, WorkerBoot } from '../transport/protocol.js';
import type { ExitCause } from '../../supervisors/supervisor-machine.js';
import type { ActorCell } from './actor-cell.js';
import type { ResolvedSpawnOptions } from './options.js';
import type { RecoveredRings } from './ring-recovery.js';
import type { WarmPool } from './warm-pool.js';

/**
 * How the actor's run ended without it being asked to, as the supervisor needs to know it: its
 * worker died, or (`inPlace`) its own code failed and its worker, kept, waits to run it again.
 */
export interface CellExit extends RecoveredRings {
  cause: ExitCause;
  reason: string;
  error: SerializedError | undefined;
  code: number;
  /** Its worker is alive and waits to run the actor again (a restart then happens in place). */
  inPlace: boolean;
  /** When it failed (performance.now()): for a restart the worker made at once, when it did. */
  at: number;
  /** The worker restarted the actor at once, on its supervisor's approval given ahead of time. */
  restartedAtOnce: boolean;
}

/** What the system lends a cell. */
export interface CellEnv {
  /** The module every actor worker runs (injected: the runtime does not name the worker side). */
  workerEntry: URL;
  boot: Omit<WorkerBoot, 'moduleUrl'>;
  peers(): PeerEntry[];
  subscriptions(): SubscriptionEntry[];
  /** Actors on other hosts (the bus), by name. */
  remote(): string[];
  /** An event the worker reported (a handler error, a bad frame...). */
  onWorkerEvent(cell: ActorCell, m: Extract<ControlFromWorker, { type: 'event' }>): void;
  /** The actor's run ended without it being asked to: the rings are already recovered. */
  onExit(cell: ActorCell, exit: CellExit): void;
  /** A standby worker died before it was needed (the next start makes a fresh one). */
  onStandbyFailed(cell: ActorCell, error: SerializedError): void;
  /** The shared warm pool for workers with these resource limits (undefined: none kept). */
  warmPool(resourceLimits: ResolvedSpawnOptions['resourceLimits']): WarmPool | undefined;
  /** The system's kernel pool, which the actor's `ctx.kernels` calls run in. */
  kernels: KernelPool;
  /** The host's caches, which the actor's `ctx.cache()` maps. */
  caches: CacheRegistry;
}

export type CellState = 'down' | 'starting' | 'running' | 'stopping';
