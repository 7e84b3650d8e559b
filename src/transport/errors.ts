/**
 * Every error dualbus raises is a DualbusError with a stable `code`, so callers can branch on
 * `err.code` rather than on message text.
 */
export class DualbusError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = code;
  }
}

/** A mailbox had no room; nothing was written. */
export class MailboxFull extends DualbusError {
  constructor(actor: string, bytes: number) {
    super('MailboxFull', `mailbox of actor '${actor}' is full (${bytes} bytes in use); the message was not sent`);
  }
}

/** A message can never fit the target mailbox (or an answer the asker's reply ring). */
export class MessageTooLarge extends DualbusError {
  constructor(actor: string, bytes: number, max: number, ring: 'mailbox' | 'replies' = 'mailbox') {
    const what = ring === 'mailbox' ? 'message' : 'answer';
    const raise = ring === 'mailbox' ? 'half its mailbox); raise mailboxBytes' : "half its reply ring); raise the asker's repliesBytes";
    super('MessageTooLarge', `${what} of ${bytes} bytes is larger than the largest ${what} actor '${actor}' accepts (${max} bytes, ${raise}`);
  }
}

export class AskTimeout extends DualbusError {
  constructor(actor: string, timeoutMs: number) {
    super('AskTimeout', `ask to actor '${actor}' got no reply within ${timeoutMs} ms`);
  }
}

/** The target failed (its worker died) while the ask was pending. */
export class ActorCrashed extends DualbusError {
  constructor(actor: string, reason: string) {
    super('ActorCrashed', `actor '${actor}' crashed: ${reason}`);
  }
}

/** The target stopped (gracefully) or is stopping. */
export class ActorStopped extends DualbusError {
  constructor(actor: string) {
    super('ActorStopped', `actor '${actor}' is stopped`);
  }
}

export class ActorNotFound extends DualbusError {
  constructor(actor: string) {
    super('ActorNotFound', `no actor named '${actor}'`);
  }
}

/** The receiving actor's handler threw while answering an ask; carries its message and stack. */
export class RemoteError extends DualbusError {
  readonly remoteStack: string | undefined;
  /** The `code` of the error on the other side, when it had one (e.g. MessageTooLarge). */
  readonly remoteCode: string | undefined;
  constructor(actor: string, remote: { name: string; message: string; code?: string; stack?: string }) {
    super('RemoteError', `actor '${actor}' failed to answer: ${remote.name}: ${remote.message}`);
    this.remoteStack = remote.stack;
    this.remoteCode = remote.code;
  }
}

/** The actor handled an ask without calling ctx.reply. */
export class NoReply extends DualbusError {
  constructor(actor: string) {
    super('NoReply', `actor '${actor}' handled the ask without calling ctx.reply`);
  }
}

/** A frame on the wire is malformed or truncated; it was not decoded. */
export class FrameError extends DualbusError {
  constructor(message: string) {
    super('FrameError', `malformed frame: ${message}`);
  }
}

/** An option at the public boundary has a wrong value. */
export class InvalidOption extends DualbusError {
  constructor(option: string, expected: string, given: unknown) {
    super('InvalidOption', `option '${option}' must be ${expected}; got ${describe(given)}`);
  }
}

/** Record values that are not an object of fields: nothing was written. */
export class InvalidRecord extends DualbusError {
  constructor(record: string, index: number | undefined, given: unknown) {
    const which = index === undefined ? 'values' : `values[${index}]`;
    super('InvalidRecord', `record '${record}': ${which} must be an object with its fields; got ${describe(given)}`);
  }
}

export class SpawnFailed extends DualbusError {
  constructor(actor: string, reason: string, options?: { cause?: unknown }) {
    super('SpawnFailed', `actor '${actor}' failed to start: ${reason}`, options);
  }
}

/** The root of a supervision tree gave up: the system stopped. */
export class SupervisionFailed extends DualbusError {
  constructor(system: string, reason: string) {
    super('SupervisionFailed', `system '${system}' stopped: ${reason}`);
  }
}

export class SystemStopped extends DualbusError {
  constructor(system: string) {
    super('SystemStopped', `system '${system}' is shut down`);
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return `a ${typeof value}`;
}

/**
 * The `ctx` of an actor incarnation that failed (or stopped) was used after it: code of the old
 * incarnation that resumed on its own (a promise the runtime does not track). The restarted actor
 * has a new `ctx`; the old one refuses to send, ask, reply or publish on its behalf.
 */
export class IncarnationRetired extends DualbusError {
  constructor(actor: string) {
    super('IncarnationRetired', `actor '${actor}': this ctx belongs to an incarnation that failed or stopped; the actor was restarted with a new one`);
  }
}
