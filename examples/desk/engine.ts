// What every desk engine shares: it answers `{ type: 'ping' }` with 'pong'. The desk's
// availability probe asks each engine that every 100 ms; an answer proves the engine takes and
// handles messages, which is what availability means to the engines that depend on it.
import { defineActor, type ActorContext, type ActorDefinition } from 'dualbus';

export interface Ping {
  type: 'ping';
}

export function isPing(msg: unknown): msg is Ping {
  return typeof msg === 'object' && msg !== null && (msg as { type?: unknown }).type === 'ping';
}

/** `defineActor`, plus the ping answer. */
export function deskEngine<Msg, Reply, State>(def: ActorDefinition<Msg, Reply, State>): ActorDefinition<Msg | Ping, Reply | 'pong', State> {
  const receive = def.receive;
  return defineActor<Msg | Ping, Reply | 'pong', State>({
    ...(def as ActorDefinition<Msg | Ping, Reply | 'pong', State>),
    receive(state, msg, ctx) {
      if (isPing(msg)) return ctx.reply('pong');
      return receive.call(def, state, msg as Msg, ctx as unknown as ActorContext<Reply>);
    },
  });
}
