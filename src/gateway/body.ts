// Request bodies checked field by field, so a wrong one is answered 400 with the field, what it
// takes and what it was given, never a 500 from somewhere deeper.
import { GatewayError, InvalidBody, InvalidField, InvalidJson } from './errors.js';

/**
 * The JSON body parser. fastify's own answers every syntax error with the same sentence; this one
 * says where the text went wrong. JSON.parse makes `__proto__` an own key, never a prototype, and
 * messages are re-encoded as msgpack data before anyone reads them.
 */
export function parseJson(_req: unknown, body: string | Buffer, done: (err: Error | null, value?: unknown) => void): void {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  if (text.trim() === '') {
    done(new InvalidJson("it is empty, and its content-type is 'application/json'"));
    return;
  }
  try {
    done(null, JSON.parse(text));
  } catch (err) {
    done(new InvalidJson((err as Error).message));
  }
}

/** The body as an object of the route's fields; `optional`: no body at all means `{}`. */
export function fieldsOf(body: unknown, fields: readonly string[], optional = false): Record<string, unknown> {
  if (body === undefined && optional) return {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidBody(`a JSON object with ${fields.map((f) => `'${f}'`).join(', ')} (content-type: application/json)`, body);
  }
  for (const k of Object.keys(body)) {
    if (!fields.includes(k)) throw new GatewayError('UnknownField', 400, `field '${k}' is not taken here; the fields are ${fields.map((f) => `'${f}'`).join(', ')}`);
  }
  return body as Record<string, unknown>;
}

/** A field that must be there, any JSON value (null included). */
export function required(fields: Record<string, unknown>, name: string): unknown {
  if (!(name in fields)) throw new InvalidField(name, 'present (any JSON value)', undefined);
  return fields[name];
}

export function optionalString(fields: Record<string, unknown>, name: string, maxLength: number): string | undefined {
  const v = fields[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v.length > maxLength) throw new InvalidField(name, `a string of at most ${maxLength} characters`, v);
  return v;
}

/** An ask's timeout: at most the gateway's askTimeoutMs, which is also the default. */
export function askTimeout(fields: Record<string, unknown>, max: number): number {
  const v = fields.timeoutMs;
  if (v === undefined) return max;
  if (!(typeof v === 'number' && Number.isFinite(v) && v > 0 && v <= max)) throw new InvalidField('timeoutMs', `a number of milliseconds above 0 and at most ${max} (the gateway's askTimeoutMs)`, v);
  return v;
}

/** A topic to publish on: a concrete name, not a pattern. */
export function topicField(fields: Record<string, unknown>): string {
  const v = fields.topic;
  if (!(typeof v === 'string' && v !== '' && !/[*?]/.test(v))) throw new InvalidField('topic', 'a non-empty topic without wildcards (* or ?: those are for subscribing)', v);
  return v;
}
