import type { EventReporter } from './events.js';
import { realTimers } from './incarnation.js';
import type { ControlFromWorker, FailureOrigin } from '../transport/protocol.js';

/**
 * How a worker's process-level failures are taken: an uncaught exception or rejection, a throw
 * that must end the worker, and process.exit().
 */

/** The incarnation running now, as the failure handlers see it (undefined: none runs). */
export type CurrentRun = () => { fail(origin: FailureOrigin, error: unknown): void } | undefined;

let uncaught: ((error: unknown) => void) | undefined;
let unhandled: ((error: unknown) => void) | undefined;

/**
 * From the attach of an actor that restarts in place: an exception or a rejection nobody caught is
 * a failure of the running incarnation, not the end of the worker. One that comes while no
 * incarnation runs belongs to a retired one (its code resumed on its own) and is only reported, as
 * is the IncarnationRetired error such code meets when it uses its old ctx.
 */
export function catchFailures(current: CurrentRun, events: EventReporter): void {
  const onFailure = (origin: FailureOrigin) => (error: unknown) => {
    const running = current();
    if (running === undefined || (error as { code?: unknown } | null)?.code === 'IncarnationRetired') {
      events.report('retired-error', error);
      return;
    }
    running.fail(origin, error);
  };
  uncaught = onFailure('uncaught');
  unhandled = onFailure('rejection');
  process.on('uncaughtException', uncaught);
  process.on('unhandledRejection', unhandled);
}

/** Ends this worker with `error`, as an exception nobody caught: the host sees its 'error' and its exit. */
export function dieWith(error: unknown, events: EventReporter): void {
  if (uncaught !== undefined) process.off('uncaughtException', uncaught);
  if (unhandled !== undefined) process.off('unhandledRejection', unhandled);
  uncaught = unhandled = undefined;
  events.flush();
  realTimers.setImmediate(() => {
    throw error;
  });
}

/**
 * process.exit() in a worker runs the 'exit' listeners, then process.reallyExit stops the thread
 * (no JavaScript runs after it). Its teardown then takes milliseconds before the host sees the
 * worker's 'exit' event: saying so first, as the very last thing, lets the host start the
 * replacement at once.
 */
export function announceExit(post: (m: ControlFromWorker) => void): void {
  const p = process as unknown as { reallyExit: (code?: number) => never };
  const reallyExit = p.reallyExit;
  p.reallyExit = function (code?: number): never {
    try {
      post({ type: 'exiting', code: typeof code === 'number' ? code : Number(process.exitCode ?? 0) });
    } catch {
      // the port is closed already: the 'exit' event tells the host
    }
    return reallyExit.call(process, code);
  };
}
