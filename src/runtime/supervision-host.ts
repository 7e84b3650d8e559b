import type { ChildSpec } from '../../supervisors/spec.js';
import type { ActorCell } from './actor-cell.js';
import type { LifecycleLog } from './lifecycle-log.js';
import type { ChildOptions } from './options.js';

/** What the system lends the supervision tree's nodes: the mechanism they direct. */
export interface SupervisionHost {
  readonly log: LifecycleLog;
  /** Allocates the actor's mailbox and makes it reachable by name (messages queue from now on). */
  createCell(spec: ChildSpec<ChildOptions>, path: string): ActorCell;
  /** Starts a worker on the cell; the first time, its subscriptions join the routing table. */
  startCell(cell: ActorCell): Promise<void>;
  /** The actor is gone for good: its mailbox closes, asks pending on it fail, its name is free. */
  retireCell(cell: ActorCell, reason: string, crashed: boolean): Promise<void>;
  /** A command of a supervisor failed in a way nothing can handle: logged, never swallowed. */
  internalError(where: string, err: unknown): void;
}

/** A node of the running tree: a worker child or a supervisor. */
export interface TreeNode {
  readonly name: string;
  readonly path: string;
  /** Called when the node ends on its own (a crash, an exit, an escalation). */
  onExit: (cause: import('../../supervisors/supervisor-machine.js').ExitCause, reason: string) => void;
  /** 'initial' rejects on failure; 'restart' reports a failure through onExit and resolves false. */
  start(mode: 'initial' | 'restart'): Promise<boolean>;
  /** Stops the node's workers: `drain` handles queued messages first (final), else they wait (restart). */
  stop(drain: boolean): Promise<void>;
  /** The supervisor is about to restart this node after `delayMs`. */
  markRestarting(delayMs: number, reason: string): void;
  /** Gone for good: mailboxes closed, names freed. */
  retire(reason: string, crashed: boolean): Promise<void>;
}
