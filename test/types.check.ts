// Compile-time checks (tsc -p tsconfig.typetests.json, part of `npm test`): each line marked
// with an expect-error directive below must stay a type error, or the test build fails.
import { createSystem, defineActor, defineRecord, type ActorRef, type ViewOf } from 'dualbus';

const Tick = defineRecord({ px: 'f64', qty: 'f64' }, { name: 'types-tick' });
const Other = defineRecord({ a: 'u8' }, { name: 'types-other' });

type RiskMsg = { type: 'tick'; px: number } | { type: 'var?' } | ViewOf<typeof Tick>;
const risk = defineActor<RiskMsg, { var: number }, { n: number }>({
  init: () => ({ n: 0 }),
  receive(state, msg, ctx) {
    state.n++;
    if ('type' in msg && msg.type === 'var?') ctx.reply({ var: 1.2 });
    // @ts-expect-error the reply type is { var: number }
    ctx.reply('not a reply');
  },
});

export async function typed(): Promise<void> {
  const system = await createSystem();
  const ref = await system.spawn<typeof risk>('risk', new URL('file:///risk.js'));
  const same: ActorRef<RiskMsg, { var: number }> = ref;
  ref.send({ type: 'tick', px: 1 });
  // @ts-expect-error unknown message type
  ref.send({ type: 'tock', px: 1 });
  // @ts-expect-error px must be a number
  ref.send({ type: 'tick', px: '1' });
  const v: { var: number } = await ref.ask({ type: 'var?' });
  // @ts-expect-error the reply is { var: number }, not a string
  const s: string = await ref.ask({ type: 'var?' });
  ref.sendRecord(Tick, { px: 1, qty: 2 });
  // @ts-expect-error a record layout this actor does not receive
  ref.sendRecord(Other, { a: 1 });
  // @ts-expect-error a missing field
  ref.sendRecord(Tick, { px: 1 });
  void same; void v; void s;
}
