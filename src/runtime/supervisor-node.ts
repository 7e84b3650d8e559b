import { createActor, type Actor } from 'xstate';
import type { ChildSpec, SupervisorSpec } from '../../supervisors/spec.js';
import { approvesInstantRestart } from '../../supervisors/approval.js';
import { supervisorMachine, type ExitCause, type SupervisorCommand } from '../../supervisors/supervisor-machine.js';
import { ChildNode } from './child-node.js';
import type { ChildOptions } from './options.js';
import type { SupervisionHost, TreeNode } from './supervision-host.js';

/**
 * A supervisor in the running tree: it reports what happens to its children to its XState machine
 * and carries out the machine's commands (restart, remove, escalate) one at a time, in order.
 */
export class SupervisorNode implements TreeNode {
  readonly name: string;
  readonly children = new Map<string, ChildNode | SupervisorNode>();
  onExit: (cause: ExitCause, reason: string) => void = () => {};
  private machine: Actor<typeof supervisorMachine> | undefined;
  private queue: Promise<void> = Promise.resolve();
  private stopping = false;
  /** Cuts a backoff wait short when the supervisor stops. */
  private wake: (() => void) | undefined;

  constructor(
    readonly spec: SupervisorSpec,
    readonly path: string,
    private readonly host: SupervisionHost,
  ) {
    this.name = spec.name;
    for (const c of spec.children) this.adopt(c as ChildSpec<ChildOptions> | SupervisorSpec);
  }

  state(): string {
    return this.machine === undefined ? 'stopped' : String(this.machine.getSnapshot().value);
  }

  /** Starts the children in order under a fresh machine (a restart by its parent starts afresh). */
  async start(mode: 'initial' | 'restart'): Promise<boolean> {
    this.stopping = false;
    this.machine?.stop();
    // The children now (some may have been added or removed since the spec was written).
    const spec = { ...this.spec, children: [...this.children.values()].map((c) => c.spec) };
    const machine = createActor(supervisorMachine, { input: { spec, path: this.path, childPolicy: (name) => this.policyOf(name) } });
    machine.on('*', (cmd) => this.enqueue(() => this.carryOut(cmd as SupervisorCommand)));
    this.machine = machine.start();
    const started: Array<ChildNode | SupervisorNode> = [];
    for (const child of this.children.values()) {
      try {
        if (await child.start(mode)) this.send({ type: 'CHILD_STARTED', name: child.name, at: performance.now() });
      } catch (err) {
        // An initial start is all or nothing (as OTP's start_link): stop what did start.
        this.stopping = true;
        for (const s of started.reverse()) await s.stop(false);
        throw err;
      }
      started.push(child);
    }
    return true;
  }

  async stop(drain: boolean): Promise<void> {
    this.stopping = true;
    this.wake?.();
    this.send({ type: 'STOP' });
    await this.queue;
    for (const child of [...this.children.values()].reverse()) await child.stop(drain);
    this.send({ type: 'ALL_STOPPED' });
  }

  markRestarting(delayMs: number, reason: string): void {
    for (const child of this.children.values()) child.markRestarting(delayMs, reason);
  }

  async retire(reason: string, crashed: boolean): Promise<void> {
    for (const child of [...this.children.values()].reverse()) await child.retire(reason, crashed);
  }

  /** Adds a worker child while running (system.spawn); rejects, leaving nothing behind, if it fails to start. */
  addChild(spec: ChildSpec<ChildOptions>): Promise<void> {
    return this.enqueue(async () => {
      const node = this.adopt(spec);
      this.send({ type: 'ADD_CHILD', name: spec.name, ...this.policyOf(spec.name) });
      try {
        await node.start('initial');
      } catch (err) {
        this.children.delete(spec.name);
        this.send({ type: 'REMOVE_CHILD', name: spec.name });
        await node.retire('failed to start', true);
        throw err;
      }
      this.send({ type: 'CHILD_STARTED', name: spec.name, at: performance.now() });
    });
  }

  /** Stops a child gracefully and forgets it (system.stop). */
  removeChild(name: string): Promise<void> {
    return this.enqueue(async () => {
      const node = this.children.get(name);
      if (node === undefined) return;
      this.children.delete(name);
      this.send({ type: 'REMOVE_CHILD', name });
      await node.stop(true);
      await node.retire('stopped', false);
    });
  }

  // ------------------------------------------------------------------ internals

