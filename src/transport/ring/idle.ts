import type { Doorbell } from './doorbell.js';

/** What an idle strategy parks on: the consumer's doorbell and a last look for work. */
export interface ParkTarget {
  readonly doorbell: Doorbell;
  /** Work is ready for this consumer (a record in a ring it reads, or anything else it waits on). */
  hasWork(): boolean;
  /** The host posted a control message the event loop has not delivered yet. */
  controlPending(): boolean;
}

export type IdleState = 'spin' | 'yield' | 'park';
export type IdleName = 'spin' | 'block' | 'async';

/**
 * A wait strategy: every consume loop (an actor's, the host inbox's, the bridge's) calls
 * `idle(drain())` after each drain. `idle` returns a promise only when the loop must give its event
 * loop a turn (yield) or park asynchronously; otherwise the loop goes straight on.
 */
export interface IdleStrategy {
  readonly name: IdleName;
  readonly state: IdleState;
  idle(workCount: number): void | Promise<void>;
  reset(): void;
}

export interface IdleTuning {
  /** How long to keep polling after the last work before parking. */
  spinMicros: number;
  /** The longest single park; a blocked actor's timers run at most this late. */
  parkTimeoutMs: number;
  /** The most time between two turns of the event loop while work flows (0: after every drain with work). */
  yieldEveryMs?: number;
}

/** One turn of the event loop: timers, I/O callbacks and control messages run. */
export function yieldTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * The clock is read once per this many calls, busy or idle: performance.now() allocates (a boxed
 * double), and a spinning loop that read it on every call made the young generation collect about
 * 40 times a second, each one a stall for the messages behind it.
 */
const CLOCK_EVERY = 32;

/**
 * Shared bookkeeping: when the loop last gave the event loop a turn, and since when it has found
 * no work. While work flows, or while it spins, a loop still yields every `yieldEveryMs` so timers
 * and control messages run; once the spin budget is spent it parks (the subclass says how).
 */
abstract class BaseIdle implements IdleStrategy {
  abstract readonly name: IdleName;
  state: IdleState = 'spin';
  protected calls = 0;
  protected now = performance.now();
  protected lastYield = this.now;
  protected idleSince = -1;
  protected readonly yieldEveryMs: number;

  constructor(
    protected readonly target: ParkTarget,
    protected readonly tuning: IdleTuning,
    defaultYieldEveryMs: number,
  ) {
    this.yieldEveryMs = tuning.yieldEveryMs ?? defaultYieldEveryMs;
  }

  reset(): void {
    this.state = 'spin';
    this.idleSince = -1;
  }

  idle(workCount: number): void | Promise<void> {
    if (++this.calls % CLOCK_EVERY === 0) this.now = performance.now();
    if (this.target.controlPending()) return this.yield();
    if (workCount > 0) {
      this.reset();
      return this.now - this.lastYield >= this.yieldEveryMs ? this.yield() : undefined;
    }
    if (this.idleSince < 0) this.idleSince = this.now = performance.now(); // the spin budget starts now, not at the last reading
    if (this.spinning()) {
      if (this.now - this.lastYield >= this.yieldEveryMs) return this.yield();
      this.state = 'spin';
      return;
    }
    return this.park();
  }

  /** Still within the spin budget (the spin strategy never leaves it). */
  protected spinning(): boolean {
    return this.now - this.idleSince < this.tuning.spinMicros / 1000;
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
  protected override spinning(): boolean {
    return true;
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
 * and sockets while the consumer sleeps. A worker must hold a ref'd handle (waitAsync does not).
 */
export class AsyncIdle extends BaseIdle {
  readonly name = 'async';
  constructor(target: ParkTarget, tuning: IdleTuning) {
    super(target, tuning, 1);
  }
  protected park(): Promise<void> | undefined {
    const seq = this.prepare();
    // Work came at the last look. Still give the event loop its turn when one is due: a consumer
    // that keeps finding work there (a reply waiting for room) must not starve its own I/O.
    if (seq < 0) return this.now - this.lastYield >= this.yieldEveryMs ? this.yield() : undefined;
    return this.parkFor(seq);
  }

  private async parkFor(seq: number): Promise<void> {
    await this.target.doorbell.parkAsync(seq, this.tuning.parkTimeoutMs);
    this.woke();
  }
}

export function createIdle(name: IdleName, target: ParkTarget, tuning: IdleTuning): IdleStrategy {
  switch (name) {
    case 'spin': return new SpinIdle(target, tuning);
    case 'block': return new BlockIdle(target, tuning);
    case 'async': return new AsyncIdle(target, tuning);
  }
}
