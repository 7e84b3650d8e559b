import { SUPERVISOR_DEFAULTS, type ChildSpec, type SupervisorSpec } from '../../supervisors/spec.js';
import { InvalidOption } from '../transport/errors.js';
import { ActorCell, type CellEnv, type CellExit } from './actor-cell.js';
import { ChildNode } from './child-node.js';
import type { LifecycleLog } from './lifecycle-log.js';
import { splitChildOptions, type ChildOptions } from './options.js';
import type { SupervisionHost } from './supervision-host.js';
import { SupervisorNode } from './supervisor-node.js';
import type { SystemDirectory } from './system-directory.js';
import { moduleUrlOf } from './tree.js';

/** The supervisor that adopts actors started with `spawn`. */
const SPAWNED = '$spawned';

export interface SupervisionDeps {
  directory: SystemDirectory;
  log: LifecycleLog;
  /** What every cell is lent (the worker entry, boot settings, callbacks). */
  cellEnv(): CellEnv;
  stopTimeoutMs: number;
  /** A root supervisor gave up: the system must stop. */
  onRootFailed(reason: string): void;
  /** A supervisor's command failed in a way nothing can handle. */
  onInternalError(where: string, err: unknown): void;
  /** An actor is gone for good (its figures can be forgotten). */
  onRetired(cell: ActorCell): void;
}

/**
 * The supervision trees of a system and the mechanism they direct: it creates, starts and retires
 * actor cells when the supervisor nodes say so, finds a node by actor name, and holds the roots
 * (the trees given to `start`, and the '$spawned' one_for_one supervisor that adopts `spawn`ed
 * actors). Policy stays in supervisors/; this is the runtime's side of SupervisionHost.
 */
export class Supervision implements SupervisionHost {
  readonly log: LifecycleLog;
  private readonly roots: SupervisorNode[] = [];
  private spawned: Promise<SupervisorNode> | undefined;
  private spawnedNode: SupervisorNode | undefined;
  private readonly nodes = new Map<ActorCell, ChildNode>();
  private readonly started = new Set<ActorCell>();

  constructor(private readonly deps: SupervisionDeps) {
    this.log = deps.log;
  }

  /** Starts a tree; all or nothing: if a child fails to start, what started is stopped and it rejects. */
  async startTree(tree: SupervisorSpec): Promise<void> {
    if (this.roots.some((r) => r.name === tree.name)) throw new InvalidOption('tree.name', 'a name no other started tree has', tree.name);
    this.assertNamesFree(actorNamesOf(tree));
    const node = this.root(tree);
    this.roots.push(node);
    try {
      await node.start('initial');
    } catch (err) {
      this.roots.splice(this.roots.indexOf(node), 1);
      await node.retire('failed to start', true);
      throw err;
    }
  }

  /** Starts one actor under the '$spawned' supervisor. */
  async spawn(spec: ChildSpec<ChildOptions>): Promise<void> {
    this.assertNamesFree([spec.name]);
    const parent = await (this.spawned ??= this.startSpawnedSupervisor());
    await parent.addChild(spec);
  }

  /** Stops one actor gracefully and removes it from its supervisor; false if no tree holds it. */
  async stopChild(name: string): Promise<boolean> {
    const parent = this.parentOf(name);
    if (parent === undefined) return false;
    await parent.removeChild(name);
    return true;
  }

  /** The lifecycle node of an actor (its state, restarts and availability). */
  nodeOf(cell: ActorCell): ChildNode | undefined {
    return this.nodes.get(cell);
  }

  /** Stops every tree, most recently started first, draining every mailbox. */
  async shutdown(): Promise<void> {
    if (this.spawned !== undefined) await this.spawned;
    const nodes = [...this.roots, ...(this.spawnedNode !== undefined ? [this.spawnedNode] : [])].reverse();
    for (const node of nodes) {
      await node.stop(true);
      await node.retire('system shut down', false);
    }
  }

  assertNamesFree(names: string[]): void {
    for (const n of names) if (this.deps.directory.cells.has(n) || this.findChildNode(n) !== undefined) throw new InvalidOption('name', 'the name of no running actor', n);
  }

  // ------------------------------------------------------------------ SupervisionHost

  createCell(spec: ChildSpec<ChildOptions>, path: string): ActorCell {
    const directory = this.deps.directory;
    if (directory.cells.has(spec.name)) throw new InvalidOption('name', 'the name of no running actor', spec.name);
    const { spawn, supervision } = splitChildOptions(spec.options, this.deps.stopTimeoutMs);
    const cell = new ActorCell(directory.allocateId(), spec.name, path, moduleUrlOf(spec.moduleUrl), spawn, supervision, this.deps.cellEnv());
    directory.add(cell);
    return cell;
  }

  /** Starts a worker on the cell; the first time, the cell's node is found and every endpoint learns of it. */
  async startCell(cell: ActorCell): Promise<void> {
    if (!this.nodes.has(cell)) {
      const node = this.findChildNode(cell.name);
      if (node !== undefined) this.nodes.set(cell, node);
    }
    const patterns = await cell.start();
    if (this.started.has(cell)) return;
    this.started.add(cell);
    await this.deps.directory.announce(cell, patterns);
  }

  async retireCell(cell: ActorCell, reason: string, crashed: boolean): Promise<void> {
    await cell.dispose();
    this.nodes.delete(cell);
    this.started.delete(cell);
    this.deps.onRetired(cell);
    await this.deps.directory.remove(cell, reason, crashed);
  }

  internalError(where: string, err: unknown): void {
    this.deps.onInternalError(where, err);
  }

  /** A worker ended without being asked to: its node reports it to its supervisor. */
  cellExited(cell: ActorCell, exit: CellExit): void {
    this.nodes.get(cell)?.cellExited(exit);
  }

  // ------------------------------------------------------------------ the trees

  private root(spec: SupervisorSpec): SupervisorNode {
    const node = new SupervisorNode(spec, spec.name, this);
    node.onExit = (_cause, reason) => this.deps.onRootFailed(reason);
    return node;
  }

  private async startSpawnedSupervisor(): Promise<SupervisorNode> {
    const node = this.root({ kind: 'supervisor', name: SPAWNED, strategy: 'one_for_one', intensity: SUPERVISOR_DEFAULTS.intensity, periodMs: SUPERVISOR_DEFAULTS.periodMs, children: [] });
    await node.start('initial');
    this.spawnedNode = node;
    return node;
  }

  private findChildNode(name: string): ChildNode | undefined {
    const node = this.parentOf(name)?.children.get(name);
    return node instanceof ChildNode ? node : undefined;
  }

  private parentOf(name: string): SupervisorNode | undefined {
    const search = (s: SupervisorNode): SupervisorNode | undefined => {
      if (s.children.has(name)) return s;
      for (const c of s.children.values()) {
        if (c instanceof SupervisorNode) {
          const found = search(c);
          if (found !== undefined) return found;
        }
      }
      return undefined;
    };
    for (const root of [...this.roots, ...(this.spawnedNode !== undefined ? [this.spawnedNode] : [])]) {
      const found = search(root);
      if (found !== undefined) return found;
    }
    return undefined;
  }
}

function actorNamesOf(tree: SupervisorSpec): string[] {
  return tree.children.flatMap((c) => (c.kind === 'child' ? [c.name] : actorNamesOf(c)));
}
