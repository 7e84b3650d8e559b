import { DualbusError } from '../transport/errors.js';
import { serializeError, type SerializedError } from '../transport/protocol.js';

/** The pool's queue is at maxQueue: the call was not queued. */
export class KernelQueueFull extends DualbusError {
  constructor(kernel: string, maxQueue: number) {
    super('KernelQueueFull', `kernel '${kernel}' not queued: the kernel pool's queue is full (maxQueue ${maxQueue}); retry later or raise kernels.maxQueue`);
  }
}

/** The call did not finish within its timeoutMs (queue wait included); its thread was freed. */
export class KernelTimeout extends DualbusError {
  constructor(kernel: string, timeoutMs: number) {
    super('KernelTimeout', `kernel '${kernel}' did not finish within ${timeoutMs} ms`);
  }
}

/** No kernel of that name is registered. */
export class UnknownKernel extends DualbusError {
  constructor(kernel: string, known: readonly string[]) {
    super('UnknownKernel', `no kernel named '${kernel}'; registered: ${known.join(', ')}`);
  }
}

/** An input (or option) of a kernel call is wrong: names the argument, what was expected and what was given. */
export class KernelArgumentError extends DualbusError {
  readonly argument: string;
  constructor(kernel: string, argument: string, expected: string, given: string) {
    super('KernelArgumentError', `kernel '${kernel}': argument '${argument}' must be ${expected}; got ${given}`);
    this.argument = argument;
  }
}

/** A backend was asked for that cannot run here (missing build, driver, or kernel). */
export class BackendUnavailable extends DualbusError {
  constructor(kernel: string, backend: string, reason: string) {
    super('BackendUnavailable', `kernel '${kernel}' cannot run on backend '${backend}': ${reason}`);
  }
}

/** The pool thread running the call died (it is replaced; the call is not retried). */
export class KernelThreadDied extends DualbusError {
  constructor(kernel: string, reason: string) {
    super('KernelThreadDied', `kernel '${kernel}': its pool thread died (${reason}); the thread was replaced, the call not retried`);
  }
}

/** The call's AbortSignal fired first (name 'AbortError', as fetch and the DOM use). */
export class KernelAborted extends DualbusError {
  constructor(kernel: string, reason?: unknown) {
    super('AbortError', `kernel '${kernel}' was aborted${reason === undefined ? '' : `: ${String(reason instanceof Error ? reason.message : reason)}`}`);
  }
}

/** The kernel pool is closed (system shut down). */
export class KernelPoolClosed extends DualbusError {
  constructor() {
    super('KernelPoolClosed', 'the kernel pool is closed (the system is shut down)');
  }
}

/**
 * An error as it crosses a thread: name, message, code, stack, and the argument an argument error
 * names (a KernelArgumentError, or one revived from a pool thread, which is a plain DualbusError).
 */
export function serializeKernelError(err: unknown): SerializedError & { argument?: string } {
  const argument = (err as { argument?: unknown } | null)?.argument;
  return { ...serializeError(err), ...(typeof argument === 'string' ? { argument } : {}) };
}

/**
 * Rebuilds an error that crossed a thread as a serialized object: our own codes come back as their
 * classes' shape (name, code, message, argument), anything a kernel threw keeps its name, message and stack.
 */
export function reviveKernelError(e: SerializedError & { argument?: string }): Error {
  const err = e.code !== undefined ? new DualbusError(e.code, e.message) : new Error(e.message);
  err.name = e.name;
  if (e.stack !== undefined) err.stack = e.stack;
  if (e.argument !== undefined) (err as { argument?: string }).argument = e.argument;
  return err;
}

/** What a `given` reads as in a KernelArgumentError: the type and, for arrays, the length. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (v === null) return 'null';
  if (ArrayBuffer.isView(v)) return `${v.constructor.name} of length ${(v as unknown as { length: number }).length}${v.buffer instanceof SharedArrayBuffer ? ' (shared)' : ''}`;
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (typeof v === 'number') return Number.isNaN(v) ? 'NaN' : String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  return `a ${typeof v}`;
}
