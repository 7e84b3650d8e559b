import type { ActorContext } from './context.js';

/**
 * An actor module's default export. `Msg` is what it receives, `Reply` what it answers asks
 * with, `State` what `init` builds (again at every restart).
 */
export interface ActorDefinition<Msg = any, Reply = unknown, State = any> {
  /** Topic patterns this actor receives publishes for (`*` any run of characters, `?` one). */
  readonly subscribe?: readonly string[];
  init?(ctx: ActorContext<Reply>): State | Promise<State>;
  /** Handles one message at a time; an async receive holds the next message until it settles. */
  receive(state: State, msg: Msg, ctx: ActorContext<Reply>): void | Promise<void>;
  /** Graceful shutdown, after the mailbox is drained. */
  stop?(state: State, ctx: ActorContext<Reply>): void | Promise<void>;
  /**
   * What to keep across a restart: called when the actor goes idle (at most every
   * snapshotIntervalMs), on a graceful stop and when a receive error restarts it. The value must
   * survive structured clone. A hard crash (memory, hang, exit) keeps the last one taken.
   */
  snapshot?(state: State): unknown;
  /** Builds the state from the last snapshot, instead of `init`, when the actor restarts. */
  restore?(snapshot: any, ctx: ActorContext<Reply>): State | Promise<State>;
  /** Phantom fields: carry the message and reply types to `spawn` and refs. Never set. */
  readonly __msg?: Msg;
  readonly __reply?: Reply;
}

export type AnyActorDefinition = ActorDefinition<any, any, any>;
export type MessageOf<A> = A extends ActorDefinition<infer M, any, any> ? M : never;
export type ReplyOf<A> = A extends ActorDefinition<any, infer R, any> ? R : never;

const MARK = Symbol.for('dualbus.actor');

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
