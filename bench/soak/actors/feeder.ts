// host-a: the soak's traffic. Every 10 ms it sends numbered messages to `ledger` (on host-b, over
// the engine-logic bus) and to `sink` (in-host), and publishes quotes on md.<sym> (to host-b, over
// the market-data bus). A send refused (a full ring: the bus is away, an actor restarting) is tried
// again next turn with the same number, so every number counted as sent was accepted once.
import { defineActor } from 'dualbus';

type Cmd = { type: 'run'; perSecond: number } | { type: 'halt' } | { type: 'sent?' };
interface Sent {
  ledger: number;
  sink: number;
  quotes: number;
}
interface State extends Sent {
  timer: NodeJS.Timeout | undefined;
}

/** A send that throws (its actor between two incarnations) counts as refused: tried again next turn. */
function trySend(send: () => boolean): boolean {
  try {
    return send();
  } catch {
    return false;
  }
}

const SYMBOLS = ['AAPL', 'MSFT', 'NVDA', 'AMZN', 'META'];

export default defineActor<Cmd, Sent, State>({
  init: () => ({ ledger: 0, sink: 0, quotes: 0, timer: undefined }),
  receive(state, msg, ctx) {
    if (msg.type === 'sent?') return ctx.reply({ ledger: state.ledger, sink: state.sink, quotes: state.quotes });
    clearInterval(state.timer);
    if (msg.type === 'halt') return;
    const perTurn = Math.max(1, Math.round(msg.perSecond / 100));
    state.timer = setInterval(() => {
      for (let i = 0; i < perTurn; i++) {
        if (trySend(() => ctx.send('ledger', { seq: state.ledger }))) state.ledger++;
        if (trySend(() => ctx.send('sink', { seq: state.sink }))) state.sink++;
        ctx.publish(`md.${SYMBOLS[state.quotes % SYMBOLS.length]}`, { px: 100 + (state.quotes % 100), n: state.quotes });
        state.quotes++;
      }
    }, 10);
  },
  stop: (state) => clearInterval(state.timer),
});
