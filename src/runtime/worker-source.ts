import { Worker } from 'node:worker_threads';
import { serializeError, type ControlFromWorker, type SerializedError, type WorkerBoot } from '../transport/protocol.js';
import type { ResolvedSpawnOptions, ResolvedSupervision } from './options.js';
import type { WarmPool } from './warm-pool.js';

/**
 * How a (re)start found its worker: `in-place` the worker the actor failed or stopped in; `warm` a
 * loaded worker of the shared pool, `warming` one of the pool still loading (none was ready);
 * `standby` the actor's own loaded standby (`standby: 'own'`); `cold` a new thread.
 */
export type StartVia = 'in-place' | 'warm' | 'warming' | 'standby' | 'cold';

/** What a worker source needs of its actor and its system. */
export interface WorkerSourceEnv {
  workerEntry: URL;
  boot: Omit<WorkerBoot, 'moduleUrl'>;
  name: string;
  moduleUrl: string;
  spawn: ResolvedSpawnOptions;
  standby: ResolvedSupervision['standby'];
  /** The shared warm pool for workers with these resource limits (undefined: none kept). */
  warmPool(resourceLimits: ResolvedSpawnOptions['resourceLimits']): WarmPool | undefined;
  /** A standby worker died before it was needed (the next start makes a fresh one). */
  onStandbyFailed(error: SerializedError): void;
}

interface OwnStandby {
  worker: Worker;
  loaded: boolean;
  detach(): void;
}

/**
 * Where one actor's workers come from when it has none to run in: its own loaded standby
 * (`standby: 'own'`), a worker of the shared warm pool (`'shared'`), or a new thread.
 */
export class WorkerSource {
  private ownStandby: OwnStandby | undefined;

  constructor(private readonly env: WorkerSourceEnv) {
    // The shared pool warms as soon as an actor may need it.
    if (env.standby === 'shared') env.warmPool(env.spawn.resourceLimits);
  }

  /** A worker for a start (a first start leaves the pool to restarts). */
  take(firstStart: boolean): { worker: Worker; via: StartVia } {
    if (firstStart) return { worker: this.newWorker(), via: 'cold' };
    const own = this.ownStandby;
    if (own !== undefined) {
      this.ownStandby = undefined;
      own.detach();
      return { worker: own.worker, via: 'standby' };
    }
    const warm = this.env.standby === 'shared' ? this.env.warmPool(this.env.spawn.resourceLimits)?.take(this.env.moduleUrl) : undefined;
    if (warm !== undefined) return { worker: warm.worker, via: warm.loaded ? 'warm' : 'warming' };
    return { worker: this.newWorker(), via: 'cold' };
  }

  /** After a start: with `standby: 'own'`, a standby loads for the next one. */
  replenish(): void {
    if (this.env.standby === 'own' && this.ownStandby === undefined) this.ownStandby = this.newOwnStandby();
  }

  /** What a worker death would find now: 'ready' (a loaded worker waits), 'loading', or 'none' (a cold start). */
  state(): 'none' | 'loading' | 'ready' {
    if (this.env.standby === 'own') return this.ownStandby === undefined ? 'none' : this.ownStandby.loaded ? 'ready' : 'loading';
    if (this.env.standby === 'shared') return this.env.warmPool(this.env.spawn.resourceLimits)?.state() ?? 'none';
    return 'none';
  }

  /** Ends its own standby (the actor is retired for good). */
  async dispose(): Promise<void> {
    const standby = this.ownStandby;
    this.ownStandby = undefined;
    if (standby === undefined) return;
    standby.detach();
    await standby.worker.terminate();
  }

  /** A new thread that loads this actor's module at once. */
  private newWorker(): Worker {
    const { workerEntry, boot, moduleUrl, name, spawn } = this.env;
    return new Worker(workerEntry, {
      workerData: { ...boot, moduleUrl } satisfies WorkerBoot,
      name: `dualbus:${name}`,
      ...(spawn.resourceLimits !== undefined ? { resourceLimits: spawn.resourceLimits } : {}),
    });
  }

  /** This actor's own standby: loaded and waiting to replace its worker. */
  private newOwnStandby(): OwnStandby {
    const w = this.newWorker();
    const standby: OwnStandby = { worker: w, loaded: false, detach: () => {} };
    // A standby that dies before it is needed is reported, and simply not there next time.
    const onError = (err: Error): void => this.env.onStandbyFailed(serializeError(err));
    const onExit = (): void => {
      if (this.ownStandby === standby) this.ownStandby = undefined;
    };
    const onMessage = (m: ControlFromWorker): void => {
      if (m.type === 'loaded') standby.loaded = true;
    };
    w.on('error', onError);
    w.once('exit', onExit);
    w.on('message', onMessage);
    standby.detach = () => {
      w.off('error', onError);
      w.off('exit', onExit);
      w.off('message', onMessage);
    };
    return standby;
  }
}
