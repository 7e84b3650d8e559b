import type { ActorDefinition, AnyActorDefinition } from '../transport/contract.js';

export type { ActorDefinition, AnyActorDefinition, MessageOf, ReplyOf } from '../transport/contract.js';

const MARK = Symbol.for('dualbus.actor');

/** Marks an actor module's default export (checked by the worker that loads it). */
export function defineActor<Msg = any, Reply = unknown, State = any>(
  def: ActorDefinition<Msg, Reply, State>,
): ActorDefinition<Msg, Reply, State> {
  if (def === null || typeof def !== 'object') throw new TypeError(`defineActor expects an object, got ${def === null ? 'null' : typeof def}`);
  if (typeof def.receive !== 'function') throw new TypeError('defineActor: receive must be a function');
  for (const hook of ['init', 'stop', 'snapshot', 'restore'] as const) {
    if (def[hook] !== undefined && typeof def[hook] !== 'function') throw new TypeError(`defineActor: ${hook} must be a function when given`);
  }
  if (def.subscribe !== undefined && (!Array.isArray(def.subscribe) || def.subscribe.some((p) => typeof p !== 'string' || p === ''))) {
    throw new TypeError('defineActor: subscribe must be an array of non-empty topic patterns');
  }
  Object.defineProperty(def, MARK, { value: true });
  return def;
}

export function isActorDefinition(value: unknown): value is AnyActorDefinition {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[MARK] === true;
}