  private adopt(spec: ChildSpec<ChildOptions> | SupervisorSpec): ChildNode | SupervisorNode {
    const path = `${this.path}/${spec.name}`;
    const node = spec.kind === 'child' ? new ChildNode(spec as ChildSpec<ChildOptions>, path, this.host) : new SupervisorNode(spec, path, this.host);
    node.onExit = (cause, reason) => {
      if (this.stopping || this.children.get(spec.name) !== node) return;
      this.send({ type: 'CHILD_EXITED', name: spec.name, cause, reason, at: performance.now() });
    };
    this.children.set(spec.name, node);
    return node;
  }

  private policyOf(name: string): { restart: ChildSpec['policy']['restart']; backoff: ChildSpec['policy']['backoff'] } {
    const node = this.children.get(name);
    // A supervisor child is permanent, restarted at once: its own children bring their backoff.
    if (node instanceof ChildNode) return { restart: node.spec.policy.restart, backoff: node.spec.policy.backoff };
    return { restart: 'permanent', backoff: { minMs: 0, maxMs: 0, jitter: 0 } };
  }

  /**
   * Events for a machine that has finished (escalated, stopped) have nobody to decide on them.
   * Around each event, the restarts it approved ahead of time are taken back (before: the event may
   * change its answer; a child's report that raced it is only decided after it) and given again
   * where they still hold (after).
   */
  private send(event: Parameters<Actor<typeof supervisorMachine>['send']>[0]): void {
    if (event.type !== 'CHILD_STARTED') this.approveRestarts(false);
    if (this.machine?.getSnapshot().status === 'active') this.machine.send(event);
    this.approveRestarts(true);
  }

  /**
   * Tells each worker child whether a crash of it now would be answered by restarting it at once
   * and alone (approvesInstantRestart): its worker may then restart it without waiting for this
   * decision, which follows all the same. Off while the machine is not supervising.
   */
  private approveRestarts(approve: boolean): void {
    const snapshot = this.machine?.getSnapshot();
    const supervising = approve && !this.stopping && snapshot?.status === 'active' && snapshot.value === 'supervising';
    const at = performance.now();
    for (const [name, child] of this.children) {
      if (!(child instanceof ChildNode) || child.cell === undefined) continue;
      child.cell.approveRestart(supervising && approvesInstantRestart(snapshot!.context, name, at));
    }
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    const run = this.queue.then(task);
    this.queue = run.catch((err: unknown) => this.host.internalError(this.path, err));
    return run;
  }

  private async carryOut(cmd: SupervisorCommand): Promise<void> {
    if (cmd.type === 'restart') {
      if (this.stopping) return;
      const others = `restarted with '${cmd.child}' (${this.spec.strategy})`;
      for (const name of cmd.start) this.children.get(name)?.markRestarting(cmd.delayMs, name === cmd.child ? cmd.reason : others);
      for (const name of cmd.stop) await this.children.get(name)?.stop(false);
      for (const name of cmd.remove) await this.forget(name, `temporary, stopped with '${cmd.child}' (${this.spec.strategy})`);
      await this.sleep(cmd.delayMs);
      for (const name of cmd.start) {
        const node = this.children.get(name);
        if (this.stopping || node === undefined) return;
        if (await node.start('restart')) this.send({ type: 'CHILD_STARTED', name, at: performance.now() });
      }
    } else if (cmd.type === 'remove') {
      await this.forget(cmd.child, cmd.reason);
    } else {
      this.stopping = true;
      for (const child of [...this.children.values()].reverse()) await child.stop(false);
      this.host.log.write({ actor: this.name, path: this.path, event: 'escalated', reason: cmd.reason, child: cmd.child, failures: cmd.failures, periodMs: cmd.periodMs });
      this.onExit('crash', `supervisor '${this.path}' gave up: ${cmd.reason}`);
    }
  }

  /** A child that will not be restarted: out of the tree, its actor retired (asks on it fail, its name is free). */
  private async forget(name: string, reason: string): Promise<void> {
    const node = this.children.get(name);
    if (node === undefined) return;
    this.children.delete(name);
    this.host.log.write({ actor: name, path: node.path, event: 'stopped', reason: `not restarted: ${reason}` });
    await node.retire(reason, true);
  }

  /**
   * Waits at least `ms` by performance.now(). A Node timer counts from the event loop's cached
   * time, so it can fire up to a millisecond early by that clock; the remainder is waited again,
   * so a backoff is never shorter than the delay it logged.
   */
  private sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    const until = performance.now() + ms;
    return new Promise((resolve) => {
      let t = setTimeout(tick, ms);
      function tick(): void {
        const left = until - performance.now();
        if (left > 0) t = setTimeout(tick, Math.ceil(left));
        else resolve();
      }
      this.wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }
}
