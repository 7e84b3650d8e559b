import { createActor } from 'xstate';
import { availability, childMachine, type ChildState } from '../../supervisors/child-machine.js';
import type { ChildSpec } from '../../supervisors/spec.js';
import type { ExitCause } from '../../supervisors/supervisor-machine.js';
import type { ActorCell, CellExit } from './actor-cell.js';
import type { ChildOptions } from './options.js';
import { round } from './stats.js';
import type { SupervisionHost, TreeNode } from './supervision-host.js';

/**
 * A worker child in the running tree: its spec, its cell (mailbox and workers) and its lifecycle
 * machine, which the logs, stats and `dualbus top` read.
 */
export class ChildNode implements TreeNode {
  readonly name: string;
  readonly lifecycle;
  cell: ActorCell | undefined;
  onExit: (cause: ExitCause, reason: string) => void = () => {};
  /** Its supervisor decided to restart it: an exit of the old worker now is part of that. */
  private restartPending = false;

  constructor(
    readonly spec: ChildSpec<ChildOptions>,
    readonly path: string,
    private readonly host: SupervisionHost,
  ) {
    this.name = spec.name;
    this.lifecycle = createActor(childMachine, { input: { name: spec.name, path } }).start();
  }

  state(): ChildState {
    return this.lifecycle.getSnapshot().value as ChildState;
  }

  availability(now: number): ReturnType<typeof availability> & { restarts: number } {
    const ctx = this.lifecycle.getSnapshot().context;
    return { ...availability(ctx, now), restarts: ctx.restarts };
  }

  async start(mode: 'initial' | 'restart'): Promise<boolean> {
    this.restartPending = false;
    const st = this.state();
    if (st === 'failed' || st === 'stopped') this.lifecycle.send({ type: 'RESTART', delayMs: 0 });
    if (this.state() === 'restarting') this.lifecycle.send({ type: 'START' });
    this.cell ??= this.host.createCell(this.spec, this.path);
    try {
      await this.host.startCell(this.cell);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      this.lifecycle.send({ type: 'FAILED', at: performance.now(), reason });
      this.host.log.write({ actor: this.name, path: this.path, event: 'failed', reason: err instanceof Error ? err : reason, restarts: this.restarts() });
      if (mode === 'initial') throw err;
      this.onExit('crash', reason);
      return false;
    }
    const down = this.lifecycle.getSnapshot().context.downSince;
    this.lifecycle.send({ type: 'STARTED', at: performance.now() });
    const ctx = this.lifecycle.getSnapshot().context;
    if (down === undefined) this.host.log.write({ actor: this.name, path: this.path, event: 'started', restarts: 0 });
    else this.host.log.write({ actor: this.name, path: this.path, event: 'restarted', restarts: ctx.restarts, downtimeMs: round(ctx.lastDowntimeMs ?? 0, 3), via: this.cell.lastVia });
    return true;
  }

  async stop(drain: boolean): Promise<void> {
    const cell = this.cell;
    if (cell === undefined) return;
    if (cell.state === 'down') {
      // Down between a failure and its restart: a final stop still owes its queue a drain, so it
      // starts once more to handle what waits (if that start fails, what waits stays unhandled).
      if (!drain || cell.mailbox.messages.depth() === 0 || !(await this.start('restart'))) return;
    }
    this.lifecycle.send({ type: 'STOP' });
    const { terminated } = await cell.stop(drain);
    this.lifecycle.send({ type: 'STOPPED', at: performance.now() });
    if (drain) {
      this.host.log.write({
        actor: this.name,
        path: this.path,
        event: 'stopped',
        restarts: this.restarts(),
        ...(terminated ? { reason: `did not stop within ${cell.supervision.shutdownTimeoutMs} ms: terminated` } : {}),
      });
    }
  }

  markRestarting(delayMs: number, reason: string): void {
    this.restartPending = true;
    // A running sibling of a group restart is stopped first; start() takes it from stopped.
    if (this.state() === 'failed') this.lifecycle.send({ type: 'RESTART', delayMs });
    this.host.log.write({ actor: this.name, path: this.path, event: 'restarting', reason, delayMs: round(delayMs, 3), restarts: this.restarts() });
  }

  async retire(reason: string, crashed: boolean): Promise<void> {
    const cell = this.cell;
    if (cell === undefined) return;
    this.cell = undefined;
    if (this.state() !== 'stopped') this.lifecycle.send({ type: 'STOPPED', at: performance.now() });
    await this.host.retireCell(cell, reason, crashed);
  }

  /** Its worker ended without being asked to. */
  cellExited(exit: CellExit): void {
    this.lifecycle.send({ type: 'FAILED', at: exit.at, reason: exit.reason });
    this.host.log.write({
      actor: this.name,
      path: this.path,
      event: 'failed',
      reason: exit.error !== undefined ? { ...exit.error, message: exit.reason } : exit.reason,
      cause: exit.cause,
      code: exit.code,
      redelivered: exit.redelivered,
      inPlace: exit.inPlace,
      ...(exit.restartedAtOnce ? { restartedAtOnce: true } : {}),
      restarts: this.restarts(),
    });
    if (this.restartPending) return; // its supervisor is already restarting it
    this.onExit(exit.cause, exit.reason);
  }

  private restarts(): number {
    return this.lifecycle.getSnapshot().context.restarts;
  }
}

