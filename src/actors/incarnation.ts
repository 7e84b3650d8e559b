/**
 * An incarnation is one run of an actor in its worker: from `init` (or `restore`) to its failure or
 * its stop. An actor restarted in place gets a new incarnation in the same worker, and nothing the
 * old one started may reach into the new one. Its timers are the part the runtime cannot otherwise
 * see: an actor module calls setTimeout/setInterval/setImmediate (the globals or `node:timers`)
 * directly. So this worker's timer functions are wrapped once, at its start, before any actor
 * module is imported: a timer started while an incarnation is current belongs to it, and
 * `retire()` clears every one of them that has not fired (or been cleared) yet. A timer callback
 * of a retired incarnation can then never run.
 *
 * Not tracked (they cannot be cleared from outside): the promise forms (`node:timers/promises`),
 * queueMicrotask and process.nextTick (they run at once anyway), and what the actor opened itself
 * (sockets, files, listeners): README says what an in-place restart leaves behind.
 *
 * The runtime's own timers that outlive an incarnation use `realTimers`.
 */
import timers from 'node:timers';
import { syncBuiltinESMExports } from 'node:module';

type Handle = object;
type Kind = 'timeout' | 'immediate';

/** The timer functions as Node made them, before the wrapping: for timers that are not an incarnation's. */
export const realTimers = Object.freeze({
  setTimeout: globalThis.setTimeout,
  clearTimeout: globalThis.clearTimeout,
  setInterval: globalThis.setInterval,
  clearInterval: globalThis.clearInterval,
  setImmediate: globalThis.setImmediate,
  clearImmediate: globalThis.clearImmediate,
});

const OWNER = Symbol('dualbus.incarnation');

export class Incarnation {
  private readonly timers = new Map<Handle, Kind>();
  private retiredFlag = false;

  get retired(): boolean {
    return this.retiredFlag;
  }

  /** Timers started and not yet fired or cleared. */
  get liveTimers(): number {
    return this.timers.size;
  }

  /** @internal the wrapped timer functions */
  remember(h: Handle, kind: Kind): void {
    this.timers.set(h, kind);
    (h as Record<symbol, unknown>)[OWNER] = this;
  }

  /** @internal */
  forget(h: Handle): void {
    this.timers.delete(h);
  }

  /** Ends it: every timer it started and that is still pending is cleared; it stops being current. */
  retire(): void {
    this.retiredFlag = true;
    if (current === this) current = undefined;
    for (const [h, kind] of this.timers) {
      if (kind === 'immediate') realTimers.clearImmediate(h as NodeJS.Immediate);
      else realTimers.clearTimeout(h as NodeJS.Timeout);
    }
    this.timers.clear();
  }
}

let current: Incarnation | undefined;

/** Timers started from now on belong to `inc` (none: to nobody, never cleared). */
export function enter(inc: Incarnation | undefined): void {
  current = inc;
}

/** Wraps this thread's timer functions (the globals and `node:timers`) so that incarnations own their timers. Once per thread. */
export function trackTimers(): void {
  const wrapped = {
    setTimeout: starter(realTimers.setTimeout, 'timeout', true),
    setInterval: starter(realTimers.setInterval, 'timeout', false),
    setImmediate: starter(realTimers.setImmediate, 'immediate', true),
    clearTimeout: clearer(realTimers.clearTimeout),
    clearInterval: clearer(realTimers.clearInterval),
    clearImmediate: clearer(realTimers.clearImmediate),
  };
  const g = globalThis as unknown as Record<string, unknown>;
  const t = timers as unknown as Record<string, unknown>;
  for (const [name, fn] of Object.entries(wrapped)) {
    g[name] = fn;
    t[name] = fn;
  }
  syncBuiltinESMExports(); // `import { setTimeout } from 'node:timers'` sees the wrapped one too
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Starter = (callback: any, ...rest: any[]) => Handle;

function starter(real: Starter, kind: Kind, once: boolean): Starter {
  const start = function (this: unknown, callback: unknown, ...rest: unknown[]): Handle {
    const inc = current;
    if (inc === undefined || typeof callback !== 'function') return real.call(this, callback, ...rest);
    let handle: Handle | undefined;
    // A one-shot timer forgets itself as it fires; an interval stays until cleared or retired.
    const run = once
      ? function (this: unknown, ...args: unknown[]): unknown {
          inc.forget(handle!);
          return (callback as (...a: unknown[]) => unknown).apply(this, args);
        }
      : callback;
    handle = real.call(this, run, ...rest);
    inc.remember(handle, kind);
    return handle;
  };
  copyIdentity(start, real);
  return start;
}

function clearer(real: (h: never) => void): (h: unknown) => void {
  const clear = function (h: unknown): void {
    if (h !== null && typeof h === 'object') ((h as Record<symbol, unknown>)[OWNER] as Incarnation | undefined)?.forget(h);
    real(h as never);
  };
  copyIdentity(clear, real);
  return clear;
}

/** The wrapper keeps the name and the symbol-keyed properties: util.promisify(setTimeout) keeps working (untracked). */
function copyIdentity(wrapper: object, real: object): void {
  Object.defineProperty(wrapper, 'name', { value: (real as { name: string }).name });
  for (const key of Object.getOwnPropertySymbols(real)) Object.defineProperty(wrapper, key, Object.getOwnPropertyDescriptor(real, key)!);
}
