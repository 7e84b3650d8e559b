import type { Doorbell } from './doorbell.js';

/** What an idle strategy parks on: the consumer's doorbell and a last look for work. */
export interface ParkTarget {
  readonly doorbell: Doorbell;
  /** A record is ready in one of the rings this consumer reads. */
  hasWork(): boolean;
  /** The host posted a control message the event loop has not delivered yet. */
  controlPending(): boolean;
}

export type IdleState = 'spin' | 'yield' | 'park';

/**
 * A wait strategy: the actor loop calls `idle(drain())` after every drain. `idle` returns a
 * promise only when the loop must give its event loop a turn (yield) or park asynchronously.
 */
export interface IdleStrategy {
  readonly name: 'spin' | 'block' | 'async';
  readonly state: IdleState;
  idle(workCount: number): void | Promise<void>;
  reset(): void;
}

export interface IdleTuning {
  /** How long to keep polling after the last message before parking. */
  spinMicros: number;
  /** The longest single park; a blocked actor's timers run at most this late. */
  parkTimeoutMs: number;
}

/** One turn of the event loop: timers, I/O callbacks and control messages run. */
export function yieldTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

const CLOCK_EVERY = 32; // read the clock once per this many idle calls

/**
 * Shared bookkeeping: when the loop last gave the event loop a turn, and when work last arrived.
 * Busy or spinning, a loop still yields every `yieldEveryMs` so timers and control messages run.
 */
abstract class BaseIdle implements IdleStrategy {
  abstract readonly name: 'spin' | 'block' | 'async';
  state: IdleState = 'spin';
  protected calls = 0;
  protected now = performance.now();
  protected lastYield = this.now;
  protected idleSince = -1;

  constructor(
    protected readonly target: ParkTarget,
    protected readonly tuning: IdleTuning,
    private readonly yieldEveryMs: number,
  ) {}

  reset(): void {
    this.state = 'spin';
    this.idleSince = -1;
  }

  idle(workCount: number): void | Promise<void> {
    if (++this.calls % CLOCK_EVERY === 0 || workCount === 0) this.now = performance.now();
    if (this.target.controlPending() || this.now - this.lastYield >= this.yieldEveryMs) return this.yield();
    if (workCount > 0) {
      this.reset();
      return;
    }
    if (this.idleSince < 0) this.idleSince = this.now;
    if (this.now - this.idleSince < this.tuning.spinMicros / 1000) {
      this.state = 'spin';
      return;
    }
    return this.park();
  }

  protected yield(): Promise<void> {
    this.state = 'yield';
    this.lastYield = this.now;
    return yieldTurn();
  }

  /** Called once the spin budget is used up. */
  protected abstract park(): void | Promise<void>;

  /** Marks the consumer parked and looks once more; returns the signal to wait on, or -1 to go on. */
  protected prepare(): number {
    const seq = this.target.doorbell.prepareToPark();
    if (this.target.hasWork() || this.target.controlPending()) {
      this.target.doorbell.unpark();
      this.reset();
      return -1;
    }
    this.state = 'park';
    return seq;
  }

  protected woke(): void {
    this.now = performance.now();
    this.lastYield = this.now; // the loop just yielded (or, blocking, yielded right before parking)
    this.reset();
  }
}

/** Never parks: lowest latency, burns a core. Yields to the event loop every 2 ms. */
export class SpinIdle extends BaseIdle {
  readonly name = 'spin';
  constructor(target: ParkTarget, tuning: IdleTuning) {
    super(target, tuning, 2);
  }
  protected park(): void {
    this.state = 'spin';
  }
}

/**
 * Spins for `spinMicros`, gives the event loop one turn, then blocks the thread in Atomics.wait.
 * Right for pure compute engines; its timers and I/O run only between parks.
 */
export class BlockIdle extends BaseIdle {
  readonly name = 'block';
  private yieldedBeforePark = false;
  constructor(target: ParkTarget, tuning: IdleTuning) {
    super(target, tuning, 5);
  }
  override reset(): void {
    super.reset();
    this.yieldedBeforePark = false;
  }
  protected park(): void | Promise<void> {
    if (!this.yieldedBeforePark) {
      this.yieldedBeforePark = true; // let due timers and settled promises run before sleeping
      return this.yield();
    }
    const seq = this.prepare();
    if (seq < 0) return;
    this.target.doorbell.parkBlocking(seq, this.tuning.parkTimeoutMs);
    this.woke();
  }
}

/**
 * Spins for `spinMicros`, then parks with Atomics.waitAsync: the event loop stays free for timers
 * and sockets while the actor sleeps. The worker must hold a ref'd handle (waitAsync does not).
 */
export class AsyncIdle extends BaseIdle {
  readonly name = 'async';
  constructor(target: ParkTarget, tuning: IdleTuning) {
    super(target, tuning, 1);
  }
  protected async park(): Promise<void> {
    const seq = this.prepare();
    if (seq < 0) return;
    await this.target.doorbell.parkAsync(seq, this.tuning.parkTimeoutMs);
    this.woke();
  }
}

export function createIdle(name: 'spin' | 'block' | 'async', target: ParkTarget, tuning: IdleTuning): IdleStrategy {
  switch (name) {
    case 'spin': return new SpinIdle(target, tuning);
    case 'block': return new BlockIdle(target, tuning);
    case 'async': return new AsyncIdle(target, tuning);
  }
}
