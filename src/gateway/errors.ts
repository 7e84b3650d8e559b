// The gateway's own errors, and the one table that says which HTTP status every error answers
// with: a client branches on the body's stable `error` code, a proxy or a person on the status.
import { DualbusError } from '../transport/errors.js';

/** An error a request gets back as `{ error: code, message }` with `status`. */
export class GatewayError extends DualbusError {
  constructor(
    code: string,
    readonly status: number,
    message: string,
  ) {
    super(code, message);
  }
}

/** A request body, or one of its fields, is not what the route takes. */
export class InvalidField extends GatewayError {
  constructor(field: string, expected: string, given: unknown) {
    super('InvalidField', 400, `field '${field}' must be ${expected}; got ${describeGiven(given)}`);
  }
}

export class InvalidBody extends GatewayError {
  constructor(expected: string, given: unknown) {
    super('InvalidBody', 400, `the request body must be ${expected}; got ${describeGiven(given)}`);
  }
}

export class InvalidJson extends GatewayError {
  constructor(reason: string) {
    super('InvalidJson', 400, `the request body is not valid JSON: ${reason}`);
  }
}

export class DrillsDisabled extends GatewayError {
  constructor(actor: string) {
    super('DrillsDisabled', 403, `killing actor '${actor}' is a failure drill, and drills are off: start the gateway with { drills: true } to allow it`);
  }
}

/** system.kill found no worker of the actor running (it is down, starting, or being killed). */
export class ActorNotRunning extends GatewayError {
  constructor(actor: string) {
    super('ActorNotRunning', 409, `actor '${actor}' has no running worker to kill (it is down, starting or already being killed)`);
  }
}

export class HostNotFound extends GatewayError {
  constructor(host: string, known: readonly string[]) {
    super('HostNotFound', 404, `no host named '${host}' has shared a snapshot in the last 5 s (known: ${known.join(', ')}; 'all' lists every one)`);
  }
}

export class RouteNotFound extends GatewayError {
  constructor(method: string, url: string) {
    super('NotFound', 404, `no route ${method} ${url}`);
  }
}

/** The status of dualbus's own errors when a request meets them. */
const STATUS_OF_CODE: Readonly<Record<string, number>> = Object.freeze({
  ActorNotFound: 404,
  AskTimeout: 504,
  RemoteError: 502, // the handler threw: the gateway is fine, what it asked failed
  NoReply: 502,
  ActorStopped: 409,
  ActorCrashed: 409,
  MailboxFull: 503, // try again later
  MessageTooLarge: 413,
  InvalidOption: 400,
  InvalidRecord: 400,
  SystemStopped: 503,
  FrameError: 400,
});

/** fastify's own errors, seen before a route runs (the body parser, the router). */
const FASTIFY_ERRORS: Readonly<Record<string, { error: string; status: number; message: (limit: number) => string }>> = Object.freeze({
  FST_ERR_CTP_BODY_TOO_LARGE: { error: 'BodyTooLarge', status: 413, message: (limit) => `the request body is larger than ${limit} bytes (the gateway's maxBodyBytes)` },
  FST_ERR_CTP_EMPTY_JSON_BODY: { error: 'InvalidJson', status: 400, message: () => "the request body is empty but its content-type is 'application/json'" },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { error: 'UnsupportedMediaType', status: 415, message: () => "the request body's content-type is not supported: send 'application/json'" },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { error: 'InvalidBody', status: 400, message: () => 'the request body size did not match its Content-Length' },
});

/** What a failed request answers: status and `{ error, message }`. */
export function httpErrorOf(err: unknown, maxBodyBytes: number): { status: number; body: { error: string; message: string } } {
  if (err instanceof GatewayError) return { status: err.status, body: { error: err.code, message: err.message } };
  if (err instanceof DualbusError) return { status: STATUS_OF_CODE[err.code] ?? 500, body: { error: err.code, message: err.message } };
  const code = (err as { code?: unknown } | null)?.code;
  const known = typeof code === 'string' ? FASTIFY_ERRORS[code] : undefined;
  if (known !== undefined) return { status: known.status, body: { error: known.error, message: known.message(maxBodyBytes) } };
  const status = (err as { statusCode?: unknown } | null)?.statusCode;
  const message = err instanceof Error ? err.message : String(err);
  if (typeof status === 'number' && status >= 400 && status < 500) return { status, body: { error: 'BadRequest', message } };
  return { status: 500, body: { error: 'InternalError', message } };
}

/** A given value in an error message: short, and never a whole payload. */
export function describeGiven(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return value.length > 60 ? `${JSON.stringify(value.slice(0, 60))}... (a string of ${value.length})` : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
