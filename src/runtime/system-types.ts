// The shapes the System's API hands out or takes (its worker entries, kernels, subscriptions, exit events).
import type { KernelPool } from '../kernels/pool.js';
import type { CellExit } from './cell-contract.js';

/** The worker modules a system starts (given by the package root; the runtime names neither side). */
export interface WorkerEntries {
  actor: URL;
  bridge: URL;
  /** What each kernel-pool thread runs. */
  kernel: URL;
  /** Modules an actor worker loads before it is needed (the package root, which actor modules import). */
  actorPreload?: readonly URL[];
}

/** The system's heavy-kernel pool, as the host uses it (`system.kernels`). */
export type Kernels = Pick<KernelPool, 'run' | 'list' | 'backends' | 'register' | 'stats'>;

/** What `subscribe` returns: call it to unsubscribe; `ready` resolves once every actor routes to it. */
export interface Unsubscribe {
  (): void;
  readonly ready: Promise<void>;
}

export interface ActorExitEvent {
  actor: string;
  code: number;
  crashed: boolean;
  cause: CellExit['cause'];
  reason: string;
  /** The actor's own code failed and its worker was kept: the restart, if any, happens in place. */
  inPlace: boolean;
}
